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
