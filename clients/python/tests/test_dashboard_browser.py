"""The dashboard in a real browser (headless Chromium driven by Selenium): its pages list and draw
what the store holds, live data reaches the screen within two seconds, nothing is fetched from
outside, no console error. Screenshots of each page go to the test output folder."""

import math
import os
import pathlib
import shutil
import time

import pytest

from dashboard import Dashboard
from runclinic import Client

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUTPUT = pathlib.Path(os.environ.get("RUNCLINIC_TEST_OUTPUT", ROOT / ".test-output")) / "dashboard"


def chromium():
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("no Chromium: `make test` installs Debian's chromium package")


def chromedriver():
    path = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    if not os.path.exists(path):
        pytest.fail("no chromedriver: `make test` installs Debian's chromium-driver package")
    return path


def open_browser(width=1400, height=1000):
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.binary_location = chromium()
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver()), options=options)


@pytest.fixture
def browser():
    driver = open_browser()
    yield driver
    driver.quit()


def wait(driver, condition, timeout=10):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: d.execute_script(condition))


def check_clean(driver, dashboard):
    """No console message of warning or worse, and every resource from the dashboard itself."""
    problems = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == [], problems
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(dashboard.base + "/") for url in resources), resources


def screenshot(driver, name):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{name}.png"))


def log_training(client, name, steps, project="vision", nan_at=None, batches=0, config=None, finish=True):
    run = client.call("run.start", name=name, project=project, config=config or {"lr": 0.01}, tags=["resnet18"])["run_id"]
    for step in range(steps):
        loss = 2.0 * math.exp(-step / 80) + 0.1 + 0.02 * math.sin(step)
        if nan_at is not None and step >= nan_at:
            loss = math.nan
        client.call("monitor.log", run=run, step=step, metrics={"train/loss": loss, "lr": 0.01})
        if batches and step % 20 == 19:
            for batch in range(batches):
                accuracy = 0.6 + 0.3 * (1 - math.exp(-step / 100)) - (0.3 if batch == 2 and step > 150 else 0)
                client.call("monitor.batch", run=run, step=step, batch=batch, metrics={"accuracy": accuracy},
                            samples=[f"/data/val/{batch}/{i}.jpg" for i in range(3)])
    if finish:
        client.call("run.finish", run=run)
    return run


def test_the_runs_page_lists_the_stores_runs(binary, db, browser):
    with Client.spawn(db=db, binary=binary) as client:
        log_training(client, "baseline", 120)
        log_training(client, "wider", 60, project="nlp", finish=False)
    with Dashboard(binary, db) as dashboard:
        browser.get(dashboard.url)
        wait(browser, "return document.querySelectorAll('#runs tr[data-run]').length === 2")
        names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#runs tr[data-run] td:nth-child(3)")]
        assert sorted(names) == ["baseline", "wider"]
        assert browser.find_element(By.ID, "connection").text == "live"
        wait(browser, "return [...document.querySelectorAll('#runs tr[data-run] td:nth-child(7)')].every(c => c.textContent.startsWith('train/loss'))")
        screenshot(browser, "runs")
        # Filtering by project.
        browser.find_element(By.CSS_SELECTOR, ".filters select option[value='nlp']").click()
        wait(browser, "return document.querySelectorAll('#runs tr[data-run]').length === 1")
        check_clean(browser, dashboard)


