"""Fitting the temperatures of the record-level heads' ``calibration`` block (:mod:`~anyecg_model.model.calibration`):
rhythm on CinC 2017, anomaly on PTB-XL, each on its validation split (the corpus's splits).

Scores are record-level as the analyzer shows them: the rhythm record probabilities are the mean of the windows'
calibrated softmax, softmax(log p / T) per window; the anomaly score is sigmoid(mean window logit / T). T is
searched on a log grid 0.25–8 for minimum record-level negative log-likelihood. Used by the shipped recipe
(:mod:`.recipe.shipped`) and by ``bench/calibrate_heads.py`` (which adds the bootstrap interval and test ECE).
"""
from __future__ import annotations

import datetime

import numpy as np

from ..model.calibration import CALIBRATED_HEADS, Calibration
from .data.corpus import Corpus
from .tasks.evaluation import make_dataset, predict

#: candidate temperatures (dimensionless), log-spaced 0.25–8
GRID = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
#: the corpus set each head is calibrated on
SETS = {"rhythm": ("cinc2017",), "anomaly": ("ptbxl500",)}
METHOD = "temperature scaling (Guo et al. 2017), record-level NLL"


def record_probabilities(task: str, pred, cal: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """(labels, (R, classes) probabilities) per record of the window predictions ``pred``, calibrated by ``cal``
    as the analyzer does."""
    keep = pred.y >= 0
    y, s, rec = pred.y[keep], np.asarray(pred.score, np.float64)[keep], pred.record[keep]
    recs, first, inv = np.unique(rec, return_index=True, return_inverse=True)
    labels, count = y[first].astype(int), np.bincount(inv, minlength=len(recs))
    return labels, RECORD_PROBABILITIES[task](s, inv, count, cal)


def _rhythm_records(s: np.ndarray, inv: np.ndarray, count: np.ndarray, cal: Calibration) -> np.ndarray:
    """Rhythm: the mean of each record's calibrated window probabilities (R, classes)."""
    p = cal.rhythm_probabilities(s)
    total = np.zeros((len(count), p.shape[1]))
    np.add.at(total, inv, p)
    return total / count[:, None]


def _anomaly_records(s: np.ndarray, inv: np.ndarray, count: np.ndarray, cal: Calibration) -> np.ndarray:
    """Anomaly: the calibrated probability of each record's mean window logit, as (R, 2) normal/abnormal."""
    pa = cal.anomaly_probability(np.bincount(inv, s, minlength=len(count)) / count)
    return np.stack([1 - pa, pa], 1)


#: how each calibrated head turns window scores into record probabilities, as the analyzer does
RECORD_PROBABILITIES = {"rhythm": _rhythm_records, "anomaly": _anomaly_records}


def nll(labels: np.ndarray, prob: np.ndarray) -> float:
    """Mean negative log-likelihood (nats) of the true ``labels`` under ``prob`` (R, classes)."""
    return float(-np.log(np.maximum(prob[np.arange(len(labels)), labels], 1e-12)).mean())


def calibration_of(task: str, t: float) -> Calibration:
    """A calibration with temperature ``t`` on ``task``'s head alone."""
    return Calibration(**{f"{task}_temperature": float(t)})


def fit_head_temperature(task: str, pred) -> float:
    """The temperature of :data:`GRID` with minimum record-level NLL on the window predictions ``pred``."""
    return float(min(GRID, key=lambda t: nll(*record_probabilities(task, pred, calibration_of(task, t)))))


def fit_calibration(model, corpus: Corpus) -> dict:
    """A ``calibration`` block for ``model``: each head's temperature fitted on its set's validation split, with
    its provenance (method, records, date)."""
    block = {}
    for task in CALIBRATED_HEADS:
        ds = make_dataset(task, corpus, model.preprocess_cfg, ("val",), sets=SETS[task])
        pred = predict(model, task, ds)[1]
        n = len(np.unique(pred.record[pred.y >= 0]))
        block[task] = {"temperature": round(fit_head_temperature(task, pred), 4), "method": METHOD,
                       "fitted_on": f"{SETS[task][0]} val split ({n} records)",
                       "date": datetime.date.today().isoformat(), "fitted_by": "anyecg_model.train.recipe.shipped"}
    return block
