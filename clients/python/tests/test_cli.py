"""The command line: version, help, the runs table, and the shell client."""

import json
import os
import pathlib
import subprocess

import pytest

from runclinic import Client

SHELL_CLIENT = pathlib.Path(__file__).resolve().parents[2] / "shell" / "runclinic-rpc"


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kwargs)


def test_version_and_help(binary):
    version = run(binary, "--version")
    assert version.returncode == 0 and version.stdout.strip() == "0.1.0"
    for command in [[], ["serve"], ["runs"], ["call"], ["audit"]]:
        shown = run(binary, *command, "--help")
        assert shown.returncode == 0 and "USAGE" in shown.stdout.upper()


def test_runs_table_and_json(binary, db):
    with Client.spawn(db=db, binary=binary) as client:
        run_id = client.call("run.start", name="table", project="p")["run_id"]
        client.call("monitor.log", run=run_id, step=7, metrics={"loss": 1.0, "acc": 0.1})
        client.call("monitor.batch", run=run_id, step=7, batch=0, metrics={"acc": 0.1})
    table = run(binary, "runs", "--db", str(db))
    assert table.returncode == 0
    header, row = table.stdout.strip().splitlines()
    assert header.split() == ["ID", "PROJECT", "NAME", "STATUS", "LAST", "STEP", "POINTS", "BATCHES"]
    assert row.split() == [str(run_id), "p", "table", "running", "7", "2", "1"]
    listed = json.loads(run(binary, "runs", "--db", str(db), "--json").stdout)
    assert listed[0]["name"] == "table" and listed[0]["points"] == 2
    env = dict(os.environ, RUNCLINIC_DB=str(db))
    assert "table" in run(binary, "runs", env=env).stdout


