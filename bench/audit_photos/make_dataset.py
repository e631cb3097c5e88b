#!/usr/bin/env python3
"""Labelled image-audit dataset from real Debian-packaged photographs and PDF pages.

    make_dataset.py --split tune|tune2|tune3|heldout|fresh --out DIR [--count 2000] [--cache DIR]

Writes DIR/images/*.{jpg,png} (neutral random names), DIR/labels.json (path relative to
DIR -> list of planted issues; [] = clean), DIR/meta.json (per image: kind, planted issue,
issues that are also acceptable, parameters) and DIR/sources.json (packages and versions).

The splits share no source package and no seed; tune and heldout differ in defect
strengths too, and fresh (a third, blind half) uses heldout's strengths: see README.md
beside this file.  Sources are fetched with `apt-get download PKG` and
unpacked with `dpkg-deb -x` into --cache (nothing is installed).  Needs poppler-utils
(pdftoppm, pdfinfo), numpy, Pillow and OpenCV.
"""
import argparse
import glob
import hashlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None
cv2.setNumThreads(1)

MAX_PIXELS = 4_000_000
MIN_PIXELS = 100_000

# --------------------------------------------------------------------------------------
# Split definitions: sources and defect strengths.  Nothing is shared between the halves.
# --------------------------------------------------------------------------------------
# The strengths users meet: the held-out half's, which tune2 and fresh share.
HELDOUT_STRENGTHS = {
    "blur": ("disk", 0.0055, 0.0120),             # defocus disc radius as a share of the longer side
    "dark_mean": (5, 26),
    "over_gain": (2.2, 3.0), "over_off": (35, 85),
    "skew": (12, 35),
    "nd_crop": (0.04, 0.10), "nd_quality": (30, 60), "nd_scale": (0.45, 0.8), "nd_shift": (12, 22),
    "strip": (8, 16),
    "scan_tilt": 2.0,
    "low_defocus": (0.07, 0.11),
}

SPLITS = {
    "tune": {
        "seed": 11_2024,
        "photo_pkgs": ["enlightenment-data", "opencv-doc"],
        "pdf_pkgs": ["r-doc-pdf", "gnuplot-doc"],
        "table_pkgs": ["gnome-backgrounds"],
        "blur": ("gauss", 0.0040, 0.0090),        # sigma as a share of the longer side
        "dark_mean": (8, 30),                     # target mean luminance
        "over_gain": (1.8, 2.6), "over_off": (20, 60),
        "skew": (10, 30),
        "nd_crop": (0.02, 0.06), "nd_quality": (45, 75), "nd_scale": (0.6, 0.9), "nd_shift": (8, 16),
        "strip": (6, 12),
        "scan_tilt": 1.5,
        "low_defocus": (0.05, 0.08),
    },
    "heldout": {
        "seed": 77_9031,
        "photo_pkgs": ["lxqt-themes", "palapeli-data", "scratch", "python3-skimage", "python3-scipy"],
        "pdf_pkgs": ["octave-doc", "asymptote-doc", "texlive-humanities-doc"],
        "table_pkgs": ["ukui-wallpapers", "sway-backgrounds"],
        **HELDOUT_STRENGTHS,
    },
    # A second tuning half for pages: the tune half's photographs and tables, but manuals of
    # mathematics and drawing from packages no other half uses, at heldout's strengths.
    "tune2": {
        "seed": 2026_1205,
        "photo_pkgs": ["enlightenment-data", "opencv-doc"],
        "pdf_pkgs": ["texlive-latex-recommended-doc", "texlive-metapost-doc"],
        "table_pkgs": ["gnome-backgrounds"],
        **HELDOUT_STRENGTHS,
    },
    # A third tuning half, for photographs at night and in low light (KDE's and MATE's
    # wallpapers) and figure-heavy manuals (TikZ, publishers' classes), at heldout's strengths.
    "tune3": {
        "seed": 2026_1207,
        "photo_pkgs": ["plasma-workspace-wallpapers", "mate-backgrounds"],
        "pdf_pkgs": ["texlive-pictures-doc", "texlive-publishers-doc"],
        "table_pkgs": ["mate-backgrounds"],
        **HELDOUT_STRENGTHS,
    },
    # A third half, drawn after the other two had been looked at too often to be blind:
    # its own packages and seed, with heldout's defect strengths (the ones users meet).
    "fresh": {
        "seed": 2026_1206,
        "photo_pkgs": ["tuxtype-data", "tuxpaint-data", "digikam-data", "pychess",
                       "sddm-theme-maldives", "python3-sklearn"],
        "pdf_pkgs": ["texlive-science-doc", "gap-doc", "pari-doc", "glpk-doc"],
        "table_pkgs": ["foobillardplus-data"],
        "table_tile_below": 800,                  # seamless game textures are tiled, not upscaled
        **HELDOUT_STRENGTHS,
    },
}

# Mix for --count 2000 (scaled for other counts).  ~72% clean.
MIX = [
    # (role, count)
    ("clean_photo", 470),
    ("clean_photo_dim", 45),
    ("clean_photo_bright", 40),
    ("clean_scan", 360),
    ("clean_scan_nearblank", 40),
    ("clean_receipt", 70),
    ("clean_camera_doc", 300),
    ("clean_camera_receipt", 40),
    ("clean_scan_png_fullpage", 60),
    ("blurry_photo", 45), ("blurry_doc", 25),
    ("dark_photo", 35), ("dark_doc", 10),
    ("over_photo", 35), ("over_doc", 10),
    ("low_blank_page", 12), ("low_wall", 12), ("low_defocus", 12),
    ("gray_photo", 40),
    ("rot_scan", 36), ("rot_camera_doc", 24), ("rot_scene", 30),
    ("skew_scan", 30), ("skew_camera_doc", 20),
    ("near_dup_pair", 32),
    ("dup_pair", 15),
    ("strip", 25), ("too_small", 25), ("truncated", 25), ("unreadable", 20),
]


# --------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------
def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def fetch(pkg, cache):
    """apt-get download PKG and dpkg-deb -x it under cache/x/PKG; returns (root, version)."""
    os.makedirs(cache, exist_ok=True)
    debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
    if not debs:
        subprocess.run(["apt-get", "download", pkg], cwd=cache, check=True,
                       capture_output=True)
        debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
    deb = sorted(debs)[-1]
    root = os.path.join(cache, "x", pkg)
    if not os.path.isdir(root):
        os.makedirs(root)
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    version = urllib.parse.unquote(os.path.basename(deb).split("_")[1])
    return root, version


