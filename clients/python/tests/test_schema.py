"""schema/openrpc.json: valid OpenRPC, the same methods as the server, and real replies validate."""

import json
import pathlib

import jsonschema
import openrpc
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = pathlib.Path(__file__).resolve().parents[3]
DOCUMENT = json.loads((ROOT / "schema" / "openrpc.json").read_text())


def validator_for(schema):
    """Validates against `schema`, resolving #/components/... in the OpenRPC document."""
    wrapped = {"$ref": "urn:runclinic#/x-probe"}
    document = dict(DOCUMENT)
    document["x-probe"] = schema
    registry = Registry().with_resource("urn:runclinic", Resource.from_contents(document, default_specification=DRAFT202012))
    return jsonschema.Draft202012Validator(wrapped, registry=registry)


def result_schema(method):
    for entry in DOCUMENT["methods"]:
        if entry["name"] == method:
            return entry["result"]["schema"]
    raise KeyError(method)


def check(method, result):
    errors = list(validator_for(result_schema(method)).iter_errors(json_safe(result)))
    assert errors == [], f"{method}: {errors[0].message if errors else ''}"


def json_safe(value):
    """NaN and infinities as the schema's Number names them (JSON Schema has no NaN)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def test_document_is_valid_openrpc():
    openrpc.OpenRPC.model_validate(DOCUMENT)
    for name, schema in DOCUMENT["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    for method in DOCUMENT["methods"]:
        jsonschema.Draft202012Validator.check_schema(method["result"]["schema"])
        for param in method["params"]:
            jsonschema.Draft202012Validator.check_schema(param["schema"])


def test_served_methods_are_the_documented_methods(client):
    served = set(client.call("initialize")["capabilities"]["methods"])
    documented = {method["name"] for method in DOCUMENT["methods"]}
    assert served == documented


def test_rpc_discover_returns_the_document(client):
    assert client.call("rpc.discover") == DOCUMENT


def test_error_codes_are_documented():
    codes = {error["code"] for error in DOCUMENT["components"]["errors"].values()}
    assert {-32700, -32600, -32601, -32602, -32603, -32800, -32001, -32002, -32003, -32004, -32005} <= codes


def test_real_replies_validate_against_their_result_schemas(client):
    check("initialize", client.call("initialize"))
    started = client.call("run.start", name="schema", config={"lr": 0.1}, tags=["t"])
    check("run.start", started)
    run = started["run_id"]
    check("monitor.log", client.call("monitor.log", run=run, step=1, metrics={"loss": float("nan"), "val/acc": 0.5}))
    check("monitor.batch", client.call("monitor.batch", run=run, step=1, batch=0, metrics={"val/acc": 0.5}, samples=["a.jpg"]))
    check("monitor.checkpoint", client.call("monitor.checkpoint", run=run, step=1, path="c.pt"))
    check("run.get", client.call("run.get", run=run))
    check("run.metrics", client.call("run.metrics", run=run))
    check("run.batches", client.call("run.batches", run=run))
    check("run.checkpoints", client.call("run.checkpoints", run=run))
    check("run.list", client.call("run.list"))
    check("run.finish", client.call("run.finish", run=run))
    check("rpc.discover", client.call("rpc.discover"))
    check("shutdown", client.call("shutdown"))


def test_a_wrong_reply_fails_validation():
    with pytest.raises(AssertionError):
        check("run.start", {"run_id": "one", "name": "x", "project": "p", "resumed": False, "last_step": None})


def test_monitor_replies_validate_against_their_result_schemas(client):
    run = client.call("run.start", name="schema-monitor", config={"experiment_monitoring": {"bogus": 1}})
    check("run.start", run)
    run = run["run_id"]
    client.call("monitor.checkpoint", run=run, step=0, path="c.pt", metrics={"val/loss": 0.5})
    verdict = client.call("monitor.log", run=run, step=1, metrics={"train/loss": float("nan")})
    assert verdict["anomalies"] and verdict["action"]
    check("monitor.log", verdict)
    check("run.anomalies", client.call("run.anomalies", run=run))
    check("run.actions", client.call("run.actions", run=run))
    check("monitor.configure", client.call("monitor.configure", run=run, config={"experiment_monitoring": {"window": 3}}))
    check("monitor.subscribe", client.call("monitor.subscribe", run=run))
    check("monitor.unsubscribe", client.call("monitor.unsubscribe"))


def test_import_and_export_replies_validate(client, tmp_path):
    fixtures = ROOT / "Tests" / "Fixtures" / "import"
    imported = client.call("import.run", path=str(fixtures / "mlflow_sqlite"))
    check("import.run", imported)
    run = imported["runs"][0]["run_id"]
    check("export.run", client.call("export.run", run=run, format="csv"))
    check("export.run", client.call("export.run", run=run, format="jsonl", path=str(tmp_path / "r.jsonl")))
