"""Trainers on two machines, one team store on a third: made here with network namespaces (`ip
netns`, veth pairs; root only). PostgreSQL runs in its own namespace and is reached over the
veth links with a password; the trainers in two other namespaces log at once, and `run.list` from
a fourth sees every run with every point, where an editor also hears a third machine's alert."""

import os
import shutil
import subprocess
import threading
import uuid

import pytest

from conftest import STORE
from postgresql_cluster import ThrowawayCluster
from runclinic import Client

pytestmark = [
    pytest.mark.skipif(STORE == "postgresql", reason="runs in the SQLite session"),
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="network namespaces need root and iproute2"),
]

PASSWORD = "team-Store-9"


def ip(*arguments):
    subprocess.run(["ip", *arguments], check=True, capture_output=True)


@pytest.fixture
def hosts(tmp_path):
    """Namespaces: db (10.77.N.1 on each link) and trainer-a, trainer-b, reader (10.77.N.2)."""
    tag = uuid.uuid4().hex[:6]
    database_host = f"rc-db-{tag}"
    machines = {name: f"rc-{name}-{tag}" for name in ("a", "b", "reader")}
    ip("netns", "add", database_host)
    addresses = {}
    try:
        ip("-n", database_host, "link", "set", "lo", "up")
        for number, (name, namespace) in enumerate(machines.items(), start=1):
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "lo", "up")
            outside, inside = f"rcv{tag}{number}d", f"rcv{tag}{number}m"
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            ip("link", "set", outside, "netns", database_host)
            ip("link", "set", inside, "netns", namespace)
            ip("-n", database_host, "addr", "add", f"10.77.{number}.1/24", "dev", outside)
            ip("-n", namespace, "addr", "add", f"10.77.{number}.2/24", "dev", inside)
            ip("-n", database_host, "link", "set", outside, "up")
            ip("-n", namespace, "link", "set", inside, "up")
            addresses[name] = f"10.77.{number}.1"
        cluster = ThrowawayCluster(listen="*", netns=database_host, networks=["10.77.0.0/16"]).start()
        try:
            cluster.psql(f"CREATE ROLE trainer LOGIN PASSWORD '{PASSWORD}'")
            database = cluster.create_database()
            cluster.psql(f'ALTER DATABASE "{database}" OWNER TO trainer')
            yield {"cluster": cluster, "database": database, "machines": machines, "addresses": addresses,
                   "tmp": tmp_path}
        finally:
            cluster.stop()
    finally:
        for namespace in [database_host, *machines.values()]:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def on_machine(hosts, name, binary):
    """A wrapper that runs the real binary inside that machine's namespace."""
    wrapper = hosts["tmp"] / f"runclinic-on-{name}"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {hosts["machines"][name]} "{binary}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def url(hosts, name):
    return f"postgresql://trainer:{PASSWORD}@{hosts['addresses'][name]}:{hosts['cluster'].port}/{hosts['database']}"


def test_trainers_on_two_machines_log_to_one_store_that_a_third_reads(binary, hosts):
    steps = 1500
    errors = []

    # Each machine's wrapper is written before any trainer starts: a file open for writing while
    # another thread forks is inherited by that child until it execs, and running the file then
    # fails with "Text file busy".
    wrappers = {machine: on_machine(hosts, machine, binary) for machine in ("a", "b")}

    def train(machine):
        try:
            with Client.spawn(db=url(hosts, machine), binary=wrappers[machine]) as client:
                assert client.call("initialize")["store"]["kind"] == "postgresql"
                for index in range(3):
                    run = client.call("run.start", name=f"{machine}-{index}", project="team",
                                      config={"machine": machine, "lr": 10.0 ** -index})["run_id"]
                    for step in range(steps):
                        client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1)})
                    client.call("monitor.batch", run=run, step=steps - 1, batch=0, metrics={"acc": 0.9},
                                samples=[f"/data/{machine}/{index}.png"])
                    client.call("run.finish", run=run)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    # The machines cannot reach each other's links, only the database's.
    unreachable = subprocess.run(["ip", "netns", "exec", hosts["machines"]["a"], "ping", "-c", "1", "-W", "1",
                                  "10.77.2.2"], capture_output=True)
    assert unreachable.returncode != 0
    # An editor on the fourth machine subscribes to every run's alerts.
    editor = Client.spawn(db=url(hosts, "reader"), binary=on_machine(hosts, "reader", binary))
    editor.call("monitor.subscribe")
    trainers = [threading.Thread(target=train, args=(machine,)) for machine in ("a", "b")]
    for trainer in trainers:
        trainer.start()
    for trainer in trainers:
        trainer.join(120)
    assert not errors
    # A loss gone NaN on machine b reaches the editor on the fourth, through the database.
    with Client.spawn(db=url(hosts, "b"), binary=wrappers["b"]) as trainer:
        run = trainer.call("run.start", name="b-diverged", project="alerts")["run_id"]
        trainer.call("monitor.log", run=run, step=1, metrics={"loss": float("nan")})
    alert = editor.wait_for_notification("monitor.alert", timeout=10)
    assert alert["run"]["name"] == "b-diverged" and alert["anomalies"][0]["type"] == "non_finite"
    editor.close()
    with Client.spawn(db=url(hosts, "reader"), binary=on_machine(hosts, "reader", binary)) as reader:
        runs = reader.call("run.list", project="team")["runs"]
        assert sorted(run["name"] for run in runs) == [f"{m}-{i}" for m in ("a", "b") for i in range(3)]
        for run in runs:
            details = reader.call("run.get", run=run["run_id"])
            assert details["status"] == "finished"
            assert details["counts"]["points"] == steps and details["counts"]["batches"] == 1
        comparison = reader.call("compare.runs", runs=[run["run_id"] for run in runs], metric="loss", mode="min")
        assert comparison["metric"] == "loss" and comparison["best"]
    stored = hosts["cluster"].psql(
        "SELECT COUNT(*) FROM metric_points JOIN runs ON runs.id = run_id JOIN projects ON projects.id = project_id "
        "WHERE projects.name = 'team'", database=hosts["database"])
    assert int(stored[0][0]) == 6 * steps
