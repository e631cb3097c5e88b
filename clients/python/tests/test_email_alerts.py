"""Email alerts (`alerts.email`): the same alerts as the webhooks, mailed off the hot path through a
real SMTP server (aiosmtpd, started by the tests), with STARTTLS and login, every delivery recorded."""

import asyncio
import email
import email.policy
import math
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from runclinic import Client, RPCError
from conftest import query_store, store_bytes
from test_monitor_config_and_alerts import wait_until


class Inbox:
    def __init__(self):
        self.messages = []
        self.held = threading.Event()  # while set, the server holds each message before taking it
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.held.is_set():
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 20)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content, policy=email.policy.default),
                              bool(session.ssl)))
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deliveries(db):
    return query_store(db, "SELECT target, status, attempts, error FROM alert_deliveries ORDER BY id")


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_an_alert_is_mailed_with_the_run_metric_severity_advice_and_a_link(client, db, inbox):
    box, port = inbox
    alerts = {"email": {"to": ["ml-team@example.com", "oncall@example.com"], "from": "runclinic@example.com",
                        "smtp": f"127.0.0.1:{port}", "starttls": False, "dashboard_url": "http://127.0.0.1:8765/"}}
    run = client.call("run.start", name="resnet-lr-sweep", config={"experiment_monitoring": {"alerts": alerts}})["run_id"]
    # Off the hot path: the step is answered while the mail server still holds the message. Were the mail
    # sent before the answer, the answer would come only when the hold ends (20 s, within curl's 30), with the message in.
    box.held.set()
    reply = client.call("monitor.log", run=run, step=1, metrics={"train/loss": math.nan})
    assert box.messages == []
    box.released.set()
    assert reply["action"]["kind"] in ("rollback", "stop")
    assert wait_until(lambda: len(box.messages) == 1, timeout=20)
    sender, recipients, message, _ = box.messages[0]
    assert sender == "runclinic@example.com" and recipients == ["ml-team@example.com", "oncall@example.com"]
    subject = message["Subject"]
    assert "resnet-lr-sweep" in subject and "train/loss" in subject and "critical" in subject
    body = message.get_content()
    assert "Advice: " + reply["action"]["kind"] in body and reply["action"]["reason"] in body
    assert f"http://127.0.0.1:8765/#/run/{run}" in body
    assert message["Date"] and message["Message-ID"]
    assert wait_until(lambda: deliveries(db) != [], timeout=20)
    target, status, attempts, error = deliveries(db)[0]
    assert status == "delivered" and attempts == 1 and error == ""
    assert target == f"mailto:ml-team@example.com,oncall@example.com via smtp://127.0.0.1:{port}"
    # A quiet step sends nothing more.
    client.call("monitor.log", run=run, step=2, metrics={"train/loss": 0.5})
    time.sleep(0.5)
    assert len(box.messages) == 1


def test_starttls_and_login_from_the_environment(binary, db, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alerts" and auth_data.password == b"s3cret pass"
        return AuthResult(success=ok)

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True, auth_required=True)
    controller.start()
    try:
        environment = {**os.environ, "SMTP_USER": "alerts", "SMTP_PASSWORD": "s3cret pass"}
        with Client.spawn(db=db, binary=binary, env=environment) as client:
            alerts = {"email": {"to": "me@example.com", "from": "runclinic@example.com", "smtp": f"127.0.0.1:{controller.port}",
                                "username_env": "SMTP_USER", "password_env": "SMTP_PASSWORD", "ca_file": str(tmp_path / "cert.pem")}}
            run = client.call("run.start", name="tls", config={"experiment_monitoring": {"alerts": alerts}})["run_id"]
            client.call("monitor.log", run=run, step=1, metrics={"loss": math.inf})
            assert wait_until(lambda: len(box.messages) == 1, timeout=20)
            assert box.messages[0][3] is True  # sent over TLS
            assert logins and logins[-1][1:] == (b"alerts", b"s3cret pass")
            # The password is named, never stored: not in the run's config, nor in the store.
            assert "s3cret" not in str(client.call("run.get", run=run))
        assert b"s3cret" not in store_bytes(db)
        # Without the CA, the server's certificate is refused: failed after bounded retries, recorded.
        with Client.spawn(db=db, binary=binary, env=environment) as client:
            alerts["email"].pop("ca_file")
            run = client.call("run.start", name="untrusted", config={"experiment_monitoring": {"alerts": alerts}})["run_id"]
            client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
            assert wait_until(lambda: any(row[1] == "failed" for row in deliveries(db)), timeout=60)
        failed = [row for row in deliveries(db) if row[1] == "failed"]
        assert failed[0][2] == 3 and "certificate" in failed[0][3].lower(), failed
        assert len(box.messages) == 1
    finally:
        controller.stop()


def test_an_unreachable_server_is_retried_recorded_and_never_slows_logging(client, db):
    port = free_port()  # nothing listens there
    alerts = {"email": {"to": "me@example.com", "from": "runclinic@example.com", "smtp": f"127.0.0.1:{port}", "starttls": False}}
    run = client.call("run.start", name="no-server", config={"experiment_monitoring": {"alerts": alerts}})["run_id"]
    started = time.perf_counter()
    client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
    for step in range(2, 200):
        client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0})
    assert time.perf_counter() - started < 5
    assert wait_until(lambda: deliveries(db) != [], timeout=30)
    target, status, attempts, error = deliveries(db)[0]
    assert status == "failed" and attempts == 3 and f"127.0.0.1:{port}" in error


@pytest.mark.parametrize("email_settings, path", [
    ({"from": "a@example.com", "smtp": "localhost:25"}, "alerts.email.to"),
    ({"to": "not an address", "from": "a@example.com", "smtp": "localhost:25"}, "alerts.email.to[0]"),
    ({"to": "me@example.com", "smtp": "localhost:25"}, "alerts.email.from"),
    ({"to": "me@example.com", "from": "a@example.com"}, "alerts.email.smtp"),
    ({"to": "me@example.com", "from": "a@example.com", "smtp": "localhost"}, "alerts.email.smtp"),
    ({"to": "me@example.com", "from": "a@example.com", "smtp": "localhost:25", "starttls": "yes"}, "alerts.email.starttls"),
])
def test_bad_email_settings_are_refused_naming_the_key(client, email_settings, path):
    with pytest.raises(RPCError) as refused:
        client.call("run.start", name="bad-mail", config={"experiment_monitoring": {"alerts": {"email": email_settings}}})
    assert refused.value.code == -32602
    assert path in refused.value.message, refused.value.message


def test_an_unknown_email_key_is_a_warning_naming_it(client):
    settings = {"to": "me@example.com", "from": "a@example.com", "smtp": "localhost:25", "pasword_env": "X"}
    started = client.call("run.start", name="typo", config={"experiment_monitoring": {"alerts": {"email": settings}}})
    assert any("alerts.email.pasword_env" in warning and "password_env" in warning for warning in started["warnings"])
