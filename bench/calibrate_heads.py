"""Temperature calibration of the shipped model's record-level heads: rhythm (CinC 2017 N/A/O/~) and anomaly
(PTB-XL normal/abnormal), fitted on each set's validation split and measured on its test split.

Usage: python bench/calibrate_heads.py [--model DIR] [--corpus DIR] [--bootstrap N] [--json OUT]

Splits are the corpus's (:mod:`anyecg_model.train.data.corpus`): CinC 2017 its seeded 80/10/10 split, PTB-XL
``strat_fold`` 9 (validation) and 10 (test). Scores are record-level as the analyzer shows them: the rhythm
record probabilities are the mean of the windows' calibrated softmax, softmax(log p / T) per window; the
anomaly score is sigmoid(mean window logit / T). T is searched on a log grid 0.25–8 for minimum negative
log-likelihood on validation. ECE: top-label confidence against correctness, 15 equal-width bins
(:func:`~anyecg_model.model.beat_fusion.expected_calibration_error`, the beats' measure). Prints the temperatures,
ECE before/after on validation and test, and the test reliability tables; the temperatures go into the
checkpoint's ``calibration`` block (:mod:`anyecg_model.model.calibration`) by hand, or
by the shipped recipe, which fits them with the same function (:mod:`anyecg_model.train.calibration_fit`).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch

from anyecg_model.model.beat_fusion import expected_calibration_error, reliability_table
from anyecg_model.model.checkpoint import load_checkpoint
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.train.calibration_fit import SETS, calibration_of, fit_head_temperature, nll, record_probabilities
from anyecg_model.train.data.corpus import Corpus
from anyecg_model.train.tasks.evaluation import make_dataset, predict

def bootstrap_interval(task: str, pred, n: int, seed: int = 0) -> tuple[float, float]:
    """90 % interval of the fitted temperature over ``n`` resamples of ``pred``'s records (with replacement)."""
    rng, recs = np.random.default_rng(seed), np.unique(pred.record)
    ts = []
    for _ in range(n):
        pick = rng.choice(recs, len(recs))
        idx = np.concatenate([np.flatnonzero(pred.record == r) for r in pick])
        # resampled records get fresh ids so that a record drawn twice counts twice
        rid = np.concatenate([np.full(int((pred.record == r).sum()), i) for i, r in enumerate(pick)])
        ts.append(fit_head_temperature(task, type(pred)(pred.task, pred.y[idx], pred.score[idx], rid)))
    lo, hi = np.quantile(ts, [0.05, 0.95])
    return float(lo), float(hi)


def summary(task: str, pred, t: float) -> dict:
    labels, prob = record_probabilities(task, pred, calibration_of(task, t))
    conf, correct = prob.max(1), (prob.argmax(1) == labels).astype(float)
    return {"n_records": len(labels), "nll": nll(labels, prob), "ece": expected_calibration_error(conf, correct),
            "accuracy": float(correct.mean()), "reliability": reliability_table(conf, correct)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR)
    p.add_argument("--corpus", type=Path, default=Path.home() / ".cache/anyecg/corpus")
    p.add_argument("--tasks", default="rhythm,anomaly")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bootstrap", type=int, default=0, help="resamples for the temperature's 90 %% interval")
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    torch.set_num_threads(a.threads)
    corpus, model = Corpus(a.corpus), load_checkpoint(a.model)
    out = {}
    for task in a.tasks.split(","):
        preds = {split: predict(model, task, make_dataset(task, corpus, model.preprocess_cfg, (split,),
                                                          sets=SETS[task]))[1] for split in ("val", "test")}
        t = fit_head_temperature(task, preds["val"])
        res = {"temperature": t, "sets": SETS[task]}
        if a.bootstrap:
            res["temperature_90"] = bootstrap_interval(task, preds["val"], a.bootstrap)
        for split, pred in preds.items():
            res[split] = {"before": summary(task, pred, 1.0), "after": summary(task, pred, t)}
        out[task] = res
        ci = res.get("temperature_90")
        print(f"\n## {task} ({SETS[task][0]}): T = {t:.3f} (fitted on val" +
              (f"; 90 % bootstrap interval {ci[0]:.3f}–{ci[1]:.3f})" if ci else ")"))
        print("| split | records | accuracy | NLL before | NLL after | ECE before | ECE after |\n|---|---|---|---|---|---|---|")
        for split in ("val", "test"):
            b, f = res[split]["before"], res[split]["after"]
            print(f"| {split} | {b['n_records']} | {b['accuracy']:.3f} | {b['nll']:.3f} | {f['nll']:.3f} | "
                  f"{b['ece']:.3f} | {f['ece']:.3f} |")
        print("\ntest reliability (confidence bin | records | mean confidence | accuracy), before → after")
        for when in ("before", "after"):
            print(f"{when}:")
            for lo, hi, n, c, acc in res["test"][when]["reliability"]:
                print(f"| {lo:.2f}–{hi:.2f} | {n} | {c:.3f} | {acc:.3f} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
