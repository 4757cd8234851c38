"""Issue 15: pacing-stimulus and RR-prematurity inputs for the beat trees, on cached beats.

    OMP_NUM_THREADS=1 python bench/bench_beat_pacing.py --stage extract   # the 8 extra inputs, seconds per record
    OMP_NUM_THREADS=1 python bench/bench_beat_pacing.py --stage loo [--sets none all relative] [--seeds 0 1 2]
    OMP_NUM_THREADS=1 python bench/bench_beat_pacing.py --stage cv --extra SET [--powers 0.5 1]   # DS1 only
    OMP_NUM_THREADS=1 python bench/bench_beat_pacing.py --stage test --extra SET --power P --s-shift A   # DS2

Inputs: the per-beat cache of bench_beat_fusion.py (``<cache>/shipped``: clinical + window features, the 50
inputs of the shipped trees) and the extra inputs of :func:`~anyecg_model.model.beat_trees.extra_features`
(``<cache>/extra``, written by ``--stage extract`` through the analyzer's chunks, leads and margins).
Recipe as bench/ship_beat_trees.py (HistGradientBoosting, ≤ 200 iterations, learning rate 0.1, class weights
balanced ** power; train DS1 less 101, 203, 223 plus the paced records; temperature on 101, 203, 223).

- ``loo``: each paced record held out, trained on the DS1 training records and the other three paced
  records; the held-out record's paced beats called P / V, and P calls on DS2 (which has no paced beat),
  averaged over ``--seeds``.
- ``cv``: leave-records-out on DS1 alone (4 folds of its 22 records, the paced records always in training):
  class-weight power and an S decision shift (S probability × A before the argmax) chosen by the pooled
  out-of-fold jκ. DS2 is never read.
- ``test``: DS2 over seeds 0, 1, 2: the shipped trees (the stored file, its own inputs), the same-run 50-input GBM (the
  v0.4.0 recipe retrained) and the trees with the ``--extra`` inputs, power and shift chosen by ``cv``.

Input sets (:data:`SETS`): ``none`` (the 50), ``pacing`` (the 4 stimulus features), ``prematurity`` (the 4 RR
ones), ``all`` (8), ``relative`` (all but the stimulus's absolute sharpness and steepness: the trees 1.1 ship).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.analysis.beat_fusion_data import load_cache  # noqa: E402
from anyecg_model.model.beat_fusion import fit_temperature  # noqa: E402
from anyecg_model.model.beat_trees import EXTRA_FEATURES, load_beat_trees  # noqa: E402
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR  # noqa: E402
from anyecg_model.train.beat_fusion_train import (MITDB_DS2, MITDB_PACED, MITDB_VAL, N_CLASSES, TRAIN,  # noqa: E402
                                                  beat_scores, class_weights, paced_scores)
from anyecg_model.train.data.corpus import MITDB_DS1  # noqa: E402
from anyecg_model.vocabulary.labels import BEAT_CLASSES  # noqa: E402
from anyecg_model.vocabulary.pacing_spike import PACING_FEATURES  # noqa: E402

log = logging.getLogger("bench_beat_pacing")
MITDB = Path.home() / ".cache/anyecg/data/mitdb"
S, V, P = (BEAT_CLASSES.index(c) for c in "SVP")
COLS = ("Se_V", "+P_V", "Se_S", "+P_S", "Se_F", "+P_F", "Se_N", "+P_N", "jkappa", "ece", "P_calls")


#: Sets of extra inputs compared (columns of EXTRA_FEATURES).
SETS = {"none": (), "pacing": tuple(range(len(PACING_FEATURES))),
        "prematurity": tuple(range(len(PACING_FEATURES), len(EXTRA_FEATURES))),
        "all": tuple(range(len(EXTRA_FEATURES))),
        # without the two absolute measures (sharpness, steepness), whose scale follows the recorder's filters
        "relative": tuple(i for i, n in enumerate(EXTRA_FEATURES) if n not in PACING_FEATURES[:2])}


class Beats:
    """Features (the 50 inputs, then the ``extra`` columns of EXTRA_FEATURES) and labels of the beats of some
    records (labels ≥ 0 only)."""

    def __init__(self, cache: dict, extra: dict, records, cols_extra: tuple[int, ...]):
        xs, ys, rs = [], [], []
        for r in records:
            keep = cache[r]["label"] >= 0
            cols = [cache[r]["clinical"], cache[r]["window"], extra[r]["extra"][:, list(cols_extra)]]
            xs.append(np.concatenate(cols, 1)[keep])
            ys.append(cache[r]["label"][keep].astype(np.int64))
            rs.append(np.full(int(keep.sum()), r, object))
        self.x, self.y, self.record = np.concatenate(xs), np.concatenate(ys), np.concatenate(rs)


class Trees:
    """A fitted GBM with its temperature; probabilities over all classes, S scaled by ``s_shift``."""

    def __init__(self, train: Beats, seed: int, power: float):
        from sklearn.ensemble import HistGradientBoostingClassifier

        w = (class_weights(train.y) ** power)[train.y]
        self.clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=seed)
        self.clf.fit(train.x, train.y, sample_weight=w)
        self.temperature = 1.0

    def calibrate(self, val: Beats) -> "Trees":
        keep = np.isin(val.y, self.clf.classes_)
        col = {k: i for i, k in enumerate(self.clf.classes_)}
        raw = self.clf._raw_predict(val.x[keep])
        self.temperature = fit_temperature(raw, np.array([col[y] for y in val.y[keep]]))
        return self

    def proba(self, b: Beats, s_shift: float = 1.0) -> np.ndarray:
        z = self.clf._raw_predict(b.x) / self.temperature
        z = z - z.max(1, keepdims=True)
        q = np.exp(z)
        q /= q.sum(1, keepdims=True)
        p = np.zeros((len(b.y), N_CLASSES))
        p[:, self.clf.classes_] = q
        return shift_s(p, s_shift)


def shift_s(p: np.ndarray, a: float) -> np.ndarray:
    """Probabilities with S's scaled by ``a`` and renormalised (a decision threshold on S, as a prior shift)."""
    if a == 1.0:
        return p
    p = p.copy()
    p[:, S] *= a
    return p / p.sum(1, keepdims=True)


