"""JSON-RPC 2.0 conformance over raw pipes: the specification's examples, framing, ids."""

import json

from runclinic.framing import loads


def reply(server, text):
    return loads(server.request(text.encode() + b"\n"))


def test_specification_examples_for_errors(raw_server):
    server = raw_server()
    # rpc call with invalid JSON
    answer = reply(server, '{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
    assert answer["jsonrpc"] == "2.0" and answer["id"] is None
    assert answer["error"]["code"] == -32700
    assert answer["error"]["message"] == "Parse error"
    assert answer["error"]["data"] == {"reason": "expected ',' or '}' at byte 39", "offset": 39}
    # rpc call with invalid Request object
    answer = reply(server, '{"jsonrpc": "2.0", "method": 1, "params": "bar"}')
    assert answer["id"] is None and answer["error"]["code"] == -32600 and answer["error"]["message"] == "Invalid Request"
    assert answer["error"]["data"]["reason"] == "method must be a string, got integer"
    # rpc call Batch, invalid JSON
    answer = reply(server, '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]')
    assert answer["id"] is None and answer["error"]["code"] == -32700
    # rpc call with an empty Array
    answer = reply(server, "[]")
    assert answer["id"] is None and answer["error"]["code"] == -32600
    # rpc call with an invalid Batch (but not empty)
    answer = reply(server, "[1]")
    assert isinstance(answer, list) and len(answer) == 1
    assert answer[0]["id"] is None and answer[0]["error"]["code"] == -32600
    # rpc call with invalid Batch
    answer = reply(server, "[1,2,3]")
    assert [entry["error"]["code"] for entry in answer] == [-32600, -32600, -32600]
    # the connection survived all of that
    assert reply(server, '{"jsonrpc":"2.0","id":7,"method":"initialize"}')["result"]["serverInfo"]["name"] == "runclinic"


def test_mixed_batch_answers_requests_in_order_and_skips_notifications(raw_server):
    server = raw_server()
    batch = [
        {"jsonrpc": "2.0", "method": "run.start", "params": {"name": "b"}, "id": "1"},
        {"jsonrpc": "2.0", "method": "monitor.log", "params": {"run": "b", "step": 1, "metrics": {"loss": 1.0}}},
        {"jsonrpc": "2.0", "method": "run.get", "params": ["b"], "id": 2},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
    ]
    answers = reply(server, json.dumps(batch))
    assert [entry["id"] for entry in answers] == ["1", 2, None, "5"]
    assert answers[0]["result"]["name"] == "b"
    assert answers[1]["result"]["counts"]["points"] == 1
    assert answers[2]["error"]["code"] == -32600
    assert answers[3]["error"]["code"] == -32601


def test_all_notification_batch_gets_no_reply(raw_server):
    server = raw_server()
    server.send(b'[{"jsonrpc":"2.0","method":"run.start","params":{"name":"n"}},{"jsonrpc":"2.0","method":"initialize"}]\n')
    # The next reply on the wire is for the request after the batch.
    answer = reply(server, '{"jsonrpc":"2.0","id":"after","method":"run.list"}')
    assert answer["id"] == "after"
    assert [run["name"] for run in answer["result"]["runs"]] == ["n"]


def test_ids_are_echoed_exactly(raw_server):
    server = raw_server()
    for raw_id in ['"abc"', "12345678901234", "1.5", "-3", "null"]:
        answer = reply(server, '{"jsonrpc":"2.0","id":%s,"method":"run.list"}' % raw_id)
        assert answer["id"] == json.loads(raw_id)


def test_invalid_params_name_the_field(raw_server):
    server = raw_server()
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"p"}}')
    answer = reply(server, '{"jsonrpc":"2.0","id":2,"method":"monitor.log","params":{"run":"p","step":1,"metrics":{"loss":"high"}}}')
    assert answer["error"]["code"] == -32602
    assert "metrics.loss" in answer["error"]["message"]
    assert answer["error"]["data"]["field"] == "metrics.loss"
    answer = reply(server, '{"jsonrpc":"2.0","id":3,"method":"monitor.log","params":{"run":"p","metrics":{}}}')
    assert answer["error"]["data"]["field"] == "step"
    answer = reply(server, '{"jsonrpc":"2.0","id":4,"method":"monitor.log","params":{"run":"p","setp":1,"step":2,"metrics":{}}}')
    assert answer["error"]["data"]["field"] == "setp"
    answer = reply(server, '{"jsonrpc":"2.0","id":5,"method":"run.start","params":"name"}')
    assert answer["error"]["code"] == -32600
    answer = reply(server, '{"jsonrpc":"2.0","id":6,"method":"run.get","params":[1,2,3,4]}')
    assert answer["error"]["code"] == -32602


