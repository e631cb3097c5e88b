"""A throw-away PostgreSQL cluster for the tests: initdb and pg_ctl from Debian's postgresql
package, in a temporary folder, listening on a Unix socket there (and on a loopback TCP port, for
the password and multi-host tests). Run as root, the server runs as the `postgres` user, since
PostgreSQL refuses to run as root."""

import atexit
import glob
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid

SUPERUSER = "runclinic"


def server_binaries():
    """The folder of initdb and pg_ctl (the newest PostgreSQL installed), or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if candidates:
        return pathlib.Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return pathlib.Path(found).parent if found else None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayCluster:
    def __init__(self, listen="127.0.0.1", port=None, netns=None, networks=()):
        self.bin = server_binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql")
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="rc-pg-", dir="/tmp"))
        self.data = self.directory / "data"
        self.socket_dir = self.directory
        self.listen = listen
        self.port = port or free_port()
        self.run_as = None
        # A network namespace to run the server in (the multi-host test); its Unix socket, in the
        # shared file system, still reaches it from here.
        self.netns = netns
        # Networks besides loopback whose clients may log in (with a password).
        self.networks = networks
        if os.geteuid() == 0:
            self.run_as = pwd.getpwnam("postgres")
            os.chown(self.directory, self.run_as.pw_uid, self.run_as.pw_gid)
        self.started = False

    def _run(self, *command, **kwargs):
        if self.run_as is not None:
            command = ("runuser", "-u", self.run_as.pw_name, "--", *command)
        if self.netns is not None:
            command = ("ip", "netns", "exec", self.netns, *command)
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def start(self):
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        if self.networks:
            rules = "".join(f"host all all {network} scram-sha-256\n" for network in self.networks)
            self._run("sh", "-c", f"printf '{rules}' >> {self.data / 'pg_hba.conf'}")
        self.start_server()
        # A session that ends without its teardown (an interrupted run) still stops its server.
        atexit.register(self.stop)
        return self

    def start_server(self):
        options = (f"-k {self.socket_dir} -p {self.port} -c listen_addresses='{self.listen}' "
                   "-c fsync=on -c max_connections=200 -c shared_buffers=128MB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"),
                  "-w", "-t", "60", "start")
        self.started = True

    def stop_server(self):
        """Stops the server and keeps its data (as a database host going down for a while)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.started = False

    def stop(self):
        if self.started:
            subprocess.run(
                (("runuser", "-u", self.run_as.pw_name, "--") if self.run_as else ()) +
                (str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True)
            self.started = False
        shutil.rmtree(self.directory, ignore_errors=True)

    def psql(self, sql, database="postgres"):
        """Runs SQL as the superuser over the Unix socket; returns its rows (tab-separated, unaligned)."""
        result = subprocess.run(
            [str(self.bin.parent / "bin" / "psql") if (self.bin / "psql").exists() else "psql",
             "-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, "-d", database,
             "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True)
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def dump(self, database):
        """The database's whole content (pg_dump's SQL), as bytes."""
        return subprocess.run(
            [str(self.bin / "pg_dump") if (self.bin / "pg_dump").exists() else "pg_dump",
             "-h", str(self.socket_dir), "-p", str(self.port), "-U", SUPERUSER, database],
            check=True, capture_output=True).stdout

    def url(self, database, user=SUPERUSER, password=None, tcp=False):
        """A connection string: over the Unix socket, or TCP on loopback (where passwords are asked)."""
        credentials = user + (f":{password}" if password else "")
        if tcp:
            return f"postgresql://{credentials}@{self.listen}:{self.port}/{database}"
        return f"postgresql://{credentials}@/{database}?host={self.socket_dir}&port={self.port}"

    def create_database(self, name=None):
        name = name or "t_" + uuid.uuid4().hex[:12]
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name
