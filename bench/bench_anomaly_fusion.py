"""Fused anomaly trees vs the classical baseline and the anomaly head alone, PTB-XL, 3 seeds.

Usage: PYTHONPATH=. python bench/bench_anomaly_fusion.py [--seeds 0,1,2] [--test] [--json OUT]

Rows (record level; :mod:`anyecg_model.train.anomaly_fusion`): **fused** = gradient boosting on the averaged-beat
features + the anomaly head's logit; **classical** = the same learner, same run and seed, on the averaged-beat
features alone; **model only** = the shipped anomaly head (no seed: its logit, with the checkpoint's temperature).
Fold 9 (validation) is always printed; fold 10 (test) only with ``--test`` — the protocol looks at it once, at the
end. For the test split: AUROC, AUC-PR and a 95 % bootstrap interval of the AUROC (1 000 resamples of its
records, seed 0's scores). Calibration: temperature fitted on fold 9 (fused, classical) and ECE (top label,
15 bins) of the calibrated probability.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from anyecg_model.model.beat_fusion import expected_calibration_error
from anyecg_model.model.calibration import Calibration
from anyecg_model.model.checkpoint_meta import read_metadata
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.analysis.anomaly_data import table_arrays
from anyecg_model.train.anomaly_fusion import FusionConfig, Table, fit, fit_temperature


def bootstrap_auroc(y: np.ndarray, s: np.ndarray, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    rng, vals = np.random.default_rng(seed), []
    while len(vals) < n:
        i = rng.integers(0, len(y), len(y))
        if 0 < y[i].sum() < len(i):
            vals.append(roc_auc_score(y[i], s[i]))
    lo, hi = np.quantile(vals, [0.025, 0.975])
    return float(lo), float(hi)


def ece(prob: np.ndarray, y: np.ndarray) -> float:
    return expected_calibration_error(np.maximum(prob, 1 - prob), ((prob >= 0.5) == (y == 1)).astype(float))


def scores(y, raw, prob) -> dict:
    return {"AUROC": float(roc_auc_score(y, raw)), "AUC_PR": float(average_precision_score(y, raw)),
            "ECE": ece(prob, y)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    p.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--test", action="store_true", help="also score fold 10 (the test split: look once)")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    table = Table(**table_arrays(a.data, a.model))
    splits = ["val"] + (["test"] if a.test else [])
    cal = Calibration.from_metadata(read_metadata(a.model))
    res: dict = {"model only": {}, "classical": {}, "fused": {}}
    for sp in splits:
        m = table.split(sp)
        z = table.head_logit[m]
        res["model only"][sp] = [scores(table.y[m], z, cal.anomaly_probability(z))]
    seeds = [int(s) for s in a.seeds.split(",")]
    for name, fused in (("classical", False), ("fused", True)):
        for sp in splits:
            res[name][sp] = []
        for seed in seeds:
            clf = fit(table, FusionConfig(), seed, fused)
            val = table.split("val")
            t = fit_temperature(clf.decision_function(table.inputs(fused)[val]), table.y[val])
            for sp in splits:
                m = table.split(sp)
                raw = clf.decision_function(table.inputs(fused)[m])
                res[name][sp].append({**scores(table.y[m], raw, 1 / (1 + np.exp(-raw / t))), "T": t,
                                      **({"CI95": bootstrap_auroc(table.y[m], raw)} if sp == "test" and seed == seeds[0]
                                         else {})})
    for sp in splits:
        n = int(table.split(sp).sum())
        print(f"\n## PTB-XL fold {9 if sp == 'val' else 10} ({n} records), seeds {a.seeds}")
        print("| model | AUROC | AUC-PR | ECE (calibrated) |" + (" AUROC 95 % CI (seed 0) |" if sp == "test" else ""))
        print("|---|---|---|---|" + ("---|" if sp == "test" else ""))
        for name, r in res.items():
            rows = r[sp]
            cell = [f"{np.mean([x[k] for x in rows]):.3f}" + (f" ± {np.std([x[k] for x in rows], ddof=1):.3f}"
                                                                if len(rows) > 1 else "") for k in ("AUROC", "AUC_PR", "ECE")]
            ci = rows[0].get("CI95")
            print(f"| {name} | " + " | ".join(cell) + " |" + (f" {ci[0]:.3f}–{ci[1]:.3f} |" if ci else
                                                              (" — |" if sp == "test" else "")))
    if a.test:
        m = table.split("test")
        print("\nmodel only, test AUROC 95 % CI:", "%.3f–%.3f" % bootstrap_auroc(table.y[m], table.head_logit[m]))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
