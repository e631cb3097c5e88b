"""A finding's score stands on the side of its threshold that flags, whichever of a check's rules
decided it: a pipeline that keeps what scores past a threshold must not read a finding as a pass."""

import shutil

import numpy

from images import FIXTURES, png_array

# A higher score flags (a ceiling passed) or a lower one (a floor missed); blurry says by which bar.
HIGHER_FLAGS = {"overexposed": True, "skewed": True, "odd_aspect_ratio": True, "odd_size": True, "too_large": True,
                "dark": False, "too_small": False, "grayscale": False, "low_information": False, "near_duplicate": False}
BLUR_THRESHOLD = 20


def washed_out_half_white(path):
    """Two fifths blown to pure white, the rest a textured orange with its blacks gone: washed out by
    its share of bright pixels, with a mean (about 185) under the 225 that brightness alone asks."""
    rng = numpy.random.default_rng(5)
    image = numpy.empty((240, 320, 3))
    image[:, :, 0], image[:, :, 1], image[:, :, 2] = 170, 130, 100
    image += rng.normal(0, 12, image.shape)
    image[:, :128] = 255
    return png_array(path, numpy.clip(image, 0, 255))


def smooth_colour_wash(path):
    """A smooth wash of colour over some 30 grey levels: no edge, no detail at any scale, but too
    colourful and too wide a range for the flat-image test; blank by having no detail at all."""
    ys, xs = numpy.mgrid[0:240, 0:320].astype(numpy.float64)
    across, down = xs / 319, ys / 239
    image = numpy.stack([130 + 20 * across + 30 * down, 120 + 30 * down, 150 - 20 * across + 30 * down], axis=2)
    return png_array(path, numpy.round(image))


def test_every_finding_scores_on_the_side_of_its_threshold_that_flags(client, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    for fixture in FIXTURES.iterdir():
        if fixture.suffix in (".jpg", ".png"):
            shutil.copy(fixture, folder / fixture.name)
    washed, blank = washed_out_half_white(folder / "washed_half_white.png"), smooth_colour_wash(folder / "colour_wash.png")
    findings = client.call("audit.run", path=str(folder))["findings"]
    checked = 0
    for finding in findings:
        score, threshold = finding.get("score"), finding.get("threshold")
        if finding["issue"] == "blurry":
            # By its blur effect, over that bar; by its Laplacian, or its detail along one direction
            # once shaken, under theirs.
            higher = threshold != BLUR_THRESHOLD and not finding["detail"].startswith("shaken")
        else:
            higher = HIGHER_FLAGS.get(finding["issue"])
        if higher is None or not isinstance(score, (int, float)) or not isinstance(threshold, (int, float)):
            continue
        assert (score >= threshold) if higher else (score <= threshold), finding
        checked += 1
    assert checked >= 20
    by_path = {}
    for finding in findings:
        by_path.setdefault(finding["path"], {})[finding["issue"]] = finding
    # Washed out by its share of bright pixels (a mean of about 185 would read as a pass against 225).
    overexposed = by_path[str(washed)]["overexposed"]
    assert 0.3 < overexposed["score"] < 0.5 and overexposed["threshold"] == 0.3, overexposed
    # Blank by having no detail at all (its 30-odd grey levels would read as a pass against 20).
    blank_finding = by_path[str(blank)]["low_information"]
    assert blank_finding["score"] < 1 and blank_finding["threshold"] == 1 and "no detail at all" in blank_finding["detail"]


def test_a_shaken_page_is_blurry_by_its_shake_and_the_threshold_moves_the_bar(client, tmp_path):
    # A page photographed on a table, and a receipt, smeared by a camera that moved 1.2-1.5% of the
    # frame: their detail across the path stays, along it goes.
    for name in ["page_photographed_shaken.jpg", "receipt_shaken.jpg", "page_photographed.jpg", "receipt.jpg"]:
        shutil.copy(FIXTURES / name, tmp_path / name)
    paths = [str(tmp_path / name) for name in ["page_photographed_shaken.jpg", "receipt_shaken.jpg"]]
    _, rejected = client.filter_images(paths + [str(tmp_path / "page_photographed.jpg"), str(tmp_path / "receipt.jpg")])
    for path in paths:
        (blurry,) = [reason for reason in rejected[path] if reason["issue"] == "blurry"]
        assert blurry["score"] < blurry["threshold"] == 0.15 and blurry["detail"].startswith("shaken"), blurry
    assert str(tmp_path / "page_photographed.jpg") not in rejected and str(tmp_path / "receipt.jpg") not in rejected
    # The bar moves with `shaken_anisotropy`: at 0 nothing is shaken.
    _, rejected = client.filter_images(paths, shaken_anisotropy=0)
    assert all(reason["issue"] != "blurry" for path in paths for reason in rejected.get(path, []))
