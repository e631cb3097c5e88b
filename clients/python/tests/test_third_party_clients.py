"""Editors' and agents' JSON-RPC clients from PyPI talk to the server unchanged."""

import asyncio
import subprocess
import threading

import anyio
import pytest


def test_pygls_client_over_content_length(binary, db):
    from pygls.client import JsonRPCClient

    async def session():
        client = JsonRPCClient()
        await client.start_io(binary, "serve", "--db", str(db))
        started = await client.protocol.send_request_async("run.start", {"name": "from-pygls"})
        await client.protocol.send_request_async(
            "monitor.log", {"run": started.run_id, "step": 1, "metrics": {"loss": 0.25}})
        client.protocol.notify("monitor.log", {"run": started.run_id, "step": 2, "metrics": {"loss": 0.2}})
        series = await client.protocol.send_request_async("run.metrics", {"run": "from-pygls"})
        try:
            await client.protocol.send_request_async("run.get", {"run": "missing"})
            raised = None
        except Exception as error:  # noqa: BLE001 - pygls wraps the JSON-RPC error
            raised = error
        await client.protocol.send_request_async("shutdown", None)
        client.protocol.notify("exit", None)
        await client.stop()
        return series, raised

    series, raised = asyncio.run(session())
    assert series.series.loss.steps == [1, 2]
    assert raised is not None and "unknown run" in str(raised)


def test_python_lsp_jsonrpc_endpoint_over_content_length(binary, db):
    from pylsp_jsonrpc.endpoint import Endpoint
    from pylsp_jsonrpc.streams import JsonRpcStreamReader, JsonRpcStreamWriter

    process = subprocess.Popen([binary, "serve", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    writer = JsonRpcStreamWriter(process.stdin)
    reader = JsonRpcStreamReader(process.stdout)
    endpoint = Endpoint({}, writer.write)
    listener = threading.Thread(target=reader.listen, args=(endpoint.consume,), daemon=True)
    listener.start()
    try:
        assert endpoint.request("initialize", {"processId": None}).result(10)["serverInfo"]["name"] == "runclinic"
        run = endpoint.request("run.start", {"name": "from-pylsp"}).result(10)["run_id"]
        endpoint.request("monitor.batch", {"run": run, "step": 3, "batch": 0, "metrics": {"val/acc": 0.9},
                                           "samples": ["x.png"]}).result(10)
        batches = endpoint.request("run.batches", {"run": run}).result(10)["batches"]
        assert batches[0]["samples"] == ["x.png"]
        future = endpoint.request("monitor.log", {"run": run, "step": "three", "metrics": {}})
        with pytest.raises(Exception) as error:
            future.result(10)
        assert "step" in str(error.value)
        endpoint.request("shutdown").result(10)
        endpoint.notify("exit")
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        reader.close()
        writer.close()


def test_mcp_sdk_stdio_streams_over_ndjson(binary, db):
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.shared.message import SessionMessage
    from mcp.types import JSONRPCNotification, JSONRPCRequest

    async def session():
        parameters = StdioServerParameters(command=binary, args=["serve", "--db", str(db)])
        replies = []
        async with stdio_client(parameters) as (read, write):
            await write.send(SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=1, method="run.start", params={"name": "from-mcp"})))
            replies.append((await read.receive()).message)
            run = replies[0].result["run_id"]
            for step in range(5):
                await write.send(SessionMessage(JSONRPCNotification(
                    jsonrpc="2.0", method="monitor.log", params={"run": run, "step": step, "metrics": {"loss": 1.0}})))
            await write.send(SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=2, method="run.get", params={"run": run})))
            replies.append((await read.receive()).message)
            await write.send(SessionMessage(JSONRPCRequest(jsonrpc="2.0", id=3, method="nope", params={})))
            replies.append((await read.receive()).message)
        return replies

    started, details, missing = anyio.run(session)
    assert started.result["name"] == "from-mcp"
    assert details.result["counts"]["points"] == 5
    assert missing.error.code == -32601