def test_positional_params(raw_server):
    server = raw_server()
    started = reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":["pos","proj",{"lr":0.1},["a"]]}')["result"]
    assert started["project"] == "proj"
    reply(server, '{"jsonrpc":"2.0","id":2,"method":"monitor.log","params":[%d, 3, {"acc": 0.5}]}' % started["run_id"])
    run = reply(server, '{"jsonrpc":"2.0","id":3,"method":"run.get","params":["pos"]}')["result"]
    assert run["config"] == {"lr": 0.1} and run["tags"] == ["a"] and run["last_step"] == 3


def test_content_length_framing_is_detected_and_used_for_replies(raw_server):
    server = raw_server()
    body = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null}}'
    server.send(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n%s" % (len(body), body))
    header = server.read_line()
    assert header.startswith(b"Content-Length: ")
    length = int(header.split(b":")[1])
    assert server.read_line() == b"\r\n"
    payload = server.process.stdout.read(length)
    assert loads(payload)["result"]["protocolVersion"] == "2.0"
    # A parse error does not close a Content-Length connection either.
    server.send(b"Content-Length: 5\r\n\r\n{bad}")
    header = server.read_line()
    assert header.startswith(b"Content-Length: ")
    server.read_line()
    assert loads(server.process.stdout.read(int(header.split(b":")[1])))["error"]["code"] == -32700


def test_non_finite_numbers_round_trip_like_python(raw_server):
    server = raw_server()
    reply(server, '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"nonFiniteNumbers":true}}}')
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"nan"}}')
    reply(server, json.dumps({"jsonrpc": "2.0", "id": 2, "method": "monitor.log",
                              "params": {"run": "nan", "step": 0, "metrics": {"a": float("nan"), "b": float("inf"), "c": float("-inf"), "d": 1e-300}}}))
    raw = server.request(b'{"jsonrpc":"2.0","id":3,"method":"run.metrics","params":{"run":"nan"}}\n')
    assert b"NaN" in raw and b"-Infinity" in raw and b'"NaN"' not in raw
    series = json.loads(raw)["result"]["series"]  # Python's json reads what we write
    assert series["a"]["values"][0] != series["a"]["values"][0]
    assert series["b"]["values"] == [float("inf")] and series["c"]["values"] == [float("-inf")]
    assert series["d"]["values"] == [1e-300]


def test_a_peer_that_did_not_ask_for_non_finite_tokens_gets_strict_json(raw_server):
    """JSON.parse (VS Code's client) throws on NaN: a peer that did not say it reads the tokens gets
    the strings "NaN", "Infinity", "-Infinity", and may send them as numbers too."""
    server = raw_server()
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"strict"}}')
    reply(server, '{"jsonrpc":"2.0","id":2,"method":"monitor.log","params":{"run":"strict","step":0,'
                  '"metrics":{"a":NaN,"b":"Infinity","c":-Infinity,"d":0.5}}}')
    raw = server.request(b'{"jsonrpc":"2.0","id":3,"method":"run.metrics","params":{"run":"strict"}}\n')

    def refuse(token):
        raise AssertionError(f"bare {token} written to a strict peer")

    series = json.loads(raw, parse_constant=refuse)["result"]["series"]
    assert series["a"]["values"] == ["NaN"] and series["b"]["values"] == ["Infinity"]
    assert series["c"]["values"] == ["-Infinity"] and series["d"]["values"] == [0.5]
    # An anomaly's value is written the same way.
    answer = json.loads(server.request(b'{"jsonrpc":"2.0","id":5,"method":"monitor.log","params":{"run":"strict","step":1,'
                                       b'"metrics":{"train/loss":NaN}}}\n'), parse_constant=refuse)
    assert answer["result"]["anomalies"][0]["value"] == "NaN"


def test_ids_come_back_exactly_and_an_underflowing_step_is_refused(raw_server):
    server = raw_server()
    raw = server.request(b'{"jsonrpc":"2.0","id":12345678901234567890,"method":"run.list"}\n')
    assert b'"id":12345678901234567890,' in raw
    raw = server.request(b'{"jsonrpc":"2.0","id":-1e400,"method":"run.list"}\n')
    assert b'"id":-1e400' in raw
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"tiny"}}')
    answer = reply(server, '{"jsonrpc":"2.0","id":2,"method":"monitor.log","params":{"run":"tiny","step":1e-400,"metrics":{"loss":1}}}')
    assert answer["error"]["code"] == -32602 and answer["error"]["data"]["field"] == "step"
    assert "1e-400" in answer["error"]["message"]
    answer = reply(server, '{"jsonrpc":"2.0","id":3,"method":"run.metrics","params":{"run":"tiny"}}')
    assert answer["result"]["series"] == {}


