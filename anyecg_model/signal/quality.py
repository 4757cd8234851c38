"""Which leads of a window look unusable: flat, saturated (clipped) or noisy. Plain numpy, no Qt.

Thresholds are physiological: a connected ECG lead swings at least ~0.1 mV with every QRS; a clipped
lead sits on its rail for many samples; in a clean ECG most power is below 40 Hz, so the first
difference is small next to the signal, while broadband noise makes them comparable.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QualityThresholds:
    """``flat_ptp_mv``: peak-to-peak below this (mV) is flat; ``rail_fraction``: share of samples on the
    minimum or maximum value that counts as clipping; ``noise_ratio``: std of the first difference over
    the std of the signal (at 250 Hz equivalent) above which a lead is noisy."""

    flat_ptp_mv: float = 0.05
    rail_fraction: float = 0.02
    noise_ratio: float = 0.9

    def __post_init__(self) -> None:
        if self.flat_ptp_mv <= 0 or not (0 < self.rail_fraction < 1) or self.noise_ratio <= 0:
            raise ValueError(f"invalid lead-quality thresholds {self}")


def lead_problem(x: np.ndarray, fs: float, th: QualityThresholds = QualityThresholds()) -> str | None:
    """``"flat"``, ``"saturated"``, ``"noisy"`` or None for one lead ``x`` (mV) sampled at ``fs`` Hz."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if len(x) < max(10, int(fs)):
        return "flat" if len(x) == 0 else None
    ptp = float(x.max() - x.min())
    if ptp < th.flat_ptp_mv:
        return "flat"
    on_rail = max(np.count_nonzero(x == x.max()), np.count_nonzero(x == x.min())) / len(x)
    if on_rail >= th.rail_fraction:
        return "saturated"
    # compare at a common rate: the difference of white noise grows with fs, that of an ECG shrinks
    step = max(1, int(round(fs / 250.0)))
    y = x[::step] - np.median(x[::step])
    sd = float(y.std())
    if sd > 0 and float(np.diff(y).std()) / sd > th.noise_ratio:
        return "noisy"
    return None


def bad_leads(data: np.ndarray, fs: float, th: QualityThresholds = QualityThresholds()) -> dict[int, str]:
    """Problems by lead index for an (n_leads, n) window in mV."""
    out = {}
    for i, row in enumerate(np.asarray(data)):
        problem = lead_problem(row, fs, th)
        if problem is not None:
            out[i] = problem
    return out
