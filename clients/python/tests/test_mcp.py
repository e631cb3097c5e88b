"""`runclinic mcp`: the official MCP Python SDK starts it over stdio, lists its tools (generated from
the method declarations), and calls each; a bad argument is a tool error, not a crash."""

import asyncio
import json
import math

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from runclinic import Client


def session_run(binary, args, body):
    async def main():
        parameters = StdioServerParameters(command=binary, args=["mcp", *args])
        async with stdio_client(parameters) as (read, write):
            async with ClientSession(read, write) as session:
                initialized = await session.initialize()
                return await body(session, initialized)
    return asyncio.run(main())


def text(result):
    return "\n".join(part.text for part in result.content if part.type == "text")


@pytest.fixture
def store(binary, db, tmp_path):
    with Client.spawn(db=db, binary=binary) as client:
        healthy = client.call("run.start", name="healthy", project="vision", config={"lr": 0.001})["run_id"]
        broken = client.call("run.start", name="broken", project="vision", config={"lr": 0.1})["run_id"]
        for step in range(300):
            client.call("monitor.log", run=healthy, step=step, metrics={"train/loss": 2.0 * math.exp(-step / 60) + 0.1})
            loss = math.nan if step >= 180 else 2.0 * math.exp(-step / 60) + 0.1
            client.call("monitor.log", run=broken, step=step, metrics={"train/loss": loss})
        client.call("run.finish", run=healthy)
        folder = tmp_path / "images"
        from images import gallery_folder
        gallery_folder(folder)
        audit = client.call("audit.run", path=str(folder))["audit_id"]
    csv = tmp_path / "history.csv"
    csv.write_text("step,loss\n" + "".join(f"{step},{1.0 / (step + 1)}\n" for step in range(20)))
    return {"healthy": healthy, "broken": broken, "audit": audit, "folder": folder, "csv": csv}


def test_an_assistant_lists_the_tools_and_learns_why_a_run_failed(binary, db, store):
    async def body(session, initialized):
        assert initialized.server_info.name == "runclinic"
        assert initialized.protocol_version in ("2025-11-25", "2025-06-18")
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        for name in ["list_runs", "get_run", "get_metric_history", "get_anomalies", "analyze_run", "compare_runs",
                     "hyperparameter_impact", "audit_findings", "import_run"]:
            assert name in tools, name
        # Descriptions and schemas come from the method declarations.
        assert tools["get_run"].input_schema["required"] == ["run"]
        assert "run.metrics" in tools["get_metric_history"].description
        analysis = await session.call_tool("analyze_run", {"run": "broken"})
        assert not analysis.is_error
        words = text(analysis)
        assert "NaN" in words and "180" in words and "non_finite" in words, words
        assert analysis.structured_content["summary"]["run"] == "broken"
        return True
    assert session_run(binary, ["--db", str(db)], body)


