"""import.run / export.run: runs written by the real tools (Tests/Fixtures/import, made by
bench/import/make_fixtures.py with wandb 0.31.0, tensorboardX 2.6.5, MLflow 3.17.2) come back bit for
bit through the real binary; damaged files give errors naming the file and offset; re-imports update."""

import json
import math
import os
import pathlib
import shutil
import struct
import subprocess
import sys

import pytest

from runclinic import RPCError

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "Tests" / "Fixtures" / "import"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
METRICS = EXPECTED["metrics"]
UNREADABLE = -32006


def logged(metric):
    return [struct.unpack(">d", bytes.fromhex(h))[0] for h in EXPECTED["values_hex"][metric]]


def as_float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def same(got, want):
    """Bit for bit (NaN matches NaN; an infinity matches only itself)."""
    if math.isnan(want):
        return math.isnan(got)
    return struct.pack("<d", got) == struct.pack("<d", want)


def series_of(client, run_id):
    return client.call("run.metrics", run=run_id)["series"]


def assert_exact(series, metric, *, tag=None, float32=False):
    got = series[tag or metric]
    want = logged(metric)
    if float32:
        want = [as_float32(v) for v in want]
    assert got["steps"] == list(range(EXPECTED["steps"]))
    mismatches = [(s, g, w) for s, g, w in zip(got["steps"], got["values"], want) if not same(g, w)]
    assert mismatches == [], f"{tag or metric}: {mismatches[:3]}"
    if metric == "train/loss":
        assert sum(math.isnan(v) for v in got["values"]) == 10 and got["values"].count(math.inf) == 2


def assert_times_plausible(series, metric):
    times = series[metric]["times"]
    assert all(EXPECTED["t_start"] - 1 <= t <= EXPECTED["t_end"] + 1 for t in times), (times[0], EXPECTED["t_start"])
    assert times == sorted(times)


def import_one(client, path, **params):
    reply = client.call("import.run", path=str(path), **params)
    assert reply["errors"] == []
    assert len(reply["runs"]) == 1, reply["runs"]
    return reply["runs"][0]


FLAT_CONFIG = EXPECTED["config_flat"]


@pytest.mark.parametrize("source", ["wandb", "wandb_typed"])
def test_wandb_offline_runs_come_back_bit_for_bit(client, source):
    run = import_one(client, FIXTURES / source)
    assert run["format"] == "wandb" and run["name"] == "fixture-run" and run["project"] == "fixture"
    assert run["status"] == "finished" and run["points"] == 600 and run["partial"] is None
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        assert_exact(series, metric)
        assert_times_plausible(series, metric)
    stored = client.call("run.get", run=run["run_id"])
    assert stored["config"] == EXPECTED["config"]  # nested, typed, as logged
    # the monitor's detectors judged the history as they would have live
    anomalies = client.call("run.anomalies", run=run["run_id"])["anomalies"]
    assert any(a["type"] == "non_finite" and a["step"] == 188 and a["metric"] == "train/loss" for a in anomalies), anomalies


def test_tensorboard_simple_values_and_hparams(client):
    run = import_one(client, FIXTURES / "tensorboard")
    assert run["format"] == "tensorboard" and run["partial"] is None
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        assert_exact(series, metric, float32=True)  # simple_value is float32
        assert_times_plausible(series, metric)
    config = client.call("run.get", run=run["run_id"])["config"]
    assert config == FLAT_CONFIG  # add_hparams' folder belongs to the run above it


@pytest.mark.parametrize("prefix,float32", [("f32_val/", True), ("f64_val/", False), ("f32_content/", True), ("f64_content/", False)])
def test_tensorboard_tensor_encoded_scalars(client, prefix, float32):
    run = import_one(client, FIXTURES / "tensorboard_tensor")
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        assert_exact(series, metric, tag=prefix + metric, float32=float32)


@pytest.mark.parametrize("prefix", ["f16_val/", "f16_content/"])
def test_tensorboard_half_precision_scalars(client, prefix):
    run = import_one(client, FIXTURES / "tensorboard_half")
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        got = series[prefix + metric]["values"]
        want = [struct.unpack("<e", struct.pack("<e", v))[0] for v in logged(metric)]
        assert all(same(g, w) for g, w in zip(got, want)) and len(got) == EXPECTED["steps"]


