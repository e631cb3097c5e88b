"""Builds the labelled image dataset the audit bench grades every tool on.

Real photographs (the wallpapers Debian ships in mate-backgrounds and lomiri-wallpapers, cut into
tiles that do not overlap), receipts and pages rendered with real fonts (DejaVu), and every
defect the audit knows planted at known files. Natural confounders stay in: white pages, tall and
thin receipts, receipts that share a layout, slightly skewed scans (under the 15 degree limit).

    python bench/audit_dataset.py OUT_DIR [--count 2000] [--seed 7]

writes OUT_DIR/images/* and OUT_DIR/labels.json ({file: [issues]}; clean files have []).
"""

import argparse
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# The photographs among Debian's wallpapers (the rest are drawings and gradients).
PHOTO_PACKAGES = ["mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "plasma-workspace-wallpapers"]
# KDE ships each wallpaper at many sizes; its photographs, at their largest size.
PLASMA_PHOTOS = {"BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey", "Kite",
                 "OneStandsOut", "Path", "summer_1am"}
DRAWINGS = {"analogpattern_by_Peter_Nerlich.jpg", "Fossa_by_Jasper_Roks.jpg", "Infinite-Sea_by_Aury88.jpg",
            "Painting-Colors_by__herobrine7gamer.jpg"}
WORDS = ("total tax cash change card visa coffee milk bread apple banana rice pasta soap tea juice water eggs "
         "butter cheese chicken beef salad soup sandwich cookie cake tomato onion garlic pepper salt sugar "
         "flour oil vinegar lemon orange grape melon yogurt cereal honey jam ham bacon fish shrimp tofu").split()
PROSE = ("the of and to in is was that for it with as his on be at by had are but from or have an they which "
         "one you were all her she there would their we him been has when who will no more if out so up said what "
         "its about than into them can only other time new some could these two may first then do any like my now "
         "over such our man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people how too little state good very make world still "
         "own see men work long get here between both life being under never day same another know while last").split()


def photo_sources(cache: Path) -> list:
    """Debian's wallpaper packages, downloaded and unpacked once (apt-get download needs no root)."""
    unpacked = cache / "root"
    marker = cache / ".unpacked"
    if not marker.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", *PHOTO_PACKAGES], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for deb in cache.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        marker.touch()
    photos = []
    for path in sorted(unpacked.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png") or path.stat().st_size < 50_000:
            continue
        if "/mate/" in str(path) and "/nature/" not in str(path) or path.name in DRAWINGS:
            continue
        if "/wallpapers/" in str(path):
            parts = path.parts
            name = parts[parts.index("wallpapers") + 1]
            if name not in PLASMA_PHOTOS or "/images/" not in str(path) or path.name not in ("2560x1600.jpg", "3200x2000.jpg"):
                continue
        photos.append(path)
    return photos


def photo_tiles(sources: list, rng: random.Random, count: int) -> list:
    """Non-overlapping tiles of 600-2000 px from each photograph, so no two are near-duplicates."""
    tiles = []
    for source in sources:
        image = Image.open(source).convert("RGB")
        width, height = image.size
        side = rng.choice([600, 650, 700, 800, 900])
        if min(width, height) < side:
            side = min(width, height)
        across, down = width // side, height // side
        for row in range(down):
            for column in range(across):
                box = (column * side, row * side, (column + 1) * side, (row + 1) * side)
                tile = image.crop(box)
                # Some tiles are kept large, some scaled down, some made rectangular.
                shape = rng.random()
                if shape < 0.3:
                    tile = tile.resize((side, int(side * 0.75)), Image.LANCZOS)
                elif shape < 0.45:
                    tile = tile.resize((side * 3 // 2, side * 3 // 2), Image.LANCZOS)
                # A tile of sky or shadow is itself flat, dark or bright: not a clean photo.
                # A tile wholly out of focus is a blurry image, not a clean one: keep tiles with an
                # in-focus edge (neighbouring pixels 24 grey levels apart in the top 0.5%).
                grey = np.asarray(tile.convert("L"), dtype=np.float32)
                steps = np.abs(np.diff(grey, axis=1))
                # A grey photograph in a colour file is a "grayscale" image, not a clean one.
                rgb = np.asarray(tile, dtype=np.int16)
                colour = (np.abs(rgb[..., 0] - rgb[..., 1]).mean() + np.abs(rgb[..., 1] - rgb[..., 2]).mean()) / 2
                if grey.std() >= 20 and 50 <= grey.mean() <= 210 and np.percentile(steps, 99.5) >= 24 and colour >= 5:
                    tiles.append(tile)
    rng.shuffle(tiles)
    originals = list(tiles)
    # Mirrored and flipped tiles are new images to every hash (each transform used once per tile).
    for transform in (Image.FLIP_LEFT_RIGHT, Image.FLIP_TOP_BOTTOM, Image.ROTATE_180, Image.ROTATE_90, Image.ROTATE_270,
                      Image.TRANSPOSE, Image.TRANSVERSE):
        for tile in originals:
            if len(tiles) >= count:
                return tiles
            tiles.append(tile.transpose(transform))
    return tiles[:count]


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def receipt(rng: random.Random) -> Image.Image:
    """A till receipt: header, dated, items with right-aligned prices, totals, tall and thin."""
    width = rng.randint(480, 820)
    mono = rng.random() < 0.6
    size = rng.randint(20, 30)
    face = font("DejaVuSansMono.ttf" if mono else "DejaVuSans.ttf", size)
    bold = font("DejaVuSansMono-Bold.ttf" if mono else "DejaVuSans-Bold.ttf", int(size * 1.3))
    items = rng.randint(8, 40)
    line = int(size * rng.uniform(1.3, 1.7))
    height = line * (items + 14) + 120
    paper = rng.randint(228, 252)
    image = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(image)
    y = 40
    store = " ".join(rng.choice(WORDS).upper() for _ in range(rng.randint(1, 2)))
    draw.text((width // 2, y), store, fill=rng.randint(0, 40), font=bold, anchor="mt")
    y += int(line * 1.6)
    draw.text((width // 2, y), f"{rng.randint(1, 999)} {rng.choice(WORDS).title()} Street", fill=30, font=face, anchor="mt")
    y += line
    draw.text((30, y), f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
              fill=30, font=face)
    y += line * 2
    total = 0.0
    ink = rng.randint(0, 60)
    for _ in range(items):
        price = rng.uniform(0.5, 40)
        total += price
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        draw.text((30, y), name[: max(6, width // (size * 2))], fill=ink, font=face)
        draw.text((width - 30, y), f"{price:.2f}", fill=ink, font=face, anchor="ra")
        y += line
    draw.line((30, y, width - 30, y), fill=ink, width=2)
    y += line // 2
    for label, value in (("SUBTOTAL", total), ("TAX", total * 0.08), ("TOTAL", total * 1.08)):
        draw.text((30, y), label, fill=ink, font=face)
        draw.text((width - 30, y), f"{value:.2f}", fill=ink, font=face, anchor="ra")
        y += line
    y += line
    draw.text((width // 2, y), "THANK YOU", fill=ink, font=face, anchor="mt")
    return scanned(image, rng)


def page(rng: random.Random) -> Image.Image:
    """A printed page: a heading and paragraphs of prose; some pages are nearly blank."""
    width = rng.choice([850, 1000, 1240, 1400])
    height = int(width * 1.414)
    image = Image.new("L", (width, height), rng.randint(235, 252))
    draw = ImageDraw.Draw(image)
    size = max(14, width // rng.randint(45, 60))
    body = font(rng.choice(["DejaVuSerif.ttf", "DejaVuSans.ttf"]), size)
    heading = font("DejaVuSans-Bold.ttf", int(size * 1.8))
    margin = width // 10
    draw.text((margin, margin), " ".join(rng.choice(PROSE).title() for _ in range(rng.randint(2, 5))), fill=10, font=heading)
    y = margin + int(size * 3.5)
    lines = rng.randint(2, 6) if rng.random() < 0.12 else 10_000  # nearly blank pages: a white-page confounder
    written = 0
    while y < height - margin and written < lines:
        words, text = rng.randint(6, 14), []
        while draw.textlength(" ".join(text), font=body) < width - 2 * margin - size * 6 and len(text) < 40:
            text.append(rng.choice(PROSE))
        draw.text((margin, y), " ".join(text), fill=rng.randint(0, 40), font=body)
        y += int(size * (2.6 if rng.random() < 0.1 else 1.45))
        written += 1
    return scanned(image, rng)


def scanned(image: Image.Image, rng: random.Random) -> Image.Image:
    """A scanner's look: a slight tilt (under 5 degrees), a little blur and sensor noise."""
    if rng.random() < 0.5:
        image = image.rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, expand=True, fillcolor=int(np.asarray(image)[0, 0]))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    pixels = np.asarray(image).astype(np.float32)
    pixels += np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(1, 4), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg_bytes(image: Image.Image, quality: int, exif: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif) if exif else image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def exif_orientation(value: int) -> bytes:
    """A minimal EXIF block (big-endian TIFF) holding one Orientation tag."""
    return b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01" + struct.pack(">HHIHH", 0x0112, 3, 1, value, 0) + b"\x00\x00\x00\x00"


def bomb_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def bomb_jpeg(template: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 frame header claims another size."""
    data = bytearray(template)
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def build(out: Path, count: int, seed: int) -> dict:
    rng = random.Random(seed)
    images = out / "images"
    if images.exists():
        shutil.rmtree(images)
    images.mkdir(parents=True)
    labels = {}

    def write(name: str, data: bytes, issues=()):
        (images / name).write_bytes(data)
        labels[name] = sorted(set(issues))

    def save(name: str, image: Image.Image, issues=(), quality=None):
        if name.endswith(".png"):
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=3)
            write(name, buffer.getvalue(), issues)
        else:
            write(name, jpeg_bytes(image, quality or rng.randint(80, 95)), issues)

    sources = photo_sources(out / "debian-wallpapers")
    # Shares of the dataset: receipts 55%, pages 17%, photos 28% (some PNG), before defects.
    n_receipts, n_pages = int(count * 0.55), int(count * 0.17)
    n_photos = count - n_receipts - n_pages
    photos = photo_tiles(sources, rng, n_photos)
    receipts = [receipt(rng) for _ in range(n_receipts)]
    pages = [page(rng) for _ in range(n_pages)]
    documents = receipts + pages

    # Planted defects take the place of clean images, so the dataset keeps `count` files.
    plan = {
        "unreadable": 24, "truncated": 24, "too_large": 20, "too_small": 20, "odd_aspect_ratio": 20,
        "blurry": 30, "dark": 25, "overexposed": 25, "low_information": 20, "grayscale": 20,
        "exif_rotated": 20, "rotated": 30, "skewed": 30, "duplicate": 20, "near_duplicate": 20,
    }
    photo_at = iter(range(len(photos)))
    doc_at = iter(range(len(documents)))
    used_photos, used_docs = set(), set()

    def take_photo():
        index = next(photo_at)
        used_photos.add(index)
        return photos[index]

    def take_doc():
        index = next(doc_at)
        used_docs.add(index)
        return documents[index]

    serial = iter(range(100_000))
    def name(extension: str) -> str:
        return f"img_{rng.randint(0, 10**6):06d}_{next(serial):05d}.{extension}"

    for _ in range(plan["unreadable"] // 3):
        write(name("jpg"), b"", ["unreadable"])
        write(name("jpg"), ("<html><body>not an image " + "x" * rng.randint(10, 900) + "</body></html>").encode(), ["unreadable"])
        write(name("png"), bytes(rng.getrandbits(8) for _ in range(rng.randint(100, 5000))), ["unreadable"])
    for index in range(plan["truncated"]):
        source = take_doc() if index % 2 else take_photo()
        if index % 3 == 0:
            buffer = io.BytesIO()
            source.save(buffer, "PNG", compress_level=3)
            data = buffer.getvalue()
            write(name("png"), data[: int(len(data) * rng.uniform(0.5, 0.9))], ["truncated"])
        else:
            data = jpeg_bytes(source, 90)
            write(name("jpg"), data[: int(len(data) * rng.uniform(0.5, 0.9))], ["truncated"])
    template = jpeg_bytes(photos[0].resize((64, 48)), 80)
    for index in range(plan["too_large"]):
        width, height = rng.randint(15_000, 60_000), rng.randint(15_000, 60_000)
        write(name("png") if index % 2 else name("jpg"), bomb_png(width, height) if index % 2 else bomb_jpeg(template, width, height),
              ["too_large"])
    for _ in range(plan["too_small"]):
        source = take_photo()
        side = rng.randint(32, 90)
        # Also far outside the dataset's size distribution.
        save(name("jpg"), source.resize((side, int(side * rng.uniform(0.7, 1.0)))), ["too_small", "odd_size"])
    def in_focus(image: Image.Image) -> bool:
        grey = np.asarray(image.convert("L"), dtype=np.float32)
        return grey.std() >= 20 and np.percentile(np.abs(np.diff(grey, axis=1)), 99.5) >= 24

    # Strips cut at the photo's own scale (no resampling blur), where they are in focus; a wide
    # photo may give several (its rows differ).
    wide = [index for index, photo in enumerate(photos) if photo.size[0] >= 900 and index not in used_photos]
    strips = 0
    for index in wide:
        source = photos[index]
        width = source.size[0]
        height = max(100, width // rng.randint(10, 13))
        for top in range(0, source.size[1] - height, height):
            strip = source.crop((0, top, width, top + height))
            if strips < plan["odd_aspect_ratio"] and in_focus(strip):
                used_photos.add(index)
                save(name("jpg"), strip, ["odd_aspect_ratio"])
                strips += 1
        if strips >= plan["odd_aspect_ratio"]:
            break
    for index in range(plan["blurry"]):
        source = take_photo() if index % 2 else take_doc()
        save(name("jpg"), source.filter(ImageFilter.GaussianBlur(rng.uniform(4, 8) * max(source.size) / 1000)), ["blurry"])
    for _ in range(plan["dark"]):
        source = np.asarray(take_photo()).astype(np.float32)
        save(name("jpg"), Image.fromarray((source * rng.uniform(0.06, 0.15)).astype(np.uint8)), ["dark"])
    for _ in range(plan["overexposed"]):
        source = np.asarray(take_photo()).astype(np.float32)
        save(name("jpg"), Image.fromarray(np.clip(255 - (255 - source) * rng.uniform(0.05, 0.12) + 10, 0, 255).astype(np.uint8)),
             ["overexposed"])
    for _ in range(plan["low_information"]):
        width, height = rng.choice([(800, 600), (1000, 1000), (640, 900)])
        colour = [rng.randint(20, 235) for _ in range(3)]
        noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 0.8, (height, width, 3))
        save(name("png") if rng.random() < 0.3 else name("jpg"),
             Image.fromarray(np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)), ["low_information"])
    for _ in range(plan["grayscale"]):
        save(name("jpg"), take_photo().convert("L").convert("RGB"), ["grayscale"])
    for _ in range(plan["exif_rotated"]):
        write(name("jpg"), jpeg_bytes(take_photo(), 90, exif_orientation(rng.choice([3, 6, 8]))), ["exif_rotated"])
    for _ in range(plan["rotated"]):
        save(name("jpg"), take_doc().transpose(rng.choice([Image.ROTATE_90, Image.ROTATE_270])), ["rotated"])
    for _ in range(plan["skewed"]):
        source = take_doc()
        angle = rng.choice([-1, 1]) * rng.uniform(18, 40)
        save(name("jpg"), source.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=int(np.asarray(source)[0, 0])),
             ["skewed"])
    # Duplicates and near-duplicates: both members of a pair carry the label.
    for index in range(plan["duplicate"] // 2):
        source = take_photo() if index % 2 else take_doc()
        data = jpeg_bytes(source, 90)
        write(name("jpg"), data, ["duplicate"])
        write(name("jpg"), data, ["duplicate"])
    for index in range(plan["near_duplicate"] // 2):
        source = take_photo() if index % 2 else take_doc()
        save(name("jpg"), source, ["near_duplicate"], quality=92)
        w, h = source.size
        save(name("png") if index % 3 == 0 else name("jpg"), source.resize((int(w * 0.8), int(h * 0.8)), Image.LANCZOS),
             ["near_duplicate"], quality=70)

    # The rest, clean: mostly JPEG, one photo in five as PNG.
    remaining = count - len(labels)
    clean_photos = [photo for index, photo in enumerate(photos) if index not in used_photos]
    clean_docs = [doc for index, doc in enumerate(documents) if index not in used_docs]
    pool = [("photo", p) for p in clean_photos] + [("doc", d) for d in clean_docs]
    rng.shuffle(pool)
    for kind, image in pool[:remaining]:
        extension = "png" if kind == "photo" and rng.random() < 0.2 else "jpg"
        save(name(extension), image, [])
    (out / "labels.json").write_text(json.dumps(labels, indent=0, sort_keys=True))
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    labels = build(arguments.out, arguments.count, arguments.seed)
    planted = sum(1 for issues in labels.values() if issues)
    print(f"{len(labels)} images, {planted} with planted defects, in {arguments.out / 'images'}", file=sys.stderr)


if __name__ == "__main__":
    main()