def test_every_tool_answers_once_and_a_bad_argument_is_a_tool_error(binary, db, store):
    calls = {
        "list_runs": {},
        "get_run": {"run": "healthy"},
        "get_metric_history": {"run": store["broken"], "max_points": 20},
        "get_anomalies": {"run": "broken"},
        "get_actions": {"run": "broken"},
        "analyze_run": {"run": "healthy"},
        "compare_runs": {"runs": ["healthy", "broken"], "metric": "train/loss"},
        "hyperparameter_impact": {"project": "vision", "metric": "train/loss", "mode": "min"},
        "list_audits": {},
        "audit_findings": {"audit_id": store["audit"]},
        "audit_images": {"path": str(store["folder"])},
        "import_run": {"path": str(store["csv"]), "name": "from-csv"},
    }

    async def body(session, _):
        listed = {tool.name for tool in (await session.list_tools()).tools}
        assert listed == set(calls), listed ^ set(calls)
        results = {}
        for name, arguments in calls.items():
            result = await session.call_tool(name, arguments)
            assert not result.is_error, (name, text(result))
            results[name] = result
        history = results["get_metric_history"].structured_content["series"]["train/loss"]
        assert history["total"] == 300 and len(history["steps"]) <= 20 and "NaN" in history["values"]
        assert {run["name"] for run in results["list_runs"].structured_content["runs"]} >= {"healthy", "broken"}
        assert results["audit_findings"].structured_content["total"] >= 3
        # Bad arguments: the API's own message, as a tool error; the server keeps serving.
        for name, arguments, words in [
            ("get_run", {"run": "nobody"}, "nobody"),
            ("get_run", {}, "run"),
            ("get_metric_history", {"run": "broken", "keys": ["val/acc"]}, "train/loss"),
            ("audit_findings", {"audit_id": "first"}, "audit_id"),
            ("analyze_run", {"run": "broken", "output_dir": "/tmp"}, "output_dir"),
            ("no_such_tool", {}, "list_runs"),
        ]:
            result = await session.call_tool(name, arguments)
            assert result.is_error, (name, arguments)
            assert words in text(result), (name, text(result))
        assert not (await session.call_tool("list_runs", {})).is_error
        return True
    assert session_run(binary, ["--db", str(db)], body)


def test_the_mcp_server_can_use_a_trainers_server_socket(binary, db, store, short_tmp):
    import subprocess
    from conftest import wait_for_socket
    path = short_tmp / "trainer.sock"
    server = subprocess.Popen([binary, "serve", "--db", str(db), "--socket", str(path)], stderr=subprocess.DEVNULL)
    try:
        wait_for_socket(path)

        async def body(session, _):
            result = await session.call_tool("get_run", {"run": "broken"})
            assert not result.is_error and result.structured_content["name"] == "broken"
            missing = await session.call_tool("get_run", {"run": "nobody"})
            assert missing.is_error and "nobody" in text(missing)
            return True
        assert session_run(binary, ["--socket", str(path)], body)
    finally:
        server.terminate()
        server.wait(10)


def test_reports_are_resources_and_long_calls_report_progress(binary, db, store):
    async def body(session, _):
        resources = (await session.list_resources()).resources
        by_name = {resource.name: resource for resource in resources}
        assert {"Analysis of healthy", "Analysis of broken"} <= set(by_name)
        report = await session.read_resource(by_name["Analysis of broken"].uri)
        markdown = report.contents[0].text
        assert report.contents[0].mime_type == "text/markdown"
        assert markdown.startswith("#") and "NaN" in markdown and "broken" in markdown
        updates = []

        async def progress(done, total, message):
            updates.append((done, total, message))
        result = await session.call_tool("analyze_run", {"run": "healthy"}, progress_callback=progress)
        assert not result.is_error
        assert updates and updates[-1][2] == "analyze_run: done" and updates[-1][0] == updates[-1][1]
        with pytest.raises(Exception) as refused:
            await session.read_resource("runclinic://runs/999/report.md")
        assert "999" in str(refused.value)
        return True
    assert session_run(binary, ["--db", str(db)], body)


@pytest.mark.parametrize("version", ["2025-06-18", "2025-03-26", "2024-11-05"])
def test_the_protocol_versions_clients_ask_for_are_agreed(binary, db, version):
    """A client of an older protocol gets it back; stdout holds nothing but the replies."""
    import subprocess
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ]
    server = subprocess.Popen([binary, "mcp", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        for message in messages:
            server.stdin.write(json.dumps(message) + "\n")
            server.stdin.flush()
        replies = [json.loads(server.stdout.readline()) for _ in range(2)]
    finally:
        server.stdin.close()
        assert server.wait(10) == 0 and server.stdout.read() == ""
    assert [reply["id"] for reply in replies] == [1, 2]
    assert replies[0]["result"]["protocolVersion"] == version
    assert len(replies[1]["result"]["tools"]) == 12