def load_rgb(path_or_bytes):
    im = Image.open(io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes)
    if im.mode in ("RGBA", "LA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    return np.asarray(im.convert("RGB"))


def edj_photo(path):
    """Enlightenment .edj backgrounds embed their photo as JPEG streams; take the largest."""
    b = open(path, "rb").read()
    best = None
    for m in re.finditer(b"\xff\xd8\xff", b):
        try:
            im = Image.open(io.BytesIO(b[m.start():]))
            if im.format != "JPEG":
                continue
            if best is None or im.size[0] * im.size[1] > best[0]:
                best = (im.size[0] * im.size[1], m.start())
        except Exception:
            continue
    if best is None:
        return None
    return load_rgb(b[best[1]:])


def photo_sources(pkg, root):
    """(name, loader) for the real photographs a package ships.  Variants of one scene
    (stereo pairs, -a/-b, 1/2) are reduced to one, so no two sources are near-duplicates."""
    out = []
    if pkg == "enlightenment-data":
        for f in sorted(glob.glob(root + "/usr/share/enlightenment/data/backgrounds/*.edj")):
            n = os.path.basename(f)[:-4]
            if n.startswith("Squiggle") or n in ("Flat-Fan", "Flat-Stone-Pattern", "Paper-Flower"):
                continue
            out.append((pkg + ":" + n, lambda f=f: edj_photo(f)))
    elif pkg == "opencv-doc":
        d = root + "/usr/share/doc/opencv-doc/examples/data/"
        for n in ["aero1.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "board.jpg", "building.jpg",
                  "butterfly.jpg", "ela_original.jpg", "fruits.jpg", "home.jpg", "leuvenA.jpg",
                  "messi5.jpg", "orange.jpg", "pca_test1.jpg", "left.jpg", "squirrel_cls.jpg",
                  "stuff.jpg", "graf1.png", "rubberwhale1.png", "smarties.png", "HappyFish.jpg",
                  "starry_night.jpg"]:
            if os.path.exists(d + n):
                out.append((pkg + ":" + n, lambda f=d + n: load_rgb(f)))
    elif pkg == "lxqt-themes":
        d = root + "/usr/share/lxqt/wallpapers/"
        for n in ["Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
                  "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
                  "this-is-not-windows.jpg"]:
            if os.path.exists(d + n):
                out.append((pkg + ":" + n, lambda f=d + n: load_rgb(f)))
    elif pkg == "palapeli-data":
        for f in sorted(glob.glob(root + "/usr/share/palapeli/collection/*.jpg")):
            out.append((pkg + ":" + os.path.basename(f), lambda f=f: load_rgb(f)))
    elif pkg == "scratch":
        seen = set()
        for f in sorted(glob.glob(root + "/usr/share/scratch/Media/Backgrounds/*/*.jpg")):
            n = os.path.basename(f)[:-4]
            stem = re.sub(r"(-[ab]|\d+)$", "", n)
            if stem in seen or n in ("chalkboard", "spotlight-stage", "all-sports-mural"):
                continue
            seen.add(stem)
            out.append((pkg + ":" + n, lambda f=f: load_rgb(f)))
    elif pkg == "python3-skimage":
        d = root + "/usr/lib/python3/dist-packages/skimage/data/"
        for n in ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png"]:
            if os.path.exists(d + n):
                out.append((pkg + ":" + n, lambda f=d + n: load_rgb(f)))
    elif pkg == "python3-scipy":
        f = root + "/usr/lib/python3/dist-packages/scipy/misc/face.dat"
        if os.path.exists(f):
            def face(f=f):
                import bz2
                import pickle
                raw = bz2.decompress(open(f, "rb").read())
                try:
                    arr = pickle.loads(raw)
                    return np.asarray(arr, dtype=np.uint8).reshape(768, 1024, 3)
                except Exception:
                    return np.frombuffer(raw, dtype=np.uint8).reshape(768, 1024, 3)
            out.append((pkg + ":face", face))
    elif pkg == "tuxtype-data":
        # the landscape photos behind the typing lessons (backgrounds/*.jpg are space images)
        for f in sorted(glob.glob(root + "/usr/share/tuxtype/images/kcas*.jpg")):
            out.append((pkg + ":" + os.path.basename(f), lambda f=f: load_rgb(f)))
    elif pkg == "tuxpaint-data":
        # the photographs offered as colouring templates (bark, cliff, sheep, lighthouse, ...)
        for f in sorted(glob.glob(root + "/usr/share/tuxpaint/templates/*.jpg")):
            out.append((pkg + ":" + os.path.basename(f), lambda f=f: load_rgb(f)))
    elif pkg == "digikam-data":
        f = root + "/usr/share/digikam/about/images/body-background.jpg"     # a lake and a red hill
        if os.path.exists(f):
            out.append((pkg + ":body-background.jpg", lambda f=f: load_rgb(f)))
    elif pkg == "pychess":
        f = root + "/usr/share/pychess/glade/background.jpg"                  # chess pieces, shallow focus
        if os.path.exists(f):
            out.append((pkg + ":background.jpg", lambda f=f: load_rgb(f)))
    elif pkg == "sddm-theme-maldives":
        # background.jpg only: maldives.jpg is a screenshot of the login screen over it
        f = root + "/usr/share/sddm/themes/maldives/background.jpg"
        if os.path.exists(f):
            out.append((pkg + ":background.jpg", lambda f=f: load_rgb(f)))
    elif pkg == "plasma-workspace-wallpapers":
        # each wallpaper's largest light version (the dark versions are the same scene); Grey
        # and ColdRipple are grey pictures, which no clean colour photo may be
        for d in sorted(glob.glob(root + "/usr/share/wallpapers/*/contents/images")):
            fs = glob.glob(d + "/*.jpg") + glob.glob(d + "/*.png")
            if fs and d.split("/")[-3] not in ("Grey", "ColdRipple"):
                f = max(fs, key=lambda f: (os.path.getsize(f), f))
                out.append((pkg + ":" + f.split("/")[-4], lambda f=f: load_rgb(f)))
    elif pkg == "mate-backgrounds":
        for f in sorted(glob.glob(root + "/usr/share/backgrounds/mate/nature/*.jpg")):
            out.append((pkg + ":" + os.path.basename(f), lambda f=f: load_rgb(f)))
    elif pkg == "python3-sklearn":
        d = root + "/usr/lib/python3/dist-packages/sklearn/datasets/images/"
        for n in ["china.jpg", "flower.jpg"]:
            if os.path.exists(d + n):
                out.append((pkg + ":" + n, lambda f=d + n: load_rgb(f)))
    return out


def pdf_sources(pkg, root):
    fs = []
    if pkg == "r-doc-pdf":
        fs = sorted(glob.glob(root + "/usr/share/R/doc/manual/*.pdf"))
        fs = [f for f in fs if os.path.basename(f) != "fullrefman.pdf" and os.path.getsize(f) > 10000]
    elif pkg == "gnuplot-doc":
        fs = glob.glob(root + "/usr/share/doc/gnuplot/gnuplot.pdf")
    elif pkg == "octave-doc":
        fs = [f for f in sorted(glob.glob(root + "/usr/share/doc/octave/*.pdf"))
              if "refcard-l" not in f]          # the legal/letter refcards repeat the a4 one
    elif pkg == "texlive-humanities-doc":
        # LaTeX package manuals (critical editions, linguistics, poetry, plays): 40 largest
        fs = sorted(glob.glob(root + "/usr/share/doc/texlive-doc/**/*.pdf", recursive=True),
                    key=lambda f: (-os.path.getsize(f), f))[:40]
    elif pkg == "asymptote-doc":
        fs = [f for f in sorted(glob.glob(root + "/usr/share/doc/asymptote/*.pdf"))
              if os.path.getsize(f) > 10000]
    elif pkg in ("texlive-science-doc", "texlive-latex-recommended-doc", "texlive-metapost-doc",
                 "texlive-pictures-doc", "texlive-publishers-doc"):
        # TeX Live's package manuals (science: chemistry, units, algorithms; amsmath, beamer,
        # metapost; TikZ, pgfplots; publishers' classes): the 40 largest in Latin script
        fs = texlive_manuals_in_latin_script(root)[:40]
    elif pkg == "gap-doc":
        fs = sorted(glob.glob(root + "/usr/share/gap/doc/*/manual.pdf"))     # ref, tut, hpc
    elif pkg == "pari-doc":
        fs = sorted(glob.glob(root + "/usr/share/pari/doc/*.pdf"))           # users, libpari, tutorials, refcards
    elif pkg == "glpk-doc":
        fs = sorted(glob.glob(root + "/usr/share/doc/glpk-doc/*.pdf"))       # glpk, gmpl (en, es, pt-BR), graphs
    return [f for f in fs if os.path.getsize(f) > 10000]


def texlive_manuals_in_latin_script(root):
    """A TeX Live package's manuals, the largest first, without the few Japanese, Chinese, Russian,
    Greek and other translations in other scripts."""
    fs = [f for f in glob.glob(root + "/usr/share/doc/texlive-doc/**/*.pdf", recursive=True)
          if not re.search(r"[-_](ja|jp|zh|cn|ru|ko|kr|el|gr|uk|bg)\.pdf$", os.path.basename(f))]
    return sorted(fs, key=lambda f: (-os.path.getsize(f), f))


def table_sources(pkg, root):
    if pkg == "gnome-backgrounds":
        fs = sorted(glob.glob(root + "/usr/share/backgrounds/gnome/*.webp"))
        return [f for f in fs if any(k in f for k in ("wood", "truchet", "symbolic", "pixels-d"))]
    if pkg == "ukui-wallpapers":
        return sorted(glob.glob(root + "/usr/share/backgrounds/*.jpg")) + \
            sorted(glob.glob(root + "/usr/share/backgrounds/*.png"))[:4]
    if pkg == "sway-backgrounds":
        return sorted(glob.glob(root + "/usr/share/backgrounds/sway/*2048x1536.png"))
    if pkg == "mate-backgrounds":
        d = root + "/usr/share/backgrounds/mate/desktop/"
        return [d + n for n in ("GreenTraditional.jpg", "Stripes.png") if os.path.exists(d + n)]
    if pkg == "foobillardplus-data":
        # the billiard room's floor boards, plaster and flagstones (not the rug, the bricks)
        d = root + "/usr/share/games/foobillardplus/data/"
        return [d + n for n in ("floor.png", "ceiling.png", "corr2.png") if os.path.exists(d + n)]
    return []


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def luminance(a):
    a = a.astype(np.float32)
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]


