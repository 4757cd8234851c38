"""The record rhythm features of every CinC 2017 record, as the product computes them: the training data of the
rhythm trees (:mod:`anyecg_model.train.rhythm_trees_train`).

Usage: ``python -m anyecg_model.analysis.rhythm_data --out /tmp/cinc_rhythm.npz [--limit 200] [--model DIR]``

Each record goes through the shipped analysis (:class:`~.analyzer.Analyzer`, task ``arrhythmia``, one thread) and
its findings builder's :meth:`~.builder.FindingsBuilder.rhythm_inputs` through
:func:`~.rhythm_features.rhythm_features`, so training sees exactly the features the product computes. The
``.npz`` holds ``X`` (records × features, NaN where not measurable), ``y`` (index into RECORD_CLASSES),
``names``, ``features`` and ``seconds`` (time taken); keep it out of the repository (/tmp).
"""
from __future__ import annotations

import argparse
import csv
import logging
import time
from pathlib import Path

import numpy as np

from ..model.rhythm_trees import RHYTHM_FEATURES
from ..vocabulary.labels import RECORD_CLASSES

log = logging.getLogger(__name__)
DATA = Path.home() / ".cache/anyecg/data/cinc2017"


def extract(out: Path, root: Path = DATA, limit: int | None = None, model_dir: Path | None = None) -> None:
    """Features of every record of ``root``'s REFERENCE.csv (or ``limit`` of them, seeded) into ``out``."""
    import torch

    from ..io.registry import open_recording
    from .analyzer import AnalysisError, Analyzer
    from .rhythm_features import rhythm_features

    torch.set_num_threads(1)
    with open(root / "REFERENCE.csv") as fh:
        ref = {row[0]: row[1] for row in csv.reader(fh) if row}
    names = sorted(ref)
    if limit:
        names = sorted(np.random.default_rng(0).choice(names, limit, replace=False))
    analyzer = Analyzer(model_dir, device="cpu")
    tasks = ("arrhythmia",)
    X = np.full((len(names), len(RHYTHM_FEATURES)), np.nan)
    t0 = time.time()
    for i, name in enumerate(names):
        try:
            rec = open_recording(root / f"{name}.hea")
            builder = analyzer.builder(rec, tasks)
            for part in analyzer.iter_analyze(rec, tasks):
                builder.add(part)
            X[i] = rhythm_features(builder.rhythm_inputs(), analyzer.rules.af)
        except AnalysisError as exc:
            log.warning("%s: %s", name, exc)
        if (i + 1) % 500 == 0:
            log.info("%d/%d records, %.1f s", i + 1, len(names), time.time() - t0)
    y = np.array([RECORD_CLASSES.index(ref[n]) for n in names])
    np.savez(out, X=X, y=y, names=np.array(names), features=np.array(RHYTHM_FEATURES), seconds=time.time() - t0)
    log.info("%d records in %.1f s -> %s", len(names), time.time() - t0, out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--data", type=Path, default=DATA)
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    extract(a.out, a.data, a.limit, a.model)


if __name__ == "__main__":
    main()