def scores(y: np.ndarray, p: np.ndarray) -> dict:
    """:func:`beat_scores` and the number of beats called P (DS2 has no paced beat: each is a false call)."""
    return {**beat_scores(y, p), "P_calls": int((p.argmax(1) == P).sum())}


def row(name: str, runs: list[dict]) -> str:
    m = lambda k: np.array([s[k] for s in runs])  # noqa: E731
    cells = [f"{m(k).mean():.3f}" + (f" ± {m(k).std(ddof=1):.3f}" if len(runs) > 1 else "") for k in COLS]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", choices=("extract", "loo", "cv", "test"), required=True)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beats_cache"))
    ap.add_argument("--extra", choices=tuple(SETS), default="all", help="extra inputs of the new trees (cv, test)")
    ap.add_argument("--power", type=float, default=0.5, help="class-weight power of the new trees (test)")
    ap.add_argument("--s-shift", type=float, default=1.0, help="S decision shift of the new trees (test)")
    ap.add_argument("--sets", nargs="+", choices=tuple(SETS), default=list(SETS), help="input sets compared (loo)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds averaged (loo)")
    ap.add_argument("--powers", type=float, nargs="+", default=[0.5, 1.0], help="class-weight powers tried (cv)")
    ap.add_argument("--json", type=Path, help="write the stage's numbers here")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = sorted(set(MITDB_DS1 + MITDB_DS2 + MITDB_PACED))
    if a.stage == "extract":
        from anyecg_model.analysis.beat_extra_data import extract_extra

        t0 = time.perf_counter()
        extract_extra(MITDB, a.cache / "shipped", a.cache / "extra", records)
        log.info("extracted in %.0f s", time.perf_counter() - t0)
        return
    cache, extra = load_cache(a.cache / "shipped", records), load_cache(a.cache / "extra", records)
    out: dict = {}
    new = SETS[a.extra]
    if a.stage == "loo":
        sets = a.sets
        ds2 = {w: Beats(cache, extra, MITDB_DS2, SETS[w]) for w in sets}
        print("| held out | paced beats | " + " | ".join(f"+{w}: called P / V (DS2 P calls)" for w in sets) + " |")
        print("|---" * (len(sets) + 2) + "|")
        for rec in MITDB_PACED:
            res = {}
            for w in sets:
                tr = Beats(cache, extra, TRAIN + tuple(r for r in MITDB_PACED if r != rec), SETS[w])
                te = Beats(cache, extra, (rec,), SETS[w])
                runs = []
                for seed in a.seeds:
                    t = Trees(tr, seed, 0.5)
                    runs.append({**paced_scores(te.y, t.proba(te)),
                                 "ds2_called_P": int((t.proba(ds2[w]).argmax(1) == P).sum())})
                res[w] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            out[rec] = res
            print(f"| {rec} | {res[sets[0]]['n_paced']} | " + " | ".join(
                f"{res[w]['paced_Se']:.3f} / {res[w]['paced_as_V']:.3f} ({res[w]['ds2_called_P']:.0f})" for w in sets)
                + " |", flush=True)
    elif a.stage == "cv":
        ds1 = sorted(MITDB_DS1)
        folds = [tuple(r for i, r in enumerate(ds1) if i % 4 == f) for f in range(4)]
        shifts = (1.0, 1.5, 2.0, 3.0, 4.0)
        print(f"extra inputs: {a.extra}\n| power | S shift | CV jκ | V Se / +P | S Se / +P |")
        print("|---|---|---|---|---|")
        for power in a.powers:
            ys, ps = [], []
            for f, held in enumerate(folds):
                tr = Beats(cache, extra, tuple(r for r in ds1 if r not in held) + MITDB_PACED, new)
                te = Beats(cache, extra, held, new)
                ys.append(te.y)
                ps.append(Trees(tr, 0, power).proba(te))
            y, p = np.concatenate(ys), np.concatenate(ps)
            for s_shift in shifts:
                sc = beat_scores(y, shift_s(p, s_shift))
                out[f"{power}/{s_shift}"] = sc
                print(f"| {power} | {s_shift} | {sc['jkappa']:.3f} | {sc['Se_V']:.3f} / {sc['+P_V']:.3f} | "
                      f"{sc['Se_S']:.3f} / {sc['+P_S']:.3f} |", flush=True)
    else:
        shipped = load_beat_trees(SHIPPED_MODEL_DIR)
        test_shipped = Beats(cache, extra, MITDB_DS2, tuple(shipped.extra_columns))
        rows = {f"shipped: {shipped.name}": [scores(test_shipped.y, shipped.probabilities(test_shipped.x))]}
        for name, w, power, s_shift in (("same-run GBM, 50 inputs (shipped recipe)", (), 0.5, 1.0),
                                        (f"+{a.extra}, power {a.power}, S shift {a.s_shift}", new, a.power,
                                         a.s_shift)):
            tr, val = Beats(cache, extra, TRAIN + MITDB_PACED, w), Beats(cache, extra, MITDB_VAL, w)
            te = Beats(cache, extra, MITDB_DS2, w)
            rows[name] = []
            for seed in (0, 1, 2):
                t = Trees(tr, seed, power).calibrate(val)
                rows[name].append(scores(te.y, t.proba(te, s_shift)))
                log.info("%s seed %d: %s", name, seed, {k: round(rows[name][-1][k], 3) for k in COLS})
        print("| model | " + " | ".join(COLS) + " |")
        print("|---" * (len(COLS) + 1) + "|")
        for name, sc in rows.items():
            print(row(name, sc))
        out = rows
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
