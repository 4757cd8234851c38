"""Issue 15: can fusion beat its same-run classical rival? Boosting, ensembles and a wider MLP, on cached beats.

    OMP_NUM_THREADS=1 python bench/bench_beat_boost.py --stage val            # choices, seed 0, 101/203/223
    OMP_NUM_THREADS=1 python bench/bench_beat_boost.py --stage test [--random-init]   # DS2, seeds 0,1,2

Candidates (all trained on DS1 less 101, 203, 223 plus the paced records; see bench_beat_fusion.py):

- ``gbm``: the rival, HistGradientBoosting on clinical + window features (balanced^0.5 class weights);
- ``boost-pcaK``: the same gradient boosting with the backbone's representation added, as its first K
  principal components (fitted on the training beats), K = 133 meaning the raw representation;
- ``ens-a``: a·(fusion MLP, temperature-calibrated) + (1 − a)·(GBM, temperature-calibrated);
- ``mlp+win``: the fusion MLP with the GBM's window features as extra inputs.

Every choice (K, a, class-weight power) is made on the validation records; DS2 is only for the final table.
Reads the per-beat cache written by bench_beat_fusion.py (never re-extracts).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.model.beat_fusion import fit_temperature  # noqa: E402
from anyecg_model.analysis.beat_fusion_data import load_cache  # noqa: E402
from anyecg_model.train.beat_fusion_train import (MITDB_DS2, MITDB_PACED, MITDB_VAL, TRAIN, FusionRecipe,  # noqa: E402
                                                  N_CLASSES, Table, beat_scores, class_weights, fusion_logits,
                                                  paced_scores, train_fusion)

log = logging.getLogger("bench_beat_boost")
COLS = ("Se_V", "+P_V", "Se_S", "+P_S", "Se_F", "Se_P", "jkappa", "ece")


@dataclass
class Boost:
    """A fitted gradient-boosting candidate: classifier, optional PCA of the representation, temperature."""

    clf: object
    pca_mean: np.ndarray | None = None
    pca_comp: np.ndarray | None = None
    temperature: float = 1.0

    def features(self, t: Table) -> np.ndarray:
        x = [t.clinical, t.window]
        if self.pca_comp is not None:
            x.append((t.rep - self.pca_mean) @ self.pca_comp.T)
        return np.concatenate(x, 1)

    def log_proba(self, t: Table) -> np.ndarray:
        lp = np.full((len(t.label), N_CLASSES), -30.0)
        lp[:, self.clf.classes_] = np.log(np.clip(self.clf.predict_proba(self.features(t)), 1e-12, 1))
        return lp

    def proba(self, t: Table) -> np.ndarray:
        return softmax(self.log_proba(t) / self.temperature)


def rep_name(k: int) -> str:
    return "representation" if k >= 133 else f"PCA{k}"


def softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def pca(rep: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, components (k, D)) of ``rep``; k ≥ D keeps the raw representation (identity)."""
    mean = rep.mean(0)
    if k >= rep.shape[1]:
        return mean * 0, np.eye(rep.shape[1], dtype=rep.dtype)
    _, _, vt = np.linalg.svd(rep - mean, full_matrices=False)
    return mean, vt[:k].astype(rep.dtype)


def train_boost(train: Table, val: Table, seed: int, power: float = 0.5, k_pca: int = 0,
                max_iter: int = 200) -> Boost:
    from sklearn.ensemble import HistGradientBoostingClassifier

    b = Boost(None)
    if k_pca:
        b.pca_mean, b.pca_comp = pca(train.rep, k_pca)
    w = (class_weights(train.label) ** power)[train.label]
    b.clf = HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.1, random_state=seed)
    b.clf.fit(b.features(train), train.label, sample_weight=w)
    b.temperature = fit_temperature(b.log_proba(val), val.label)
    return b


def widened(t: Table) -> Table:
    """The table with the window features appended to the clinical ones (the MLP's extra inputs)."""
    return replace(t, clinical=np.concatenate([t.clinical, t.window], 1))


def train_mlp(train: Table, val: Table, seed: int, recipe: FusionRecipe, wide: bool = False):
    """The fusion MLP (optionally with the window features); returns a calibrated-probability function."""
    import anyecg_model.train.beat_fusion_train as bft
    import torch

    if wide:
        names = bft.CLINICAL_FEATURES
        bft.CLINICAL_FEATURES = tuple(names) + tuple(f"window_{i}" for i in range(train.window.shape[1]))
        try:
            head = train_fusion(widened(train), widened(val), seed, recipe)
        finally:
            bft.CLINICAL_FEATURES = names
    else:
        head = train_fusion(train, val, seed, recipe)

    def proba(t: Table) -> np.ndarray:
        with torch.no_grad():
            return softmax(fusion_logits(head, widened(t) if wide else t) / head.cfg.temperature)
    return proba


def export_timing(name: str, b: Boost, t: Table) -> None:
    """The numpy predictor of the exported trees against scikit-learn on ``t``: largest difference, seconds."""
    from anyecg_model.model.boosted_trees import export_hist_gbm

    trees, x = export_hist_gbm(b.clf), b.features(t)
    t0 = time.perf_counter()
    mine = trees.predict_proba(x)
    t1 = time.perf_counter()
    ref = b.clf.predict_proba(x)
    t2 = time.perf_counter()
    log.info("%s: %d trees, depth %d; numpy %.2f s, scikit-learn %.2f s for %d beats; max |Δp| %.1e", name,
             len(trees.roots), trees.depth, t1 - t0, t2 - t1, len(x), np.abs(mine - ref).max())


