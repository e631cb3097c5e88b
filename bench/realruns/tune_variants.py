"""The `tune` split: runs the engine may be tuned on. Seeds 1000+."""

from specs import draw_T, spec

CORPUS_SEED = 1101


def variants():
    runs = []
    S = 1000

    # data_quality: files overwritten in place by a broken preprocessing step -------------------
    for k, (defect, n_bad, frac, nb, opt, fmt) in enumerate([
        ("rotated", 3, (0.7, 1.0), 10, "adam", "png"),
        ("dark", 2, (0.55, 0.8), 12, "momentum", "png"),
        ("blurry", 4, (0.6, 0.9), 10, "adam", "jpg"),
        ("truncated", 3, (0.55, 0.75), 10, "sgd", "jpg"),
    ]):
        seed = S + 10 + k
        steps = 900
        T = draw_T(seed, steps)
        runs.append(spec(f"t-dq-inplace-{defect}", "data_quality", seed, steps=steps, n_batches=nb, optimizer=opt,
                         fmt=fmt, hidden=[48, 64, 96, 64][k],
                         fault={"kind": "files_damaged", "T": T, "n_bad": n_bad, "frac": frac, "defect": defect}))
    # data_quality: from T, some batches read NEW files that carry a defect
    for k, (defect, n_bad, frac, nb, opt) in enumerate([
        ("skewed", 5, (0.8, 1.0), 12, "adam"),
        ("overexposed", 2, (0.6, 0.9), 9, "momentum"),
        ("rotated", 6, (0.55, 0.7), 12, "adam"),
    ]):
        seed = S + 20 + k
        steps = 800
        T = draw_T(seed, steps)
        runs.append(spec(f"t-dq-newfiles-{defect}", "data_quality", seed, steps=steps, n_batches=nb, optimizer=opt,
                         fault={"kind": "new_defective_files", "T": T, "n_bad": n_bad, "frac": frac,
                                "defect": defect}))

    # data_change: other, harder but undamaged images -------------------------------------------
    for k, (style, extra) in enumerate([
        ("bold_slant", {}),
        ("rare", {"classes": [3, 8]}),
        ("thin", {}),
        ("rare", {"classes": [5, 9], "keep": 0.04}),
    ]):
        seed = S + 30 + k
        steps = 800
        T = draw_T(seed, steps)
        runs.append(spec(f"t-dc-{style}-{k}", "data_change", seed, steps=steps, n_batches=10,
                         optimizer=["adam", "momentum", "adam", "sgd"][k],
                         fault={"kind": "data_change", "T": T, "n_bad": [3, 2, 4, 3][k],
                                "frac": (0.6, 1.0), "style": style, **extra}))

    # learning_rate: x10 / x100 from T (a bad schedule, a typo) ----------------------------------
    for k, (mult, opt, T2) in enumerate([(100, "adam", None), (10, "momentum", None), (10, "sgd", None),
                                         (30, "adam", "fix")]):
        seed = S + 40 + k
        steps = 900
        T = draw_T(seed, steps, 0.4, 0.6)
        fault = {"kind": "lr_mult", "T": T, "mult": mult}
        if T2:
            fault["T2"] = T + 150
        runs.append(spec(f"t-lr-x{mult}-{opt}{'-fixed' if T2 else ''}", "learning_rate", seed, steps=steps,
                         optimizer=opt, fault=fault))

    # divergence: the lr ramps up from T (linear or cosine-shaped) -------------------------------
    for k, (shape, to, over, opt) in enumerate([("linear", 40, 300, "adam"), ("cosine", 60, 400, "momentum"),
                                                ("linear", 25, 250, "sgd")]):
        seed = S + 50 + k
        steps = 1000
        T = draw_T(seed, steps, 0.3, 0.45)
        runs.append(spec(f"t-div-{shape}-{opt}", "divergence", seed, steps=steps, optimizer=opt,
                         fault={"kind": "lr_ramp", "T": T, "shape": shape, "to": to, "over": over},
                         accepted=["divergence", "learning_rate"]))
    seed = S + 55
    runs.append(spec("t-div-gradscale", "divergence", seed, steps=1000, optimizer="momentum",
                     fault={"kind": "grad_growth", "T": draw_T(seed, 1000, 0.3, 0.45), "over": 60, "power": 2}))

    # non_finite ----------------------------------------------------------------------------------
    seed = S + 60
    runs.append(spec("t-nf-lrinf-adam", "non_finite", seed, steps=800, optimizer="adam",
                     fault={"kind": "lr_inf", "T": draw_T(seed, 800)}, accepted=["non_finite", "learning_rate"]))
    seed = S + 61
    runs.append(spec("t-nf-overflow-sgd", "non_finite", seed, steps=800, optimizer="sgd",
                     fault={"kind": "overflow_batch", "T": draw_T(seed, 800)}))
    seed = S + 62
    runs.append(spec("t-nf-overflow-momentum", "non_finite", seed, steps=700, optimizer="momentum", hidden=96,
                     fault={"kind": "overflow_batch", "T": draw_T(seed, 700, 0.5, 0.7)}))

    # overfitting: a tiny training subset, no regularisation --------------------------------------
    runs.append(spec("t-of-tiny50", "overfitting", S + 70, steps=1000, optimizer="adam", hidden=128,
                     fault={"kind": "tiny_train", "T": 0, "n": 50}))
    runs.append(spec("t-of-tiny80-momentum", "overfitting", S + 71, steps=1000, optimizer="momentum",
                     hidden=128, lr=0.05, fault={"kind": "tiny_train", "T": 0, "n": 80}))
    seed = S + 72
    runs.append(spec("t-of-cache-bug", "overfitting", seed, steps=1200, optimizer="adam", hidden=96,
                     fault={"kind": "tiny_train", "T": draw_T(seed, 1200, 0.15, 0.25), "n": 60}))

    # plateau: lr cut to 0, or weights frozen -----------------------------------------------------
    seed = S + 80
    runs.append(spec("t-pl-lr0-sgd", "plateau", seed, steps=900, optimizer="sgd", lr=0.01, hidden=32,
                     fault={"kind": "lr_zero", "T": draw_T(seed, 900, 0.15, 0.3)}, accepted=["plateau", "learning_rate"]))
    seed = S + 81
    runs.append(spec("t-pl-freeze-adam", "plateau", seed, steps=900, optimizer="adam", lr=2e-4, hidden=48,
                     fault={"kind": "freeze", "T": draw_T(seed, 900, 0.15, 0.3)}))
    seed = S + 82
    runs.append(spec("t-pl-lr0-momentum", "plateau", seed, steps=800, optimizer="momentum", lr=0.002,
                     fault={"kind": "lr_zero", "T": draw_T(seed, 800, 0.2, 0.3)}, accepted=["plateau", "learning_rate"]))

    # clean ---------------------------------------------------------------------------------------
    runs.append(spec("t-clean-constant-adam", "clean", S + 90, steps=900, optimizer="adam"))
    runs.append(spec("t-clean-step-momentum", "clean", S + 91, steps=1000, optimizer="momentum", lr=0.03,
                     schedule={"kind": "step", "milestones": [400, 750], "gamma": 0.1}))
    runs.append(spec("t-clean-warmcos-adam", "clean", S + 92, steps=1000, optimizer="adam", lr=3e-3,
                     schedule={"kind": "warmup_cosine", "warmup": 80}))
    runs.append(spec("t-clean-restarts-sgd", "clean", S + 93, steps=1200, optimizer="sgd", lr=0.1,
                     schedule={"kind": "cosine_restarts", "period": 300}))
    runs.append(spec("t-clean-constant-sgd", "clean", S + 94, steps=800, optimizer="sgd", hidden=32, n_batches=8))
    runs.append(spec("t-clean-step-adam", "clean", S + 95, steps=900, optimizer="adam", hidden=96, n_batches=12,
                     schedule={"kind": "step", "milestones": [500], "gamma": 0.3}, fmt="jpg"))
    return runs
