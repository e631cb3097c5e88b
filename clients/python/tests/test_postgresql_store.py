"""The PostgreSQL store, on a throw-away cluster: what only it has or needs. Many servers on one
database, alerts shared between them, `runclinic migrate`, passwords kept out of sight, a lost
connection survived. (The rest of the suite runs on PostgreSQL too: RUNCLINIC_TEST_STORE.)"""

import json
import math
import os
import struct
import subprocess
import threading
import time

import pytest

from conftest import STORE, count_points, query_store, StoreURL
from postgresql_cluster import ThrowawayCluster
from images import png, textured
from runclinic import Client, Monitor, RPCError

# These start servers on both kinds of store themselves: run once, in the SQLite session.
pytestmark = pytest.mark.skipif(STORE == "postgresql", reason="runs in the SQLite session")


@pytest.fixture
def pg(postgresql_cluster):
    return StoreURL(postgresql_cluster, postgresql_cluster.create_database())


def bits(value):
    return struct.pack(">d", value)


def test_nan_infinities_and_negative_zero_are_stored_as_such(binary, pg):
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1]
    with Client.spawn(db=pg, binary=binary) as client:
        run = client.call("run.start", name="edges")["run_id"]
        for step, value in enumerate(values):
            client.call("monitor.log", run=run, step=step, metrics={"x": value})
        stored = client.call("run.metrics", run=run)["series"]["x"]["values"]
        assert client.call("initialize")["store"]["kind"] == "postgresql"
    assert [bits(value) for value in stored[1:]] == [bits(value) for value in values[1:]] and math.isnan(stored[0])
    # In the database itself: double precision values, not NULLs standing for NaN.
    as_text = [row[0] for row in pg.cluster.psql("SELECT value::text FROM metric_points ORDER BY step", pg.database)]
    assert as_text[:4] == ["NaN", "Infinity", "-Infinity", "-0"]


def test_rows_sent_after_a_copy_of_points_keep_their_text_exactly(binary, pg):
    """A validation batch and an alert committed with fire-and-forget points go in the same query
    as the points' COPY, their values written in as literals: quotes, backslashes, placeholders
    and any script come back as they went in."""
    tricky = ["it's.png", "back\\slash\\n.png", "$1 ? ?2 '; DROP TABLE runs; --.png", "日本/ß/é.png", "''"]
    name = "it's \\ loss ?1 $2"
    # A long commit window: the batch is committed with the points before it, not after them.
    with Client.spawn(db=pg, binary=binary, args=["--commit-window-ms", "1000"]) as client:
        run = client.call("run.start", name="quotes")["run_id"]
        for step in range(200):
            client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1), name: 0.5})
        client.call("monitor.batch", run=run, step=199, batch=0, metrics={"acc's": 0.5}, samples=tricky)
        client.notify("monitor.log", run=run, step=200, metrics={"loss": 0.1, name: math.nan})
        batches = client.call("run.batches", run=run)["batches"]
        anomalies = client.call("run.anomalies", run=run)["anomalies"]
        series = client.call("run.metrics", run=run)["series"]
        assert not client.notification_errors
    assert [batch["samples"] for batch in batches] == [tricky]
    assert list(batches[0]["metrics"]) == ["acc's"]
    assert any(anomaly["type"] == "non_finite" and anomaly["metric"] == name for anomaly in anomalies)
    assert len(series[name]["values"]) == 201 and len(series["loss"]["values"]) == 201
    assert pg.cluster.psql("SELECT count(*) FROM runs", pg.database) == [["1"]]


