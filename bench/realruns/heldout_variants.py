"""The `heldout` split: never tune on it. Seeds 5000+, and fault variants and strengths the tune
split does not use."""

from specs import draw_T, spec

CORPUS_SEED = 5507


def variants():
    runs = []
    S = 5000

    # data_quality: files overwritten in place ---------------------------------------------------
    for k, (defect, n_bad, frac, nb, opt, fmt, strength) in enumerate([
        ("skewed", 4, (0.75, 1.0), 11, "momentum", "png", None),
        ("overexposed", 3, (0.55, 0.85), 12, "adam", "jpg", None),
        ("blurry", 2, (0.85, 1.0), 8, "sgd", "png", 13.0),
        ("rotated", 7, (0.55, 0.6), 12, "adam", "jpg", 90),
    ]):
        seed = S + 10 + k
        steps = 850
        T = draw_T(seed, steps, 0.3, 0.7)
        runs.append(spec(f"h-dq-a{k}", "data_quality", seed, steps=steps, n_batches=nb, optimizer=opt, fmt=fmt,
                         hidden=[64, 80, 48, 96][k], eval_every=20,
                         fault={"kind": "files_damaged", "T": T, "n_bad": n_bad, "frac": frac, "defect": defect,
                                "strength": strength}))
    # data_quality: new files with a defect
    for k, (defect, n_bad, frac, nb, opt) in enumerate([
        ("dark", 3, (0.55, 0.75), 10, "sgd"),
        ("truncated", 2, (0.7, 1.0), 10, "adam"),
        ("blurry", 5, (0.6, 0.8), 12, "momentum"),
    ]):
        seed = S + 20 + k
        steps = 750
        T = draw_T(seed, steps, 0.3, 0.7)
        runs.append(spec(f"h-dq-b{k}", "data_quality", seed, steps=steps, n_batches=nb, optimizer=opt,
                         fmt="jpg" if defect == "truncated" else "png",
                         fault={"kind": "new_defective_files", "T": T, "n_bad": n_bad, "frac": frac,
                                "defect": defect}))

    # data_change ---------------------------------------------------------------------------------
    for k, (style, extra, n_bad, opt) in enumerate([
        ("bold", {}, 4, "momentum"),
        ("slant", {}, 3, "adam"),
        ("rare", {"classes": [2, 7]}, 2, "adam"),
        ("rare", {"classes": [4, 6, 1], "keep": 0.05}, 3, "momentum"),
    ]):
        seed = S + 30 + k
        steps = 850
        T = draw_T(seed, steps, 0.3, 0.7)
        runs.append(spec(f"h-dc-{k}", "data_change", seed, steps=steps, n_batches=[12, 10, 9, 11][k], optimizer=opt,
                         eval_every=20,
                         fault={"kind": "data_change", "T": T, "n_bad": n_bad, "frac": (0.5, 0.9), "style": style,
                                **extra}))

    # learning_rate ---------------------------------------------------------------------------------
    for k, (mult, opt, fix) in enumerate([(50, "momentum", False), (10, "adam", False), (100, "sgd", False),
                                          (20, "momentum", True)]):
        seed = S + 40 + k
        steps = 1000
        T = draw_T(seed, steps, 0.3, 0.7)
        fault = {"kind": "lr_mult", "T": T, "mult": mult}
        if fix:
            fault["T2"] = T + 100
        runs.append(spec(f"h-lr-{k}", "learning_rate", seed, steps=steps, optimizer=opt, hidden=[64, 96, 48, 64][k],
                         fault=fault))

    # divergence ------------------------------------------------------------------------------------
    for k, (shape, to, over, opt) in enumerate([("cosine", 100, 500, "adam"), ("linear", 60, 450, "momentum"),
                                                ("cosine", 30, 300, "sgd")]):
        seed = S + 50 + k
        steps = 1100
        T = draw_T(seed, steps, 0.25, 0.45)
        runs.append(spec(f"h-div-{k}", "divergence", seed, steps=steps, optimizer=opt,
                         fault={"kind": "lr_ramp", "T": T, "shape": shape, "to": to, "over": over},
                         accepted=["divergence", "learning_rate"]))
    seed = S + 55
    runs.append(spec("h-div-3", "divergence", seed, steps=1100, optimizer="sgd",
                     fault={"kind": "grad_growth", "T": draw_T(seed, 1100, 0.25, 0.45), "over": 40, "power": 3}))

    # non_finite ------------------------------------------------------------------------------------
    seed = S + 60
    runs.append(spec("h-nf-0", "non_finite", seed, steps=900, optimizer="momentum",
                     fault={"kind": "lr_inf", "T": draw_T(seed, 900, 0.3, 0.7)}, accepted=["non_finite", "learning_rate"]))
    seed = S + 61
    runs.append(spec("h-nf-1", "non_finite", seed, steps=900, optimizer="adam",
                     fault={"kind": "overflow_batch", "T": draw_T(seed, 900, 0.3, 0.7)}))
    seed = S + 62
    runs.append(spec("h-nf-2", "non_finite", seed, steps=700, optimizer="sgd", hidden=128,
                     fault={"kind": "overflow_batch", "T": draw_T(seed, 700, 0.2, 0.4)}))

    # overfitting -----------------------------------------------------------------------------------
    runs.append(spec("h-of-0", "overfitting", S + 70, steps=1100, optimizer="adam", hidden=96, lr=3e-3,
                     fault={"kind": "tiny_train", "T": 0, "n": 40}))
    runs.append(spec("h-of-1", "overfitting", S + 71, steps=1000, optimizer="sgd", hidden=128, lr=0.15,
                     fault={"kind": "tiny_train", "T": 0, "n": 100}))
    seed = S + 72
    runs.append(spec("h-of-2", "overfitting", seed, steps=1100, optimizer="momentum", hidden=128,
                     fault={"kind": "tiny_train", "T": draw_T(seed, 1100, 0.1, 0.2), "n": 45}))

    # plateau ---------------------------------------------------------------------------------------
    seed = S + 80
    runs.append(spec("h-pl-0", "plateau", seed, steps=900, optimizer="momentum", lr=0.001, hidden=48,
                     fault={"kind": "freeze", "T": draw_T(seed, 900, 0.15, 0.3)}))
    seed = S + 81
    runs.append(spec("h-pl-1", "plateau", seed, steps=800, optimizer="adam", lr=1.5e-4,
                     fault={"kind": "lr_zero", "T": draw_T(seed, 800, 0.15, 0.3)}, accepted=["plateau", "learning_rate"]))
    seed = S + 82
    runs.append(spec("h-pl-2", "plateau", seed, steps=900, optimizer="sgd", lr=0.008, hidden=32,
                     fault={"kind": "freeze", "T": draw_T(seed, 900, 0.2, 0.35)}))

    # clean -----------------------------------------------------------------------------------------
    runs.append(spec("h-clean-0", "clean", S + 90, steps=1000, optimizer="momentum", lr=0.02,
                     schedule={"kind": "warmup_cosine", "warmup": 150, "floor": 0.0}))
    runs.append(spec("h-clean-1", "clean", S + 91, steps=1100, optimizer="adam", lr=1e-3,
                     schedule={"kind": "cosine_restarts", "period": 250, "floor": 0.1}))
    runs.append(spec("h-clean-2", "clean", S + 92, steps=900, optimizer="sgd", lr=0.12,
                     schedule={"kind": "step", "milestones": [300, 600], "gamma": 0.2}))
    runs.append(spec("h-clean-3", "clean", S + 93, steps=800, optimizer="adam", hidden=128, n_batches=11))
    runs.append(spec("h-clean-4", "clean", S + 94, steps=1000, optimizer="momentum", hidden=48, fmt="jpg",
                     schedule={"kind": "step", "milestones": [700], "gamma": 0.1}))
    runs.append(spec("h-clean-5", "clean", S + 95, steps=700, optimizer="sgd", lr=0.05, eval_every=20))
    return runs
