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


def test_the_gallery_shows_each_image_in_colour_as_a_browser_decodes_it(client, tmp_path):
    import html as markup
    import json
    import shutil

    import numpy
    from images import FIXTURES, png_array

    folder = tmp_path / "images"
    folder.mkdir()
    # Strips of 640x60 (a thin strip: shown), red on the left and blue on the right, as RGB and as
    # RGBA; a photo of a blue sky, blurred (shown), as JPEG; and a file that is not an image.
    strip = numpy.zeros((60, 640, 3), numpy.uint8)
    strip[:, :320, 0] = 230
    strip[:, 320:, 2] = 230
    png_array(folder / "strip.png", strip)
    png_array(folder / "strip_alpha.png", numpy.dstack([strip, numpy.full((60, 640), 255, numpy.uint8)]))
    shutil.copy(FIXTURES / "photo_soft_clouds_defocused.jpg", folder / "clouds.jpg")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not a picture")
    result = client.call("audit.run", path=str(folder), report_dir=str(tmp_path / "gallery"))
    page = (tmp_path / "gallery" / f"audit_{result['audit_id']}.html").read_text()

    def source(name):
        found = re.search(rf'<img alt="thumbnail of {re.escape(str(folder / name))}" src="([^"]+)"', page)
        return found.group(1) if found else None

    sources = {name: source(name) for name in ["strip.png", "strip_alpha.png", "clouds.jpg"]}
    assert all(src and src.startswith("data:image/jpeg;base64,") for src in sources.values()), sources
    assert source("broken.png") is None and "no preview" in page
    # Chromium decodes each thumbnail and reads its size and the mean colour of its left and right
    # quarters.
    harness = tmp_path / "harness.html"
    harness.write_text("""<!doctype html><body><script>
const sources = %s, results = {};
let pending = Object.keys(sources).length;
for (const [name, src] of Object.entries(sources)) {
  const image = new Image();
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const mean = (x0, x1) => {
      const data = context.getImageData(x0, 0, x1 - x0, canvas.height).data, sum = [0, 0, 0];
      for (let at = 0; at < data.length; at += 4) for (let c = 0; c < 3; c++) sum[c] += data[at + c];
      return sum.map(v => v / (data.length / 4));
    };
    const w = canvas.width;
    results[name] = {width: w, height: canvas.height, left: mean(0, w >> 2), right: mean(w - (w >> 2), w),
                     whole: mean(0, w)};
    if (--pending === 0) document.body.setAttribute("data-results", JSON.stringify(results));
  };
  image.src = src;
}
</script></body>""" % json.dumps(sources))
    done = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                           "--dump-dom", harness.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(markup.unescape(re.search(r'data-results="([^"]+)"', done.stdout).group(1)))
    for name in ["strip.png", "strip_alpha.png"]:
        shown = results[name]
        assert (shown["width"], shown["height"]) == (160, 15), shown
        red, _, blue = shown["left"]
        assert red > 200 and blue < 40, shown
        red, _, blue = shown["right"]
        assert blue > 200 and red < 40, shown
    clouds = results["clouds.jpg"]
    assert max(clouds["width"], clouds["height"]) == 160
    red, _, blue = clouds["whole"]
    assert blue > red + 30, clouds
