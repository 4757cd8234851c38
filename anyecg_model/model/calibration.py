"""Temperature calibration of the record-level heads (Guo et al. 2017), read from a checkpoint's ``config.json``.

The optional ``calibration`` block of ``config.json``::

    "calibration": {"rhythm": {"temperature": 1.3, ...}, "anomaly": {"temperature": 0.8, ...}}

Each head's entry needs a finite ``temperature`` > 0 (fitted on the head's validation split by minimum negative
log-likelihood, ``bench/calibrate_heads.py``); other keys (split, ECE, date) are provenance and ignored here. A
head without an entry keeps temperature 1 (its probabilities unchanged).

- rhythm (CinC 2017 classes N, A, O, ~): per window, ``softmax(logits / T)``. The analyzer hands on softmax
  probabilities; since ``log softmax(z) = z − const``, ``softmax(log p / T)`` equals ``softmax(z / T)`` exactly.
- anomaly: per window ``sigmoid(logit / T)``; the record score ``sigmoid(mean logit / T)``. Dividing by T > 0
  keeps the sign of the logit, so a threshold moved with :meth:`Calibration.anomaly_threshold` takes the same
  decisions as the uncalibrated threshold did.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .checkpoint_meta import CheckpointError

#: the heads a ``calibration`` block may name
CALIBRATED_HEADS = ("rhythm", "anomaly")


class CalibrationError(CheckpointError):
    """A ``calibration`` block that cannot be used (unknown head, missing, non-finite or non-positive temperature)."""


@dataclass(frozen=True)
class Calibration:
    """Per-head temperatures (dimensionless, > 0; 1 = no change)."""

    rhythm_temperature: float = 1.0
    anomaly_temperature: float = 1.0

    def __post_init__(self) -> None:
        for head in CALIBRATED_HEADS:
            t = getattr(self, f"{head}_temperature")
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
                raise CalibrationError(f"calibration: the {head} temperature must be a finite number > 0, got {t!r}")

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> "Calibration":
        """The checkpoint's ``calibration`` block (all temperatures 1 when it has none)."""
        block = meta.get("calibration")
        if block is None:
            return cls()
        if not isinstance(block, Mapping):
            raise CalibrationError(f"calibration: expected a mapping of heads, got {type(block).__name__}")
        unknown = sorted(set(block) - set(CALIBRATED_HEADS))
        if unknown:
            raise CalibrationError(f"calibration: unknown head(s) {unknown} (known: {list(CALIBRATED_HEADS)})")
        temps = {}
        for head, entry in block.items():
            if not isinstance(entry, Mapping) or "temperature" not in entry:
                raise CalibrationError(f"calibration: the {head} entry needs a 'temperature'")
            temps[f"{head}_temperature"] = entry["temperature"]
        return cls(**temps)

    def rhythm_probabilities(self, prob: np.ndarray) -> np.ndarray:
        """Calibrated (..., classes) rhythm probabilities from the head's softmax ``prob``: softmax(log p / T)."""
        p = np.asarray(prob, np.float64)
        if self.rhythm_temperature == 1.0 or p.size == 0:
            return p
        z = np.log(np.maximum(p, 1e-300)) / self.rhythm_temperature
        z -= z.max(-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(-1, keepdims=True)

    def anomaly_probability(self, logit: np.ndarray | float) -> np.ndarray:
        """Calibrated probability of "abnormal" from the anomaly head's logit: sigmoid(logit / T)."""
        z = np.asarray(logit, np.float64) / self.anomaly_temperature
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow

    def anomaly_threshold(self, raw_threshold: float) -> float:
        """The calibrated-probability threshold that takes the same decisions as ``raw_threshold`` on the
        uncalibrated probability sigmoid(logit): sigmoid(logit(raw) / T)."""
        if not 0.0 < raw_threshold < 1.0:
            return float(raw_threshold)
        return float(self.anomaly_probability(math.log(raw_threshold / (1.0 - raw_threshold))))
