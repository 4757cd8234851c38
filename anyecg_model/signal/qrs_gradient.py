"""NeuroKit2's ECG cleaning and its gradient QRS detector (Makowski et al. 2021), without NeuroKit2.

:func:`clean_ecg` is ``nk.ecg_clean(x, fs, method="neurokit")``: a 5th-order Butterworth high-pass at 0.5 Hz
(zero phase) then a moving average one mains period long (50 Hz), run forward and backward.
:func:`gradient_qrs_peaks` is ``nk.ecg_findpeaks(cleaned, fs, method="neurokit")``: QRS complexes are the runs
where the smoothed absolute gradient (0.1-s boxcar) exceeds 1.5 × its 0.75-s average; in each complex at
least 0.4 × the mean complex length, the R peak is the most prominent local maximum of the signal, kept when
it comes more than 0.3 s after the last kept peak. NeuroKit2 runs ``scipy.signal.find_peaks`` once per
complex; here all complexes are searched at once: every sample outside a complex is set to +inf, so each
complex's local maxima and their prominences (``scipy.signal.peak_prominences``, whose bases stop at a higher
sample) are exactly those of the complex alone. Same peaks, about twenty times faster, and no NeuroKit2
import (≈ 1.4 s with pandas and matplotlib).
"""
from __future__ import annotations

import numpy as np

from .filter_design import butter_sos, sosfiltfilt

#: Mains frequency of the moving-average filter (Hz), NeuroKit2's default.
POWERLINE_HZ = 50.0
#: Detector parameters (NeuroKit2's defaults): gradient smoothing and averaging windows (s), threshold
#: weight on the averaged gradient, shortest complex as a share of the mean one, shortest RR (s).
SMOOTH_S = 0.1
AVERAGE_S = 0.75
GRADIENT_WEIGHT = 1.5
MIN_LENGTH_WEIGHT = 0.4
MIN_DELAY_S = 0.3


def clean_ecg(x: np.ndarray, fs: float) -> np.ndarray:
    """High-pass (0.5 Hz, order 5, zero phase) and mains moving average of one lead (no NaN) at ``fs`` Hz."""
    from scipy.signal import filtfilt

    y = sosfiltfilt(butter_sos(5, 0.5, "highpass", fs), x)
    b = np.ones(int(fs / POWERLINE_HZ)) if fs >= 100 else np.ones(2)
    return filtfilt(b, [len(b)], y, method="pad")


def local_maxima(y: np.ndarray) -> np.ndarray:
    """Indices of local maxima as ``scipy.signal.find_peaks`` finds them: a sample (or the middle of a flat run,
    rounded down) higher than both neighbours; the first and last samples never are."""
    n = len(y)
    if n < 3:
        return np.zeros(0, np.int64)
    start = np.concatenate([[0], np.flatnonzero(y[1:] != y[:-1]) + 1])  # runs of equal samples
    end = np.concatenate([start[1:] - 1, [n - 1]])
    inner = (start > 0) & (end < n - 1)
    start, end = start[inner], end[inner]
    peak = (y[start - 1] < y[start]) & (y[end + 1] < y[start])
    return ((start[peak] + end[peak]) // 2).astype(np.int64)


def qrs_complexes(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """The detector's QRS complexes ``[beg, end)`` (int64 sample indices) on a cleaned lead (float64): the runs
    where the smoothed absolute gradient exceeds :data:`GRADIENT_WEIGHT` × its average, at least
    :data:`MIN_LENGTH_WEIGHT` × the mean run long."""
    from scipy.ndimage import uniform_filter1d

    none = np.zeros(0, np.int64), np.zeros(0, np.int64)
    smooth = uniform_filter1d(np.abs(np.gradient(x)), int(np.rint(SMOOTH_S * fs)), mode="nearest")
    average = uniform_filter1d(smooth, int(np.rint(AVERAGE_S * fs)), mode="nearest")
    qrs = smooth > GRADIENT_WEIGHT * average
    beg = np.flatnonzero(~qrs[:-1] & qrs[1:])
    end = np.flatnonzero(qrs[:-1] & ~qrs[1:])
    if beg.size == 0:
        return none
    end = end[end > beg[0]]
    n_qrs = min(beg.size, end.size)
    if n_qrs == 0:
        return none
    beg, end = beg[:n_qrs], end[:n_qrs]
    length = end - beg
    long_enough = length >= np.mean(length) * MIN_LENGTH_WEIGHT
    return beg[long_enough], end[long_enough]


def gradient_qrs_peaks(cleaned: np.ndarray, fs: float) -> np.ndarray:
    """R peaks (int64 sample indices, sorted) of NeuroKit2's gradient detector on a cleaned lead."""
    from scipy.signal import peak_prominences

    x = np.asarray(cleaned, dtype=np.float64)
    beg, end = qrs_complexes(x, fs)
    if beg.size == 0:
        return np.zeros(0, np.int64)
    # each complex [beg, end) alone: everything else +inf (complexes are disjoint, with a sample between them)
    inside = np.zeros(len(x) + 1, np.int64)
    np.add.at(inside, beg, 1)
    np.add.at(inside, end, -1)
    walled = np.where(np.cumsum(inside[:-1]) > 0, x, np.inf)
    cand = local_maxima(walled)
    cand = cand[np.isfinite(walled[cand])]
    if cand.size == 0:
        return np.zeros(0, np.int64)
    prominence = peak_prominences(walled, cand)[0]
    complex_of = np.searchsorted(beg, cand, side="right") - 1
    # per complex, the first of its most prominent maxima (np.argmax's tie rule)
    order = np.lexsort((cand, -prominence, complex_of))
    first = np.concatenate([[True], complex_of[order][1:] != complex_of[order][:-1]])
    best = cand[order][first].tolist()
    min_delay = int(np.rint(fs * MIN_DELAY_S))
    peaks, last = [], 0
    for p in best:  # Python scalars: one step per complex
        if p - last > min_delay:
            peaks.append(p)
            last = p
    return np.asarray(peaks, dtype=np.int64)
