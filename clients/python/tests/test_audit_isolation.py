"""A decoder that crashes, or files built to break decoders, cost the server nothing: images are
decoded in worker processes, and the server keeps its live monitor state and keeps serving."""

import random
import shutil
import struct
import zlib

from runclinic import Client
from images import FIXTURES, png, textured


def mutations(source, folder, count, seed=11):
    """Real JPEG and PNG files broken the ways decoders meet in the wild: flipped bytes, cut
    files, repeated and zeroed blocks, lying size fields."""
    rng = random.Random(seed)
    data = source.read_bytes()
    made = []
    for index in range(count):
        mutated = bytearray(data)
        kind = index % 5
        if kind == 0:  # flipped bytes anywhere
            for _ in range(rng.randint(1, 40)):
                mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
        elif kind == 1:  # cut anywhere, even inside the header
            mutated = mutated[: rng.randrange(1, len(mutated))]
        elif kind == 2:  # a block repeated
            start = rng.randrange(len(mutated) - 200)
            mutated[start:start] = mutated[start : start + rng.randint(1, 200)] * rng.randint(1, 50)
        elif kind == 3:  # a block zeroed
            start = rng.randrange(len(mutated) - 500)
            mutated[start : start + rng.randint(1, 500)] = bytes(500)[: len(mutated[start : start + 500])]
        else:  # flipped bytes in the first 600 (markers, tables, size fields)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(min(600, len(mutated)))] = rng.randrange(256)
        path = folder / f"{source.stem}_mutant{index:03d}{source.suffix}"
        path.write_bytes(bytes(mutated))
        made.append(str(path))
    return made


def huge_jpeg(source, target, width, height):
    """A real JPEG whose frame header claims width x height."""
    data = bytearray(source.read_bytes())
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    target.write_bytes(bytes(data))
    return str(target)


def test_a_worker_that_crashes_costs_one_file_not_the_server(binary, db, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo.jpg", folder / "a_photo.jpg")
    shutil.copy(FIXTURES / "photo.jpg", folder / "b_boom.jpg")
    shutil.copy(FIXTURES / "receipt.jpg", folder / "c_receipt.jpg")
    shutil.copy(FIXTURES / "photo_blurred.jpg", folder / "d_blurred.jpg")
    import os
    environment = dict(os.environ, RUNCLINIC_TEST_CRASH_ON="boom")
    with Client.spawn(db=db, binary=binary, env=environment) as client:
        client.call("run.start", name="live", config={"lr": 0.1})
        run = "live"
        for step in range(50):
            client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1)})
        audit = client.call("audit.run", path=str(folder))
        by_path = {}
        for finding in audit["findings"]:
            by_path.setdefault(finding["path"].rsplit("/", 1)[-1], []).append(finding)
        crashed = by_path["b_boom.jpg"]
        assert [f["issue"] for f in crashed] == ["unreadable"] and "crashed" in crashed[0]["detail"]
        assert "signal 6" in crashed[0]["detail"]  # abort()
        # The files after it were judged by a fresh worker.
        assert "blurry" in {f["issue"] for f in by_path.get("d_blurred.jpg", [])}
        assert "a_photo.jpg" not in by_path and "c_receipt.jpg" not in by_path
        # The live run is intact and the monitor still answers.
        assert client.call("monitor.log", run=run, step=50, metrics={"loss": 0.01})["action"] is None
        assert client.call("run.get", run=run)["last_step"] == 50
        accepted, rejected = client.filter_images([str(folder / "b_boom.jpg"), str(folder / "a_photo.jpg")])
        assert accepted == [str(folder / "a_photo.jpg")] and "crashed" in rejected[str(folder / "b_boom.jpg")][0]["detail"]


def test_mutated_real_files_and_lying_headers_are_each_answered(client, tmp_path):
    folder = tmp_path / "fuzz"
    folder.mkdir()
    paths = mutations(FIXTURES / "photo.jpg", folder, 120) + mutations(FIXTURES / "receipt.jpg", folder, 40, seed=5)
    png(folder / "source.png", 120, 90, textured)
    paths += mutations(folder / "source.png", folder, 80, seed=7)
    paths.append(huge_jpeg(FIXTURES / "photo.jpg", folder / "huge.jpg", 60000, 60000))
    paths.append(str(png(folder / "huge.png", 10, 10, textured, claimed=(60000, 60000))))
    audit = client.call("audit.run", path=str(folder), limit=100000)
    assert audit["images"] == len(paths) + 1  # + source.png
    by_path = {}
    for finding in audit["findings"]:
        by_path.setdefault(finding["path"], set()).add(finding["issue"])
    assert by_path[str(folder / "huge.jpg")] == {"too_large"} and by_path[str(folder / "huge.png")] == {"too_large"}
    assert not any("crashed" in f["detail"] for f in audit["findings"])
    # The filter answers for every one of them too, and the server is still there.
    accepted, rejected = client.filter_images(paths)
    assert sorted(accepted + list(rejected)) == sorted(paths)
    assert client.call("initialize")["serverInfo"]["name"] == "runclinic"


