"""Atrial activity: is there a consistent P wave before each QRS? Plain numpy/scipy, no Qt.

In sinus rhythm every beat is preceded by the same P wave; in atrial fibrillation the stretch before the QRS
holds fibrillatory waves that differ from beat to beat (or nothing). :func:`p_wave_consistency` gives, per
beat, the Pearson correlation of the segment 300 to 80 ms before its R peak (band-passed 1-30 Hz, linear trend
removed) with the median of the same segment over its ``neighbours`` nearest beats: near 1 with a consistent
P wave, near 0 or below without one (MIT-BIH DS1: windowed medians 0.16-0.58 in AF, mostly above 0.6 in other
rhythms). Vectorised: a 5-min chunk of 400 beats takes about a millisecond.
"""
from __future__ import annotations

import numpy as np

from .filter_design import butter_sos, sosfiltfilt

#: The P-wave segment before the R peak (s): from ``P_SEGMENT_S[0]`` to ``P_SEGMENT_S[1]`` before it.
P_SEGMENT_S = (0.30, 0.08)
#: Band of the P-wave analysis (Hz).
P_BAND_HZ = (1.0, 30.0)
#: Fewest beats whose P waves can be compared (a median of fewer is mostly the beat itself).
MIN_BEATS = 5


def neighbour_median(seg: np.ndarray, neighbours: int) -> np.ndarray:
    """Per row of ``seg`` (beats, samples): the sample-wise median of the ``neighbours`` rows centred on it (edge
    rows repeated). ``np.median`` of the sliding windows, by a partition of each window at its middle when
    ``neighbours`` is odd and nothing is NaN (the median is then that element itself): the same numbers,
    ~5× faster (a 24-h Holter: ~1.5 s of the analysis)."""
    from numpy.lib.stride_tricks import sliding_window_view

    h = neighbours // 2
    windows = sliding_window_view(np.pad(seg, ((h, neighbours - h - 1), (0, 0)), mode="edge"), neighbours, axis=0)
    if neighbours % 2 == 0 or np.isnan(seg).any():
        return np.median(windows, axis=2)
    return np.partition(windows, h, axis=2)[..., h]


def p_wave_consistency(x: np.ndarray, fs: float, peaks: np.ndarray, neighbours: int = 9) -> np.ndarray:
    """Per R peak (samples of ``x``, one lead in mV at ``fs`` Hz): the consistency of the P-wave segment with
    its neighbours' (see the module docstring; all the beats when there are fewer than ``neighbours``, as in a
    slow 10-s ECG); NaN where the segment leaves the signal or with fewer than :data:`MIN_BEATS` beats."""
    peaks = np.asarray(peaks, np.int64)
    out = np.full(len(peaks), np.nan)
    a, b = int(round(P_SEGMENT_S[0] * fs)), int(round(P_SEGMENT_S[1] * fs))
    n_seg = a - b
    ok = (peaks - a >= 0) & (peaks - b <= len(x))
    neighbours = min(neighbours, int(ok.sum()))
    if neighbours < MIN_BEATS or n_seg < 4 or len(x) < 64:
        return out
    sos = butter_sos(2, (P_BAND_HZ[0], min(P_BAND_HZ[1], 0.45 * fs)), "band", fs)
    y = sosfiltfilt(sos, np.nan_to_num(np.asarray(x, np.float64)))
    seg = y[peaks[ok][:, None] - a + np.arange(n_seg)[None, :]]
    seg -= seg.mean(1, keepdims=True)
    ramp = np.arange(n_seg) - (n_seg - 1) / 2
    seg -= (seg @ ramp / (ramp @ ramp))[:, None] * ramp[None, :]
    tmpl = neighbour_median(seg, neighbours)
    den = np.sqrt((seg ** 2).sum(1) * (tmpl ** 2).sum(1))
    out[ok] = np.where(den > 0, (seg * tmpl).sum(1) / np.maximum(den, 1e-12), 0.0)
    return out