def test_servers_on_many_trainers_share_one_store_and_one_run_name(binary, pg):
    """Six servers, one per trainer, on one database: they start the same run name at once and
    log their own metrics to it, fire-and-forget and acknowledged; nothing is lost or doubled."""
    servers = 6
    steps = 400
    clients = [Client.spawn(db=pg, binary=binary) for _ in range(servers)]
    barrier = threading.Barrier(servers)
    run_ids = [None] * servers
    errors = []

    def trainer(index):
        try:
            client = clients[index]
            barrier.wait()
            run_ids[index] = client.call("run.start", name="shared", project="team")["run_id"]
            own = client.call("run.start", name=f"own-{index}", project="team")["run_id"]
            for step in range(steps):
                client.notify("monitor.log", run=run_ids[index], step=step, metrics={f"w{index}": float(step)})
                client.notify("monitor.log", run=own, step=step, metrics={"loss": 1.0 / (step + 1), "acc": step / steps})
            client.call("monitor.log", run=own, step=steps, metrics={"loss": 0.0, "acc": 1.0})
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=trainer, args=(index,)) for index in range(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for client in clients:
        client.close()
    assert not errors
    assert len(set(run_ids)) == 1
    assert count_points(pg, run_ids[0]) == servers * steps
    with Client.spawn(db=pg, binary=binary) as reader:
        runs = reader.call("run.list", project="team")["runs"]
        assert sorted(run["name"] for run in runs) == sorted(["shared"] + [f"own-{i}" for i in range(servers)])
        for run in runs:
            if run["name"] != "shared":
                assert reader.call("run.get", run=run["run_id"])["counts"]["points"] == 2 * (steps + 1)


def test_a_subscriber_sees_alerts_of_runs_logged_by_another_server(binary, pg):
    with Client.spawn(db=pg, binary=binary) as editor, Client.spawn(db=pg, binary=binary) as trainer:
        assert editor.call("monitor.subscribe")["subscribed"] is True
        time.sleep(0.5)  # the listener connects
        run = trainer.call("run.start", name="remote")["run_id"]
        trainer.call("monitor.log", run=run, step=1, metrics={"loss": 1.0})
        trainer.notify("monitor.log", run=run, step=2, metrics={"loss": math.nan})
        trainer.flush()
        started = time.monotonic()
        alert = editor.wait_for_notification("monitor.alert", timeout=5)
        took = time.monotonic() - started
        assert alert["run"]["name"] == "remote" and alert["anomalies"][0]["type"] == "non_finite"
        assert alert["anomalies"][0]["step"] == 2
        assert took < 2
        # A subscription to one run hears that run only.
        editor.call("monitor.unsubscribe")
        other = trainer.call("run.start", name="other")["run_id"]
        watched = trainer.call("run.start", name="watched")["run_id"]
        editor.call("monitor.subscribe", run=watched)
        time.sleep(0.3)
        trainer.call("monitor.log", run=other, step=1, metrics={"loss": math.inf})
        trainer.call("monitor.log", run=watched, step=1, metrics={"loss": math.inf})
        alert = editor.wait_for_notification("monitor.alert", timeout=5)
        assert alert["run"]["name"] == "watched"
        assert not [params for method, params in editor.notifications if method == "monitor.alert"]


def make_local_store(binary, path, images):
    """A laptop's SQLite store: two runs (one with NaN, infinities and -0.0, batches, a checkpoint,
    a rollback's second attempt) and an audit."""
    with Client.spawn(db=path, binary=binary) as client:
        run = client.call("run.start", name="laptop", project="p", config={"lr": 0.01})["run_id"]
        for step in range(1, 120):
            value = {7: math.nan, 8: math.inf, 9: -math.inf, 10: -0.0}.get(step, 1.0 / step)
            client.call("monitor.log", run=run, step=step, metrics={"loss": value, "acc": step / 120})
            if step % 20 == 0:
                client.call("monitor.batch", run=run, step=step, batch=0, metrics={"acc": 0.5},
                            samples=[str(images / "a.png")])
        client.call("monitor.checkpoint", run=run, step=100, path="/ckpt/100.pt")
        client.call("run.finish", run=run)
        second = client.call("run.start", name="second", project="p")["run_id"]
        client.call("monitor.log", run=second, step=1, metrics={"loss": 2.0})
        client.call("audit.run", path=str(images))
    return run


def series(store, binary, name):
    with Client.spawn(db=store, binary=binary) as client:
        return client.call("run.metrics", run=name, project="p")["series"]


def test_migrate_copies_a_local_store_bit_for_bit_and_again_without_doubling(binary, pg, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    png(images / "a.png", 64, 64, textured)
    png(images / "b.png", 64, 64, lambda x, y: textured(x, y, seed=5) ^ 0x55)
    local = tmp_path / "laptop.db"
    make_local_store(binary, local, images)
    command = [binary, "migrate", "--from", str(local), "--to", str(pg), "--json"]
    first = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    assert first["runs"] == 2 and first["runs_replaced"] == 0 and first["audits"] == 1
    assert first["points"] == count_points(local) == count_points(pg)
    # Again, after the laptop logged more: replaced, not doubled.
    with Client.spawn(db=local, binary=binary) as client:
        client.call("monitor.log", run="second", project="p", step=2, metrics={"loss": 1.5})
    again = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    assert again["runs_replaced"] == 2 and again["audits_replaced"] == 1
    assert count_points(pg) == count_points(local)
    assert int(query_store(pg, "SELECT COUNT(*) FROM runs")[0][0]) == 2
    for name in ("laptop", "second"):
        here, there = series(local, binary, name), series(pg, binary, name)
        assert here.keys() == there.keys()
        for key in here:
            assert here[key]["steps"] == there[key]["steps"]
            assert [bits(v) if not (isinstance(v, float) and math.isnan(v)) else "nan" for v in here[key]["values"]] == \
                   [bits(v) if not (isinstance(v, float) and math.isnan(v)) else "nan" for v in there[key]["values"]]
    with Client.spawn(db=pg, binary=binary) as client:
        laptop = client.call("run.get", run="laptop", project="p")
        assert laptop["status"] == "finished" and laptop["config"] == {"lr": 0.01}
        assert laptop["counts"]["batches"] == 5 and laptop["counts"]["checkpoints"] == 1
        assert client.call("run.anomalies", run="laptop", project="p")["anomalies"]
        audits = client.call("audit.list")["audits"]
        assert len(audits) == 1 and audits[0]["images"] == 2
        analysis = client.call("analyze.run", run="laptop", project="p")
        assert analysis["summary"]["run"] == "laptop"
    # And back, into a new SQLite file: the same again. (SQLite itself keeps -0.0 as 0.0, so the
    # laptop's store never had it: PostgreSQL's is kept in test_nan_infinities_and_negative_zero.)
    back = tmp_path / "back.db"
    subprocess.run([binary, "migrate", "--from", str(pg), "--to", str(back)], check=True, capture_output=True)
    assert count_points(back) == count_points(local)
    assert series(back, binary, "laptop") == series(local, binary, "laptop") or all(
        math.isnan(a) and math.isnan(b) or a == b
        for key in ("loss", "acc")
        for a, b in zip(series(back, binary, "laptop")[key]["values"], series(local, binary, "laptop")[key]["values"]))


def test_migrate_names_a_taken_run_name_apart_and_refuses_bad_stores(binary, pg, tmp_path):
    with Client.spawn(db=pg, binary=binary) as client:
        client.call("run.start", name="laptop", project="p")
    local = tmp_path / "one.db"
    with Client.spawn(db=local, binary=binary) as client:
        client.call("run.start", name="laptop", project="p")
    done = subprocess.run([binary, "migrate", "--from", str(local), "--to", str(pg)], capture_output=True, text=True)
    assert done.returncode == 0 and "laptop is laptop-2 here" in done.stdout
    missing = subprocess.run([binary, "migrate", "--from", str(tmp_path / "none.db"), "--to", str(pg)],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "no store at" in missing.stderr


@pytest.fixture
def trainer_role(postgresql_cluster, pg):
    password = "s3cret-Pg!42"
    postgresql_cluster.psql(f"CREATE ROLE trainer LOGIN PASSWORD '{password}'")
    postgresql_cluster.psql(f'GRANT ALL ON DATABASE "{pg.database}" TO trainer; ALTER DATABASE "{pg.database}" OWNER TO trainer')
    yield password
    postgresql_cluster.psql(f'ALTER DATABASE "{pg.database}" OWNER TO runclinic')
    postgresql_cluster.psql("DROP OWNED BY trainer CASCADE", database=pg.database)
    postgresql_cluster.psql("DROP ROLE trainer")


def test_the_password_never_shows_and_pgpassword_and_pgpass_work(binary, postgresql_cluster, pg, trainer_role, tmp_path):
    password = trainer_role
    with_password = postgresql_cluster.url(pg.database, user="trainer", password=password, tcp=True)
    without = postgresql_cluster.url(pg.database, user="trainer", tcp=True)
    log = tmp_path / "server.log"
    with open(log, "w") as stderr:
        with Client.spawn(db=with_password, binary=binary, args=["--log-level", "debug"], stderr=stderr) as client:
            store = client.call("initialize")["store"]
            assert password not in json.dumps(store) and "trainer:***@" in store["path"]
            run = client.call("run.start", name="secret", config={"note": "hello"})["run_id"]
            client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
            assert password not in json.dumps(client.call("run.get", run=run))
    assert password not in log.read_text() and "trainer:***@" in log.read_text()
    listed = subprocess.run([binary, "runs", "--db", with_password], capture_output=True, text=True)
    assert listed.returncode == 0 and "secret" in listed.stdout and password not in listed.stdout + listed.stderr
    # A wrong password: one clear error, and neither password in it.
    wrong = postgresql_cluster.url(pg.database, user="trainer", password="not-" + password, tcp=True)
    refused = subprocess.run([binary, "runs", "--db", wrong], capture_output=True, text=True)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr
    assert password not in refused.stderr and "not-" not in refused.stderr
    # PGPASSWORD, then ~/.pgpass (PGPASSFILE): the connection string need not hold it at all.
    environment = dict(os.environ, PGPASSWORD=password)
    by_variable = subprocess.run([binary, "runs", "--db", without], capture_output=True, text=True, env=environment)
    assert by_variable.returncode == 0 and "secret" in by_variable.stdout
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{postgresql_cluster.port}:{pg.database}:trainer:{password}\n")
    pgpass.chmod(0o600)
    environment = {key: value for key, value in os.environ.items() if key != "PGPASSWORD"}
    environment["PGPASSFILE"] = str(pgpass)
    by_file = subprocess.run([binary, "runs", "--db", without], capture_output=True, text=True, env=environment)
    assert by_file.returncode == 0 and "secret" in by_file.stdout
    # RUNCLINIC_DB takes a connection string as --db does.
    environment["RUNCLINIC_DB"] = without
    by_environment = subprocess.run([binary, "runs"], capture_output=True, text=True, env=environment, cwd=tmp_path)
    assert by_environment.returncode == 0 and "secret" in by_environment.stdout


def terminate_connections(cluster, database):
    return cluster.psql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()")


def test_a_lost_connection_is_made_again_and_no_point_is_lost(binary, postgresql_cluster, pg, tmp_path):
    """The database drops every connection of the store twice while a trainer logs, fire-and-forget
    and acknowledged: the server connects again and writes the lost transaction again."""
    log = tmp_path / "server.log"
    with open(log, "w") as stderr, Client.spawn(db=pg, binary=binary, stderr=stderr) as client:
        run = client.call("run.start", name="flaky")["run_id"]
        for step in range(3000):
            client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1)})
            if step % 500 == 0:
                client.call("monitor.batch", run=run, step=step, batch=0, metrics={"acc": 0.5}, samples=["x.png"])
            if step in (1000, 2000):
                client.flush()
                assert terminate_connections(postgresql_cluster, pg.database)
        client.call("monitor.log", run=run, step=3000, metrics={"loss": 0.0})
        details = client.call("run.get", run=run)
        assert details["counts"]["points"] == 3001 and details["counts"]["batches"] == 6
        assert details["metric_keys"] == ["loss"]
        assert not client.notification_errors
    assert count_points(pg, run) == 3001
    text = log.read_text()
    assert "connection was lost" in text and "connected again" in text


