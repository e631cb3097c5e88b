"""Real images for the real-run benchmark: scikit-learn's scanned digits rendered as page scans.

Each 8x8 digit (values 0..16) is upscaled with a smooth (bicubic) filter into a 128x128 grayscale
"scan": pen strokes (a soft threshold of the upscaled intensity, so edges are crisp like ink),
dark ink on slightly uneven paper, a small random placement. The model never sees the arrays
directly: `load_image(path)` reads a file from disk and `preprocess` brings it back down to the
model's 16x16 input, so a file damaged on disk really changes the prediction.

Defects are what broken scanners and preprocessing steps do to files (rotated, dark, blurry,
skewed, overexposed, truncated); writer styles (bold, slanted, thin) are undamaged images that
simply look different from the training data.
"""

import io
import os

import numpy as np
from PIL import Image, ImageFile, ImageFilter

ImageFile.LOAD_TRUNCATED_IMAGES = True  # what most training pipelines set, so a cut-off file decodes in part

SIZE = 128
INPUT = 16  # the model's input is INPUT x INPUT

DEFECTS = ("rotated", "dark", "blurry", "skewed", "overexposed", "truncated")


def load_digits_data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32), digits.target.astype(np.int64)


# Rendering ------------------------------------------------------------------------------------

def render(img8, rng, style=None):
    """One page scan (uint8 SIZE x SIZE) of an 8x8 digit. `style`: None (the ordinary writer),
    or a dict with `bold` (0..1: thicker strokes), `thin`, `slant` (degrees of shear)."""
    style = style or {}
    box = int(rng.integers(100, 118))
    a = np.pad(np.clip(img8 / 16.0, 0, 1), 1)  # a margin of paper around the digit
    up = Image.fromarray((a * 255).astype(np.uint8)).resize((box, box), Image.BICUBIC)
    u = np.asarray(up, dtype=np.float32) / 255.0
    thr = 0.5 + rng.normal(0, 0.03)
    if style.get("bold"):
        thr -= 0.28 * style["bold"]
    if style.get("thin"):
        thr += 0.16 * style["thin"]
    ink = 1.0 / (1.0 + np.exp(-(u - thr) / 0.045))
    canvas = np.zeros((SIZE, SIZE), np.float32)
    off = (SIZE - box) // 2
    dy, dx = rng.integers(-5, 6, size=2)
    y0, x0 = int(np.clip(off + dy, 0, SIZE - box)), int(np.clip(off + dx, 0, SIZE - box))
    canvas[y0:y0 + box, x0:x0 + box] = ink
    if style.get("slant"):
        shear = np.tan(np.radians(style["slant"]))
        im = Image.fromarray((canvas * 255).astype(np.uint8))
        im = im.transform((SIZE, SIZE), Image.AFFINE, (1, shear, -shear * SIZE / 2, 0, 1, 0), resample=Image.BICUBIC)
        canvas = np.asarray(im, dtype=np.float32) / 255.0
    # paper: a slightly uneven sheet with fibre noise; ink a dark blue-black
    base = rng.uniform(226, 246)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    gx, gy = rng.normal(0, 6, size=2)
    paper = base + gx * (xx - 0.5) + gy * (yy - 0.5) + rng.normal(0, 2.5, size=(SIZE, SIZE))
    ink_level = rng.uniform(25, 55)
    page = paper - canvas * (paper - ink_level)
    return np.clip(page, 0, 255).astype(np.uint8)


def apply_defect(page, defect, rng, strength=None):
    """A damaged copy of a page: what a broken preprocessing or storage step writes. Returns a
    uint8 array, or for `truncated` the page unchanged (the cut happens when the file is written)."""
    im = Image.fromarray(page)
    paper = float(np.median(page))
    if defect == "rotated":
        angle = strength or int(rng.choice([90, 180, 270]))
        op = {90: Image.ROTATE_90, 180: Image.ROTATE_180, 270: Image.ROTATE_270}[angle]
        return np.asarray(im.transpose(op))
    if defect == "dark":
        factor = strength or rng.uniform(0.12, 0.28)
        return np.clip(page.astype(np.float32) * factor, 0, 255).astype(np.uint8)
    if defect == "blurry":
        radius = strength or rng.uniform(10, 15)
        return np.asarray(im.filter(ImageFilter.GaussianBlur(radius)))
    if defect == "skewed":
        angle = (strength or rng.uniform(15, 30)) * rng.choice([-1, 1])
        return np.asarray(im.rotate(angle, resample=Image.BICUBIC, fillcolor=int(paper)))
    if defect == "overexposed":
        factor = strength or rng.uniform(0.1, 0.2)
        out = 255.0 - (255.0 - page.astype(np.float32)) * factor
        return np.clip(out + rng.uniform(0, 4), 0, 255).astype(np.uint8)
    if defect == "truncated":
        return page
    raise ValueError(defect)


def encode(page, fmt):
    buffer = io.BytesIO()
    if fmt == "jpg":
        Image.fromarray(page).save(buffer, "JPEG", quality=92)
    else:
        Image.fromarray(page).save(buffer, "PNG")
    return buffer.getvalue()


def write_image(path, page, fmt, truncate=None):
    """Writes a page as PNG or JPEG; with `truncate` (a fraction) only that share of its bytes,
    as an interrupted copy or a full disk leaves it."""
    data = encode(page, fmt)
    if truncate:
        data = data[: max(64, int(len(data) * truncate))]
    tmp = path + ".part"
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


# What the trainer does with a file ------------------------------------------------------------

def preprocess_image(im):
    """PIL image -> the model's input (INPUT*INPUT floats, ink high, paper ~0)."""
    small = im.convert("L").resize((INPUT, INPUT), Image.BOX)
    return (255.0 - np.asarray(small, dtype=np.float32)).ravel() / 255.0


def load_image(path):
    """Reads one file from disk as the validation loader does. An undecodable file becomes a
    blank page (the loader logs and carries on, as many do)."""
    try:
        with Image.open(path) as im:
            im.load()
            return preprocess_image(im)
    except Exception:
        return np.zeros(INPUT * INPUT, np.float32)


def preprocess_page(page):
    return preprocess_image(Image.fromarray(page))
