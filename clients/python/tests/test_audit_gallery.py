"""The audit's HTML gallery: what was found, shown, in a real browser, with nothing fetched."""

import re
import subprocess

from images import gallery_folder
from test_analyze_run import browser


def test_the_gallery_shows_each_issue_with_its_images_and_duplicates_side_by_side(binary, client, tmp_path):
    folder = gallery_folder(tmp_path / "images")
    result = client.call("audit.run", path=str(folder), report_dir=str(tmp_path / "gallery"))
    page = tmp_path / "gallery" / f"audit_{result['audit_id']}.html"
    assert result["report"] == str(page)
    html = page.read_text()
    assert "http://" not in html and "https://" not in html
    for issue in ["blurry", "rotated", "truncated", "duplicate"]:
        assert f'<h2 id="{issue}">' in html, issue
    # The duplicate group holds both files, side by side.
    group = re.search(r'<div class="group">(.*?)</div>\n', html, re.S).group(1)
    assert "photo.jpg" in group and "photo_copy.jpg" in group
    # A measured finding shows its score against its threshold; a file cut off has neither to show.
    def caption(name, issue):
        section = html.split(f'<h2 id="{issue}">')[1].split("<h2 ")[0]
        return re.search(rf'<figcaption title="[^"]*/{re.escape(name)}">(.*?)</figcaption>', section, re.S).group(1)
    blurred = result["findings"][[f["path"].endswith("photo_blurred.jpg") and f["issue"] == "blurry"
                                  for f in result["findings"]].index(True)]
    assert re.search(r'<span class="score">[0-9.]+</span> \(threshold [0-9.]+\) · ' + blurred["severity"],
                     caption("photo_blurred.jpg", "blurry"))
    assert f'<a href="{(folder / "photo_blurred.jpg").as_uri()}"><img alt="thumbnail of {folder / "photo_blurred.jpg"}"' in html
    cut_off = caption("receipt_cut.jpg", "truncated")
    assert "threshold" not in cut_off and 'class="score"' not in cut_off and "<br>high<br>" in cut_off, cut_off
    orientation = result["orientation"]
    assert f"judged on {orientation['judged']} images by their text lines; uncertain on {orientation['uncertain']}" in html
    assert orientation["judged"] + orientation["uncertain"] >= 5
    done = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line] == []
    loaded, total = re.search(r'data-images="(\d+)/(\d+)"', done.stdout).groups()
    assert loaded == total and int(total) >= 5
    # The command line writes the same gallery.
    done = subprocess.run([binary, "audit", str(folder), "--db", str(tmp_path / "cli.db"), "--report", str(tmp_path / "cli")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "gallery: " in done.stdout
    assert f"orientation: judged on {orientation['judged']} images by their text; uncertain on {orientation['uncertain']}" in done.stdout
    assert list((tmp_path / "cli").glob("audit_*.html"))