def test_lightning_rows_with_empty_cells(client, tmp_path):
    version = tmp_path / "lightning_logs" / "version_3"
    version.mkdir(parents=True)
    (version / "metrics.csv").write_text(
        "train_loss,epoch,step,val_loss,val_acc\n"
        "0.9,0,49,,\n0.7,0,99,,\n,0,99,0.8,0.61\n0.5,1,149,,\n0.4,1,199,,\n,1,199,0.6,nan\n")
    (version / "hparams.yaml").write_text("lr: 0.01\nmodel:\n  depth: 4\n")
    run = import_one(client, tmp_path / "lightning_logs")
    assert run["name"] == "lightning_logs/version_3" and run["points"] == 12  # 8, and epoch at 4 steps
    series = series_of(client, run["run_id"])
    assert series["train_loss"]["steps"] == [49, 99, 149, 199] and series["val_loss"]["steps"] == [99, 199]
    assert series["val_acc"]["values"][0] == 0.61 and math.isnan(series["val_acc"]["values"][1])
    assert series["epoch"]["steps"] == [49, 99, 149, 199] and series["epoch"]["values"] == [0, 0, 1, 1]
    assert client.call("run.get", run=run["run_id"])["config"] == {"lr": 0.01, "model": {"depth": 4}}


@pytest.mark.parametrize("source", ["mlflow_file", "mlflow_sqlite"])
def test_mlflow_stores_and_infinity_mapped_back(client, source):
    run = import_one(client, FIXTURES / source)
    assert run["format"] == "mlflow" and run["name"] == "fixture-run" and run["project"] == "fixture"
    assert run["status"] == "finished"
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        assert_exact(series, metric)  # the SQLite store's ±1.797e308 read as ±inf
        assert_times_plausible(series, metric)
    assert client.call("run.get", run=run["run_id"])["config"] == FLAT_CONFIG  # params typed back


def test_lightning_csv_logger(client):
    run = import_one(client, FIXTURES / "lightning_csv")
    assert run["format"] == "csv" and run["name"] == "fixture/version_0"
    assert sorted(run["metrics"]) == sorted(METRICS + ["epoch"])  # Lightning logs the epoch on each row
    series = series_of(client, run["run_id"])
    for metric in METRICS:
        assert_exact(series, metric)
    assert client.call("run.get", run=run["run_id"])["config"] == EXPECTED["config"]  # hparams.yaml


def test_a_folder_of_everything_is_found_and_reimporting_updates_in_place(client, tmp_path):
    root = tmp_path / "logs"
    for source in ["wandb", "tensorboard", "mlflow_file", "mlflow_sqlite", "lightning_csv"]:
        shutil.copytree(FIXTURES / source, root / source, symlinks=True)
    shutil.copytree(FIXTURES / "tensorboard" / "run", root / "tensorboard" / "run_b")
    # wandb's latest-run link must not import the run twice
    wandb_dir = root / "wandb" / "wandb"
    os.symlink(next(wandb_dir.iterdir()).name, wandb_dir / "latest-run")
    first = client.call("import.run", path=str(root), project="zoo")
    assert first["errors"] == []
    formats = sorted(run["format"] for run in first["runs"])
    assert formats == ["csv", "mlflow", "mlflow", "tensorboard", "tensorboard", "wandb"]
    assert all(run["created"] for run in first["runs"])
    names = sorted(run["name"] for run in first["runs"])
    assert names == ["fixture-run", "fixture-run-2", "fixture-run-3", "fixture/version_0",
                     "tensorboard/run", "tensorboard/run_b"]
    again = client.call("import.run", path=str(root), project="zoo")
    assert [r["run_id"] for r in again["runs"]] == [r["run_id"] for r in first["runs"]]
    assert not any(run["created"] for run in again["runs"])
    assert len(client.call("run.list", project="zoo")["runs"]) == 6
    # without a project the runs stay where they are; a new name sticks
    single = client.call("import.run", path=str(root / "lightning_csv"))["runs"][0]
    assert single["project"] == "zoo" and not single["created"]
    renamed = client.call("import.run", path=str(root / "lightning_csv"), name="renamed", project="other")["runs"][0]
    assert (renamed["project"], renamed["name"], renamed["run_id"]) == ("other", "renamed", single["run_id"])
    for run in again["runs"]:
        assert client.call("run.get", run=run["run_id"])["counts"]["points"] == run["points"]


def flip_bit(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def wandb_copy(tmp_path):
    source = next((FIXTURES / "wandb" / "wandb").iterdir())
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return next(target.glob("*.wandb"))


def test_a_flipped_bit_in_a_wandb_log_names_the_file_and_offset(client, tmp_path):
    log = wandb_copy(tmp_path)
    flip_bit(log, 40_000)
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(log))
    assert error.value.code == UNREADABLE
    assert error.value.data["file"] == str(log)
    assert 32_768 <= error.value.data["offset"] <= 40_000  # the chunk holding the flipped byte
    assert "checksum" in error.value.data["reason"]
    assert client.call("run.list")["runs"] == []  # nothing half-imported


