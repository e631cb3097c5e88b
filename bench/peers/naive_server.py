"""The same logging API as a naive Python server: NDJSON on stdin, sqlite3, group commits.

A baseline for `make bench`: what one would write in an afternoon in Python.
"""

import json
import sqlite3
import sys
import time


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS points (run INTEGER, key TEXT, step INTEGER, value REAL, time REAL)")
    db.execute("CREATE INDEX IF NOT EXISTS points_by_series ON points (run, key, step)")
    db.execute("BEGIN")
    last_commit = time.monotonic()
    out = sys.stdout
    for line in sys.stdin.buffer:
        message = json.loads(line)
        params = message.get("params", {})
        if message.get("method") == "monitor.log":
            now = time.time()
            db.executemany(
                "INSERT INTO points VALUES (?, ?, ?, ?, ?)",
                [(params["run"], key, params["step"], value, now) for key, value in params["metrics"].items()],
            )
        if "id" in message or time.monotonic() - last_commit > 0.05:
            db.execute("COMMIT")
            db.execute("BEGIN")
            last_commit = time.monotonic()
        if "id" in message:
            count = db.execute("SELECT COUNT(*) FROM points").fetchone()[0]
            out.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {"points": count}}) + "\n")
            out.flush()
    db.execute("COMMIT")


if __name__ == "__main__":
    main()
