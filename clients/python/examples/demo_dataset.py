"""A small receipt dataset for the demo, written with the standard library only (PNG via zlib):
receipt-like document images (dark character marks in text lines on light paper), some of them
turned a quarter, blurred or cut off, as a real validation set might hold."""

import random
import struct
import zlib

WIDTH, HEIGHT = 320, 560


def receipt(seed):
    """A grey receipt: lines of character-sized dark marks on light paper, as rows of bytes. The
    marks stand on a baseline as letters do: most are x-height, a fifth rise above it (b, d, h,
    k, l) and a few hang below it (g, p, y)."""
    rng = random.Random(seed)
    rows = [bytearray([235 + rng.randrange(8)] * WIDTH) for _ in range(HEIGHT)]
    baseline = 42
    while baseline < HEIGHT - 30:
        x = 20 + rng.randrange(10)
        end = WIDTH - 20 - rng.randrange(120)
        while x < end:
            width = 5 + rng.randrange(3)
            if rng.random() < 0.15:  # a space between words
                x += 8
                continue
            shape = rng.random()
            top, bottom = baseline - 7, baseline
            if shape < 0.2:
                top = baseline - 11
            elif shape < 0.27:
                bottom = baseline + 3
            ink = 30 + rng.randrange(40)
            for y in range(top, bottom):
                rows[y][x:x + width] = bytes([ink]) * width
            x += width + 3
        baseline += 22 + rng.randrange(6)
    return rows


def turned(rows):
    """A quarter turn clockwise: the text lines now run down the page."""
    height, width = len(rows), len(rows[0])
    return [bytearray(rows[height - 1 - y][x] for y in range(height)) for x in range(width)]


def blurred(rows, radius=4):
    """A box blur, rows then columns: what an out-of-focus scan looks like."""
    def blur_line(line):
        out, total, size = bytearray(len(line)), 0, 2 * radius + 1
        padded = bytes([line[0]]) * radius + bytes(line) + bytes([line[-1]]) * radius
        total = sum(padded[:size])
        for index in range(len(line)):
            out[index] = total // size
            if index + size < len(padded):
                total += padded[index + size] - padded[index]
        return out
    rows = [blur_line(row) for row in rows]
    columns = [blur_line(bytearray(row[x] for row in rows)) for x in range(len(rows[0]))]
    return [bytearray(column[y] for column in columns) for y in range(len(rows))]


def png(rows):
    """An 8-bit grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def write(folder, batches, batch_size, defects, seed=11):
    """The validation set in fixed batches; `defects` maps a batch to what is wrong with its
    images ('rotated', 'blurry' or 'truncated'). Returns the batches' image paths (relative)."""
    rng = random.Random(seed)
    layout = []
    for batch in range(batches):
        paths = []
        for index in range(batch_size):
            name = f"val/receipt_{batch * batch_size + index:04d}.png"
            rows = receipt(rng.randrange(1 << 30))
            defect = defects.get(batch)
            if defect == "rotated":
                rows = turned(rows)
            elif defect == "blurry":
                rows = blurred(blurred(rows))  # two box blurs: close to a Gaussian
            data = png(rows)
            if defect == "truncated":
                data = data[: len(data) * 3 // 5]
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            paths.append(name)
        layout.append(paths)
    return layout
