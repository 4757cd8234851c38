"""CinC 2017 record rhythm on the project's held-out split: the fused rhythm trees against the same learner on the
classical features alone and the backbone rhythm head alone, 3 seeds.

Usage: python bench/bench_rhythm_trees.py /tmp/cinc_rhythm.npz [--seeds 0,1,2] [--json OUT]

The features come from ``python -m anyecg_model.train.rhythm_trees_train features`` (the shipped analysis over
every CinC 2017 record). The gradient boosting is fitted on the train split's classical features with the recipe
chosen by cross-validation on train+val (:class:`~anyecg_model.train.rhythm_trees_train.RhythmRecipe`); alone
(the same-run classical baseline) and fused with the rhythm head (the shipped classifier,
:mod:`~anyecg_model.model.rhythm_trees`) it gets a temperature fitted on val, and is scored on the test split (822 records): F1 of N, A, O, ~, their mean over N A O (the challenge score), accuracy and
the expected calibration error (ECE, 15 bins) of the calibrated probabilities. The head alone is its mean window
probabilities with a temperature fitted on val too (on their logarithm). The learner has no randomness without
early stopping or subsampling, so the seeds agree; a paired bootstrap over the test records gives the
uncertainty of the fused classifier's gain. Running this looks at the test records: say so in
docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np

from anyecg_model.model.rhythm_trees import softmax
from anyecg_model.train.rhythm_trees_train import (RhythmRecipe, fit_calibrated, fit_temperature, fused_probabilities,
                                                   load, model_only, scores)

KEYS = ("F1_N", "F1_A", "F1_O", "F1_~", "F1_mean_NAO", "accuracy", "ECE")


HEAD, GBM, FUSED = "rhythm head alone", "GBM, classical features (same run)", "fused: GBM × rhythm head"


def rows(data: dict, seeds: list[int], recipe: RhythmRecipe = RhythmRecipe()) -> tuple[dict, dict]:
    """Per row, the scores of each seed; and the test probabilities of each row (last seed)."""
    X, y, split = data["X"], data["y"], data["split"]
    te, va = split == "test", split == "val"
    out: dict[str, list[dict]] = {HEAD: [], GBM: [], FUSED: []}
    log_p = np.log(np.clip(model_only(X), 1e-6, 1))
    t = fit_temperature(log_p[va], y[va])
    probs = {HEAD: softmax(log_p[te] / t)}
    for seed in seeds:
        out[HEAD].append(scores(y[te], probs[HEAD]))
        for name, w in ((GBM, 1.0), (FUSED, recipe.tree_weight)):
            _, trees, temp = fit_calibrated(X, y, split, recipe, seed, w)
            probs[name] = fused_probabilities(trees, X[te], w, temp)
            out[name].append(scores(y[te], probs[name]))
    return out, probs


def paired_bootstrap(y: np.ndarray, a: np.ndarray, b: np.ndarray, n: int = 2000, seed: int = 0) -> tuple[float, ...]:
    """Mean F1 (N, A, O) of ``a`` minus that of ``b`` over ``n`` resamples of the records: (2.5 %, 97.5 %
    percentiles, share of resamples where ``a`` is not better)."""
    from anyecg_model.train.tasks.rhythm import rhythm_metrics

    rng = np.random.default_rng(seed)
    d = np.empty(n)
    for k in range(n):
        i = rng.integers(0, len(y), len(y))
        d[k] = rhythm_metrics(y[i], a[i])["F1_mean_NAO"] - rhythm_metrics(y[i], b[i])["F1_mean_NAO"]
    return float(np.quantile(d, 0.025)), float(np.quantile(d, 0.975)), float(np.mean(d <= 0))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("features", type=Path)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = load(a.features)
    seeds = [int(s) for s in a.seeds.split(",")]
    res, probs = rows(data, seeds)
    print(f"\n## CinC 2017 rhythm, test split ({int((data['split'] == 'test').sum())} records), seeds {seeds}")
    print("| model | " + " | ".join(KEYS) + " |")
    print("|---" * (len(KEYS) + 1) + "|")
    for name, runs in res.items():
        cells = []
        for k in KEYS:
            v = np.array([r[k] for r in runs])
            cells.append(f"{v.mean():.3f} ± {v.std():.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    y = data["y"][data["split"] == "test"]
    for other in (GBM, HEAD):
        lo, hi, worse = paired_bootstrap(y, probs[FUSED], probs[other])
        print(f"fused − {other}: mean F1 (N, A, O) difference 95 % interval [{lo:+.3f}, {hi:+.3f}] "
              f"(2000 paired resamples of the test records; not better in {worse:.1%})")
    if a.json:
        a.json.write_text(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main()