def test_a_wrong_magic_is_refused_at_offset_zero(client, tmp_path):
    log = wandb_copy(tmp_path)
    data = bytearray(log.read_bytes())
    data[0:4] = b"XXXX"
    log.write_bytes(bytes(data))
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(log))
    assert error.value.code == UNREADABLE and error.value.data["offset"] == 0 and ":W&B" in error.value.message


def test_a_wandb_run_still_being_written_imports_what_is_complete(client, tmp_path):
    log = wandb_copy(tmp_path)
    data = log.read_bytes()
    log.write_bytes(data[: len(data) - 3000])  # a torn last block
    run = import_one(client, log)
    assert run["partial"] and "ends inside a record" in run["partial"]
    assert run["status"] == "running"  # no exit record yet
    series = series_of(client, run["run_id"])
    steps = series["train/acc"]["steps"]
    assert 0 < len(steps) < 200 and steps == list(range(len(steps)))
    want = logged("train/acc")
    assert all(same(g, w) for g, w in zip(series["train/acc"]["values"], want))
    # the writer goes on: importing again completes the same run
    log.write_bytes(data)
    again = import_one(client, log)
    assert again["run_id"] == run["run_id"] and not again["created"] and again["points"] == 600 and again["partial"] is None


def tensorboard_copy(tmp_path):
    target = tmp_path / "tb"
    shutil.copytree(FIXTURES / "tensorboard", target)
    return target, next((target / "run").glob("events.out.tfevents.*"))


def test_tensorboard_damage_and_torn_tail(client, tmp_path):
    root, events = tensorboard_copy(tmp_path)
    data = events.read_bytes()
    flip_bit(events, 5_000)
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(root / "run"))
    assert error.value.code == UNREADABLE and error.value.data["file"] == str(events)
    assert 4_900 < error.value.data["offset"] <= 5_000 and "checksum" in error.value.data["reason"]
    events.write_bytes(data[:-10])
    run = import_one(client, root / "run")
    assert run["partial"] and 590 <= run["points"] < 601


def test_one_bad_source_in_a_folder_is_reported_and_the_rest_imported(client, tmp_path):
    root, events = tensorboard_copy(tmp_path)
    shutil.copytree(FIXTURES / "tensorboard" / "run", root / "good")
    events.write_bytes(b"\x00" * 64)
    reply = client.call("import.run", path=str(root))
    assert [run["name"] for run in reply["runs"]] == ["good"]
    assert len(reply["errors"]) == 1 and reply["errors"][0]["file"] == str(events) and reply["errors"][0]["offset"] == 0


def test_malformed_text_sources_name_file_and_offset(client, tmp_path):
    mlruns = tmp_path / "mlflow"
    shutil.copytree(FIXTURES / "mlflow_file", mlruns)
    metric = next(mlruns.rglob("metrics/lr"))
    lines = metric.read_text().splitlines(keepends=True)
    offset = sum(len(line) for line in lines[:7])
    lines[7] = "1795935142000 not-a-number 7\n"
    metric.write_text("".join(lines))
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(mlruns))
    assert error.value.data["file"] == str(metric) and error.value.data["offset"] == offset and "line 8" in error.value.message

    table = tmp_path / "run.csv"
    table.write_text("step,loss\n0,1.5\n1,1.4,9\n")
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(table))
    assert error.value.code == UNREADABLE and error.value.data["offset"] == len("step,loss\n0,1.5\n") and "row 3" in error.value.message


def test_a_csv_being_written_keeps_its_complete_rows(client, tmp_path):
    table = tmp_path / "live.csv"
    table.write_text("step,loss,acc\n0,1.5,0.1\n1,1.4,0.2\n2,1.3")
    run = import_one(client, table)
    assert run["points"] == 4 and "cut off" in run["partial"]


