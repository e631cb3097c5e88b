"""analyze.run: root causes traced to validation batches and real image files, with the real server."""

import json
import math
import random
import re
import shutil
import subprocess

import pytest

from images import FIXTURES
from runclinic import RPCError
from test_schema import check

BATCHES, BATCH_SIZE = 16, 8


def dataset(folder, rotated_batches=()):
    """Receipt images in fixed validation batches; the batches named hold receipts turned a quarter."""
    batches = []
    for batch in range(BATCHES):
        paths = []
        for index in range(BATCH_SIZE):
            name = f"val/receipt_{batch * BATCH_SIZE + index:04d}.jpg"
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            source = "receipt_quarter.jpg" if batch in rotated_batches else "receipt.jpg"
            shutil.copy(FIXTURES / source, folder / name)
            paths.append(name)
        batches.append(paths)
    return batches


def log_run(client, name, batches, *, recall_of, loss_of, lr_of=lambda step: 1e-3, steps=4097, every=256, config=None, finish=True):
    """A training run through the real RPC: loss and lr each 16 steps, validation batches every `every`."""
    config = {"model": "dbnet-r18", "optimizer": {"lr": 1e-3}, **(config or {})}
    run = client.call("run.start", name=name, config=config)["run_id"]
    rng = random.Random(name)
    for step in range(1, steps + 1, 16):
        client.call("monitor.log", run=run, step=step, metrics={"train/loss": loss_of(step, rng), "lr": lr_of(step)})
        if (step - 1) % every == 0:
            recalls = []
            for index, paths in enumerate(batches):
                recall = recall_of(step, index, rng)
                recalls.append(recall)
                client.call("monitor.batch", run=run, step=step, batch=index, metrics={"val/recall": recall}, samples=paths)
            client.call("monitor.log", run=run, step=step, metrics={"val/recall": sum(recalls) / len(recalls)})
    if finish:
        client.call("run.finish", run=run)
    return run


def smooth_loss(step, rng):
    return 0.3 + 2.0 * math.exp(-step / 700) + rng.gauss(0, 0.02)


def test_the_handbooks_drop_is_traced_to_rotated_images_in_batches_12_to_15(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data, rotated_batches={12, 13, 14, 15})
    # From step 2049 the model fails on turned receipts: their batches fall, the others hold.
    recall = lambda step, batch, rng: (0.29 if step >= 2049 and batch >= 12 else 0.89) + rng.gauss(0, 0.005)
    run = log_run(client, "handbook", batches, recall_of=recall, loss_of=smooth_loss)
    out = tmp_path / "reports"
    reply = client.call("analyze.run", run=run, data_dir=str(data), output_dir=str(out))
    check("analyze.run", reply)
    first = reply["root_causes"][0]
    assert first["incident"]["kind"] == "drop" and first["incident"]["metric"] == "val/recall"
    assert first["incident"]["step"] == 2049
    assert first["incident"]["before"] == pytest.approx(0.89, abs=0.01) and first["incident"]["after"] == pytest.approx(0.74, abs=0.01)
    cause = first["hypotheses"][0]
    assert cause["cause"] == "data_quality" and cause["defect"] == "rotated" and cause["batches"] == [12, 13, 14, 15]
    assert cause["confidence"] > 0.8 and any("Fisher" in line for line in cause["evidence"])
    assert set(cause["samples"]) == {p for b in batches[12:] for p in b}
    assert "fell from 0.89 to 0.74 at step 2049" in reply["key_finding"] and "rotated" in reply["key_finding"]
    batch_points = {(p["batch"], p["step"]) for p in reply["change_points"] if "batch" in p}
    assert {(batch, 2049) for batch in (12, 13, 14, 15)} <= batch_points
    assert not any(step == 2049 and batch < 12 for batch, step in batch_points)
    summary = json.loads((out / "handbook_summary.json").read_text())
    assert summary == reply["summary"]
    assert summary["performance_metrics"]["performance_drop_step"] == 2049
    assert summary["data_insights"]["total_images"] == 128 and summary["data_insights"]["audited_images"] == 128
    assert summary["data_insights"]["defects"]["rotated"] == 32
    assert summary["anomalies"][0]["suspected_cause"] == "data_quality: rotated"
    assert any("batches 12-15" in advice for advice in summary["recommendations"])
    # Markdown in the handbook's layout, its charts as SVG files beside it.
    markdown = (out / "handbook_report.md").read_text()
    for heading in ["## Executive summary", "## Performance", "## Root cause", "## Anomalies", "## Data quality", "## Recommendations"]:
        assert heading in markdown
    assert "**Key finding:** val/recall fell from 0.89 to 0.74 at step 2049" in markdown
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+\.svg)\)", markdown)
    assert "handbook_charts/val_recall.svg" in charts and "handbook_charts/batches.svg" in charts
    for chart in charts:
        assert (out / chart).read_text().startswith("<svg")
    assert reply["reports"] == {"md": str(out / "handbook_report.md"), "html": str(out / "handbook_report.html"),
                                "json": str(out / "handbook_summary.json")}
    check_in_a_browser(out / "handbook_report.html")
    # The worst images, the turned receipts, are shown in colour as they are on disk.
    shown = re.findall(r'<img alt="thumbnail of ([^"]+)" src="([^"]+)"', (out / "handbook_report.html").read_text())
    assert shown and all(src.startswith("data:image/jpeg;base64,") for _, src in shown)
    assert {path for path, _ in shown} <= {p for b in batches[12:] for p in b}
    # ...and in the markdown, as JPEG files beside its charts, the same images in the same order.
    pictures = re.findall(r"!\[thumbnail\]\((handbook_charts/image_\d+\.jpg)\) `([^`]+)`", markdown)
    assert [path for _, path in pictures] == [path for path, _ in shown]
    for file, _ in pictures:
        assert (out / file).read_bytes()[:3] == b"\xff\xd8\xff"
    # The images were audited on the fly, and the audit is stored: a second analysis reuses it.
    again = client.call("analyze.run", run=run, data_dir=str(data))
    assert again["root_causes"][0]["hypotheses"][0]["defect"] == "rotated" and again["reports"] == {}