def test_a_nan_reaches_the_alerts_feed_and_the_chart_within_two_seconds(binary, db):
    with Client.spawn(db=db, binary=binary) as trainer, Dashboard(binary, db) as dashboard:
        run = log_training(trainer, "diverging", 200, batches=4, finish=False)
        run_page, alerts_page = open_browser(1400, 1300), open_browser()
        try:
            run_page.get(f"{dashboard.url}#/run/{run}")
            alerts_page.get(f"{dashboard.url}#/alerts")
            wait(run_page, "return document.querySelector('canvas[data-metric=\"train/loss\"]')?.dataset.points === '200'")
            wait(alerts_page, "return document.getElementById('alerts') !== null")
            # Live points arrive without reloading.
            trainer.call("monitor.log", run=run, step=200, metrics={"train/loss": 0.3, "lr": 0.01})
            wait(run_page, "return document.querySelector('canvas[data-metric=\"train/loss\"]').dataset.points === '201'", 2)
            sent = time.monotonic()
            trainer.call("monitor.log", run=run, step=201, metrics={"train/loss": math.nan, "lr": 0.01})
            wait(run_page, "return document.querySelector('canvas[data-metric=\"train/loss\"]').dataset.nonFinite === '1'", 2)
            on_chart = time.monotonic() - sent
            wait(alerts_page, f"return document.querySelector('#alerts li[data-run=\"{run}\"][data-step=\"201\"]') !== null", 2)
            in_feed = time.monotonic() - sent
            assert on_chart < 2 and in_feed < 2, (on_chart, in_feed)
            text = alerts_page.find_element(By.CSS_SELECTOR, f'#alerts li[data-run="{run}"]').text
            assert "diverging" in text and "NaN" in text and "critical" in text
            screenshot(alerts_page, "alerts")
            # The batch heat map, and a batch's samples on click.
            heat = run_page.find_element(By.CSS_SELECTOR, "#heatmap canvas")
            ActionChains(run_page).move_to_element_with_offset(heat, -heat.size["width"] // 2 + 45, -heat.size["height"] // 2 + 3).click().perform()
            wait(run_page, "return !document.getElementById('samples').hidden")
            assert "/data/val/0/0.jpg" in run_page.find_element(By.ID, "samples").text
            screenshot(run_page, "run")
            check_clean(run_page, dashboard)
            check_clean(alerts_page, dashboard)
        finally:
            run_page.quit()
            alerts_page.quit()


def test_the_run_page_zooms_smooths_and_switches_to_a_log_scale(binary, db, browser):
    with Client.spawn(db=db, binary=binary) as client:
        run = log_training(client, "long", 400)
        shifted = client.call("run.start", name="shifted")["run_id"]
        for step in range(400):
            level = 0.5 if step < 200 else 1.5
            client.call("monitor.log", run=shifted, step=step, metrics={"val/loss": level + 0.01 * math.sin(step * 1.7)})
    with Dashboard(binary, db) as dashboard:
        # The analysis's change points are marked once it is done: a level shift at step 200 is
        # one; a smooth decay has none.
        browser.get(f"{dashboard.url}#/run/{shifted}")
        steps = wait(browser, "return document.querySelector('canvas[data-metric=\"val/loss\"]')?.dataset.changePoints", 30)
        assert [abs(int(step) - 200) <= 2 for step in steps.split(",")] == [True], steps
        browser.get(f"{dashboard.url}#/run/{run}")
        assert wait(browser, "return document.querySelector('canvas[data-metric=\"train/loss\"]')?.dataset.changePoints !== undefined", 30)
        assert browser.execute_script("return document.querySelector('canvas[data-metric=\"train/loss\"]').dataset.changePoints") == ""
        chart = 'document.querySelector(\'canvas[data-metric="train/loss"]\')'
        wait(browser, f"return {chart}?.dataset.points === '400'")
        canvas = browser.find_element(By.CSS_SELECTOR, 'canvas[data-metric="train/loss"]')
        # Dragging across a chart reads that range again from the server.
        ActionChains(browser).move_to_element_with_offset(canvas, -100, 0).click_and_hold() \
            .move_by_offset(120, 0).release().perform()
        wait(browser, f"return Number({chart}.dataset.points) < 400")
        browser.find_element(By.XPATH, "//button[text()='reset zoom']").click()
        wait(browser, f"return {chart}.dataset.points === '400'")
        browser.find_element(By.ID, "log-scale").click()
        wait(browser, "return Chart.getChart(document.querySelector('canvas[data-metric=\"train/loss\"]')).options.scales.y.type === 'logarithmic'")
        browser.execute_script("const s = document.getElementById('smoothing'); s.value = 0.9; s.dispatchEvent(new Event('input'));")
        smoothed = browser.execute_script(
            "const c = Chart.getChart(document.querySelector('canvas[data-metric=\"train/loss\"]'));"
            "const d = c.data.datasets[0].data; return [d[10].y, d[10].value];")
        assert smoothed[0] != smoothed[1]
        check_clean(browser, dashboard)


def test_a_page_without_the_token_is_refused(binary, db, browser):
    with Dashboard(binary, db) as dashboard:
        browser.get(dashboard.base + "/")
        assert "missing or wrong token" in browser.find_element(By.TAG_NAME, "body").text


def test_the_audit_gallery_shows_flagged_images_and_duplicates_side_by_side(binary, db, browser, tmp_path):
    from images import gallery_folder
    folder = gallery_folder(tmp_path / "images")
    with Client.spawn(db=db, binary=binary) as client:
        audit = client.call("audit.run", path=str(folder))["audit_id"]
        # A run whose batch held two of these images: its heat map shows them on click.
        run = client.call("run.start", name="with-images")["run_id"]
        client.call("monitor.batch", run=run, step=1, batch=0, metrics={"accuracy": 0.5},
                    samples=[str(folder / "photo.jpg"), str(folder / "nowhere.jpg")])
    with Dashboard(binary, db) as dashboard:
        browser.get(f"{dashboard.url}#/audit")
        wait(browser, f"return document.querySelector('#audits tr[data-audit=\"{audit}\"]') !== null")
        browser.find_element(By.LINK_TEXT, f"#{audit}").click()
        # The first issue shown is the most frequent; each issue's chip switches to it.
        wait(browser, "return document.querySelectorAll('#gallery figure').length > 0")
        browser.find_element(By.CSS_SELECTOR, ".chip[data-issue='blurry']").click()
        wait(browser, "return document.querySelector('#gallery figure[data-issue=\"blurry\"]') !== null")
        flagged = browser.find_element(By.CSS_SELECTOR, '#gallery figure[data-issue="blurry"]')
        assert flagged.get_attribute("data-path").endswith("photo_blurred.jpg")
        wait(browser, "const i = document.querySelector('#gallery figure img'); return i.complete && i.naturalWidth > 0")
        screenshot(browser, "audit")
        browser.find_element(By.CSS_SELECTOR, ".chip[data-issue='duplicate']").click()
        wait(browser, "return document.querySelector('#gallery .group') !== null")
        group = [f.get_attribute("data-path") for f in browser.find_elements(By.CSS_SELECTOR, "#gallery .group figure")]
        assert sorted(pathlib.Path(p).name for p in group) == ["photo.jpg", "photo_copy.jpg"]
        wait(browser, "return [...document.querySelectorAll('#gallery .group img')].every(i => i.complete && i.naturalWidth > 0)")
        check_clean(browser, dashboard)
        # A batch's samples: the known image shows, the missing file says so in place.
        browser.get(f"{dashboard.url}#/run/{run}")
        heat = wait(browser, "return document.querySelector('#heatmap canvas')")
        ActionChains(browser).move_to_element_with_offset(heat, -heat.size["width"] // 2 + 45, -heat.size["height"] // 2 + 3).click().perform()
        wait(browser, "return [...document.querySelectorAll('.sample-images img')].filter(i => i.complete && i.naturalWidth > 0).length === 2")
        check_clean(browser, dashboard)


def test_compare_hyperparameters_and_analysis_pages(binary, db, browser):
    with Client.spawn(db=db, binary=binary) as client:
        runs = []
        for index, lr in enumerate([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.002, 0.05]):
            optimizer = "adam" if index % 2 else "sgd"
            run = client.call("run.start", name=f"sweep-{index}", project="sweep",
                              config={"lr": lr, "optimizer": optimizer, "seed": index})["run_id"]
            for step in range(30):
                accuracy = 0.9 - 0.5 * abs(math.log10(lr) + 2) / 2 * (1 - math.exp(-step / 10)) + 0.05 * (1 - math.exp(-step / 10))
                client.call("monitor.log", run=run, step=step, metrics={"val/accuracy": accuracy, "train/loss": 1 / (step + 1)})
            client.call("run.finish", run=run)
            runs.append(run)
        broken = log_training(client, "broken", 120, project="other", nan_at=100, finish=False)
    with Dashboard(binary, db) as dashboard:
        # Compare: pick runs on the runs page.
        browser.get(dashboard.url)
        wait(browser, "return document.querySelectorAll('#runs tr[data-run]').length === 9")
        for run in runs[:3]:
            browser.find_element(By.CSS_SELECTOR, f'#runs tr[data-run="{run}"] input[type=checkbox]').click()
        browser.find_element(By.ID, "compare-selected").click()
        wait(browser, "return document.getElementById('overlay')?.dataset.series === '3'")
        browser.find_element(By.CSS_SELECTOR, "#compare-metric option[value='val/accuracy']").click()
        wait(browser, "return document.querySelector('#compare-runs') !== null && document.querySelector('h2')?.textContent.includes('val/accuracy')")
        differing = [row.find_element(By.TAG_NAME, "td").text for row in browser.find_elements(By.CSS_SELECTOR, "#config-diff tr")[1:]]
        assert set(differing) == {"lr", "optimizer", "seed"}
        assert len(browser.find_elements(By.CSS_SELECTOR, "#compare-runs tr")) == 4
        screenshot(browser, "compare")
        check_clean(browser, dashboard)
        # Hyperparameters: importance bars, the tables, a setting against the outcome.
        browser.get(f"{dashboard.url}#/hparams/sweep")
        wait(browser, "return document.getElementById('scatter')?.dataset.points === '8'")
        assert browser.find_element(By.ID, "hparams-metric").get_attribute("value") == "val/accuracy"
        assert browser.find_elements(By.ID, "importance") and browser.find_elements(By.CSS_SELECTOR, "#numeric tr")
        screenshot(browser, "hyperparameters")
        check_clean(browser, dashboard)
        # The analysis of a run whose loss went NaN names it.
        browser.get(f"{dashboard.url}#/run/{broken}")
        wait(browser, "return document.getElementById('analyze') !== null")  # the page draws once its run is read
        browser.find_element(By.ID, "analyze").click()
        wait(browser, "return document.getElementById('key-finding') !== null", 30)
        finding = browser.find_element(By.ID, "key-finding").text
        assert "NaN" in finding and "100" in finding, finding
        assert "non_finite" in browser.find_element(By.ID, "root-causes").text
        screenshot(browser, "analysis")
        check_clean(browser, dashboard)


def test_a_page_of_another_origin_cannot_open_the_websocket_even_with_the_token(binary, db, browser, tmp_path):
    import http.server
    import threading
    with Client.spawn(db=db, binary=binary) as client:
        log_training(client, "private", 10)
    with Dashboard(binary, db) as dashboard:
        # A page on another site (another port is another origin) that knows the token.
        (tmp_path / "index.html").write_text(f"""<!doctype html><script>
            const socket = new WebSocket('{dashboard.ws_url}');
            socket.onopen = () => {{ document.title = 'opened'; }};
            socket.onerror = () => {{ document.title = 'refused'; }};
            </script>""")
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            browser.get(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            wait(browser, "return document.title === 'refused' || document.title === 'opened'")
            assert browser.title == "refused"
            assert "WebSocket refused: Origin http://127.0.0.1:" in dashboard.log()
        finally:
            server.shutdown()
        # The dashboard's own page shows the run's best value on the runs page.
        browser.get(dashboard.url)
        wait(browser, "return document.querySelector('#runs tr[data-run] td:nth-child(7)')?.textContent.startsWith('train/loss')")