@pytest.mark.parametrize("params,field", [
    ({"path": "/nonexistent/runs"}, "path"),
    ({"path": str(FIXTURES), "format": "neptune"}, "format"),
    ({"path": 3}, "path"),
    ({"path": str(FIXTURES / "expected.json")}, "format"),
    ({"path": str(FIXTURES / "tensorboard_tensor"), "format": "wandb"}, "path"),
])
def test_bad_params_are_named(client, params, field):
    with pytest.raises(RPCError) as error:
        client.call("import.run", **params)
    assert error.value.code == -32602 and error.value.data["field"] == field


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_export_then_import_round_trips_every_value(client, tmp_path, format):
    original = import_one(client, FIXTURES / "wandb")
    path = tmp_path / f"exported.{format}"
    reply = client.call("export.run", run=original["run_id"], format=format, path=str(path))
    assert reply["rows"] == 200 and reply["points"] == 600 and reply["config_path"].endswith("exported.hparams.yaml")
    back = import_one(client, path, project="back")
    assert back["format"] == format and back["name"] == "exported"
    series = series_of(client, back["run_id"])
    before = series_of(client, original["run_id"])
    for metric in METRICS:
        assert_exact(series, metric)
        assert series[metric]["times"] == before[metric]["times"]
    assert client.call("run.get", run=back["run_id"])["config"] == EXPECTED["config"]


def test_exported_csv_reads_with_pythons_csv_module(client, tmp_path):
    import csv
    run = import_one(client, FIXTURES / "mlflow_sqlite")
    text = client.call("export.run", run=run["run_id"], format="csv")["text"]
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0].keys())[:2] == ["step", "time"] and len(rows) == 200
    for metric in METRICS:
        assert all(same(float(row[metric]), want) for row, want in zip(rows, logged(metric)))


def run_cli(binary, *args, db):
    return subprocess.run([binary, *args, "--db", str(db)], capture_output=True, text=True, timeout=120)


def test_cli_import_then_analyze_compare_and_export(binary, tmp_path):
    db = tmp_path / "cli.db"
    done = run_cli(binary, "import", str(FIXTURES / "wandb"), "--project", "p", db=db)
    assert done.returncode == 0, done.stderr
    assert "imported p/fixture-run: wandb, 600 points of 3 metrics, finished" in done.stdout
    done = run_cli(binary, "import", str(FIXTURES / "mlflow_file"), "--project", "p", "--name", "from-mlflow", db=db)
    assert done.returncode == 0 and "p/from-mlflow" in done.stdout, done.stderr
    analyzed = run_cli(binary, "analyze", "fixture-run", "--json", db=db)
    assert analyzed.returncode == 0, analyzed.stderr
    summary = json.loads(analyzed.stdout)
    assert "non_finite" in json.dumps(summary)  # the loss turns inf then NaN at steps 188-190
    compared = run_cli(binary, "compare", "fixture-run", "from-mlflow", "--metric", "train/acc", "--mode", "max", "--json", db=db)
    assert compared.returncode == 0, compared.stderr
    assert {run["run"] for run in json.loads(compared.stdout)["runs"]} == {"fixture-run", "from-mlflow"}
    exported = run_cli(binary, "export", "fixture-run", "--format", "jsonl", db=db)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line.replace("NaN", '"nan"').replace("-Infinity", '"-inf"').replace("Infinity", '"inf"'))
            for line in exported.stdout.splitlines()]
    assert len(rows) == 200 and rows[0]["step"] == 0 and set(rows[0]) == {"step", "time", *METRICS}
    bad = run_cli(binary, "import", str(tmp_path / "missing"), db=db)
    assert bad.returncode != 0 and "no such file or folder" in bad.stderr


def test_hyperparameter_impact_works_on_imported_runs(client, tmp_path):
    root = tmp_path / "sweep"
    root.mkdir()
    for index, lr in enumerate([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]):
        peak = 0.9 - 0.1 * abs(math.log10(lr) + 3)
        lines = [json.dumps({"step": step, "val/acc": peak * (1 - math.exp(-step / 5))}) for step in range(40)]
        (root / f"run{index}.jsonl").write_text("\n".join(lines) + "\n")
        (root / f"run{index}.hparams.yaml").write_text(f"lr: {lr}\nseed: {index}\n")
    reply = client.call("import.run", path=str(root), format="jsonl", project="sweep")
    assert len(reply["runs"]) == 6
    impact = client.call("compare.hyperparameters", project="sweep", metric="val/acc")
    assert "lr" in json.dumps(impact)


