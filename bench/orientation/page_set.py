"""More pages for the orientation network to learn from: pages of TeX Live manuals that no half of
the audit bench draws on (LaTeX's base documentation, and the German and other European language
packages' manuals), scanned, photographed and cut into receipts by the bench's own generator
(bench/audit_photos/make_dataset.py), about a quarter of them turned a quarter or a half. Every page
is clean otherwise; meta.json records each turn as the halves' does, so train.py reads it as a half.

    .venv-audit-photos/bin/python bench/orientation/page_set.py --out bench/out/audit_photos/orient_pages
    .venv-audit-photos/bin/python bench/orientation/page_set.py --out bench/out/audit_photos/orient_pages2 \
        --seed 20261209 --packages texlive-fonts-extra-doc texlive-lang-french texlive-lang-spanish \
        texlive-lang-italian texlive-lang-portuguese texlive-lang-polish

Needs the generator's environment and tools (bench/audit_photos/README.md)."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "audit_photos"))
import make_dataset  # noqa: E402

PACKAGES = ["texlive-latex-base-doc", "texlive-lang-european", "texlive-lang-german"]
SEED = 2026_1208
LARGEST = 60  # manuals per package, the largest first

bench_pdf_sources = make_dataset.pdf_sources
asked = set()  # the packages of --packages


def pdf_sources(pkg, root):
    """The bench's sources, and the largest manuals in Latin script of the packages asked for."""
    if pkg not in asked:
        return bench_pdf_sources(pkg, root)
    manuals = make_dataset.texlive_manuals_in_latin_script(root)
    return [f for f in manuals if os.path.getsize(f) > 10000][:LARGEST]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--count", type=int, default=2500)
    parser.add_argument("--packages", nargs="+", default=PACKAGES,
                        help="TeX Live packages whose manuals to draw on (none that a half of the bench uses)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cache", default=os.path.join(HERE, "..", "out", "audit_photos_packages"))
    args = parser.parse_args()
    if os.path.exists(os.path.join(args.out, "meta.json")):
        sys.exit(f"{args.out} already holds a set; remove it first")
    drawn_on = {pkg for split in make_dataset.SPLITS.values() for pkg in split["pdf_pkgs"]}
    if drawn_on & set(args.packages):
        sys.exit(f"a half of the bench draws on {sorted(drawn_on & set(args.packages))}: pick others")
    asked.update(args.packages)
    make_dataset.pdf_sources = pdf_sources
    make_dataset.SPLITS["orientation_pages"] = {
        "seed": args.seed,
        "photo_pkgs": [],
        "pdf_pkgs": args.packages,
        "table_pkgs": ["gnome-backgrounds"],
        **make_dataset.HELDOUT_STRENGTHS,
    }
    # Documents only: scans, receipts and photographed pages, upright or turned.
    make_dataset.MIX = [
        ("clean_scan", 720), ("clean_receipt", 160), ("clean_camera_doc", 560), ("clean_camera_receipt", 80),
        ("rot_scan", 240), ("rot_camera_doc", 240),
    ]
    make_dataset.Gen("orientation_pages", args.out, args.count, args.cache).run()


if __name__ == "__main__":
    main()