def test_documents_turned_or_leaning_are_found_and_a_scan_tilt_is_not(client, tmp_path):
    names = ["receipt.jpg", "receipt_quarter.jpg", "receipt_skewed.jpg", "receipt_tilted.jpg", "photo.jpg",
             "page.jpg", "page_upside_down.jpg", "page_photographed.jpg", "page_photographed_quarter.jpg"]
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / name)
    audit = client.call("audit.run", path=str(tmp_path))
    found = {}
    for finding in audit["findings"]:
        found.setdefault(finding["path"].rsplit("/", 1)[-1], {})[finding["issue"]] = finding
    # A receipt in capitals and digits reads the same either way up: which quarter turn is uncertain.
    assert "rotated" in found["receipt_quarter.jpg"] and "skewed" not in found["receipt_quarter.jpg"]
    assert abs(found["receipt_quarter.jpg"]["rotated"]["score"] - 90) < 3
    assert "uncertain" in found["receipt_quarter.jpg"]["rotated"]["detail"]
    # Lower-case text says which way up it stands, on a scan and on a page photographed on a table.
    upside_down = found["page_upside_down.jpg"]["rotated"]
    assert upside_down["score"] == 180 and "upside down" in upside_down["detail"]
    quarter = found["page_photographed_quarter.jpg"]["rotated"]
    assert quarter["score"] == 90 and "turned a quarter clockwise" in quarter["detail"], quarter
    assert "turn it 90° counter-clockwise" in quarter["detail"]
    skewed = found["receipt_skewed.jpg"]["skewed"]
    assert abs(skewed["score"] - 25) < 2 and skewed["threshold"] == 10 and "counter-clockwise" in skewed["detail"]
    for upright in ("receipt.jpg", "receipt_tilted.jpg", "photo.jpg", "page.jpg", "page_photographed.jpg"):
        assert not {"rotated", "skewed"} & set(found.get(upright, {})), upright
    # Which way up is judged where lower-case text says it (the four pages); the photo and the
    # receipts in capitals and digits do not say, and are counted uncertain, not passed as upright
    # (the leaning receipt's characters read upright to the orientation network, -0.9, but not
    # past its margin of 1.5).
    assert audit["orientation"] == {"judged": 4, "uncertain": 5}, audit["orientation"]
    # The limit is a threshold like the others.
    accepted, rejected = client.filter_images([str(tmp_path / "receipt_tilted.jpg")], max_rotation=4)
    assert [r["issue"] for r in rejected[str(tmp_path / "receipt_tilted.jpg")]] == ["skewed"]


def test_a_page_whose_ink_a_blur_spread_thin_is_blurry_not_washed_out(client, tmp_path):
    # Defocus leaves nothing darker than light grey, as over-exposure does; the edges tell them apart.
    for name in ("page.jpg", "page_blurred.jpg"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    audit = client.call("audit.run", path=str(tmp_path))
    found = {}
    for finding in audit["findings"]:
        found.setdefault(finding["path"].rsplit("/", 1)[-1], {})[finding["issue"]] = finding
    assert set(found.get("page_blurred.jpg", {})) == {"blurry"}, found
    assert "page.jpg" not in found
    # The ratio that tells them apart is a threshold like the others; past it, the page is not
    # washed out either, since none of its paper is clipped (its ink faded, see faded print). The
    # blur effect (its noise keeps some crisp differences) says it is blurry under a lower bar.
    blurred = str(tmp_path / "page_blurred.jpg")
    accepted, rejected = client.filter_images([blurred], blurred_page_ratio=0.01)
    assert accepted == [blurred] and rejected == {}
    accepted, rejected = client.filter_images([blurred], blurred_page_ratio=0.01, blur_effect=0.5)
    assert [r["issue"] for r in rejected[blurred]] == ["blurry"] and "blur effect" in rejected[blurred][0]["detail"]
