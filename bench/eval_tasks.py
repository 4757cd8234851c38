"""Held-out evaluation of the shipped model against baselines trained in the same run on the same split.

Usage: python bench/eval_tasks.py [--model DIR (default: the shipped model)] [--name NAME] [--tasks beats,rhythm,anomaly,leadgen]
       [--seed 0] [--skip-baselines] [--json OUT]

For each task: the model's metrics on the test split; the classical baseline (gradient boosting on
RR + morphology features for beats, on RR statistics for rhythm; linear regression from the present
leads for lead generation) fitted on the training split (``--seed`` seeds the gradient boosting). The
"random init" baseline is a model made by the same recipe from a random backbone
(``recipe.shipped --random-init``), evaluated here with ``--model`` like any other; ``bench/aggregate_seeds.py``
turns several runs' JSON into mean ± std tables.
Prints one table per task.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch

from anyecg_model.vocabulary.labels import BEAT_CLASSES, RECORD_CLASSES
from anyecg_model.model.checkpoint import load_checkpoint
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.train.baselines import LinearLeadGenerator, beat_table, fit_gbm, full_proba, rhythm_table
from anyecg_model.train.data.corpus import Corpus
from anyecg_model.train.tasks.beats import beat_metrics
from anyecg_model.train.tasks.evaluation import Predictions, make_dataset, metrics_of, predict
from anyecg_model.train.tasks.leadgen import leadgen_metrics
from anyecg_model.train.tasks.rhythm import rhythm_metrics

KEYS = {
    "beats": ["Se_N", "+P_N", "Se_S", "+P_S", "Se_V", "+P_V", "Se_F", "+P_F", "accuracy", "jkappa", "n_beats"],
    "rhythm": ["F1_N", "F1_A", "F1_O", "F1_~", "F1_mean_NAO", "accuracy"],
    "anomaly": ["AUROC", "AUC_PR", "accuracy", "F1_weighted", "n_records"],
    "leadgen": ["PSNR_dB", "SSIM", "MAE", "r", "n_leads"],
}


def gbm_beats(corpus, cfg, seed):
    Xtr, ytr, _ = beat_table(make_dataset("beats", corpus, cfg, ("train", "val")))
    Xte, yte, _ = beat_table(make_dataset("beats", corpus, cfg, ("test",)))
    clf = fit_gbm(Xtr, ytr, len(BEAT_CLASSES), seed)
    return beat_metrics(yte, full_proba(clf, Xte, len(BEAT_CLASSES)).argmax(1))


def gbm_rhythm(corpus, cfg, seed):
    Xtr, ytr, _ = rhythm_table(make_dataset("rhythm", corpus, cfg, ("train",), max_windows_per_record=1, seed=seed))
    Xte, yte, rte = rhythm_table(make_dataset("rhythm", corpus, cfg, ("test",)))
    clf = fit_gbm(Xtr, ytr, len(RECORD_CLASSES), seed)
    pred = Predictions("rhythm", yte, full_proba(clf, Xte, len(RECORD_CLASSES)), rte)
    return metrics_of(pred)


def linear_leadgen(gen: LinearLeadGenerator, corpus, cfg, protocol, sets):
    pairs = []
    for item in make_dataset("leadgen", corpus, cfg, ("test",), protocol=protocol, sets=sets):
        n = int(item["patch_mask"].sum()) * item["patches"].shape[-1]
        for s in np.flatnonzero(item["target_mask"].numpy()):
            true = item["target"].numpy()[s].reshape(-1)[:n]
            pairs.append((true, gen.generate(item["patches"].numpy(), item["lead_mask"].numpy(), int(s), n)))
    return leadgen_metrics(pairs)


def table(task, rows):
    keys = KEYS[task]
    print(f"\n## {task}")
    print("| model | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, m in rows.items():
        print(f"| {name} | " + " | ".join(f"{m.get(k, float('nan')):.3f}" if isinstance(m.get(k), float)
                                          else str(m.get(k, "")) for k in keys) + " |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR)
    p.add_argument("--tasks", default="beats,rhythm,anomaly,leadgen")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--name", default="AnyECG-small", help="the model's name in the tables")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", type=Path, default=Path.home() / ".cache/anyecg/corpus")
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--skip-baselines", action="store_true", help="only the model (baselines run separately)")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    torch.set_num_threads(a.threads)
    corpus = Corpus(a.corpus)
    model = load_checkpoint(a.model)
    cfg = model.preprocess_cfg
    results = {}
    for task in a.tasks.split(","):
        rows = {}
        if task == "leadgen":
            gen = None if a.skip_baselines else LinearLeadGenerator(
                make_dataset("leadgen", corpus, cfg, ("train",), protocol="random"))
            for protocol, sets in (("random", ("ptbxl500",)), ("chest", ("ptbxl500",)), ("random", ("ludb",)),
                                   ("chest", ("ludb",))):
                tag = f"{sets[0]} {protocol}"
                ds = make_dataset(task, corpus, cfg, ("test",), protocol=protocol, sets=sets)
                rows[f"{a.name}, {tag}"] = predict(model, task, ds)[0]
                if not a.skip_baselines:
                    rows[f"linear regression, {tag}"] = linear_leadgen(gen, corpus, cfg, protocol, sets)
        else:
            sets_list = [("ptbxl500",), ("cinc2017",)] if task == "anomaly" else [None]
            for sets in sets_list:
                tag = f", {sets[0]}" if sets else ""
                ds = make_dataset(task, corpus, cfg, ("test",), sets=sets)
                rows[f"{a.name}{tag}"] = predict(model, task, ds)[0]
            if task == "beats" and not a.skip_baselines:
                rows["GBM (RR + morphology)"] = gbm_beats(corpus, cfg, a.seed)
            if task == "rhythm" and not a.skip_baselines:
                rows["GBM (RR statistics)"] = gbm_rhythm(corpus, cfg, a.seed)
        table(task, rows)
        results[task] = rows
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
