"""The `probe` split: more runs to tune on, written after the tune split had been tuned on, to see
whether the rules hold on seeds and strengths they were not written for before the held-out half
is run. It is tuning data like `tune` (seeds 3000+), never the held-out half."""

from specs import draw_T, spec

CORPUS_SEED = 3303


def variants():
    runs = []
    S = 3000

    # data_quality: rotated or skewed digits (no text lines for the audit to read) --------------
    for k, (kind, defect, n_bad, frac, nb, opt, fmt) in enumerate([
        ("files_damaged", "rotated", 2, (0.6, 0.8), 10, "momentum", "jpg"),
        ("files_damaged", "skewed", 3, (0.7, 1.0), 12, "adam", "png"),
        ("new_defective_files", "rotated", 4, (0.6, 0.9), 10, "sgd", "png"),
        ("new_defective_files", "skewed", 3, (0.55, 0.75), 9, "adam", "jpg"),
        ("files_damaged", "dark", 3, (0.6, 0.9), 10, "adam", "png"),
    ]):
        seed = S + 10 + k
        steps = 800
        T = draw_T(seed, steps)
        runs.append(spec(f"p-dq-{kind[:5]}-{defect}-{k}", "data_quality", seed, steps=steps, n_batches=nb, optimizer=opt,
                         fmt=fmt, hidden=[64, 48, 96, 64, 80][k],
                         fault={"kind": kind, "T": T, "n_bad": n_bad, "frac": frac, "defect": defect}))

    # data_change: slanted or bold writers, rare classes (undamaged images) ---------------------
    for k, (style, extra, opt) in enumerate([
        ("slant", {}, "adam"),
        ("bold_slant", {}, "momentum"),
        ("bold", {}, "sgd"),
        ("rare", {"classes": [2, 7]}, "adam"),
    ]):
        seed = S + 30 + k
        steps = 800
        T = draw_T(seed, steps)
        runs.append(spec(f"p-dc-{style}-{k}", "data_change", seed, steps=steps, n_batches=10, optimizer=opt,
                         fault={"kind": "data_change", "T": T, "n_bad": [3, 4, 2, 3][k], "frac": (0.6, 1.0),
                                "style": style, **extra}))

    # overfitting: tiny training subsets of other sizes, optimisers and widths -------------------
    for k, (n, opt, hidden, lr, T_frac) in enumerate([
        (40, "sgd", 128, None, None),
        (100, "adam", 64, None, None),
        (70, "momentum", 96, 0.05, None),
        (120, "adam", 128, 3e-3, (0.2, 0.3)),
        (150, "adam", 160, None, None),
    ]):
        seed = S + 70 + k
        steps = 1100
        T = draw_T(seed, steps, *T_frac) if T_frac else 0
        runs.append(spec(f"p-of-n{n}-{opt}", "overfitting", seed, steps=steps, optimizer=opt, hidden=hidden, lr=lr,
                         fault={"kind": "tiny_train", "T": T, "n": n}))

    # clean ----------------------------------------------------------------------------------------
    runs.append(spec("p-clean-constant-momentum", "clean", S + 90, steps=900, optimizer="momentum"))
    runs.append(spec("p-clean-warmcos-sgd", "clean", S + 91, steps=1000, optimizer="sgd", lr=0.1,
                     schedule={"kind": "warmup_cosine", "warmup": 100}))
    runs.append(spec("p-clean-step-adam", "clean", S + 92, steps=900, optimizer="adam", n_batches=12,
                     schedule={"kind": "step", "milestones": [450], "gamma": 0.2}, fmt="jpg"))
    return runs