def test_wandb_config_updates_nested_keys_and_exit_code(client):
    """wandb_extras/updated (bench/import/make_wandb_extras.py): config changed after init, a 100 kB
    config string spanning blocks, a nested dict, an int, a bool and a string logged, exit code 1."""
    run = import_one(client, FIXTURES / "wandb_extras" / "updated")
    assert run["status"] == "failed"
    assert sorted(run["metrics"]) == ["epoch", "loss", "val.acc"]  # the bool and the string are not metrics
    config = client.call("run.get", run=run["run_id"])["config"]
    assert config == {"lr": 0.002, "notes": "x" * 100_000, "scheduler": "cosine"}
    series = series_of(client, run["run_id"])
    assert series["val.acc"]["values"] == [step / 100 for step in range(50)]
    assert series["epoch"]["values"] == [float(step // 10) for step in range(50)]


def test_a_crashed_wandb_run_imports_what_was_written(client):
    """wandb_extras/crashed: killed with os._exit after 1,111 steps, no finish(), no exit record."""
    run = import_one(client, FIXTURES / "wandb_extras" / "crashed")
    assert run["status"] == "running"
    series = series_of(client, run["run_id"])
    steps = series["loss"]["steps"]
    assert 1_000 <= len(steps) <= 1_111 and steps == list(range(len(steps)))
    assert series["loss"]["values"] == [1.0 / (step + 1) for step in steps]


def test_random_damage_never_crashes_the_server_or_imports_a_wrong_value(client, tmp_path):
    """Flipped bytes and cuts anywhere in the binary logs: each import either fails with an error
    naming the file, or imports values that were logged (a torn tail said as partial)."""
    import random
    rng = random.Random(7)
    sources = [(FIXTURES / "tensorboard", "events.out.tfevents.*", True), (FIXTURES / "wandb", "*.wandb", False),
               (FIXTURES / "tensorboard_tensor", "events.out.tfevents.*", None)]
    for round_ in range(int(os.environ.get("RUNCLINIC_FUZZ_ROUNDS", "60"))):
        source, pattern, float32 = sources[round_ % len(sources)]
        target = tmp_path / f"case{round_}"
        shutil.copytree(source, target)
        victim = sorted(target.rglob(pattern), key=lambda p: p.stat().st_size)[-1]
        data = bytearray(victim.read_bytes())
        if round_ % 2:
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:
            data = data[: rng.randrange(len(data))]
        victim.write_bytes(bytes(data))
        try:
            reply = client.call("import.run", path=str(target), project=f"fuzz{round_}")
        except RPCError as error:
            assert error.code == UNREADABLE and error.data["file"] == str(victim), error
            continue
        for run in reply["runs"]:
            series = series_of(client, run["run_id"])
            for metric in METRICS if float32 is not None else []:
                want = logged(metric)
                if float32:
                    want = [as_float32(v) for v in want]
                got = series.get(metric, {"steps": [], "values": []})
                assert all(same(value, want[step]) for step, value in zip(got["steps"], got["values"])), (round_, metric)
    assert client.call("initialize")["serverInfo"]["name"] == "runclinic"


def test_a_folder_import_reports_progress(binary, tmp_path):
    from runclinic.framing import loads
    root = tmp_path / "tb"
    for index in range(4):
        shutil.copytree(FIXTURES / "tensorboard" / "run", root / f"run{index}")
    server = subprocess.Popen([binary, "serve", "--db", str(tmp_path / "p.db")], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        request = {"jsonrpc": "2.0", "id": 1, "method": "import.run", "params": {"path": str(root), "workDoneToken": "imp"}}
        server.stdin.write((json.dumps(request) + "\n").encode())
        server.stdin.flush()
        reports = []
        while True:
            message = loads(server.stdout.readline())
            if message.get("method") == "$/progress":
                reports.append(message["params"]["value"])
            else:
                assert len(message["result"]["runs"]) == 4
                break
        assert reports[0]["kind"] == "begin" and reports[-1]["kind"] == "end"
        assert [r["percentage"] for r in reports if r["kind"] == "report"] == [25, 50, 75, 100]
        assert reports[1]["message"].startswith("1/4 ")
    finally:
        server.stdin.close()
        server.wait(10)


def test_the_cli_draws_a_progress_bar_on_a_terminal(binary, tmp_path):
    import pty
    root = tmp_path / "tb"
    for index in range(3):
        shutil.copytree(FIXTURES / "tensorboard" / "run", root / f"run{index}")
    leader, follower = pty.openpty()
    done = subprocess.run([binary, "import", str(root), "--db", str(tmp_path / "bar.db")],
                          stdout=subprocess.PIPE, stderr=follower, timeout=60)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"[" + b"#" * 30 + b"] 3/3 runs" in drawn and b"\r" in drawn
    assert done.stdout.decode().count("imported default/run") == 3  # stdout keeps only the results


@pytest.mark.parametrize("format", ["csv", "jsonl"])
def test_runmedic_reads_an_exported_run(binary, tmp_path, format):
    """runmedic 0.1.1 (a peer that reads CSV and JSON lines) loads every value of an export and
    finds the loss blow-up runclinic found."""
    db = tmp_path / "e.db"
    assert run_cli(binary, "import", str(FIXTURES / "mlflow_file"), db=db).returncode == 0
    output = tmp_path / "nested" / "dir" / f"fixture.{format}"  # missing folders are created
    done = run_cli(binary, "export", "fixture-run", "--format", format, "--output", str(output), db=db)
    assert done.returncode == 0 and "wrote 200 rows (600 points)" in done.stderr, done.stderr
    from runmedic.loaders import load
    (run,) = load(str(output))
    for metric in METRICS:
        assert run.series[metric].steps == [float(step) for step in range(200)]
        assert all(same(got, want) for got, want in zip(run.series[metric].values, logged(metric))), metric
    diagnosis = subprocess.run([sys.executable, "-m", "runmedic", "diagnose", "--json", str(output)],
                               capture_output=True, text=True, timeout=60)
    findings = json.loads(diagnosis.stdout)[0]["findings"]
    assert any(f["check"] == "non_finite" and f["metric"] == "train/loss" and f["step"] == 188 for f in findings)


@pytest.mark.parametrize("params,field", [({"format": "parquet"}, "format"), ({}, "format"), ({"format": 1}, "format")])
def test_export_bad_params_are_named(client, params, field):
    run = import_one(client, FIXTURES / "lightning_csv")
    with pytest.raises(RPCError) as error:
        client.call("export.run", run=run["run_id"], **params)
    assert error.value.code == -32602 and error.value.data["field"] == field
    with pytest.raises(RPCError) as error:
        client.call("export.run", run="no-such-run", format="csv")
    assert error.value.code == -32001


def test_the_cli_judges_imports_by_the_servers_monitoring_settings(binary, tmp_path):
    settings = tmp_path / "monitoring.yaml"
    settings.write_text("experiment_monitoring:\n  alert_thresholds:\n    train/acc: 0.5\n")
    for config, expected in ((None, False), (settings, True)):
        db = tmp_path / f"judged-{expected}.db"
        args = ["import", str(FIXTURES / "lightning_csv")] + (["--config", str(config)] if config else [])
        assert run_cli(binary, *args, db=db).returncode == 0
        from runclinic import Client
        with Client.spawn(db=db, binary=binary) as client:
            anomalies = client.call("run.anomalies", run="fixture/version_0")["anomalies"]
        assert any(a["type"] == "threshold" and a["metric"] == "train/acc" for a in anomalies) == expected
    bad = tmp_path / "bad.yaml"
    bad.write_text("experiment_monitoring:\n  alert_thresholds: 5\n")
    refused = run_cli(binary, "import", str(FIXTURES / "lightning_csv"), "--config", str(bad), db=tmp_path / "x.db")
    assert refused.returncode != 0 and "alert_thresholds" in refused.stderr


@pytest.mark.parametrize("layout", ["tbx", "torch"])
def test_tensorboard_add_scalars_folders_belong_to_their_run(client, layout):
    """add_scalars("loss", {"train": ..., "val": ...}) writes one folder per key (tensorboardX:
    loss/train, PyTorch: loss_train): one run with the metrics loss/train and loss/val, not three runs."""
    reply = client.call("import.run", path=str(FIXTURES / "tensorboard_add_scalars" / layout))
    assert reply["errors"] == [] and len(reply["runs"]) == 1
    run = reply["runs"][0]
    assert sorted(run["metrics"]) == ["loss/train", "loss/val", "lr"] and run["points"] == 60
    series = series_of(client, run["run_id"])
    for metric, logged_as in (("loss/train", "train/loss"), ("loss/val", "train/acc"), ("lr", "lr")):
        want = [as_float32(v) for v in logged(logged_as)[:20]]
        assert series[metric]["steps"] == list(range(20))
        assert all(same(g, w) for g, w in zip(series[metric]["values"], want)), metric


def test_export_keeps_each_points_time_and_an_epoch_metric(client, tmp_path):
    """A step's training and validation metrics logged at different times get a row each (as
    Lightning's CSVLogger writes them): every point comes back with its own time, `epoch` included."""
    from runclinic import Monitor

    with Monitor("timed", client=client) as monitor:
        run_id = monitor.run_id
        for step in range(0, 30, 10):
            monitor.log({"train/loss": 1 / (step + 1), "epoch": step // 20}, step=step, time=1_000.0 + step)
            monitor.log({"val/loss": 2 / (step + 1)}, step=step, time=50_000_000.0 + step)
    for format in ("csv", "jsonl"):
        path = tmp_path / f"timed.{format}"
        reply = client.call("export.run", run=run_id, format=format, path=str(path))
        assert reply["rows"] == 6 and reply["points"] == 9
        back = import_one(client, path, project=format)
        series = series_of(client, back["run_id"])
        assert series["train/loss"]["times"] == [1_000.0, 1_010.0, 1_020.0]
        assert series["val/loss"]["times"] == [50_000_000.0, 50_000_010.0, 50_000_020.0]
        assert series["epoch"]["values"] == [0, 0, 1] and series["val/loss"]["steps"] == [0, 10, 20]


def test_a_bare_file_name_finds_its_config_beside_it(binary, tmp_path):
    (tmp_path / "run.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    (tmp_path / "run.hparams.yaml").write_text("lr: 0.1\n")
    db = tmp_path / "bare.db"
    done = subprocess.run([binary, "import", "run.csv", "--db", str(db)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = subprocess.run([binary, "call", "--db", str(db), "run.get", '{"run": "run"}'], capture_output=True,
                           text=True, timeout=60)
    assert json.loads(shown.stdout)["config"] == {"lr": 0.1}, shown.stdout + shown.stderr


def test_mlflow_params_are_typed_back_only_when_spelled_as_python_writes_numbers(client, tmp_path):
    store = tmp_path / "mlflow"
    shutil.copytree(FIXTURES / "mlflow_file", store)
    (params,) = store.glob("mlruns/*/*/params")
    written = {"zip": "007", "version": "1.10", "big": "12345678901234567890", "plus": "+5", "small": "1e-05",
               "ratio": "0.25", "count": "42", "negative": "-3", "flag": "True", "none": "None", "large": "1e+16"}
    for name, text in written.items():
        (params / name).write_text(text)
    run = import_one(client, store)
    config = client.call("run.get", run=run["run_id"])["config"]
    assert {name: config[name] for name in written} == {
        "zip": "007", "version": "1.10", "big": "12345678901234567890", "plus": "+5", "small": 1e-05, "ratio": 0.25,
        "count": 42, "negative": -3, "flag": True, "none": None, "large": 1e16}


def hf_history(folder):
    """(metric -> {step: value}) as the Trainer's newest state in `folder` logged it."""
    state = json.loads((folder / "trainer_state.json").read_text())
    logged = {}
    for row in state["log_history"]:
        for key, value in row.items():
            if key != "step":
                logged.setdefault(key, {})[row["step"]] = value
    return logged


def test_huggingface_trainer_output_folders_and_checkpoints(client, tmp_path):
    """Tests/Fixtures/import/huggingface (bench/import/make_huggingface_fixture.py, transformers 5.25):
    a tiny BERT trained 40 steps with checkpoints every 10, and one stopped at 30 by a callback."""
    reply = client.call("import.run", path=str(FIXTURES / "huggingface"))
    assert reply["errors"] == []
    runs = {run["name"]: run for run in reply["runs"]}
    assert sorted(runs) == ["tiny-bert", "tiny-bert-stopped"]
    assert {run["format"] for run in runs.values()} == {"huggingface"}
    assert runs["tiny-bert"]["status"] == "finished" and runs["tiny-bert-stopped"]["status"] == "finished"
    series = series_of(client, runs["tiny-bert"]["run_id"])
    for metric, points in hf_history(FIXTURES / "huggingface" / "tiny-bert").items():
        assert series[metric]["steps"] == sorted(points), metric
        assert series[metric]["values"] == [points[step] for step in sorted(points)], metric
    assert {"loss", "eval_loss", "eval_accuracy", "learning_rate", "grad_norm", "epoch"} <= set(series)
    config = client.call("run.get", run=runs["tiny-bert"]["run_id"])["config"]
    assert {key: config[key] for key in ("train_batch_size", "max_steps", "eval_steps")} == {
        "train_batch_size": 16, "max_steps": 40, "eval_steps": 10}
    assert config["model"]["hidden_size"] == 32 and config["model"]["model_type"] == "bert"
    assert series_of(client, runs["tiny-bert-stopped"]["run_id"])["loss"]["steps"][-1] == 30
    # The analysis reads it as a monitored run: eval_* are validation metrics.
    analysis = client.call("analyze.run", run=runs["tiny-bert"]["run_id"])
    assert "eval_accuracy" in json.dumps(analysis["summary"])

    # One checkpoint's state, by file: the run is the folder above the checkpoint, as far as it got.
    single = import_one(client, FIXTURES / "huggingface" / "tiny-bert" / "checkpoint-20" / "trainer_state.json",
                        project="single")
    assert single["name"] == "tiny-bert" and single["status"] == "killed" and "step 20 of 40" in single["partial"]
    assert series_of(client, single["run_id"])["eval_loss"]["steps"] == [10, 20]

    # A run that died after its checkpoint 30: no state of its own, nothing told it to stop.
    crashed = tmp_path / "crashed"
    shutil.copytree(FIXTURES / "huggingface" / "tiny-bert", crashed)
    (crashed / "trainer_state.json").unlink()
    shutil.rmtree(crashed / "checkpoint-40")
    # And a state written on one line (json.dump without indent) reads the same.
    state = crashed / "checkpoint-30" / "trainer_state.json"
    state.write_text(json.dumps(json.loads(state.read_text())))
    run = import_one(client, crashed, project="crashed")
    assert run["status"] == "killed" and run["points"] > 0
    assert series_of(client, run["run_id"])["loss"]["steps"][-1] == 30


def test_a_file_that_is_not_a_trainer_state_is_an_error_naming_it(client, tmp_path):
    (tmp_path / "trainer_state.json").write_text('{"global_step": 3}')
    with pytest.raises(RPCError) as error:
        client.call("import.run", path=str(tmp_path / "trainer_state.json"))
    assert error.value.code == -32006 and "log_history" in error.value.message
    (tmp_path / "trainer_state.json").write_text('{"global_step": 0, "log_history": []}')
    with pytest.raises(RPCError) as empty:
        client.call("import.run", path=str(tmp_path / "trainer_state.json"))
    assert "no logged value" in empty.value.message


def test_wandb_images_and_tables_are_not_metrics_and_the_summary_is_kept(client):
    """wandb_extras/media (bench/import/make_wandb_extras.py): a wandb.Image and a wandb.Table logged
    beside the numbers every tenth step, and run.summary["best_acc"] set by hand."""
    run = import_one(client, FIXTURES / "wandb_extras" / "media")
    assert sorted(run["metrics"]) == ["acc", "loss"] and run["points"] == 60
    got = client.call("run.get", run=run["run_id"])
    summary = got["summary"]
    assert summary["best_acc"] == 0.97 and summary["loss"] == 1 / 30 and summary["acc"] == 29 / 30
    assert summary["img"]["_type"] == "image-file" and summary["img"]["width"] == 8
    assert summary["tab"]["_type"] == "table-file" and summary["tab"]["nrows"] == 2
    assert got["config"] == {}  # outcomes stay out of the config that compare and hparams read


def test_a_resumed_wandb_run_is_one_run(client, tmp_path):
    """wandb_extras/resumed: one id trained in two processes (resume="allow"), two offline folders."""
    reply = client.call("import.run", path=str(FIXTURES / "wandb_extras" / "resumed"))
    assert [run["name"] for run in reply["runs"]] == ["resumed"] and reply["errors"] == []
    run = reply["runs"][0]
    series = series_of(client, run["run_id"])
    assert series["loss"]["steps"] == list(range(60))
    assert series["loss"]["values"] == [1.0 / (step + 1) for step in range(60)]
    got = client.call("run.get", run=run["run_id"])
    assert got["config"] == {"lr": 0.01} and got["status"] == "finished" and got["summary"]["loss"] == 1 / 60
    # Importing again updates the one run.
    again = client.call("import.run", path=str(FIXTURES / "wandb_extras" / "resumed"))
    assert again["runs"][0]["run_id"] == run["run_id"] and not again["runs"][0]["created"]


@pytest.mark.parametrize("source", ["mlflow_extras", "mlflow_extras_db"])
def test_mlflow_logged_models_are_not_runs_and_nested_runs_name_their_parent(client, source):
    """mlflow_extras (bench/import/make_mlflow_extras.py, MLflow 3): a sweep's parent run and two
    nested trials, one with log_model (MLflow 3's `models/m-<id>/` folder in the file store)."""
    reply = client.call("import.run", path=str(FIXTURES / source))
    assert reply["errors"] == []
    runs = {run["name"]: run for run in reply["runs"]}
    assert sorted(runs) == ["sweep-parent", "trial-0", "trial-1"]
    for trial, lr in [("trial-0", 0.1), ("trial-1", 0.01)]:
        got = client.call("run.get", run=runs[trial]["run_id"])
        assert got["tags"] == ["parent=sweep-parent"] and got["config"] == {"lr": lr} and got["project"] == "sweep"
        assert runs[trial]["points"] == 20
    assert client.call("run.get", run=runs["sweep-parent"]["run_id"])["tags"] == []