def browser():
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no Chromium: `make test` installs Debian's chromium package")


def check_in_a_browser(page):
    """Loads the self-contained report in headless Chromium: no console error, every chart laid
    out, every thumbnail decoded, nothing fetched from the network."""
    html = page.read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html
    done = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    charts = int(re.search(r'data-charts="(\d+)"', done.stdout).group(1))
    assert charts == html.count('<div class="chart"') and charts >= 3
    loaded, total = re.search(r'data-images="(\d+)/(\d+)"', done.stdout).groups()
    assert loaded == total and int(total) > 0


def test_finishing_a_run_writes_its_reports_when_the_config_asks(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data, rotated_batches={3, 4})
    recall = lambda step, batch, rng: (0.3 if step >= 1025 and batch in (3, 4) else 0.9) + rng.gauss(0, 0.005)
    reporting = {"reporting": {"auto_generate_reports": True, "output_dir": str(tmp_path / "auto"), "data_dir": str(data)}}
    run = log_run(client, "auto", batches, recall_of=recall, loss_of=smooth_loss, steps=2049, config=reporting, finish=False)
    finished = client.call("run.finish", run=run)
    assert finished["status"] == "finished"
    assert set(finished["reports"]) == {"md", "html", "json"}
    summary = json.loads((tmp_path / "auto" / "auto_summary.json").read_text())
    assert summary["root_causes"][0]["hypotheses"][0]["defect"] == "rotated"
    # Without the setting, finishing writes nothing.
    plain = log_run(client, "plain", batches, recall_of=recall, loss_of=smooth_loss, steps=257, finish=False)
    assert "reports" not in client.call("run.finish", run=plain)
    # Inside experiment_monitoring, where the handbook's example shows it, it works too.
    nested = {"experiment_monitoring": {"reporting": {"auto_generate_reports": True, "output_dir": str(tmp_path / "nested")}}}
    inside = log_run(client, "nested", batches, recall_of=recall, loss_of=smooth_loss, steps=257, config=nested, finish=False)
    assert set(client.call("run.finish", run=inside)["reports"]) == {"md", "html", "json"}
    assert (tmp_path / "nested" / "nested_summary.json").exists()


def test_a_learning_rate_blow_up_is_named_and_a_clean_run_has_no_cause_invented(client, tmp_path):
    batches = dataset(tmp_path / "data")
    blow_up = 2500
    loss = lambda step, rng: smooth_loss(step, rng) if step < blow_up + 100 else (float("nan") if step > blow_up + 400 else 5.0 + (step - blow_up) / 50)
    recall = lambda step, batch, rng: (0.89 if step < blow_up + 100 else 0.2) + rng.gauss(0, 0.005)
    run = log_run(client, "lr-blow-up", batches, recall_of=recall, loss_of=loss, lr_of=lambda step: 1e-3 if step < blow_up else 5e-2)
    reply = client.call("analyze.run", run=run, data_dir=str(tmp_path / "data"), formats=["json"])
    causes = [explanation["hypotheses"][0]["cause"] for explanation in reply["root_causes"]]
    assert causes[0] == "learning_rate", reply["root_causes"][0]
    advice = reply["summary"]["recommendations"]
    assert any("back to 0.001" in line for line in advice) and len(advice) == len(set(advice))
    # The monitor's own actions are weighed, with what followed them.
    followed = [line for e in reply["root_causes"] for h in e["hypotheses"] if h["cause"] == "recovery_action" for line in h["evidence"]]
    assert followed and all("the monitor advised" in line for line in followed) and any("(worse)" in line for line in followed)
    assert not any(c == "data_quality" for c in causes)

    clean = log_run(client, "clean", batches, recall_of=lambda step, batch, rng: 0.6 + 0.29 * (1 - math.exp(-step / 900)) + rng.gauss(0, 0.005),
                    loss_of=smooth_loss)
    reply = client.call("analyze.run", run=clean)
    assert all(e["hypotheses"][0]["cause"] in ("unexplained", "plateau") for e in reply["root_causes"]), reply["root_causes"]
    assert not any(e["incident"]["kind"] == "drop" for e in reply["root_causes"])


