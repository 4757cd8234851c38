"""The PTB-XL table the fused anomaly trees learn from (:mod:`anyecg_model.train.anomaly_fusion`), computed
exactly as the analyzer computes a 10-s window's inputs: the averaged-beat features of
:mod:`.resting_windows` and the anomaly head's mean logit.

Usage: ``python -m anyecg_model.analysis.anomaly_data --out /tmp/ptbxl_anomaly.npz [--model DIR]`` (about
1 min on the 2-core CPU); keep the ``.npz`` out of the repository. Labels as the anomaly head's
(:mod:`~anyecg_model.train.data.corpus`): NORM the only diagnostic superclass → normal, any other → abnormal,
none → left out.
"""
from __future__ import annotations

import argparse
import ast
import csv
import logging
from pathlib import Path

import numpy as np

from ..model.shipped import SHIPPED_MODEL_DIR
from ..signal.rpeaks import detect_r_peaks
from .analyzer import Analyzer, input_leads
from .chunks import WINDOW_S
from .lead_setup import read_leads
from .resting_windows import twelve_lead_rows, window_resting_features

log = logging.getLogger(__name__)


def ptbxl_labels(root: Path) -> list[tuple[int, int, int, str]]:
    """(ecg_id, strat_fold, label, record path without extension) of the labelled PTB-XL records in ``root``."""
    with open(root / "scp_statements.csv") as fh:
        superclass = {r[""]: r["diagnostic_class"] for r in csv.DictReader(fh) if r.get("diagnostic_class")}
    out = []
    with open(root / "ptbxl_database.csv") as fh:
        for row in csv.DictReader(fh):
            classes = {superclass[c] for c in ast.literal_eval(row["scp_codes"]) if c in superclass}
            if classes:
                out.append((int(row["ecg_id"]), int(row["strat_fold"]), int(classes != {"NORM"}),
                            row["filename_hr"]))
    return out


def record_inputs(analyzer, recording) -> tuple[np.ndarray, float]:
    """The averaged-beat features (first 10-s window) and the anomaly head's mean window logit of one 12-lead
    ``recording``, as the analyzer's :meth:`~anyecg_model.analysis.analyzer.Analyzer._chunk_inputs` computes
    them."""
    leads = input_leads(recording)
    rows = sorted(leads.slot)
    end = min(recording.duration_s, WINDOW_S)
    data, _ = read_leads(recording, leads, 0, int(round(end * recording.fs)))
    twelve = twelve_lead_rows(leads, rows)
    if twelve is None:
        raise ValueError(f"{recording.path}: not a 12-lead recording")
    peaks = detect_r_peaks(data[rows.index(leads.rhythm_lead)], recording.fs)
    resting = window_resting_features(data, recording.fs, 0.0, twelve, peaks, np.array([0.0]), np.array([end]))[0]
    logits = np.concatenate([p.anomaly_logit for p in analyzer.iter_analyze(recording, ("anomaly",))])
    return resting, float(logits.mean())


def table_arrays(data_root: Path, model_dir: Path = SHIPPED_MODEL_DIR) -> dict[str, np.ndarray]:
    """The training table of ``data_root``/ptbxl500 with the anomaly head of ``model_dir``: ``ecg_id``, ``fold``
    (strat_fold), ``y`` (1 abnormal), ``resting`` (N, features) and ``head_logit`` (N,)."""
    from ..io.registry import open_recording

    analyzer = Analyzer(model_dir, device="cpu")
    rows = ptbxl_labels(data_root / "ptbxl500")
    resting, logits = [], []
    for ecg_id, _, _, name in rows:
        r, z = record_inputs(analyzer, open_recording(data_root / "ptbxl500" / f"{name}.hea"))
        resting.append(r)
        logits.append(z)
    ids, folds, ys, _ = (np.array(c) for c in zip(*rows))
    return {"ecg_id": ids.astype(int), "fold": folds.astype(int), "y": ys.astype(int),
            "resting": np.array(resting), "head_logit": np.array(logits)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    p.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR, help="the backbone whose anomaly head is fused")
    p.add_argument("--out", type=Path, required=True, help=".npz to write the table to")
    a = p.parse_args()
    logging.basicConfig(level=logging.INFO)
    np.savez(a.out, **table_arrays(a.data, a.model))
    log.info("wrote %s", a.out)


if __name__ == "__main__":
    main()
