"""Issue 15: the fusion beat classifier against its same-run classical rival on MIT-BIH, inter-patient.

    python bench/bench_beat_fusion.py [--cache /tmp/beats_cache] [--seeds 0,1,2] [--random-init] [--ship]

Extracts per-beat inputs once per record (``<cache>/shipped/<record>.npz``, and ``<cache>/random/`` for the
random-init backbone with ``--random-init``; a few minutes each on 2 CPU cores), then trains on DS1 (less
101, 203, 223, which fit the temperature) plus the paced records 102, 104, 107, 217, tests on DS2, over the
seeds (class-weight powers chosen on the validation records, see --fusion-power / --gbm-power), and prints:
the v0.3.0 beat head, the GBM on the same clinical features, the fusion head (shipped and
random-init backbone) and the fusion head without the backbone representation; then paced beats
leave-one-paced-record-out, and the DS2 reliability table. ``--ship`` writes the seed-0 fusion head (trained
on all training records) beside the shipped backbone in resources/anyecg-small.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.model.beat_fusion import expected_calibration_error, reliability_table, save_fusion  # noqa: E402
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR  # noqa: E402
from anyecg_model.vocabulary.labels import AAMI_BEAT_CLASSES  # noqa: E402
from anyecg_model.analysis.beat_fusion_data import extract_mitdb, load_cache  # noqa: E402
from anyecg_model.train.beat_fusion_train import (MITDB_DS2, MITDB_PACED, MITDB_VAL, TRAIN, FusionRecipe,  # noqa: E402
                                                  Table, beat_scores, fusion_logits, fusion_proba, gbm_proba,
                                                  paced_scores, train_fusion, train_gbm)

log = logging.getLogger("bench_beat_fusion")
COLS = ("Se_V", "+P_V", "Se_S", "+P_S", "Se_F", "Se_P", "jkappa", "ece")


def head_proba(t: Table) -> np.ndarray:
    """The v0.3.0 beat head's own softmax (its logits are the last columns of the representation)."""
    z = t.rep[:, -len(AAMI_BEAT_CLASSES):]
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return np.pad(p, ((0, 0), (0, 1)))