def row(name: str, runs: list[dict]) -> str:
    cells = []
    for c in COLS:
        v = np.array([r[c] for r in runs])
        cells.append(f"{v.mean():.3f}" + (f" ± {v.std(ddof=1):.3f}" if len(v) > 1 else ""))
    return f"| {name} | " + " | ".join(cells) + " |"


def stage_val(train: Table, val: Table, a) -> None:
    """Seed 0, every candidate scored on the validation records only."""
    out = {}

    def timed(name, fn):
        t0 = time.process_time()
        r = fn()
        log.info("%s: %.0f s CPU", name, time.process_time() - t0)
        return r

    g = timed("gbm", lambda: train_boost(train, val, 0))
    out["gbm"] = beat_scores(val.label, g.proba(val))
    for k in a.pca:
        b = timed(f"boost{k}", lambda: train_boost(train, val, 0, k_pca=k))
        out[f"boost-pca{k}"] = beat_scores(val.label, b.proba(val))
    fr = FusionRecipe(weight_power=0.0)
    mlp = timed("mlp", lambda: train_mlp(train, val, 0, fr))
    out["mlp"] = beat_scores(val.label, mlp(val))
    pg, pm = g.proba(val), mlp(val)
    for w in (0.25, 0.5, 0.75):
        out[f"ens a={w}"] = beat_scores(val.label, w * pm + (1 - w) * pg)
    for power in (0.0, 0.5):
        wide = timed("mlp+win", lambda: train_mlp(train, val, 0, replace(fr, weight_power=power), wide=True))
        out[f"mlp+win p{power}"] = beat_scores(val.label, wide(val))
    print("\nValidation records 101, 203, 223, seed 0")
    print("| model | " + " | ".join(COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for name, r in out.items():
        print(row(name, [r]))


def stage_val_seeds(train: Table, val: Table, a) -> None:
    """Boosting choices (components K, class-weight power) on the validation records over the seeds."""
    print("\nValidation records 101, 203, 223, seeds " + a.seeds)
    print("| model | " + " | ".join(COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    seeds = [int(s) for s in a.seeds.split(",")]
    grid = [(0, 0.5)] + [(k, 0.5) for k in a.pca] + [(a.k, p) for p in (0.25, 1.0)]
    for k, power in grid:
        runs = [beat_scores(val.label, train_boost(train, val, s, power, k).proba(val)) for s in seeds]
        print(row(f"boost-pca{k} p{power}", runs), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beats_cache"))
    ap.add_argument("--stage", choices=("val", "val-seeds", "test"), default="val")
    ap.add_argument("--pca", default="8,16,32,133", help="principal components of the representation to try")
    ap.add_argument("--k", type=int, default=133, help="test stage: components chosen on validation (133: raw)")
    ap.add_argument("--ens", type=float, default=0.75, help="test stage: ensemble weight chosen on validation")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--random-init", action="store_true")
    a = ap.parse_args()
    a.pca = [int(k) for k in a.pca.split(",") if k]
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = TRAIN + MITDB_PACED + MITDB_VAL + MITDB_DS2
    c = load_cache(a.cache / "shipped", records)
    train, val, test = Table.of(c, TRAIN + MITDB_PACED), Table.of(c, MITDB_VAL), Table.of(c, MITDB_DS2)
    if a.stage != "test":
        (stage_val if a.stage == "val" else stage_val_seeds)(train, val, a)
        return
    seeds = [int(s) for s in a.seeds.split(",")]
    res: dict[str, list[dict]] = {}
    fr = FusionRecipe(weight_power=0.0)
    for s in seeds:
        g = train_boost(train, val, s)
        b = train_boost(train, val, s, k_pca=a.k)
        m = train_mlp(train, val, s, fr)
        pg, pm = g.proba(test), m(test)
        for name, p in (("GBM, clinical + window (same run)", pg), (f"boost, + backbone {rep_name(a.k)}", b.proba(test)),
                        ("fusion MLP", pm), (f"ensemble a={a.ens}", a.ens * pm + (1 - a.ens) * pg)):
            res.setdefault(name, []).append(beat_scores(test.label, p))
        w = train_mlp(train, val, s, fr, wide=True)
        res.setdefault("fusion MLP + window features", []).append(beat_scores(test.label, w(test)))
        if s == seeds[0]:
            for name, model in (("GBM", g), ("boost", b)):
                export_timing(name, model, test)
        log.info("seed %d: GBM %d iterations, boost %d iterations", s, g.clf.n_iter_, b.clf.n_iter_)
    if a.random_init:
        r = load_cache(a.cache / "random", records)
        rt, rv, rs = Table.of(r, TRAIN + MITDB_PACED), Table.of(r, MITDB_VAL), Table.of(r, MITDB_DS2)
        for s in seeds:
            res.setdefault(f"boost, + random-init {rep_name(a.k)}", []).append(
                beat_scores(rs.label, train_boost(rt, rv, s, k_pca=a.k).proba(rs)))
    print(f"\nMIT-BIH DS2 ({len(test.label)} beats), seeds {seeds}, mean ± sd")
    print("| model | " + " | ".join(COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for name, runs in res.items():
        print(row(name, runs))
    for rec in MITDB_PACED:
        others = TRAIN + tuple(p for p in MITDB_PACED if p != rec)
        tr, te = Table.of(c, others), Table.of(c, (rec,))
        ps = paced_scores(te.label, train_boost(tr, val, 0, k_pca=a.k).proba(te))
        print(f"paced {rec} held out, boost seed 0: {ps['n_paced']} paced beats, called P {ps['paced_Se']:.3f}, "
              f"called V {ps['paced_as_V']:.3f}, P calls on unpaced beats {ps['P_calls_on_unpaced']:.3f}")


if __name__ == "__main__":
    main()
