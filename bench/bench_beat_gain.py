"""Issue 15: beat trees that read millivolts against trees that read amplitude relative to the chunk, at other gains.

    OMP_NUM_THREADS=2 python bench/bench_beat_gain.py [--stage cv|test] [--seeds 0,1,2] [--cache /tmp/beats_cache]

Other recorders write about half MIT-BIH's amplitude (docs/BENCHMARKS.md). The shipped recipe
(bench/ship_beat_trees.py) is fitted twice: on the inputs in mV as extracted (``mV``), and with those inputs
divided by the median QRS peak-to-peak of the beat's 300-s analysis chunk (``relative``,
:func:`~anyecg_model.model.beat_trees.relative_amplitude`). Each is scored with the scored records' inputs in mV
scaled by 0.5, 1 and 2 — exactly what the analyzer extracts from a recording at that gain (the inputs in mV are
the waveform and QRS sizes; every other input is a ratio, a correlation, a duration or an RR quantity).
``--stage cv``: 4-fold cross-validation over DS1's records (the paced records in every training fold), the
design split. ``--stage test``: trained on DS1 less 101, 203, 223 plus the paced records, scored on DS2.
Per-class Se / +P and jκ, mean ± sd over the seeds. Reads the caches of bench_beat_fusion.py and
bench_beat_pacing.py.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship_beat_trees import EXTRA, WEIGHT_POWER, chunk_ids, features  # noqa: E402

from anyecg_model.analysis.beat_fusion_data import load_cache  # noqa: E402
from anyecg_model.model.beat_trees import (EXTRA_FEATURES, amplitude_columns, feature_names,  # noqa: E402
                                           relative_amplitude)
from anyecg_model.train.beat_fusion_train import (MITDB_DS2, MITDB_PACED, MITDB_VAL, N_CLASSES, TRAIN,  # noqa: E402
                                                  Table, beat_scores, train_gbm)

log = logging.getLogger("bench_beat_gain")
GAINS = (0.5, 1.0, 2.0)
COLUMNS = ("Se_N", "+P_N", "Se_S", "+P_S", "Se_V", "+P_V", "Se_F", "+P_F", "jkappa")
FOLDS = 4


class Rows:
    """The shipped trees' inputs (in mV), labels and chunk ids of some records' reference beats."""

    def __init__(self, cache: dict, extra: dict, records):
        cols = [EXTRA_FEATURES.index(n) for n in EXTRA]
        self.x = features(cache, extra, records, cols)
        self.table = Table.of(cache, records)
        self.chunk = chunk_ids(cache, records)

    def inputs(self, reading: str, gain: float = 1.0) -> np.ndarray:
        """The rows as the recording at ``gain`` gives them, read in ``mV`` or ``relative``."""
        x = self.x.copy()
        x[:, amplitude_columns(feature_names(33, EXTRA))] *= gain
        return relative_amplitude(x, self.chunk) if reading == "relative" else x


def scores(train: Rows, test: Rows, reading: str, seed: int) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Per gain, (reference labels, probabilities) of ``test`` from trees fitted on ``train``."""
    clf = train_gbm(train.table, seed, WEIGHT_POWER, train.inputs(reading))
    out = {}
    for g in GAINS:
        p = np.zeros((len(test.x), N_CLASSES))
        p[:, clf.classes_] = clf.predict_proba(test.inputs(reading, g))
        out[g] = (test.table.label, p)
    return out


def run(cache: dict, extra: dict, stage: str, reading: str, seed: int) -> dict[float, dict]:
    """Per gain, :func:`beat_scores` of one reading and seed on the stage's scored beats."""
    if stage == "test":
        parts = [scores(Rows(cache, extra, TRAIN + MITDB_PACED), Rows(cache, extra, MITDB_DS2), reading, seed)]
    else:
        records = list(TRAIN + MITDB_VAL)
        folds = [records[i::FOLDS] for i in range(FOLDS)]
        parts = [scores(Rows(cache, extra, tuple(r for j, f in enumerate(folds) if j != k for r in f) + MITDB_PACED),
                        Rows(cache, extra, tuple(folds[k])), reading, seed) for k in range(FOLDS)]
    return {g: beat_scores(np.concatenate([p[g][0] for p in parts]), np.concatenate([p[g][1] for p in parts]))
            for g in GAINS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", choices=("cv", "test"), default="cv")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/beats_cache"))
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    records = TRAIN + MITDB_PACED + MITDB_VAL + MITDB_DS2
    cache, extra = load_cache(a.cache / "shipped", records), load_cache(a.cache / "extra", records)
    seeds = [int(s) for s in a.seeds.split(",")]
    where = "DS1, 4-fold by record" if a.stage == "cv" else "DS2 (held out)"
    print(f"\n{where}, seeds {seeds}, mean ± sd\n")
    print("| inputs in mV read | gain | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for reading in ("mV", "relative"):
        runs = []
        for s in seeds:
            log.info("%s, seed %d", reading, s)
            runs.append(run(cache, extra, a.stage, reading, s))
        for g in GAINS:
            cells = [f"{np.mean([r[g][k] for r in runs]):.3f} ± {np.std([r[g][k] for r in runs]):.3f}"
                     for k in COLUMNS]
            print(f"| {reading} | {g:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
