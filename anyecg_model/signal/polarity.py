"""Which way a lead's QRS complexes point, for a lead whose name does not say how it was placed.

A channel called ``ECG``, ``ECG1`` or ``EKG`` (single-lead handhelds, many Holters' unnamed channels) has no
defined polarity: the same heart gives upright complexes with the electrodes one way round and downward ones the
other (about one CinC 2017 strip in ten is held reversed). The beat classifier learnt from upright MLII, and an
upside-down copy of MIT-BIH read its fusion beats as N (F Se 0.69 → 0.02) and its paced beats as N (107: P
1.00 → 0.00). So an unnamed lead whose complexes clearly point down is read upside down, and the findings say so.
Standard leads are never turned: a negative QRS in V1 or aVR is anatomy, not a reversed electrode.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .filter_design import butter_sos, sosfiltfilt
from .rpeaks import detect_r_peaks


@dataclass(frozen=True)
class PolarityRules:
    """Stretches read across the recording and their length (s), the QRS half window (s) around each R peak, the
    share by which the downward deflection must outweigh the upward one, and the fewest beats to judge on."""

    stretches: int = 6
    stretch_s: float = 10.0
    qrs_half_s: float = 0.06
    down_over_up: float = 1.5
    min_beats: int = 5


def lead_points_down(read: Callable[[int, int], np.ndarray], n_samples: int, fs: float,
                     rules: PolarityRules = PolarityRules()) -> bool:
    """:func:`qrs_points_down` over ``rules.stretches`` stretches spread evenly over a lead of ``n_samples`` at
    ``fs`` Hz, read with ``read(start, stop)`` → samples (mV): a noisy hook-up minute does not decide a Holter's
    polarity. A lead no longer than the stretches together is read whole."""
    length = int(rules.stretch_s * fs)
    if n_samples <= rules.stretches * length:
        return qrs_points_down([read(0, n_samples)], fs, rules)
    starts = np.linspace(0, n_samples - length, rules.stretches).astype(np.int64)
    return qrs_points_down([read(int(s), int(s) + length) for s in starts], fs, rules)


def qrs_points_down(stretches: list[np.ndarray], fs: float, rules: PolarityRules = PolarityRules()) -> bool:
    """True when the QRS complexes of one lead clearly point down: over its ``stretches`` (mV at ``fs`` Hz), the
    median deepest deflection around the R peaks is ``down_over_up`` times the median highest (after a 0.5-Hz
    high-pass)."""
    half = max(1, int(round(rules.qrs_half_s * fs)))
    ups, downs = [], []
    for x in stretches:
        x = np.nan_to_num(np.asarray(x, np.float64))
        if len(x) < 3 * fs:
            continue
        x = sosfiltfilt(butter_sos(2, 0.5, "highpass", fs), x)
        peaks = detect_r_peaks(x, fs)
        peaks = peaks[(peaks >= half) & (peaks < len(x) - half)]
        around = x[peaks[:, None] + np.arange(-half, half + 1)[None]]
        ups.append(around.max(1))
        downs.append(-around.min(1))
    if sum(len(u) for u in ups) < rules.min_beats:
        return False
    up, down = np.median(np.concatenate(ups)), np.median(np.concatenate(downs))
    return bool(down > rules.down_over_up * max(up, 1e-6))
