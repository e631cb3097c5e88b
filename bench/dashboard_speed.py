"""The dashboard's figures (issue 17), measured in headless Chromium through Selenium:

- a run with 1,000,000 points of one metric: from opening its page to its chart drawn (the page's
  own clock, navigation start to the first draw), and `run.metrics {max_points}` alone;
- a point logged by a trainer (its own `runclinic serve` on the same store) until it is on the
  chart: 30 points, p50 / p95 / max.

    RUNCLINIC_BIN=.build/release/runclinic .venv/bin/python bench/dashboard_speed.py [--points N]
"""

import argparse
import json
import math
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))

from runclinic import Client  # noqa: E402
from dashboard import Dashboard  # noqa: E402
from test_dashboard_browser import open_browser, wait  # noqa: E402


def fill(db, binary, points):
    with Client.spawn(db=db, binary=binary) as client:
        run = client.call("run.start", name="million")["run_id"]
        for step in range(points):
            value = 2.0 * math.exp(-step / (points / 5)) + 0.1 + 0.02 * math.sin(step / 7)
            if step == points // 3:
                value = 40.0  # a spike the thinning must keep
            client.notify("monitor.log", run=run, step=step, metrics={"train/loss": value})
        client.call("run.get", run=run)
        return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    with tempfile.TemporaryDirectory() as directory:
        db = pathlib.Path(directory) / "dashboard.db"
        started = time.perf_counter()
        run = fill(db, binary, arguments.points)
        print(f"stored {arguments.points:,} points in {time.perf_counter() - started:.1f} s")
        with Dashboard(binary, db) as dashboard:
            socket = dashboard.socket()
            thinning = []
            for _ in range(arguments.repeats):
                started = time.perf_counter()
                reply = socket.result("run.metrics", run=run, keys=["train/loss"], max_points=2800)
                thinning.append(time.perf_counter() - started)
            series = reply["series"]["train/loss"]
            assert series["total"] == arguments.points and 40.0 in series["values"]
            socket.close()
            drawn = []
            for _ in range(arguments.repeats):
                browser = open_browser(1400, 1000)
                try:
                    browser.get(f"{dashboard.url}#/run/{run}")
                    chart = "document.querySelector('canvas[data-metric=\"train/loss\"]')"
                    wait(browser, f"return {chart}?.dataset.drawnMs !== undefined", 60)
                    drawn.append(int(browser.execute_script(f"return {chart}.dataset.drawnMs")) / 1000)
                finally:
                    browser.quit()
            # Live: a trainer's point until it is on the chart.
            latencies = []
            with Client.spawn(db=db, binary=binary) as trainer:
                live = trainer.call("run.start", name="live")["run_id"]
                trainer.call("monitor.log", run=live, step=0, metrics={"train/loss": 1.0})
                browser = open_browser(1400, 1000)
                try:
                    browser.get(f"{dashboard.url}#/run/{live}")
                    chart = "document.querySelector('canvas[data-metric=\"train/loss\"]')"
                    wait(browser, f"return {chart}?.dataset.points === '1'", 30)
                    for step in range(1, 31):
                        sent = time.perf_counter()
                        trainer.call("monitor.log", run=live, step=step, metrics={"train/loss": 1.0 / (step + 1)})
                        wait(browser, f"return {chart}.dataset.points === '{step + 1}'", 10)
                        latencies.append(time.perf_counter() - sent)
                finally:
                    browser.quit()
    figures = {
        "points": arguments.points,
        "run_metrics_max_points_2800_seconds": {"median": statistics.median(thinning), "max": max(thinning)},
        "page_open_to_chart_drawn_seconds": {"median": statistics.median(drawn), "max": max(drawn)},
        "logged_point_to_screen_seconds": {
            "p50": statistics.median(latencies), "p95": sorted(latencies)[int(0.95 * len(latencies)) - 1],
            "max": max(latencies)},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