def test_unknown_method_and_notification_errors(raw_server):
    server = raw_server()
    answer = reply(server, '{"jsonrpc":"2.0","id":1,"method":"no.such"}')
    assert answer["error"] == {"code": -32601, "message": "Method not found", "data": {"method": "no.such"}}
    # A typo gets the method it most likely meant.
    answer = reply(server, '{"jsonrpc":"2.0","id":2,"method":"run.lst"}')
    assert answer["error"]["code"] == -32601 and answer["error"]["data"] == {"method": "run.lst", "suggestion": "run.list"}
    assert "did you mean run.list?" in answer["error"]["message"]
    # A failing notification gets nothing back from a spec-strict peer's point of view (JSON-RPC 2.0,
    # section 6): not even an all-notification batch.
    server.send(b'{"jsonrpc":"2.0","method":"monitor.log","params":{"run":"ghost","step":1,"metrics":{}}}\n')
    server.send(b'[{"jsonrpc":"2.0","method":"no.such"},{"jsonrpc":"2.0","method":"run.lst"}]\n')
    assert reply(server, '{"jsonrpc":"2.0","id":3,"method":"run.list"}')["id"] == 3  # the next line is this reply
    # A peer that asks at initialize gets a $/notificationError notification for each.
    reply(server, '{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"capabilities":{"notificationErrors":true}}}')
    server.send(b'{"jsonrpc":"2.0","method":"monitor.log","params":{"run":"ghost","step":1,"metrics":{}}}\n')
    note = loads(server.read_line())
    assert note["method"] == "$/notificationError" and "id" not in note
    assert note["params"]["method"] == "monitor.log" and note["params"]["error"]["code"] == -32001


def test_shutdown_then_exit(raw_server):
    server = raw_server()
    assert reply(server, '{"jsonrpc":"2.0","id":1,"method":"shutdown"}')["result"] is None
    assert reply(server, '{"jsonrpc":"2.0","id":2,"method":"run.list"}')["error"]["code"] == -32600
    server.send(b'{"jsonrpc":"2.0","method":"exit"}\n')
    assert server.process.wait(10) == 0


def test_cancel_request_answers_request_cancelled(raw_server):
    server = raw_server()
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"c"}}')
    reply(server, '{"jsonrpc":"2.0","id":2,"method":"monitor.log","params":{"run":"c","step":1,"metrics":{"loss":1}}}')
    # The cancel arrives in the same read as the request: it is seen before the work starts.
    server.send(b'{"jsonrpc":"2.0","id":"long","method":"run.metrics","params":{"run":"c"}}\n'
                b'{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"long"}}\n')
    answer = loads(server.read_line())
    assert answer["id"] == "long" and answer["error"]["code"] == -32800
    # Cancelling what is already answered, or never existed, is harmless.
    server.send(b'{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":12345}}\n')
    assert reply(server, '{"jsonrpc":"2.0","id":3,"method":"run.metrics","params":{"run":"c"}}')["result"]["series"]["loss"]["steps"] == [1]


def test_work_done_progress_is_reported_under_the_clients_token(raw_server):
    server = raw_server()
    reply(server, '{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"p"}}')
    server.send(b'{"jsonrpc":"2.0","id":2,"method":"run.metrics","params":{"run":"p","workDoneToken":"tok-1"}}\n')
    messages = [loads(server.read_line()) for _ in range(3)]
    assert [m.get("method") for m in messages] == ["$/progress", "$/progress", None]
    assert messages[0]["params"]["token"] == "tok-1" and messages[0]["params"]["value"]["kind"] == "begin"
    assert messages[1]["params"]["value"]["kind"] == "end"
    assert messages[2]["id"] == 2 and messages[2]["result"] == {"series": {}}


def test_replies_to_running_requests_are_sent_before_exit_on_eof(binary, db):
    import subprocess
    script = (b'{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"eof"}}\n'
              b'{"jsonrpc":"2.0","id":2,"method":"run.metrics","params":{"run":"eof"}}\n')
    done = subprocess.run([binary, "serve", "--db", str(db)], input=script, capture_output=True, timeout=30)
    assert [loads(line)["id"] for line in done.stdout.splitlines()] == [1, 2]


def test_names_with_lone_surrogates_are_refused_not_merged(raw_server):
    r"""JSON allows "\ud800" alone; no UTF-8 text can hold it. Replaced by U+FFFD, q\ud800 and q\udfff
    would open the same run: such names are refused, naming the field."""
    server = raw_server()
    for index, name in enumerate([r"q\ud800", r"q\udfff", r"\udc00q\ud83d"]):
        answer = reply(server, '{"jsonrpc":"2.0","id":%d,"method":"run.start","params":{"name":"%s"}}' % (index, name))
        assert answer["error"]["code"] == -32602 and answer["error"]["data"]["field"] == "name"
        assert "lone surrogate" in answer["error"]["message"]
    reply(server, '{"jsonrpc":"2.0","id":5,"method":"run.start","params":{"name":"ok \\ud83d\\ude00"}}')
    answer = reply(server, '{"jsonrpc":"2.0","id":6,"method":"monitor.log","params":{"run":"ok \\ud83d\\ude00","step":1,'
                           '"metrics":{"loss\\udfff":1}}}')
    assert answer["error"]["code"] == -32602 and answer["error"]["data"]["field"].startswith("metrics.loss")
    runs = reply(server, '{"jsonrpc":"2.0","id":7,"method":"run.list"}')["result"]["runs"]
    assert [run["name"] for run in runs] == ["ok \U0001F600"]