def resize_to(a, w, h):
    interp = cv2.INTER_AREA if w * h < a.shape[0] * a.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(a, (int(w), int(h)), interpolation=interp)


def cap_pixels(a, maxpx=MAX_PIXELS):
    h, w = a.shape[:2]
    if w * h > maxpx:
        s = math.sqrt(maxpx / (w * h)) * 0.999
        a = resize_to(a, max(1, round(w * s)), max(1, round(h * s)))
    return a


def clip8(a):
    return np.clip(a, 0, 255).astype(np.uint8)


def add_noise(rng, a, sigma):
    n = rng.standard_normal(a.shape, dtype=np.float32)
    n *= np.float32(sigma)
    n += a
    return clip8(n)


SHARP_MIN = 15.0


def sharpness(a):
    """Labelling guard, not a detector: the 99.9th percentile of neighbour differences of the
    luminance (levels per pixel).  A photo whose best edge is softer than SHARP_MIN (fog, sky,
    all out of focus) is ambiguous, so it is neither used as clean nor as a defect's base."""
    g = luminance(a)
    dx = np.abs(np.diff(g, axis=1)).ravel()
    dy = np.abs(np.diff(g, axis=0)).ravel()
    return float(max(np.percentile(dx, 99.9), np.percentile(dy, 99.9)))