def test_what_a_database_down_too_long_kept_from_being_stored_is_reported_and_logging_resumes(binary, tmp_path):
    """The database host goes down for longer than the server retries (2 s here): the accepted
    fire-and-forget points are reported lost to their sender, a request fails with a storage error,
    and once the database is back the same server stores again."""
    cluster = ThrowawayCluster().start()
    try:
        store = cluster.url(cluster.create_database())
        environment = dict(os.environ, RUNCLINIC_RECONNECT_SECONDS="2")
        with open(tmp_path / "server.log", "w") as stderr, \
                Client.spawn(db=store, binary=binary, env=environment, stderr=stderr) as client:
            run = client.call("run.start", name="down")["run_id"]
            client.call("monitor.log", run=run, step=0, metrics={"loss": 1.0})
            cluster.stop_server()
            for step in range(1, 101):
                client.notify("monitor.log", run=run, step=step, metrics={"loss": 0.5})
            client.flush()
            # Each point is reported: in a commit that failed ({points, first_step, last_step}), or
            # as its own call's storage error once the server has stopped waiting.
            def reported():
                return sum(error.data["points"] if error.data else 1 for error in client.notification_errors)
            deadline = time.monotonic() + 30
            while reported() < 100:
                assert time.monotonic() < deadline, client.notification_errors
                client.call("initialize")  # reads what the server sent meanwhile
                time.sleep(0.2)
            assert reported() == 100
            assert all(error.code == -32005 for error in client.notification_errors)
            assert time.monotonic() < deadline - 20  # the 2 s wait is paid once, not per point
            with pytest.raises(RPCError) as refused:
                client.call("monitor.log", run=run, step=101, metrics={"loss": 0.4})
            assert refused.value.code == -32005
            cluster.start_server()
            client.call("monitor.log", run=run, step=102, metrics={"loss": 0.25})
            assert client.call("run.metrics", run=run)["series"]["loss"]["steps"] == [0, 102]
        log = (tmp_path / "server.log").read_text()
        assert "did not come back in 2 s" in log
    finally:
        cluster.stop()


def test_two_servers_logging_the_same_metric_of_one_run_lose_nothing(binary, pg, tmp_path):
    """The same run, the same key, the same steps, from two servers at once (a trainer restarted
    beside its old process, say): each step ends with one of the two values, and nothing is
    reported lost; the writer that meets the other's rows writes its transaction again."""
    steps = 3000
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    errors = []

    def train(index):
        try:
            with open(logs[index], "w") as stderr, Client.spawn(
                    db=pg, binary=binary, stderr=stderr, args=["--log-level", "notice"]) as client:
                run = client.call("run.start", name="twice")["run_id"]
                for step in range(steps):
                    client.notify("monitor.log", run=run, step=step, metrics={"x": float(index + 1)})
                client.call("monitor.log", run=run, step=steps, metrics={"x": 0.0})
                assert not client.notification_errors
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=train, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    values = query_store(pg, "SELECT step, value FROM metric_points ORDER BY step")
    assert [step for step, _ in values] == list(range(steps + 1))
    assert {value for _, value in values[:-1]} <= {1.0, 2.0}
