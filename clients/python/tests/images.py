"""Test images: PNGs written with the standard library, JPEG variants derived from the fixtures."""

import pathlib
import random
import struct
import zlib

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "Tests" / "Fixtures" / "images"


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, width, height, pixel, claimed=None):
    """A greyscale PNG; pixel(x, y) -> 0..255. `claimed` writes another size in the header only."""
    rows = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(width)) for y in range(height))
    header_width, header_height = claimed or (width, height)
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", header_width, header_height, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b""))
    pathlib.Path(path).write_bytes(data)
    return path


def textured(x, y, seed=3):
    return (x * 7 + y * 13 + ((x * y) % 17) * 9) % 256


def with_exif_orientation(source, target, orientation):
    """Inserts an APP1 Exif segment with the given Orientation right after SOI."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    data = pathlib.Path(source).read_bytes()
    pathlib.Path(target).write_bytes(data[:2] + segment + data[2:])
    return target


def cut(source, target, keep=0.6):
    data = pathlib.Path(source).read_bytes()
    pathlib.Path(target).write_bytes(data[: int(len(data) * keep)])
    return target


def hostile(target, seed):
    """Random bytes behind a JPEG or PNG signature."""
    rng = random.Random(seed)
    signature = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n"][seed % 2]
    pathlib.Path(target).write_bytes(signature + bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 4000))))
    return target


def png_array(path, pixels):
    """A PNG from a numpy array of 0..255: height x width (grey) or height x width x 3 (RGB) or x 4
    (RGBA)."""
    import numpy

    rows = numpy.asarray(pixels, dtype=numpy.uint8)
    height, width = rows.shape[:2]
    colour_type = 0 if rows.ndim == 2 else {3: 2, 4: 6}[rows.shape[2]]
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(height))
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))
    pathlib.Path(path).write_bytes(data)
    return path


# Strokes of five hand-drawn glyphs (x0, y0, x1, y1 in a unit box, y down): alike across a set of
# images, like handwritten digits, and with no text lines for the audit's orientation check.
GLYPHS = [
    [(0.3, 0.1, 0.3, 0.9), (0.3, 0.9, 0.75, 0.9)],                       # L
    [(0.2, 0.1, 0.8, 0.1), (0.8, 0.1, 0.4, 0.9)],                        # 7
    [(0.5, 0.1, 0.5, 0.9), (0.35, 0.25, 0.5, 0.1)],                      # 1
    [(0.3, 0.1, 0.3, 0.9), (0.3, 0.1, 0.75, 0.1), (0.3, 0.5, 0.65, 0.5)],  # F
    [(0.65, 0.1, 0.2, 0.65), (0.2, 0.65, 0.8, 0.65), (0.65, 0.1, 0.65, 0.9)],  # 4
]


def glyph(seed, side=64, turn=0.0, shear=0.0):
    """A page with one glyph in dark ink on uneven paper (numpy array): drawn with a random jitter,
    then turned `turn` degrees about its centre (the page turns with it) or its strokes slanted by
    `shear` (a writer's hand)."""
    import numpy

    rng = numpy.random.default_rng(seed)
    strokes = GLYPHS[seed % len(GLYPHS)]
    ys, xs = numpy.mgrid[0:side, 0:side].astype(numpy.float64)
    u, v = xs / side - 0.5, ys / side - 0.5
    angle = numpy.radians(turn)
    # The point of the upright drawing each pixel shows.
    su = numpy.cos(angle) * u + numpy.sin(angle) * v
    sv = -numpy.sin(angle) * u + numpy.cos(angle) * v
    su = su + shear * sv
    scale = rng.uniform(0.8, 0.95)
    px, py = su / scale + 0.5 + rng.uniform(-0.04, 0.04), sv / scale + 0.5 + rng.uniform(-0.04, 0.04)
    distance = numpy.full((side, side), numpy.inf)
    for x0, y0, x1, y1 in strokes:
        x0, y0, x1, y1 = (c + rng.uniform(-0.04, 0.04) for c in (x0, y0, x1, y1))
        dx, dy = x1 - x0, y1 - y0
        t = numpy.clip(((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = numpy.minimum(distance, numpy.hypot(px - x0 - t * dx, py - y0 - t * dy))
    ink = 1 / (1 + numpy.exp((distance - rng.uniform(0.045, 0.06)) / 0.01))
    paper = rng.uniform(215, 240) + rng.normal(0, 3, (side, side))
    return numpy.clip(paper - ink * (paper - rng.uniform(25, 50)), 0, 255)


def gallery_folder(folder):
    """A folder with one image of several issues: blurred, turned, cut off, and a duplicate."""
    import shutil
    folder.mkdir()
    for name in ["photo.jpg", "photo_blurred.jpg", "receipt.jpg", "receipt_quarter.jpg"]:
        shutil.copy(FIXTURES / name, folder / name)
    shutil.copy(FIXTURES / "photo.jpg", folder / "photo_copy.jpg")
    cut(FIXTURES / "receipt.jpg", folder / "receipt_cut.jpg")
    return folder