def colourfulness(a):
    """Hasler-Suesstrunk colourfulness (0 for grey)."""
    f = a[:: max(1, a.shape[0] // 400), :: max(1, a.shape[1] // 400)].astype(np.float32)
    rg = f[..., 0] - f[..., 1]
    yb = 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def strip_ok(a):
    """A strip whose short side is under 100 px is also small on that side."""
    return ["odd_size"] + (["too_small"] if min(a.shape[:2]) < 100 else [])


def disk_kernel(r):
    r = max(1.0, r)
    n = int(math.ceil(r))
    y, x = np.mgrid[-n:n + 1, -n:n + 1]
    k = (x * x + y * y <= r * r).astype(np.float32)
    return k / k.sum()


def encode(a, fmt, quality=90):
    im = Image.fromarray(a)
    buf = io.BytesIO()
    if fmt == "png":
        im.save(buf, "PNG", compress_level=2)
    else:
        im.save(buf, "JPEG", quality=int(quality), subsampling=0 if quality >= 92 else 2)
    return buf.getvalue()


def detail_map(a):
    """Local gradient energy, used to put crops where the photo's subject (sharp detail) is."""
    g = cv2.cvtColor(cv2.resize(a, (256, max(1, int(256 * a.shape[0] / a.shape[1])))), cv2.COLOR_RGB2GRAY)
    lap = np.abs(cv2.Laplacian(g.astype(np.float32), cv2.CV_32F))
    return cv2.GaussianBlur(lap, (0, 0), 3)


# --------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------
class Gen:
    def __init__(self, split, out, count, cache):
        self.cfg = SPLITS[split]
        self.split = split
        self.out = out
        self.count = count
        self.rng = np.random.default_rng(self.cfg["seed"])
        self.imgdir = os.path.join(out, "images")
        os.makedirs(self.imgdir, exist_ok=True)
        self.labels, self.meta = {}, {}
        self.sources = {"photos": {}, "pdfs": {}, "tables": {}}
        self.used_names = set()
        self.crops = {}           # source -> list of rects used (x0, y0, x1, y1)
        self.photos = []
        for pkg in self.cfg["photo_pkgs"]:
            root, ver = fetch(pkg, cache)
            srcs = photo_sources(pkg, root)
            self.sources["photos"][pkg] = {"version": ver, "images": [n for n, _ in srcs]}
            self.photos += srcs
        self.photo_cache = {}
        self.pdfs = []
        for pkg in self.cfg["pdf_pkgs"]:
            root, ver = fetch(pkg, cache)
            fs = pdf_sources(pkg, root)
            self.sources["pdfs"][pkg] = {"version": ver, "files": [os.path.basename(f) for f in fs]}
            self.pdfs += fs
        self.tables = []
        for pkg in self.cfg["table_pkgs"]:
            root, ver = fetch(pkg, cache)
            fs = table_sources(pkg, root)
            self.sources["tables"][pkg] = {"version": ver, "files": [os.path.basename(f) for f in fs]}
            self.tables += fs
        self.table_cache = {}
        self.tmp = tempfile.mkdtemp(prefix="audit_photos_")
        self.prescan_pages()

    # ---------- naming / writing ----------
    def name(self, ext):
        while True:
            n = "img_%08x.%s" % (int(self.rng.integers(0, 2**32)), ext)
            if n not in self.used_names:
                self.used_names.add(n)
                return n

    def write(self, data, ext, issues, kind, also_ok=(), **params):
        n = self.name(ext)
        rel = "images/" + n
        with open(os.path.join(self.out, rel), "wb") as f:
            f.write(data)
        self.labels[rel] = sorted(set(issues))
        self.meta[rel] = {"kind": kind, "issues": sorted(set(issues)), "also_ok": sorted(set(also_ok)),
                          "params": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in params.items()}}
        return rel

    def save(self, a, issues, kind, png_share=0.15, also_ok=(), quality=None, **params):
        a = cap_pixels(a)
        params.pop("w", None); params.pop("h", None)
        if kind != "photo" and "grayscale" not in issues and colourfulness(a) < 6:
            also_ok = tuple(also_ok) + ("grayscale",)   # a grey page in an RGB file is grey
        if self.rng.random() < png_share:
            data, ext = encode(a, "png"), "png"
        else:
            q = quality if quality is not None else int(self.rng.integers(78, 96))
            data, ext = encode(a, "jpg", q), "jpg"
            params["jpeg_quality"] = q
        return self.write(data, ext, issues, kind, also_ok=also_ok, w=a.shape[1], h=a.shape[0], **params)

    # ---------- photos ----------
    def photo(self, i):
        name, loader = self.photos[i]
        if name not in self.photo_cache:
            a = loader()
            if a is None:
                a = np.zeros((10, 10, 3), np.uint8)
            self.photo_cache[name] = (a, detail_map(a))
        return name, self.photo_cache[name]

    @staticmethod
    def iou(r, s):
        ix = max(0, min(r[2], s[2]) - max(r[0], s[0]))
        iy = max(0, min(r[3], s[3]) - max(r[1], s[1]))
        inter = ix * iy
        ua = (r[2] - r[0]) * (r[3] - r[1]) + (s[2] - s[0]) * (s[3] - s[1]) - inter
        return inter / ua if ua else 0.0

    def photo_crop(self, min_px=MIN_PIXELS, max_px=MAX_PIXELS, aspect=None, at_100=None,
                   reserve=True, max_iou=0.25, need_sharp=True):
        """A crop of a source photograph, placed on the photo's detail (its subject), that
        overlaps no earlier crop of the same source by more than max_iou (so unrelated images
        are never near-duplicates).  Returns (array, info) or None when no slot is left."""
        rng = self.rng
        for _ in range(60):
            i = int(rng.integers(0, len(self.photos)))
            name, (a, dm) = self.photo(i)
            H, W = a.shape[:2]
            if W * H < 40_000:
                continue
            asp = aspect if aspect is not None else float(rng.choice([4 / 3, 3 / 2, 16 / 9, 1.0, 3 / 4, 2 / 3, 5 / 4]))
            # crop area share of the source
            share = float(rng.choice([1.0, rng.uniform(0.3, 0.7), rng.uniform(0.08, 0.3), rng.uniform(0.02, 0.08)],
                                     p=[0.15, 0.2, 0.35, 0.3]))
            cw = math.sqrt(share * W * H * asp)
            ch = cw / asp
            if cw > W:
                cw, ch = W, W / asp
            if ch > H:
                ch, cw = H, H * asp
            cw, ch = int(cw), int(ch)
            if cw < 48 or ch < 48:
                continue
            # centre on detail
            prob = dm.ravel() + 1e-3
            prob = prob / prob.sum()
            k = int(rng.choice(prob.size, p=prob))
            cy, cx = divmod(k, dm.shape[1])
            cx = cx / dm.shape[1] * W + rng.normal(0, cw * 0.15)
            cy = cy / dm.shape[0] * H + rng.normal(0, ch * 0.15)
            x0 = int(np.clip(cx - cw / 2, 0, W - cw))
            y0 = int(np.clip(cy - ch / 2, 0, H - ch))
            r = (x0, y0, x0 + cw, y0 + ch)
            used = self.crops.setdefault(name, [])
            if any(self.iou(r, s) > max_iou for s in used):
                continue
            c = a[y0:y0 + ch, x0:x0 + cw]
            px = cw * ch
            if at_100 is None:
                at_100 = rng.random() < 0.4
            if at_100 and min_px <= px <= max_px:
                scale = 1.0
            else:
                lo = math.sqrt(max(min_px / px, 1e-9))       # linear scale bounds
                hi = min(math.sqrt(max_px / px), 1.0)       # never upscale (upscaling softens)
                if lo > hi:
                    if px < min_px and px >= min_px * 0.6:
                        scale = 1.0             # a little small is fine
                    else:
                        continue
                else:
                    scale = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            if scale < 1.0:
                c = resize_to(c, max(8, round(cw * scale)), max(8, round(ch * scale)))
            if need_sharp and sharpness(c) < SHARP_MIN:
                continue      # fog, sky or out-of-focus only: ambiguous, never used
            if reserve:
                used.append(r)
            return np.ascontiguousarray(c), {"source": name, "crop": list(r), "scale": round(scale, 4)}
        return None

    # ---------- pdf pages ----------
    def prescan_pages(self):
        """Ink share of every page at 12 dpi, to pick text pages, nearly blank pages, etc."""
        self.pages = []   # (pdf, page, ink)
        def scan(pdf):
            n = int(re.search(r"Pages:\s+(\d+)", sh(["pdfinfo", pdf])).group(1))
            last = min(n, 1500)
            d = tempfile.mkdtemp(dir=self.tmp)
            subprocess.run(["pdftoppm", "-r", "12", "-gray", "-f", "1", "-l", str(last), pdf, d + "/p"],
                           check=True, capture_output=True)
            res = []
            for f in sorted(glob.glob(d + "/p-*.pgm")):
                p = int(re.search(r"-(\d+)\.pgm$", f).group(1))
                g = np.asarray(Image.open(f))
                res.append((pdf, p, float((g < 200).mean())))
            shutil.rmtree(d)
            return res
        with ThreadPoolExecutor(2) as ex:
            for r in ex.map(scan, self.pdfs):
                self.pages += r
        self.rng.shuffle(self.pages)
        self.page_used = set()

    def pick_page(self, lo, hi):
        for (pdf, p, ink) in self.pages:
            if (pdf, p) not in self.page_used and lo <= ink <= hi:
                self.page_used.add((pdf, p))
                return pdf, p, ink
        return None

    def render(self, pdf, p, dpi):
        d = tempfile.mkdtemp(dir=self.tmp)
        subprocess.run(["pdftoppm", "-r", str(int(dpi)), "-f", str(p), "-l", str(p), pdf, d + "/p"],
                       check=True, capture_output=True)
        f = glob.glob(d + "/p*.ppm")[0]
        a = np.asarray(Image.open(f).convert("RGB"))
        shutil.rmtree(d)
        return a

    def page(self, dpi_range=(80, 170), ink=(0.02, 1.0)):
        got = self.pick_page(*ink)
        if got is None:
            got = self.pick_page(0.005, 1.0)
        if got is None:
            got = self.pick_page(0.0, 1.0)
        if got is None:
            raise RuntimeError("every PDF page is used: add PDF sources or lower --count")
        pdf, p, inkv = got
        dpi = int(self.rng.integers(*dpi_range))
        a = self.render(pdf, p, dpi)
        return a, {"pdf": os.path.basename(pdf), "page": p, "dpi": dpi, "ink": round(inkv, 4)}

    # ---------- document looks ----------
    def paper(self, a, tone=None):
        """Scanner look: paper tone, slight noise."""
        rng = self.rng
        f = a.astype(np.float32)
        if tone is None:
            tone = np.array([rng.uniform(238, 252)] * 3) + rng.uniform(-4, 3, 3)
        f *= (tone / 255.0).astype(np.float32)
        return add_noise(rng, f, rng.uniform(1.0, 3.0))

    def tilt(self, a, deg, fill=None):
        h, w = a.shape[:2]
        if fill is None:
            fill = tuple(int(v) for v in np.median(a.reshape(-1, 3)[:: max(1, a.size // 30000)], axis=0))
        M = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        cos, sin = abs(M[0, 0]), abs(M[0, 1])
        nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
        M[0, 2] += nw / 2 - w / 2
        M[1, 2] += nh / 2 - h / 2
        return cv2.warpAffine(a, M, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=fill)

    def scan(self, a, tilt_deg=None):
        rng = self.rng
        if tilt_deg is None:
            tilt_deg = rng.uniform(-self.cfg["scan_tilt"], self.cfg["scan_tilt"])
        a = self.paper(a)
        if abs(tilt_deg) > 0.05:
            a = self.tilt(a, tilt_deg)
        return a, tilt_deg

    def table(self, w, h):
        rng = self.rng
        f = self.tables[int(rng.integers(0, len(self.tables)))]
        if f not in self.table_cache:
            t = load_rgb(f)
            tile_below = self.cfg.get("table_tile_below")
            if tile_below and max(t.shape[:2]) < tile_below:
                # a small seamless texture: repeated at its own scale rather than upscaled
                reps = (math.ceil(1600 / t.shape[0]), math.ceil(1600 / t.shape[1]), 1)
                self.table_cache[f] = np.ascontiguousarray(np.tile(t, reps)[:1600, :1600])
            else:
                s = 1600 / max(t.shape[:2])
                self.table_cache[f] = resize_to(t, int(t.shape[1] * s), int(t.shape[0] * s))
        t = self.table_cache[f]
        th, tw = t.shape[:2]
        cw, ch = int(tw * rng.uniform(0.5, 1.0)), 0
        ch = int(cw * h / w)
        if ch > th:
            ch, cw = th, int(th * w / h)
        x0, y0 = int(rng.integers(0, tw - cw + 1)), int(rng.integers(0, th - ch + 1))
        return resize_to(t[y0:y0 + ch, x0:x0 + cw], w, h), os.path.basename(f)

    def camera(self, page, out_long=None, inplane_deg=0.0, fill_page=None):
        """A page photographed on a table: perspective, background, uneven light, a shadow,
        sensor noise and a little optical softness."""
        rng = self.rng
        if out_long is None:
            out_long = int(rng.integers(900, 2300))
        portrait = rng.random() < 0.7
        W, H = (int(out_long * 0.75), out_long) if portrait else (out_long, int(out_long * 0.75))
        bg, tname = self.table(W, H)
        ph, pw = page.shape[:2]
        fill = rng.uniform(0.62, 0.88) if fill_page is None else fill_page
        s = min(W * fill / pw, H * fill / ph)
        pw2, ph2 = pw * s, ph * s
        cx, cy = W / 2 + rng.uniform(-0.05, 0.05) * W, H / 2 + rng.uniform(-0.05, 0.05) * H
        corners = np.array([[-pw2 / 2, -ph2 / 2], [pw2 / 2, -ph2 / 2], [pw2 / 2, ph2 / 2], [-pw2 / 2, ph2 / 2]])
        th = math.radians(inplane_deg)
        R = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
        corners = corners @ R.T + [cx, cy]
        jit = rng.uniform(0.015, 0.06) * min(W, H)
        # keystone: top edge shorter (camera looking down at an angle)
        k = rng.uniform(0.0, 0.06) * pw2
        corners[0, 0] += k * math.cos(th); corners[1, 0] -= k * math.cos(th)
        corners = corners + rng.uniform(-jit, jit, corners.shape)
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        M = cv2.getPerspectiveTransform(src, np.float32(corners))
        warped = cv2.warpPerspective(page, M, (W, H), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), M, (W, H))
        mask = cv2.GaussianBlur(mask, (0, 0), 0.8).astype(np.float32)[..., None] / 255
        # soft drop shadow of the page on the table
        sh_ = cv2.GaussianBlur(cv2.warpAffine(mask[..., 0], np.float32([[1, 0, 6], [0, 1, 8]]), (W, H)), (0, 0), 9)
        bgf = bg.astype(np.float32) * (1 - 0.35 * sh_[..., None])
        img = warped.astype(np.float32) * mask + bgf * (1 - mask)
        # uneven light: a plane plus a soft shadow blob (e.g. the phone's/hand's shadow)
        yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
        gx, gy = rng.uniform(-1, 1, 2)
        plane = (gx * (xx / W - 0.5) + gy * (yy / H - 0.5))
        light = 1.0 - rng.uniform(0.1, 0.35) * (plane - plane.min()) / (np.ptp(plane) + 1e-6)
        if rng.random() < 0.6:
            bx, by = rng.uniform(0, W), rng.uniform(0, H)
            rad = rng.uniform(0.2, 0.5) * max(W, H)
            blob = np.exp(-(((xx - bx) ** 2 + (yy - by) ** 2) / (2 * rad ** 2)))
            light *= 1 - rng.uniform(0.1, 0.3) * blob
        img = img * light[..., None]
        # warm/cool white balance
        img *= rng.uniform(0.93, 1.05, 3)
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.35, 0.7))
        img = add_noise(rng, img, rng.uniform(2.0, 5.0))
        return img, {"table": tname, "out_long": out_long, "inplane_deg": round(inplane_deg, 2), "fill": round(fill, 3)}

    def receipt(self):
        """A narrow column cut from a PDF page, thermal-paper look: grey-warm paper, faded ink."""
        rng = self.rng
        a, info = self.page(dpi_range=(110, 190), ink=(0.03, 1.0))
        h, w = a.shape[:2]
        g = luminance(a)
        cols = (g < 180).mean(axis=0)
        # pick a text-bearing column band about a third of the page wide
        cw = int(w * rng.uniform(0.28, 0.42))
        best = max(range(0, w - cw, max(1, w // 40)), key=lambda x: cols[x:x + cw].sum() + rng.uniform(0, 0.5))
        col = a[:, best:best + cw]
        # crop height so the strip stays receipt-like (1:2.2 - 1:4.5)
        ratio = rng.uniform(2.2, 4.5)
        ch = min(h, int(cw * ratio))
        y0 = int(rng.integers(0, h - ch + 1))
        col = col[y0:y0 + ch]
        ink = 255 - col.astype(np.float32)
        fade = rng.uniform(0.45, 0.8)
        paper = np.array([rng.uniform(236, 248), rng.uniform(232, 244), rng.uniform(222, 236)])
        inkc = np.array([70, 70, 80]) * rng.uniform(0.6, 1.2)
        img = paper - ink / 255 * fade * (paper - inkc)
        # thermal banding
        band = 1 + 0.02 * np.sin(np.arange(ch) / rng.uniform(6, 30))[:, None, None]
        img = img * band
        img = add_noise(rng, img, rng.uniform(1.5, 3))
        info.update({"receipt_ratio": round(ratio, 2), "fade": round(fade, 2)})
        return img, info

    # ---------- defects ----------
    def blur(self, a, strength=1.0):
        kind, lo, hi = self.cfg["blur"]
        L = max(a.shape[:2])
        v = max(3.0, self.rng.uniform(lo, hi) * L) * strength
        if kind == "gauss":
            return cv2.GaussianBlur(a, (0, 0), v), {"blur": "gauss", "sigma": round(v, 2)}
        return cv2.filter2D(a, -1, disk_kernel(v), borderType=cv2.BORDER_REFLECT), {"blur": "disk", "radius": round(v, 2)}

    def darken(self, a):
        target = self.rng.uniform(*self.cfg["dark_mean"])
        f = a.astype(np.float32) / 255
        gamma = self.rng.uniform(1.2, 1.8)
        f = f ** gamma
        m = luminance(f * 255).mean()
        f = f * 255 * (target / max(m, 1e-3))
        f = add_noise(self.rng, f, self.rng.uniform(0.8, 2.5))
        return f, {"dark_target_mean": round(target, 1), "gamma": round(gamma, 2)}

    def overexpose(self, a):
        g = self.rng.uniform(*self.cfg["over_gain"])
        o = self.rng.uniform(*self.cfg["over_off"])
        return clip8(a.astype(np.float32) * g + o), {"gain": round(g, 2), "offset": round(o, 1)}

    # ---------- roles ----------
    def make(self, role):
        rng = self.rng
        if role in ("clean_photo", "clean_photo_dim", "clean_photo_bright"):
            got = self.photo_crop()
            if got is None:
                return self.make("clean_scan")
            a, info = got
            if role == "clean_photo_dim":
                # an evening shot: darker, but exposed for its subject (mean stays >= ~50)
                m = luminance(a).mean()
                target = rng.uniform(50, 75)
                if m > target:
                    f = (a.astype(np.float32) / 255) ** rng.uniform(1.1, 1.4) * 255
                    f = f * target / max(luminance(f).mean(), 1)
                    a = clip8(f)
                info["dim_target"] = round(target, 1)
            elif role == "clean_photo_bright":
                # snow/beach-like exposure: brighter but keeps its shadows and detail
                m = luminance(a).mean()
                target = rng.uniform(165, 200)
                if m < target:
                    f = 255 - (255 - a.astype(np.float32)) * (255 - target) / max(255 - m, 1)
                    a = clip8(f)
                info["bright_target"] = round(target, 1)
            return self.save(a, [], "photo", **info)
        if role in ("clean_scan", "clean_scan_png_fullpage", "clean_scan_nearblank"):
            if role == "clean_scan_nearblank":
                a, info = self.page(ink=(0.0015, 0.012))
            else:
                a, info = self.page(dpi_range=(150, 230) if role.endswith("fullpage") else (75, 200))
            a, t = self.scan(a)
            info["tilt_deg"] = round(t, 2)
            return self.save(a, [], "doc_scan", png_share=1.0 if role.endswith("fullpage") else 0.2, **info)
        if role == "clean_receipt":
            a, info = self.receipt()
            a, t = self.scan(a, tilt_deg=rng.uniform(-1.5, 1.5)) if rng.random() < 0.5 else (clip8(a), 0.0)
            info["tilt_deg"] = round(t, 2)
            return self.save(a, [], "receipt", png_share=0.2, **info)
        if role in ("clean_camera_doc", "clean_camera_receipt"):
            if role == "clean_camera_receipt":
                p, info = self.receipt()
                p = clip8(p)
                fill = rng.uniform(0.7, 0.9)
            else:
                p, info = self.page(dpi_range=(110, 200))
                fill = None
            img, cinfo = self.camera(p, inplane_deg=rng.uniform(-4, 4), fill_page=fill)
            info.update(cinfo)
            return self.save(clip8(img), [], "doc_camera", png_share=0.05, quality=int(rng.integers(70, 92)), **info)
        if role in ("blurry_photo", "blurry_doc"):
            if role == "blurry_photo":
                got = self.photo_crop(min_px=150_000)
                if got is None:
                    return self.make("blurry_doc")
                a, info = got
                kind = "photo"
            else:
                if rng.random() < 0.5:
                    a, info = self.page(ink=(0.03, 1))
                    a, _ = self.scan(a)
                    kind = "doc_scan"
                else:
                    p, info = self.page(ink=(0.03, 1))
                    a, ci = self.camera(p)
                    a = clip8(a)
                    info.update(ci)
                    kind = "doc_camera"
            a, bi = self.blur(cap_pixels(a))
            info.update(bi)
            return self.save(a, ["blurry"], kind, **info)
        if role in ("dark_photo", "dark_doc", "over_photo", "over_doc"):
            if role.endswith("photo"):
                got = self.photo_crop()
                if got is None:
                    return self.make(role.replace("photo", "doc"))
                a, info = got
                kind = "photo"
            else:
                p, info = self.page(ink=(0.03, 1))
                a, ci = self.camera(p)
                info.update(ci)
                kind = "doc_camera"
            if role.startswith("dark"):
                a, di = self.darken(a)
                info.update(di)
                return self.save(clip8(a), ["dark"], kind, also_ok=["low_information"], **info)
            a, oi = self.overexpose(clip8(a))
            info.update(oi)
            return self.save(a, ["overexposed"], kind, also_ok=["low_information"], **info)
        if role == "low_blank_page":
            w = int(rng.integers(700, 1700))
            h = int(w * rng.uniform(1.28, 1.42))
            tone = rng.uniform(225, 250) + rng.uniform(-5, 3, 3)
            yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
            grad = 1 - rng.uniform(0.0, 0.05) * yy
            a = np.ones((h, w, 3), np.float32) * tone * grad
            a = add_noise(rng, a, rng.uniform(1.5, 4))
            if rng.random() < 0.5:
                a, t = self.scan(a)
            return self.save(a, ["low_information"], "doc_scan", png_share=0.3,
                             also_ok=["overexposed", "grayscale"], w=w, h=h)
        if role == "low_wall":
            w = int(rng.integers(600, 2000))
            h = int(w * rng.choice([0.75, 0.5625, 1.0, 1.333]))
            col = rng.uniform(60, 230, 3)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            gx, gy = rng.uniform(-1, 1, 2)
            plane = gx * xx / w + gy * yy / h
            amp = rng.uniform(4, 14)
            a = col + (plane / (np.abs(plane).max() + 1e-6) * amp)[..., None]
            a = add_noise(rng, a, rng.uniform(0.8, 2.5))
            return self.save(a, ["low_information"], "wall", also_ok=["dark", "overexposed", "grayscale"], w=w, h=h)
        if role == "low_defocus":
            got = self.photo_crop(need_sharp=False)
            if got is None:
                return self.make("low_wall")
            a, info = got
            s = rng.uniform(*self.cfg["low_defocus"]) * max(a.shape[:2])
            a = cv2.GaussianBlur(a, (0, 0), s)
            info["sigma"] = round(s, 1)
            return self.save(a, ["low_information"], "photo", also_ok=["blurry"], **info)
        if role == "gray_photo":
            got = self.photo_crop()
            if got is None:
                return self.make("clean_scan")
            a, info = got
            g = clip8(luminance(a))
            a = np.repeat(g[..., None], 3, axis=2)
            return self.save(a, ["grayscale"], "photo", png_share=0.25, **info)
        if role in ("rot_scan", "rot_camera_doc", "rot_scene"):
            k = int(rng.choice([1, 2, 3]))
            if role == "rot_scene":
                got = self.photo_crop()
                if got is None:
                    return self.make("rot_scan")
                a, info = got
                kind = "photo_rotated_scene"
            elif role == "rot_scan":
                a, info = self.page(ink=(0.04, 1))
                a, t = self.scan(a)
                info["tilt_deg"] = round(t, 2)
                kind = "doc_scan"
            else:
                p, info = self.page(ink=(0.04, 1), dpi_range=(110, 200))
                a, ci = self.camera(p, inplane_deg=rng.uniform(-3, 3))
                info.update(ci)
                a = clip8(a)
                kind = "doc_camera"
            a = np.ascontiguousarray(np.rot90(a, k))      # k quarter turns counter-clockwise
            info["rot_ccw_deg"] = 90 * k
            return self.save(a, ["rotated"], kind, **info)
        if role in ("skew_scan", "skew_camera_doc"):
            deg = float(rng.uniform(*self.cfg["skew"])) * (1 if rng.random() < 0.5 else -1)
            if role == "skew_scan":
                a, info = self.page(ink=(0.04, 1))
                a, _ = self.scan(a, tilt_deg=deg)
                kind = "doc_scan"
            else:
                p, info = self.page(ink=(0.04, 1), dpi_range=(110, 200))
                a, ci = self.camera(p, inplane_deg=deg, fill_page=rng.uniform(0.55, 0.7))
                info.update(ci)
                kind = "doc_camera"
            info["skew_deg"] = round(deg, 2)
            return self.save(a, ["skewed"], kind, **info)
        if role == "strip":
            ratio = rng.uniform(*self.cfg["strip"])
            if rng.random() < 0.6:
                got = self.photo_crop(aspect=ratio if rng.random() < 0.5 else 1 / ratio, min_px=60_000, at_100=True)
                if got is not None:
                    a, info = got
                    info["ratio"] = round(ratio, 2)
                    return self.save(a, ["odd_aspect_ratio"], "photo", also_ok=strip_ok(a), **info)
            a, info = self.page(ink=(0.03, 1), dpi_range=(120, 200))
            h, w = a.shape[:2]
            sh_ = max(8, int(w / ratio))
            y0 = int(rng.integers(0, h - sh_))
            a = self.paper(a[y0:y0 + sh_])
            info["ratio"] = round(w / sh_, 2)
            return self.save(a, ["odd_aspect_ratio"], "doc_scan", also_ok=strip_ok(a), **info)
        if role == "too_small":
            got = self.photo_crop(min_px=1, at_100=False, need_sharp=False)
            if got is None:
                a, info = self.page()
            else:
                a, info = got
            h, w = a.shape[:2]
            side = int(rng.integers(16, 61))
            s = side / max(h, w)
            a = resize_to(a, max(4, round(w * s)), max(4, round(h * s)))
            return self.save(a, ["too_small"], "tiny", also_ok=["odd_size", "low_information", "blurry"], **info)
        if role == "truncated":
            got = self.photo_crop(min_px=200_000)
            a, info = got if got is not None else self.page()
            fmt = "png" if rng.random() < 0.25 else "jpg"
            data = encode(cap_pixels(a), fmt, 88)
            cut = rng.uniform(0.3, 0.9)
            data = data[: int(len(data) * cut)]
            info["cut_share"] = round(cut, 3)
            return self.write(data, fmt, ["truncated"], "broken", also_ok=["unreadable"], **info)
        if role == "unreadable":
            t = int(rng.integers(0, 3))
            ext = "png" if rng.random() < 0.3 else "jpg"
            if t == 0:
                data, how = b"", "empty"
            elif t == 1:
                data = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>"
                        b"<h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
                        + b"<!-- " + rng.bytes(int(rng.integers(10, 400))).hex().encode() + b" --></body></html>\n")
                how = "html"
            else:
                data, how = rng.bytes(int(rng.integers(200, 60000))), "random"
            return self.write(data, ext, ["unreadable"], "broken", also_ok=["truncated"], how=how)
        raise ValueError(role)

    def base_for_pair(self):
        """A clean-looking image to copy (photo crop or document page)."""
        r = self.rng.random()
        if r < 0.6:
            got = self.photo_crop(min_px=120_000)
            if got is not None:
                return got[0], "photo", got[1]
        if r < 0.8:
            a, info = self.page()
            a, _ = self.scan(a)
            return a, "doc_scan", info
        p, info = self.page(dpi_range=(110, 200))
        a, ci = self.camera(p)
        info.update(ci)
        return clip8(a), "doc_camera", info

    def near_dup_pair(self):
        rng, c = self.rng, self.cfg
        a, kind, info = self.base_for_pair()
        q0 = int(rng.integers(80, 95))
        a = cap_pixels(a)
        data = encode(a, "jpg", q0)
        info = {k: v for k, v in info.items() if k not in ("w", "h")}
        ok = ["grayscale"] if kind != "photo" and colourfulness(a) < 6 else []
        first = self.write(data, "jpg", ["near_duplicate"], kind, also_ok=ok, w=a.shape[1], h=a.shape[0], **info)
        b = load_rgb(data)          # the pipeline edits the saved file
        ops = list(rng.choice(["recompress", "resize", "crop", "brightness"], size=int(rng.integers(1, 3)), replace=False))
        done = {}
        for op in ops:
            if op == "resize":
                s = rng.uniform(*c["nd_scale"])
                b = resize_to(b, max(32, int(b.shape[1] * s)), max(32, int(b.shape[0] * s)))
                done["resize"] = round(s, 3)
            elif op == "crop":
                tot = rng.uniform(*c["nd_crop"])
                h, w = b.shape[:2]
                l, t_ = rng.uniform(0, tot), rng.uniform(0, tot)
                b = b[int(h * t_ / 2): h - int(h * (tot - t_) / 2), int(w * l / 2): w - int(w * (tot - l) / 2)]
                done["crop_share"] = round(tot, 3)
            elif op == "brightness":
                d = rng.uniform(*c["nd_shift"]) * (1 if rng.random() < 0.5 else -1)
                b = clip8(b.astype(np.float32) + d)
                done["brightness"] = round(d, 1)
        q = int(rng.integers(*c["nd_quality"])) if "recompress" in ops else int(rng.integers(75, 92))
        fmt = "png" if ("recompress" not in ops and rng.random() < 0.2) else "jpg"
        done["quality"] = q
        second = self.write(encode(np.ascontiguousarray(b), fmt, q), fmt, ["near_duplicate"], kind,
                            also_ok=ok, copy_of=first, **done)
        self.meta[first]["params"]["pair"] = second
        self.meta[second]["params"]["pair"] = first

    def dup_pair(self):
        a, kind, info = self.base_for_pair()
        first = self.save(a, ["duplicate"], kind, also_ok=["near_duplicate"], **info)
        data = open(os.path.join(self.out, first), "rb").read()
        ext = first.rsplit(".", 1)[1]
        second = self.write(data, ext, ["duplicate"], kind, also_ok=["near_duplicate"], copy_of=first)
        self.meta[first]["params"]["pair"] = second

    def run(self):
        scale = self.count / 2000
        plan = []
        for role, n in MIX:
            plan += [role] * max(1, round(n * scale))
        self.rng.shuffle(plan)
        for i, role in enumerate(plan):
            if role == "near_dup_pair":
                self.near_dup_pair()
            elif role == "dup_pair":
                self.dup_pair()
            else:
                self.make(role)
            if (i + 1) % 200 == 0:
                print(f"  {i + 1}/{len(plan)} roles, {len(self.labels)} images", file=sys.stderr, flush=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        with open(os.path.join(self.out, "labels.json"), "w") as f:
            json.dump(self.labels, f, indent=0, sort_keys=True)
        with open(os.path.join(self.out, "meta.json"), "w") as f:
            json.dump(self.meta, f, indent=0, sort_keys=True)
        with open(os.path.join(self.out, "sources.json"), "w") as f:
            json.dump({"split": self.split, "seed": self.cfg["seed"], **self.sources}, f, indent=1)
        counts = {}
        for v in self.labels.values():
            for k in (v or ["clean"]):
                counts[k] = counts.get(k, 0) + 1
        print(json.dumps({"images": len(self.labels), "counts": counts}, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SPLITS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "audit_photos_packages"),
                    help="where .deb files are downloaded and unpacked")
    args = ap.parse_args()
    if os.path.exists(os.path.join(args.out, "labels.json")):
        sys.exit(f"{args.out} already holds a dataset; remove it first")
    for tool in ("pdftoppm", "pdfinfo", "apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (apt-get install poppler-utils)")
    Gen(args.split, args.out, args.count, args.cache).run()


if __name__ == "__main__":
    main()
