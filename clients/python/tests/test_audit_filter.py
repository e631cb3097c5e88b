"""audit.filter: the data pipeline's image filter, with OpenCV decoding real files."""

import os
import shutil

import pytest

from runclinic import Client, RPCError
from images import FIXTURES, cut, hostile, png, png_array, textured, with_exif_orientation


@pytest.fixture
def gallery(tmp_path):
    files = {
        "receipt": shutil.copy(FIXTURES / "receipt.jpg", tmp_path / "receipt.jpg"),
        "photo": shutil.copy(FIXTURES / "photo.jpg", tmp_path / "photo.jpg"),
        "blurry": shutil.copy(FIXTURES / "photo_blurred.jpg", tmp_path / "blurry.jpg"),
        "small_defocused": shutil.copy(FIXTURES / "photo_small_defocused.jpg", tmp_path / "small_defocused.jpg"),
        # A cloudy sky soft at 100% but in focus: its detail holds across scales. Under a defocus
        # disc of 6 pixels it does not, and the same sky is blurry.
        "soft_sky": shutil.copy(FIXTURES / "photo_soft_clouds.jpg", tmp_path / "soft_sky.jpg"),
        "defocused_sky": shutil.copy(FIXTURES / "photo_soft_clouds_defocused.jpg", tmp_path / "defocused_sky.jpg"),
        # A grey picture of little contrast (34 levels) in a colour file: still a grey picture.
        "grey_faint": shutil.copy(FIXTURES / "photo_grey_faint.jpg", tmp_path / "grey_faint.jpg"),
        # Grey gravel in a colour file: its stones are the size of characters, but they lie every
        # which way, not in lines, so it is a grey picture and not a page.
        "grey_gravel": shutil.copy(FIXTURES / "photo_grey_gravel.jpg", tmp_path / "grey_gravel.jpg"),
        # The same gravel washed out until its ground is pure white: washed out, as a photo is, for
        # its stones are still no text.
        "grey_gravel_washed": shutil.copy(FIXTURES / "photo_grey_gravel_washed.jpg", tmp_path / "grey_gravel_washed.jpg"),
        # A page photographed while the camera moved 1.5% of the frame: its detail across the path
        # stays, along it goes.
        "shaken_page": shutil.copy(FIXTURES / "page_photographed_shaken.jpg", tmp_path / "shaken_page.jpg"),
        # Defocused by 6% of its frame: nothing left to learn from, not merely soft.
        "defocused_far": shutil.copy(FIXTURES / "photo_defocused_far.jpg", tmp_path / "defocused_far.jpg"),
        # A wall lit from one side: 23 grey levels across, no edges, smooth even at 48x48.
        "wall": shutil.copy(FIXTURES / "photo_wall_lit.jpg", tmp_path / "wall.jpg"),
        # A page photographed in too much light: a quarter of it pure white, its table not black.
        "blown_out": shutil.copy(FIXTURES / "page_photographed_blown_out.jpg", tmp_path / "blown_out.jpg"),
        # Washed so far that its colour went with its highlights: four fifths pure white, no text.
        "washed_white": shutil.copy(FIXTURES / "photo_washed_white.jpg", tmp_path / "washed_white.jpg"),
        # A page photographed in grey light, washed out until 94% of it is pure white and a trace of
        # its table is left (nothing darker than 225): nearly uniform, but washed out is the news.
        "whited_out": shutil.copy(FIXTURES / "page_photographed_whited_out.jpg", tmp_path / "whited_out.jpg"),
        # A dim photo washed out: its blacks lifted to 56 and a tenth of it pure white.
        "dim_washed": shutil.copy(FIXTURES / "photo_dim_washed.jpg", tmp_path / "dim_washed.jpg"),
        # A soft photo blown out: its detail went with its highlights, which is the news.
        "blurred_blown_out": shutil.copy(FIXTURES / "photo_blurred_blown_out.jpg", tmp_path / "blurred_blown_out.jpg"),
        # A grey page photographed on a grey table: grey by nature, a page and not a grey picture.
        "grey_page": shutil.copy(FIXTURES / "page_photographed_grey.jpg", tmp_path / "grey_page.jpg"),
        # Small print scanned at a low resolution, in tinted boxes: its highlights clipped and its ink
        # grey (nothing darker than 65), but a page of print, not a washed-out one.
        "small_print": shutil.copy(FIXTURES / "page_small_print.jpg", tmp_path / "small_print.jpg"),
        # Small print in a typewriter face, whose ascenders say little about which way up it
        # stands: upright it passes; upside down the shapes of its characters say so.
        "typewriter": shutil.copy(FIXTURES / "page_typewriter.jpg", tmp_path / "typewriter.jpg"),
        "typewriter_upside_down": shutil.copy(
            FIXTURES / "page_typewriter_upside_down.jpg", tmp_path / "typewriter_upside_down.jpg"
        ),
        # A diagram on a sheet photographed on a table, too little print for its lines to say how it
        # lies: level it passes; turned 22 degrees, the sheet's edges say it leans.
        "diagram": shutil.copy(FIXTURES / "page_photographed_diagram.jpg", tmp_path / "diagram.jpg"),
        "diagram_turned": shutil.copy(FIXTURES / "page_photographed_diagram_turned.jpg", tmp_path / "diagram_turned.jpg"),
        # Three quarters pure white by design, with black shadows: a product shot, not overexposed.
        "product": shutil.copy(FIXTURES / "product_on_white.jpg", tmp_path / "product.jpg"),
        # A night sky over a village: nearly all of it black, but its stars, windows and lamp are
        # bright (the brightest 1% at grey 206). Dark by nature, and nothing is lost to see.
        "night": shutil.copy(FIXTURES / "photo_night.jpg", tmp_path / "night.jpg"),
        # A pale picture (ice, mist): nothing darker than 185, but its brightest pixels stay light
        # grey (99.9% under 244). Light by nature, not washed out; once they reach white, it is.
        "pale": shutil.copy(FIXTURES / "photo_pale.jpg", tmp_path / "pale.jpg"),
        "pale_white": shutil.copy(FIXTURES / "photo_pale_white.jpg", tmp_path / "pale_white.jpg"),
        # A photo underexposed (gamma 1.4, gain 0.22): its highlights went down with the rest.
        "underexposed": shutil.copy(FIXTURES / "photo_underexposed.jpg", tmp_path / "underexposed.jpg"),
        "truncated_jpeg": cut(FIXTURES / "photo.jpg", tmp_path / "truncated.jpg"),
        # A GIF is decoded (its first frame), not skipped as "not an image", whatever its name says:
        # PIL reads it for the training loop. Cut off, it lacks its trailer.
        "gif": shutil.copy(FIXTURES / "photo_pixels_animated.gif", tmp_path / "animated.gif"),
        "gif_named_jpg": shutil.copy(FIXTURES / "photo_pixels_grey.gif", tmp_path / "grey_gif.jpg"),
        "truncated_gif": cut(FIXTURES / "photo_pixels.gif", tmp_path / "truncated.gif", keep=0.5),
        # A phone's HEIC and an AVIF are decoded by libheif; a HEIC cut off is said so.
        "heic": shutil.copy(FIXTURES / "photo_pixels.heic", tmp_path / "phone.heic"),
        "avif": shutil.copy(FIXTURES / "photo_pixels.avif", tmp_path / "photo.avif"),
        "truncated_heic": cut(FIXTURES / "photo_pixels.heic", tmp_path / "truncated.heic", keep=0.5),
        "rotated": with_exif_orientation(FIXTURES / "receipt.jpg", tmp_path / "rotated.jpg", 6),
        "tiny": png(tmp_path / "tiny.png", 60, 40, textured),
        # Under the minimum size, too small is all that is said: its exposure, detail and blur are
        # measured over too few pixels to be judged against the bars.
        "tiny_washed": png(tmp_path / "tiny_washed.png", 60, 40, lambda x, y: 236 + (x * y) % 19),
        "tiny_flat": png(tmp_path / "tiny_flat.png", 40, 60, lambda x, y: 128),
        "dark": png(tmp_path / "dark.png", 200, 200, lambda x, y: (x * y) % 25),
        "flat": png(tmp_path / "flat.png", 200, 200, lambda x, y: 128),
        # Dim and without any detail (a lens cap, a frame of nothing): blank is the news, not dark.
        "dark_blank": png(tmp_path / "dark_blank.png", 200, 200, lambda x, y: 20 + (x + y) // 40),
        # A dim photo with its lights (mean 35, half its pixels black) is a night, not a fault.
        "dim": png(tmp_path / "dim.png", 200, 200, lambda x, y: 200 if (x // 25 + y // 25) % 9 == 0 and (x + y) % 2 == 0 else textured(x, y) % 56),
        # ...unless it is nearly black: then that it is black is the news.
        "black_blank": png(tmp_path / "black_blank.png", 200, 200, lambda x, y: 8 + (x + y) // 60),
        "washed_out": png(tmp_path / "washed.png", 200, 200, lambda x, y: 236 + (x * y) % 19),
        "strip": png(tmp_path / "strip.png", 1800, 120, textured),
        "bomb": png(tmp_path / "bomb.png", 10, 10, textured, claimed=(60000, 60000)),
        "empty": tmp_path / "empty.jpg",
        "text": tmp_path / "notes.txt",
    }
    files["empty"].write_bytes(b"")
    files["text"].write_text("not an image\n")
    data = (tmp_path / "tiny.png").read_bytes()
    files["truncated_png"] = tmp_path / "truncated.png"
    files["truncated_png"].write_bytes(data[: len(data) - 12])
    return {name: str(path) for name, path in files.items()}


EXPECTED = {
    "receipt": set(), "photo": set(), "blurry": {"blurry"}, "small_defocused": {"blurry"}, "soft_sky": set(), "defocused_sky": {"blurry"}, "defocused_far": {"low_information"}, "wall": {"low_information"}, "blown_out": {"overexposed"}, "washed_white": {"overexposed"}, "whited_out": {"overexposed"}, "dim_washed": {"overexposed"}, "blurred_blown_out": {"overexposed"}, "product": set(), "night": set(), "pale": set(), "pale_white": {"overexposed"}, "underexposed": {"dark"}, "small_print": set(), "grey_page": set(), "grey_faint": {"grayscale"}, "grey_gravel": {"grayscale"}, "grey_gravel_washed": {"overexposed"}, "shaken_page": {"blurry"}, "typewriter": set(), "typewriter_upside_down": {"rotated"}, "diagram": set(), "diagram_turned": {"skewed"}, "dark_blank": {"low_information"}, "black_blank": {"dark"}, "dim": set(),
    "truncated_jpeg": {"truncated"}, "gif": set(), "gif_named_jpg": set(), "truncated_gif": {"truncated"}, "heic": set(), "avif": set(), "truncated_heic": {"truncated"}, "rotated": {"exif_rotated"},
    "tiny": {"too_small"}, "tiny_washed": {"too_small"}, "tiny_flat": {"too_small"}, "dark": {"dark"}, "flat": {"low_information"}, "washed_out": {"overexposed"}, "strip": {"odd_aspect_ratio"},
    "bomb": {"too_large"}, "empty": {"unreadable"}, "text": {"unreadable"}, "truncated_png": {"truncated"},
}


def test_each_defect_is_named(client, gallery):
    accepted, rejected = client.filter_images(list(gallery.values()))
    for name, path in gallery.items():
        issues = {reason["issue"] for reason in rejected.get(path, []) if reason["severity"] != "info"}
        assert issues == EXPECTED[name], (name, rejected.get(path))
        assert (path in accepted) == (not EXPECTED[name])
    bomb = rejected[gallery["bomb"]][0]
    assert bomb["score"] == 60000 * 60000 and "not decoded" in bomb["detail"]


def test_thresholds_are_parameters(client, gallery):
    accepted, rejected = client.filter_images([gallery["tiny"], gallery["blurry"]], min_resolution=32, blur_threshold=1)
    assert accepted == [gallery["tiny"], gallery["blurry"]] and rejected == {}
    # The blur effect has its own threshold: past what the defocused photo reaches, it passes.
    accepted, rejected = client.filter_images([gallery["small_defocused"]], blur_effect=0.9)
    assert accepted == [gallery["small_defocused"]] and rejected == {}
    # So has defocus past any detail: at a bar of 0 the check is off, and the photo passes.
    accepted, rejected = client.filter_images([gallery["defocused_far"]], min_coarse_detail=0)
    assert accepted == [gallery["defocused_far"]] and rejected == {}
    # The same bar says when a faint gradient is smooth enough to be nearly uniform.
    [reason] = client.filter_images([gallery["wall"]])[1][gallery["wall"]]
    assert reason["threshold"] == 0.03 and reason["score"] < 0.03 and "faint gradient" in reason["detail"]
    accepted, rejected = client.filter_images([gallery["wall"]], min_coarse_detail=0)
    assert accepted == [gallery["wall"]] and rejected == {}
    # And the share of pure white that makes a picture with no true black overexposed.
    [reason] = client.filter_images([gallery["blown_out"]])[1][gallery["blown_out"]]
    assert reason["issue"] == "overexposed" and reason["threshold"] == 0.15 and 0.2 < reason["score"] < 0.35
    # Its table's blacks are lifted too: past the blown-out share, it is held to the lifted one.
    [reason] = client.filter_images([gallery["blown_out"]], overexposed_clipped_share=0.5)[1][gallery["blown_out"]]
    assert reason["threshold"] == 0.05 and "blacks lifted" in reason["detail"]
    accepted, rejected = client.filter_images(
        [gallery["blown_out"]], overexposed_clipped_share=0.5, overexposed_lifted_share=0.5)
    assert accepted == [gallery["blown_out"]] and rejected == {}
    # A picture that lost its colour too is held to half its pixels white, or to that bar if higher.
    [reason] = client.filter_images([gallery["washed_white"]])[1][gallery["washed_white"]]
    assert reason["issue"] == "overexposed" and reason["threshold"] == 0.5 and reason["score"] > 0.8
    accepted, rejected = client.filter_images([gallery["washed_white"]], overexposed_clipped_share=0.9)
    assert accepted == [gallery["washed_white"]] and rejected == {}
    # With its blacks lifted, a twentieth of it at white is enough; the share is a threshold too.
    [reason] = client.filter_images([gallery["dim_washed"]])[1][gallery["dim_washed"]]
    assert reason["issue"] == "overexposed" and reason["threshold"] == 0.05 and 0.07 < reason["score"] < 0.15
    assert "blacks lifted" in reason["detail"]
    accepted, rejected = client.filter_images([gallery["dim_washed"]], overexposed_lifted_share=0.2)
    assert accepted == [gallery["dim_washed"]] and rejected == {}
    # A dark image must have lost its highlights too: the level of its brightest 1% is a bar.
    [reason] = client.filter_images([gallery["underexposed"]])[1][gallery["underexposed"]]
    assert reason["issue"] == "dark" and reason["threshold"] == 30 and "highlights (the brightest 1%) at grey" in reason["detail"]
    accepted, rejected = client.filter_images([gallery["underexposed"]], dark_highlight=40)
    assert accepted == [gallery["underexposed"]] and rejected == {}
    [reason] = client.filter_images([gallery["night"]], dark_highlight=255)[1][gallery["night"]]
    assert reason["issue"] == "dark"
    with pytest.raises(RPCError) as error:
        client.filter_images([gallery["tiny"]], blur=3)
    assert error.value.code == -32602 and error.value.data["field"] == "thresholds.blur"
    with pytest.raises(RPCError) as error:
        client.call("audit.filter", paths="x.jpg")
    assert error.value.data["field"] == "paths"

    folder = os.path.dirname(gallery["tiny"])
    only = client.call("audit.run", path=folder, checks=["too_small", "duplicate"])
    assert set(only["counts"]) == {"too_small"} and {f["issue"] for f in only["findings"]} == {"too_small"}
    everything = client.call("audit.run", path=folder)
    assert {"too_small", "blurry", "truncated"} <= set(everything["counts"])  # another question, not a copy of the last answer
    with pytest.raises(RPCError) as error:
        client.call("audit.run", path=folder, checks=["fuzzy"])
    assert error.value.code == -32602 and error.value.data["field"] == "checks"


def test_hostile_files_are_answered_and_the_server_keeps_serving(client, tmp_path):
    paths = [str(hostile(tmp_path / f"hostile{seed}.{'jpg' if seed % 2 == 0 else 'png'}", seed)) for seed in range(60)]
    accepted, rejected = client.filter_images(paths)
    assert accepted == [] and set(rejected) == set(paths)
    for reasons in rejected.values():
        assert {reason["issue"] for reason in reasons} <= {"unreadable", "truncated", "too_large"}
    assert client.call("initialize")["serverInfo"]["name"] == "runclinic"


def test_opencv_runs_in_worker_processes_never_in_the_server(binary, db, gallery):
    with Client.spawn(db=db, binary=binary) as client:
        client.call("initialize")
        maps = f"/proc/{client.process.pid}/maps"
        accepted, _ = client.filter_images([gallery["photo"]])
        assert accepted == [gallery["photo"]]
        assert "libopencv" not in open(maps).read()


def test_a_folder_audit_finds_duplicates_and_reuses_what_did_not_change(client, gallery, tmp_path):
    nested = tmp_path / "nested" / "deeper"
    nested.mkdir(parents=True)
    shutil.copy(gallery["photo"], nested / "photo_copy.jpg")  # byte-identical
    scene = lambda x, y: (x * 255 // 300 + (60 if (x - 150) ** 2 + (y - 100) ** 2 < 2500 else 0)) % 256
    png(tmp_path / "nested" / "original.png", 300, 200, scene)
    png(tmp_path / "nested" / "shifted.png", 300, 200, lambda x, y: min(255, scene(x, y) + 6))  # brighter copy
    (tmp_path / "nested" / "loop").symlink_to(tmp_path, target_is_directory=True)  # a symlink loop
    (tmp_path / "README.md").write_text("not an image")
    first = client.call("audit.run", path=str(tmp_path))
    assert first["images"] == len(gallery) - 1 + 3  # notes.txt is skipped by name; the copies are new
    assert first["reused"] == 0
    assert str(tmp_path / "README.md") in first["skipped"] and gallery["text"] in first["skipped"]
    duplicates = [f for f in first["findings"] if f["issue"] == "duplicate"]
    assert [(f["path"], f["group"]) for f in duplicates] == [(str(nested / "photo_copy.jpg"), gallery["photo"])] or \
        [(f["group"], f["path"]) for f in duplicates] == [(str(nested / "photo_copy.jpg"), gallery["photo"])]
    near = [f for f in first["findings"] if f["issue"] == "near_duplicate"]
    pairs = {(f["group"], f["path"]) for f in near}
    assert (str(tmp_path / "nested" / "original.png"), str(tmp_path / "nested" / "shifted.png")) in pairs
    assert (gallery["receipt"], gallery["rotated"]) in pairs  # the same pixels with an EXIF tag
    assert gallery["blurry"] in {f["path"] for f in first["findings"] if f["issue"] == "blurry"}
    assert first["counts"]["truncated"] == 4  # a JPEG, a PNG, a GIF and a HEIC
    second = client.call("audit.run", path=str(tmp_path))
    assert second["reused"] == second["images"] and second["findings_total"] == first["findings_total"]
    page = client.call("audit.findings", audit_id=second["audit_id"], issue="truncated", offset=1, limit=5)
    assert page["total"] == 4 and len(page["findings"]) == 3
    with pytest.raises(RPCError) as error:
        client.call("audit.findings", audit_id=second["audit_id"], issue="fuzzy")
    assert error.value.data["field"] == "issue"


def near_duplicates_among(client, folder, names):
    """The near-duplicate findings of an audit of the fixtures `names` copied into `folder`."""
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    audit = client.call("audit.run", path=str(folder))
    return [f for f in audit["findings"] if f["issue"] == "near_duplicate"]


def assert_only_pair(near, folder, copy, original, threshold, how=None):
    """`near` holds one finding: `copy` looks like `original`, within `threshold`, told `how`."""
    assert [(f["path"], f["group"]) for f in near] == [(str(folder / copy), str(folder / original))]
    assert near[0]["threshold"] == threshold and 0 <= near[0]["score"] <= threshold
    assert how is None or how in near[0]["detail"]


def test_a_cropped_copy_is_found_by_its_keypoints(client, tmp_path):
    # A photographed page and its copy cut by 8%, resized to 70% and re-encoded at quality 45:
    # every cell of the whole-frame thumbnail moves, so only keypoints can align the pair.
    near = near_duplicates_among(client, tmp_path, (
        "page_photographed.jpg", "page_photographed_cropped.jpg", "photo.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "page_photographed_cropped.jpg", "page_photographed.jpg",
                     0.26, "keypoints agree on a crop of it")
    # With one more image the dataset-wide checks run again, on the stored keypoints: the same pair.
    shutil.copy(FIXTURES / "receipt_skewed.jpg", tmp_path / "receipt_skewed.jpg")
    again = client.call("audit.run", path=str(tmp_path))
    assert again["reused"] == 5 and again["images"] == 6
    assert [(f["path"], f["group"]) for f in again["findings"] if f["issue"] == "near_duplicate"] == \
        [(f["path"], f["group"]) for f in near]


def test_a_cropped_copy_of_a_soft_picture_is_found_by_its_aligned_thumbnails(client, tmp_path):
    # A defocused photo has a handful of keypoints: too few to vouch for a crop, but enough to align
    # the copy (cut by up to 5%, darkened), whose thumbnail then matches as an uncropped copy's must.
    near = near_duplicates_among(client, tmp_path, (
        "photo_small_defocused.jpg", "photo_small_defocused_cropped.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "photo_small_defocused_cropped.jpg", "photo_small_defocused.jpg",
                     0.1, "keypoints agree on a crop of it")


def test_a_cropped_copy_of_a_smooth_picture_is_found_by_laying_one_over_the_other(client, tmp_path):
    # A soft abstract wallpaper has 4 keypoints: none can align its copy (cut by up to 5%,
    # brightened, re-encoded), whose thumbnail cells all moved. Laid over a crop of the original,
    # the thumbnails agree; the photo, receipt and page beside them match nothing.
    near = near_duplicates_among(client, tmp_path, (
        "photo_soft_wallpaper.jpg", "photo_soft_wallpaper_cropped.jpg", "photo.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "photo_soft_wallpaper_cropped.jpg", "photo_soft_wallpaper.jpg",
                     0.07, "laid over a crop of it")


def test_a_crop_whose_hashes_moved_far_is_found_through_its_perceptual_hash(client, tmp_path):
    # A night scene cut by a tenth at the top and resized: its difference and average hashes moved
    # 25 bits, too far to be aligned on their word, but the lowest frequencies of its thumbnail
    # hardly moved, and its keypoints, few but enough, align it untilted.
    near = near_duplicates_among(client, tmp_path, (
        "photo_night.jpg", "photo_night_cropped.jpg", "photo.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "photo_night_cropped.jpg", "photo_night.jpg",
                     0.1, "keypoints agree on a crop of it")


def test_a_small_copy_of_a_textured_picture_is_matched_by_keypoints_at_one_size(client, tmp_path):
    # Fine texture resized to 64% (218 px) at JPEG quality 33: its thumbnail drifts past 0.1, and
    # keypoints found at each image's own size (one pyramid level) did not match. Both brought to
    # the same 320 px frame, they align, and the thumbnails agree where both show the same.
    near = near_duplicates_among(client, tmp_path, (
        "photo_textured.jpg", "photo_textured_copy.jpg", "photo.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "photo_textured_copy.jpg", "photo_textured.jpg",
                     0.1, "keypoints agree on a crop of it")


def test_a_copy_of_a_misty_picture_is_found(client, tmp_path):
    # Mist leaves a picture a few grey levels (1.35 bits of histogram entropy) and no edges, but
    # its layout still spans 24 levels: its resized, darkened copy is a copy, and neither is
    # taken for the photo it was made from.
    near = near_duplicates_among(client, tmp_path, (
        "photo_misty.png", "photo_misty_copy.png", "photo.jpg", "receipt.jpg", "page.jpg"))
    assert_only_pair(near, tmp_path, "photo_misty_copy.png", "photo_misty.png", 0.1)


def scanned_page(brightness, seed=5):
    """A scanned page of word-like ink blocks on noisy paper (numpy array), brightened by `brightness`."""
    import numpy

    rng = numpy.random.default_rng(seed)
    paper = 236 + rng.normal(0, 2.5, (1000, 760))
    ink = numpy.zeros_like(paper, dtype=bool)
    for line in range(40, 960, 26):
        x = 50
        while x < 700:
            width = int(rng.integers(20, 90))
            ink[line:line + 12, x:min(710, x + width)] = rng.random((12, min(710, x + width) - x)) < 0.55
            x += width + int(rng.integers(8, 16))
    return numpy.clip(numpy.where(ink, 45, paper) + brightness, 0, 255)


def test_a_page_brightened_until_its_paper_clips_is_still_a_copy(client, tmp_path):
    # Brightened by 22 levels, the paper clips to white: almost no histogram entropy is left, but
    # all the text is, so the copy is still compared with its original.
    png_array(tmp_path / "page_scanned.png", scanned_page(0))
    png_array(tmp_path / "page_scanned_brighter.png", scanned_page(22))
    audit = client.call("audit.run", path=str(tmp_path))
    near = [(f["path"], f["group"]) for f in audit["findings"] if f["issue"] == "near_duplicate"]
    assert near == [(str(tmp_path / "page_scanned_brighter.png"), str(tmp_path / "page_scanned.png"))]

def all_findings(client, audit_id):
    """Every finding of an audit, paged through audit.findings."""
    found, offset = set(), 0
    while True:
        page = client.call("audit.findings", audit_id=audit_id, offset=offset, limit=3)
        found |= {(f["path"], f["issue"], f.get("group")) for f in page["findings"]}
        offset += len(page["findings"])
        if not page["findings"] or offset >= page["total"]:
            return found


def test_a_reaudit_after_a_change_finds_what_a_fresh_audit_finds(binary, client, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    scene = lambda x, y: (x * 255 // 300 + (60 if (x - 150) ** 2 + (y - 100) ** 2 < 2500 else 0)) % 256
    other = lambda x, y: (y * 255 // 200 + (90 if abs(x - 60) < 30 else 0)) % 256
    png(folder / "a.png", 300, 200, scene)
    png(folder / "b.png", 300, 200, lambda x, y: min(255, scene(x, y) + 6))  # a brighter copy of a
    png(folder / "c.png", 300, 200, other)
    shutil.copy(FIXTURES / "photo.jpg", folder / "photo.jpg")
    first = client.call("audit.run", path=str(folder))
    before = all_findings(client, first["audit_id"])
    assert (str(folder / "b.png"), "near_duplicate", str(folder / "a.png")) in before
    again = client.call("audit.run", path=str(folder))
    assert again["reused"] == again["images"] == 4 and all_findings(client, again["audit_id"]) == before
    # b becomes its own picture; the photo gets a byte-identical twin.
    png(folder / "b.png", 300, 200, lambda x, y: (x * y) % 256)
    shutil.copy(folder / "photo.jpg", folder / "photo_twin.jpg")
    changed = client.call("audit.run", path=str(folder))
    after = all_findings(client, changed["audit_id"])
    assert changed["reused"] == 3 and changed["images"] == 5
    assert not any(issue == "near_duplicate" and path == str(folder / "b.png") for path, issue, _ in after)
    assert (str(folder / "photo_twin.jpg"), "duplicate", str(folder / "photo.jpg")) in after
    with Client.spawn(db=tmp_path / "fresh.db", binary=binary) as fresh:
        assert all_findings(fresh, fresh.call("audit.run", path=str(folder))["audit_id"]) == after


def test_a_folder_audit_reports_progress_and_can_be_cancelled(binary, db, gallery, tmp_path):
    from runclinic.framing import loads
    import subprocess
    server = subprocess.Popen([binary, "serve", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        request = {"jsonrpc": "2.0", "id": 1, "method": "audit.run", "params": {"path": str(tmp_path), "workDoneToken": "a1"}}
        import json
        server.stdin.write((json.dumps(request) + "\n").encode())
        server.stdin.flush()
        kinds = []
        while True:
            message = loads(server.stdout.readline())
            if message.get("method") == "$/progress":
                kinds.append(message["params"]["value"]["kind"])
            else:
                assert message["id"] == 1 and message["result"]["images"] > 0
                break
        assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
        cancel = {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 2}}
        request = {"jsonrpc": "2.0", "id": 2, "method": "audit.run", "params": {"path": str(tmp_path)}}
        server.stdin.write((json.dumps(request) + "\n" + json.dumps(cancel) + "\n").encode())
        server.stdin.flush()
        assert loads(server.stdout.readline())["error"]["code"] == -32800
    finally:
        server.stdin.close()
        server.wait(10)


def test_the_config_files_audit_section_sets_the_defaults(binary, db, gallery, tmp_path):
    config = tmp_path / "runclinic.yaml"
    config.write_text("audit:\n  blur_threshold: 1\n  min_resolution: 32\n")
    with Client.spawn(db=db, binary=binary, args=["--config", str(config)]) as client:
        accepted, rejected = client.filter_images([gallery["blurry"], gallery["tiny"]])
        assert accepted == [gallery["blurry"], gallery["tiny"]]
        # A request's own thresholds still win.
        accepted, rejected = client.filter_images([gallery["blurry"]], blur_threshold=100)
        assert list(rejected) == [gallery["blurry"]]
    config.write_text("audit:\n  blur: 1\n")
    import subprocess
    refused = subprocess.run([binary, "serve", "--db", str(db), "--config", str(config)], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "audit.blur" in refused.stderr