def test_cli_errors_are_clear(binary, tmp_path):
    # A command that could not do its work: one line, exit status 1, no usage hint.
    missing = run(binary, "runs", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no store at" in missing.stderr and "Usage" not in missing.stderr
    unopenable = run(binary, "serve", "--db", str(tmp_path / "no" / "such" / "dir.db"), input="")
    assert unopenable.returncode == 1 and "cannot open the store" in unopenable.stderr and "Usage" not in unopenable.stderr
    # A mistyped command line: the usage helps.
    bad = run(binary, "serve", "--max-message-bytes", "10", input="")
    assert bad.returncode == 64 and "--max-message-bytes" in bad.stderr


def test_shell_client_calls_the_store_directly(binary, db):
    env = dict(os.environ, RUNCLINIC_BIN=binary)
    started = run(str(SHELL_CLIENT), "--db", str(db), "run.start", '{"name":"shell","config":{"lr":0.5}}', env=env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["name"] == "shell"
    logged = run(str(SHELL_CLIENT), "--db", str(db), "monitor.log", '{"run":"shell","step":1,"metrics":{"loss":NaN}}', env=env)
    verdict = json.loads(logged.stdout)
    assert [a["type"] for a in verdict["anomalies"]] == ["non_finite"]
    assert verdict["action"]["kind"] == "stop"  # NaN and no checkpoint to roll back to
    got = run(str(SHELL_CLIENT), "--db", str(db), "run.get", '["shell"]', env=env)
    assert json.loads(got.stdout)["counts"]["points"] == 1
    failed = run(str(SHELL_CLIENT), "--db", str(db), "run.get", '{"run":"nope"}', env=env)
    assert failed.returncode == 1 and json.loads(failed.stderr)["code"] == -32001 and failed.stdout == ""
    usage = run(str(SHELL_CLIENT), env=env)
    assert usage.returncode == 2 and "usage" in usage.stderr
    assert run(str(SHELL_CLIENT), "bad method", env=env).returncode == 2


def test_call_command_reports_errors(binary, tmp_path):
    result = run(binary, "call", "--socket", str(tmp_path / "none.sock"), "run.list")
    assert result.returncode != 0 and "cannot connect" in result.stderr
    both = run(binary, "call", "--socket", "s", "--db", "d", "run.list")
    assert both.returncode == 64 and "not both" in both.stderr


def test_a_store_is_created_only_by_a_method_that_writes_one(binary, tmp_path):
    """`runclinic call --db` and the shell client serve a call on the store in process; reading a
    store that is not there says so, as `runclinic analyze` does, instead of creating an empty one."""
    env = dict(os.environ, RUNCLINIC_BIN=binary)
    missing = tmp_path / "nosuch.db"
    for command in [[binary, "call", "--db", str(missing), "run.list"], [str(SHELL_CLIENT), "--db", str(missing), "run.list"]]:
        refused = run(*command, env=env)
        assert refused.returncode == 1 and "no store at" in refused.stderr and refused.stdout == ""
        assert not missing.exists()
    started = run(binary, "call", "--db", str(missing), "run.start", '{"name":"first"}')
    assert started.returncode == 0 and json.loads(started.stdout)["name"] == "first" and missing.exists()
    # Strict JSON on stdout (jq reads it): a NaN comes out as the string "NaN".
    logged = run(binary, "call", "--db", str(missing), "monitor.log", '{"run":"first","step":1,"metrics":{"loss":NaN}}')
    assert json.loads(logged.stdout, parse_constant=lambda token: pytest.fail(token))["anomalies"][0]["value"] == "NaN"


def test_mistyped_commands_runs_and_metrics_get_a_suggestion(binary, db):
    typo = run(binary, "anlyze", "x")
    assert typo.returncode == 64 and "unknown command 'anlyze' (did you mean analyze?)" in typo.stderr
    with Client.spawn(db=db, binary=binary) as client:
        client.call("run.start", name="baseline-lr3", project="p")
        client.call("monitor.log", run="baseline-lr3", step=1, metrics={"val/accuracy": 0.5, "train/loss": 1.0})
        from runclinic import RPCError
        with pytest.raises(RPCError) as raised:
            client.call("run.get", run="baseline-lr2")
        assert raised.value.code == -32001 and raised.value.data["suggestion"] == "baseline-lr3"
        assert "did you mean baseline-lr3?" in raised.value.message
        with pytest.raises(RPCError) as raised:
            client.call("run.metrics", run="baseline-lr3", keys=["val/acuracy"])
        assert "did you mean val/accuracy?" in raised.value.message
    analyzed = run(binary, "analyze", "--db", str(db), "baseline_lr3")
    assert analyzed.returncode == 1 and "did you mean baseline-lr3?" in analyzed.stderr


def test_audit_command_writes_a_summary_and_json_lines(binary, db, tmp_path):
    import shutil
    from images import FIXTURES
    for name in ["photo.jpg", "photo_blurred.jpg", "receipt.jpg"]:
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 nothing more")
    config = tmp_path / "audit.yaml"
    config.write_text("audit:\n  blur_threshold: 50\n")
    lines = tmp_path / "findings.jsonl"
    done = run(binary, "audit", "--db", str(db), str(tmp_path), "--jsonl", str(lines), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "4 images (0 unchanged" in done.stdout and "truncated" in done.stdout and "blurry" in done.stdout
    findings = [json.loads(line) for line in lines.read_text().splitlines()]
    # A JPEG signature and nothing after it: cut off (reported once, as truncated).
    assert {(pathlib.Path(f["path"]).name, f["issue"]) for f in findings} >= {("broken.jpg", "truncated"), ("photo_blurred.jpg", "blurry")}
    assert set(findings[0]) >= {"path", "issue", "severity", "score", "threshold", "detail"}
    again = run(binary, "audit", "--db", str(db), str(tmp_path), "--checks", "truncated")
    assert "4 unchanged" in again.stdout and "blurry" not in again.stdout
    bad = run(binary, "audit", "--db", str(db), str(tmp_path), "--checks", "fuzzy")
    assert bad.returncode != 0 and "unknown issue 'fuzzy'" in bad.stderr
    # A gate for a pipeline: status 2 once a finding is that severe, after everything is written.
    gated = run(binary, "audit", "--db", str(db), str(tmp_path), "--fail-on", "high", "--jsonl", str(lines))
    assert gated.returncode == 2, gated.stderr
    assert "1 finding at high or above (--fail-on): 1 truncated" in gated.stderr and "truncated" in gated.stdout
    assert len(lines.read_text().splitlines()) == len(findings)
    gated = run(binary, "audit", "--db", str(db), str(tmp_path), "--fail-on", "warning")
    assert gated.returncode == 2 and "1 blurry" in gated.stderr and "1 truncated" in gated.stderr
    (tmp_path / "broken.jpg").unlink()
    assert run(binary, "audit", "--db", str(db), str(tmp_path), "--fail-on", "high").returncode == 0
    bad = run(binary, "audit", "--db", str(db), str(tmp_path), "--fail-on", "fatal")
    assert bad.returncode == 64 and "'info', 'warning', 'high' or 'critical'" in bad.stderr


def test_a_server_that_cannot_start_is_reported_with_its_own_words(binary, tmp_path):
    from runclinic import Client, ServerGone

    client = Client.spawn(db=tmp_path / "no" / "such" / "dir.db", binary=binary)
    with pytest.raises(ServerGone) as raised:
        client.call("run.list")
    assert "exit status 1" in str(raised.value) and "cannot open the store" in str(raised.value)