@pytest.mark.parametrize("params, field", [
    ({}, "run"),
    ({"run": "no-such-run"}, None),
    ({"run": 1, "formats": ["pdf"]}, "formats"),
    ({"run": 1, "colour": "red"}, "colour"),
])
def test_bad_params_are_named(client, params, field):
    client.call("run.start", name="exists")
    with pytest.raises(RPCError) as error:
        client.call("analyze.run", **params)
    if field:
        assert error.value.code == -32602 and error.value.data["field"] == field
    else:
        assert error.value.code != -32602 or "no-such-run" in error.value.message


def test_the_cli_prints_the_key_finding_and_writes_the_reports(binary, client, db, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data, rotated_batches={12, 13, 14, 15})
    recall = lambda step, batch, rng: (0.29 if step >= 2049 and batch >= 12 else 0.89) + rng.gauss(0, 0.005)
    log_run(client, "cli-run", batches, recall_of=recall, loss_of=smooth_loss)
    client.call("shutdown")
    done = subprocess.run([binary, "analyze", "cli-run", "--db", str(db), "--data-dir", str(data), "--output-dir", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("val/recall fell from 0.89 to 0.74 at step 2049. Primary cause: rotated images")
    assert f"html report: {tmp_path / 'out' / 'cli-run_report.html'}" in lines
    unknown = subprocess.run([binary, "analyze", "nope", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert unknown.returncode != 0 and "nope" in unknown.stderr


def test_a_long_analysis_reports_progress(binary, client, db, tmp_path):
    batches = dataset(tmp_path / "data")
    run = log_run(client, "progress", batches, recall_of=lambda step, batch, rng: 0.8 + rng.gauss(0, 0.005), loss_of=smooth_loss, steps=1025)
    client.call("shutdown")
    from runclinic.framing import loads
    server = subprocess.Popen([binary, "serve", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        request = {"jsonrpc": "2.0", "id": 7, "method": "analyze.run", "params": {"run": run, "workDoneToken": "t1"}}
        server.stdin.write((json.dumps(request) + "\n").encode())
        server.stdin.flush()
        kinds, messages = [], []
        while True:
            message = loads(server.stdout.readline())
            if message.get("method") == "$/progress":
                kinds.append(message["params"]["value"]["kind"])
                messages.append(message["params"]["value"].get("message"))
            else:
                assert message["id"] == 7 and "summary" in message["result"]
                break
        assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
        assert "finding change points" in messages
    finally:
        server.stdin.close()
        server.wait(10)


def test_the_key_finding_is_the_drop_that_matters_not_the_first_dip(client, tmp_path):
    batches = dataset(tmp_path / "data")

    def recall(step, index, rng):
        value = 0.86 + rng.gauss(0, 0.005)
        if step == 513:
            value -= 0.06  # one noisy evaluation, recovered at once
        if step >= 2049:
            value -= 0.25  # the run's real collapse
        return value

    run = log_run(client, "dip-then-drop", batches, recall_of=recall, loss_of=smooth_loss)
    result = client.call("analyze.run", run=run)
    check("analyze.run", result)
    primary = result["primary"]
    assert primary["incident"]["metric"] == "val/recall" and primary["incident"]["step"] == 2049, primary
    assert result["key_finding"].startswith(primary["incident"]["description"])
    assert "2049" in result["key_finding"]
    for cause in result["root_causes"]:
        top = cause["hypotheses"][0]
        assert top["cause"] != "unexplained" or top["confidence"] <= 0.5, cause


def test_a_run_that_ends_in_nan_says_so_first_and_its_final_value_is_nan(client, tmp_path):
    batches = dataset(tmp_path / "data")

    def loss(step, rng):
        return math.nan if step >= 3073 else smooth_loss(step, rng)

    run = log_run(client, "ends-in-nan", batches, recall_of=lambda step, index, rng: 0.85 + rng.gauss(0, 0.005),
                  loss_of=loss, lr_of=lambda step: math.inf if step >= 3073 else 1e-3)
    result = client.call("analyze.run", run=run, output_dir=str(tmp_path / "out"), formats=["md", "json"])
    assert result["primary"]["incident"]["kind"] == "non_finite"
    assert "NaN" in result["key_finding"] or "nan" in result["key_finding"].lower() or "inf" in result["key_finding"].lower()
    performance = result["summary"]["performance_metrics"]
    assert math.isnan(performance["final_train/loss"]) and performance["final_lr"] == math.inf
    chart = (tmp_path / "out").glob("*_charts/*.svg")
    svg = "\n".join(path.read_text() for path in chart)
    assert 'class="non-finite"' in svg and "+Inf at step 3073" in svg