def row(name: str, runs: list[dict]) -> str:
    cells = []
    for c in COLS:
        v = np.array([r[c] for r in runs])
        cells.append(f"{v.mean():.3f}" + (f" ± {v.std():.3f}" if len(v) > 1 else ""))
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path.home() / ".cache" / "anyecg" / "data")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beats_cache"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--random-init", action="store_true", help="also the random-init backbone row")
    ap.add_argument("--ship", action="store_true", help="write the seed-0 head into resources/anyecg-small")
    ap.add_argument("--fusion-power", type=float, default=0.0,
                    help="class weights balanced ** power for the fusion head (0.0 chosen on 101, 203, 223)")
    ap.add_argument("--gbm-power", type=float, default=0.5,
                    help="the same for the GBM (0.5 chosen on 101, 203, 223)")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seeds = [int(s) for s in a.seeds.split(",")]
    records = sorted(set(TRAIN) | set(MITDB_VAL) | set(MITDB_DS2) | set(MITDB_PACED))
    caches = {"shipped": a.cache / "shipped"} | ({"random": a.cache / "random"} if a.random_init else {})
    for name, d in caches.items():
        extract_mitdb(a.data / "mitdb", d, records, random_init_seed=0 if name == "random" else None)
    data = {name: load_cache(d, records) for name, d in caches.items()}
    c = data["shipped"]
    train, val, test = Table.of(c, TRAIN + MITDB_PACED), Table.of(c, MITDB_VAL), Table.of(c, MITDB_DS2)

    results: dict[str, list[dict]] = {"v0.3.0 beat head (window only)": [beat_scores(test.label, head_proba(test))]}
    fr = FusionRecipe(weight_power=a.fusion_power)
    results["GBM, same clinical + window features"] = [
        beat_scores(test.label, gbm_proba(train_gbm(train, s, a.gbm_power), test)) for s in seeds]
    results["fusion: clinical features only (no backbone)"] = [
        beat_scores(test.label, fusion_proba(train_fusion(train, val, s, replace(fr, use_repr=False)), test))
        for s in seeds]
    heads = [train_fusion(train, val, s, fr) for s in seeds]
    results["**fusion: shipped backbone + clinical**"] = [beat_scores(test.label, fusion_proba(h, test)) for h in heads]
    if "random" in data:
        r = data["random"]
        rt, rv, rs = Table.of(r, TRAIN + MITDB_PACED), Table.of(r, MITDB_VAL), Table.of(r, MITDB_DS2)
        results["fusion: random-init backbone + clinical"] = [
            beat_scores(rs.label, fusion_proba(train_fusion(rt, rv, s, fr), rs)) for s in seeds]
    n_scored = next(iter(results.values()))[0]["n_beats"]
    print(f"\nMIT-BIH DS2 ({n_scored} beats scored, Q out of the reference), seeds {seeds}, mean ± sd")
    print("| model | " + " | ".join(COLS) + " |")
    print("|---" * (len(COLS) + 1) + "|")
    for name, runs in results.items():
        print(row(name, runs))

    head = heads[0]
    if a.ship:
        head.cfg.metrics = {"mitdb_ds2": {k: round(float(v), 4) for k, v in results[
            "**fusion: shipped backbone + clinical**"][0].items()}, "trained_on": list(TRAIN + MITDB_PACED),
            "temperature_fitted_on": list(MITDB_VAL)}
        log.info("wrote %s", save_fusion(head, SHIPPED_MODEL_DIR))

    print("\nPaced beats, leave-one-paced-record-out (train: DS1 train + the other 3 paced records), seed 0")
    print("| held out | paced beats | fusion paced Se | fusion paced→V | GBM paced Se | GBM paced→V |")
    print("|---|---|---|---|---|---|")
    for rec in MITDB_PACED:
        others = TRAIN + tuple(p for p in MITDB_PACED if p != rec)
        tr, te = Table.of(c, others), Table.of(c, (rec,))
        fu = [paced_scores(te.label, fusion_proba(train_fusion(tr, val, s, fr), te)) for s in seeds[:1]]
        gb = [paced_scores(te.label, gbm_proba(train_gbm(tr, s, a.gbm_power), te)) for s in seeds[:1]]
        m = lambda runs, k: np.mean([x[k] for x in runs])  # noqa: E731
        print(f"| {rec} | {fu[0]['n_paced']} | {m(fu, 'paced_Se'):.3f} | {m(fu, 'paced_as_V'):.3f} | "
              f"{m(gb, 'paced_Se'):.3f} | {m(gb, 'paced_as_V'):.3f} |")

    z = fusion_logits(head, test)
    raw = np.exp(z - z.max(1, keepdims=True))
    raw /= raw.sum(1, keepdims=True)
    cal = fusion_proba(head, test)
    keep = test.label != AAMI_BEAT_CLASSES.index("Q")
    print(f"\nCalibration on DS2 (seed 0, temperature {head.cfg.temperature:.2f} fitted on {', '.join(MITDB_VAL)}): "
          f"ECE {expected_calibration_error(raw.max(1)[keep], (raw.argmax(1) == test.label)[keep]):.3f} before, "
          f"{expected_calibration_error(cal.max(1)[keep], (cal.argmax(1) == test.label)[keep]):.3f} after")
    print("| confidence | beats | mean confidence | accuracy |")
    print("|---|---|---|---|")
    for lo, hi, n, conf, acc in reliability_table(cal.max(1)[keep], (cal.argmax(1) == test.label)[keep]):
        print(f"| {lo:.2f}–{hi:.2f} | {n} | {conf:.3f} | {acc:.3f} |")



if __name__ == "__main__":
    main()
