"""Issue 15: train the shipped beat classifier (gradient-boosted trees) and write it beside the backbone.

    OMP_NUM_THREADS=1 python bench/ship_beat_trees.py [--cache /tmp/beats_cache] [--out resources/anyecg-small]
        [--extra NAME ...]

The recipe chosen in bench_beat_fusion.py / bench_beat_boost.py (docs/BENCHMARKS.md, issue 15): scikit-learn
HistGradientBoosting (200 iterations at most, learning rate 0.1, its default early stopping), class weights
balanced ** 0.5, seed 0, on the clinical + window features of DS1 less 101, 203, 223 plus the paced records
102, 104, 107, 217 (``/`` and ``f`` as class P); the temperature is fitted on 101, 203, 223. The exported trees
(:mod:`anyecg_model.model.beat_trees`) are then scored with the numpy predictor the analyzer uses: DS2 per
class (held out) and the paced records' P / V shares (training records, not a held-out result).
Since version 1.1 the trees also read the extra inputs named by ``--extra`` (default :data:`EXTRA`: the
pacing-stimulus features relative to the recording, not the two absolute ones, and the RR prematurity against
the preceding beats; bench/bench_beat_pacing.py, docs/BENCHMARKS.md), appended after the 50 in the order of
:data:`~anyecg_model.model.beat_trees.EXTRA_FEATURES`; ``--extra`` with no name gives the 50-input trees.
Since version 1.2 the inputs in mV are read relative to the median QRS peak-to-peak of the 31 beats around each
in its analysis chunk (:func:`~anyecg_model.model.beat_trees.relative_amplitude`, chunks of 300 s as the analyzer
cuts them; chosen in bench/bench_beat_gain.py: better than mV on DS1 at MIT-BIH's own gain, and the same at any
other).
Reads the per-beat caches of bench_beat_fusion.py and bench_beat_pacing.py (never re-extracts).
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.analysis.beat_fusion_data import load_cache  # noqa: E402
from anyecg_model.analysis.chunks import CHUNK_S  # noqa: E402
from anyecg_model.model.beat_fusion import fit_temperature  # noqa: E402
from anyecg_model.model.beat_trees import (EXTRA_FEATURES, RELATIVE, BeatTrees, feature_names,  # noqa: E402
                                           relative_amplitude, save_beat_trees)
from anyecg_model.model.boosted_trees import export_hist_gbm  # noqa: E402
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR  # noqa: E402
from anyecg_model.train.beat_fusion_train import (MITDB_DS2, MITDB_PACED, MITDB_VAL, TRAIN, Table,  # noqa: E402
                                                  beat_scores, gbm_features, paced_scores, train_gbm)
from anyecg_model.vocabulary.labels import BEAT_CLASSES  # noqa: E402

log = logging.getLogger("ship_beat_trees")
WEIGHT_POWER, SEED, VERSION = 0.5, 0, "1.2"
#: Extra inputs of version 1.1: all but the pacing stimulus's absolute sharpness and steepness, whose scale
#: follows the recorder's filters (with them, a held-out pacemaker, 217, was found less often).
EXTRA = tuple(n for n in EXTRA_FEATURES if n not in ("pace_sharpness_per_ms", "pace_steepness_per_s"))


def features(cache: dict, extra: dict, records, cols: list[int]) -> np.ndarray:
    """The 50 inputs of ``records``' beats in mV, then their ``cols`` of the extra cache; rows as
    :meth:`Table.of` keeps them (reference class known)."""
    t = Table.of(cache, records)
    rows = [extra[r]["extra"][cache[r]["label"] >= 0][:, cols] for r in records]
    return np.concatenate([gbm_features(t), np.concatenate(rows)], 1)


def chunk_ids(cache: dict, records) -> np.ndarray:
    """``<record>:<chunk>`` of each row of :func:`features`: the analyzer's 300-s chunk its beat was read in."""
    return np.concatenate([np.char.add(f"{r}:", (cache[r]["time_s"][cache[r]["label"] >= 0] // CHUNK_S)
                                       .astype(np.int64).astype(str)) for r in records])


def relative_features(cache: dict, extra: dict, records, cols: list[int]) -> np.ndarray:
    """:func:`features` with the inputs in mV relative to the neighbouring beats in each beat's chunk, as the
    shipped trees read them."""
    return relative_amplitude(features(cache, extra, records, cols), chunk_ids(cache, records))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beats_cache"))
    ap.add_argument("--out", type=Path, default=SHIPPED_MODEL_DIR)
    ap.add_argument("--extra", nargs="*", choices=EXTRA_FEATURES, default=list(EXTRA), help="extra inputs")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = TRAIN + MITDB_PACED + MITDB_VAL + MITDB_DS2
    c, e = load_cache(a.cache / "shipped", records), load_cache(a.cache / "extra", records)
    extra = [n for n in EXTRA_FEATURES if n in a.extra]
    cols = [EXTRA_FEATURES.index(n) for n in extra]
    train, val, test = Table.of(c, TRAIN + MITDB_PACED), Table.of(c, MITDB_VAL), Table.of(c, MITDB_DS2)
    x_train, x_val = relative_features(c, e, TRAIN + MITDB_PACED, cols), relative_features(c, e, MITDB_VAL, cols)
    clf = train_gbm(train, SEED, WEIGHT_POWER, x_train)
    trees = export_hist_gbm(clf)
    classes = [BEAT_CLASSES[k] for k in clf.classes_]
    raw_val = trees.raw(x_val)
    keep = np.isin(val.label, clf.classes_)
    col = {k: i for i, k in enumerate(clf.classes_)}
    temperature = fit_temperature(raw_val[keep], np.array([col[y] for y in val.label[keep]]))
    x_test = relative_features(c, e, MITDB_DS2, cols)
    d_sk = np.abs(trees.predict_proba(x_test) - clf.predict_proba(x_test)).max()
    model = BeatTrees(trees, classes, temperature, {})  # inputs already relative
    p_test = model.probabilities(x_test)
    ds2 = beat_scores(test.label, p_test)
    paced = {r: paced_scores(Table.of(c, (r,)).label, model.probabilities(relative_features(c, e, (r,), cols)))
             for r in MITDB_PACED}
    meta = {"name": "gradient-boosted beat trees", "model_version": VERSION,
            "date": datetime.date.today().isoformat(),
            "features": feature_names(train.window.shape[1], tuple(extra)), "amplitude": RELATIVE,
            "recipe": {"estimator": "sklearn HistGradientBoostingClassifier", "max_iter": 200, "learning_rate": 0.1,
                       "early_stopping": "auto (sklearn default, 10 % validation split)", "iterations": int(clf.n_iter_),
                       "class_weights": f"balanced ** {WEIGHT_POWER}", "seed": SEED,
                       "trained_on": list(TRAIN + MITDB_PACED), "paced_as_P": ["/", "f"],
                       "temperature_fitted_on": list(MITDB_VAL), "beat_inputs": "reference R peaks, analyzer path "
                       "(300-s chunks with 10-s margins; clinical context = chunk + margins; extra inputs on the "
                       "file's own signal and rate)"},
            "metrics": {"mitdb_ds2": {k: round(float(v), 4) for k, v in ds2.items()},
                        "paced_training_records": {r: {k: round(float(v), 4) for k, v in s.items()}
                                                   for r, s in paced.items()}}}
    path = save_beat_trees(trees, a.out, classes, temperature, meta)
    log.info("wrote %s (%d trees, depth %d, %d iterations; temperature %.3f; numpy vs sklearn max |dp| %.1e)",
             path, len(trees.roots), trees.depth, clf.n_iter_, temperature, d_sk)
    print(json.dumps(meta["metrics"], indent=1))


if __name__ == "__main__":
    main()
