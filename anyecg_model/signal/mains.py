"""Mains interference: find the 50- or 60-Hz line (and its harmonics) in each lead and notch it out.

An unshielded recorder picks up the power grid as a sinusoid at 50 Hz (Europe, Asia, Africa) or 60 Hz (the
Americas, parts of Japan) and its harmonics. The model's preprocessing notches 50 Hz only, and the quality
gate, the R-peak detector and the beat features read the file's own signal: 0.1 mV of 60 Hz added to the
MIT-BIH join doubled its "unreadable" seconds and made false SVTA runs and APC calls (docs/BENCHMARKS.md).

A line is *present* in a lead when the spectrum's highest power within ``±line_halfwidth_hz`` of the frequency
is ``min_excess`` times the highest power of its neighbourhood (2–6 Hz either side): a narrow peak standing
alone, not the broad energy of muscle noise, and not one of the heart rate's own harmonics (a regular rhythm,
paced at 72 bpm say, has spectral lines at every multiple of 1.2 Hz, 60 Hz among them, each as high as its
neighbours). Only the lines present are notched (zero-phase IIR notch of quality ``notch_q``, about ±1 Hz
wide at 60 Hz), so a clean recording is left exactly as it was.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .filter_design import sosfiltfilt


@dataclass(frozen=True)
class MainsRules:
    """Grid frequencies (Hz) looked for, with harmonics up to ``max_share_of_nyquist`` of the Nyquist rate; a
    line's half width and its neighbourhood (Hz); the excess over the neighbourhood that makes a line present;
    the notch's quality factor; the shortest signal judged (s)."""

    grid_hz: tuple[float, ...] = (50.0, 60.0)
    max_share_of_nyquist: float = 0.96
    line_halfwidth_hz: float = 0.3
    neighbourhood_hz: tuple[float, float] = (2.0, 6.0)
    min_excess: float = 5.0
    notch_q: float = 30.0
    min_duration_s: float = 2.0


def mains_lines(x: np.ndarray, fs: float, rules: MainsRules = MainsRules()) -> list[float]:
    """The mains frequencies (Hz; fundamentals and harmonics) present in one lead ``x`` (mV) sampled at ``fs`` Hz."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if len(x) < rules.min_duration_s * fs:
        return []
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / fs)
    top = rules.max_share_of_nyquist * fs / 2
    near, far = rules.neighbourhood_hz
    found = []
    for grid in rules.grid_hz:
        for line in np.arange(grid, top, grid):  # near the Nyquist rate the neighbourhood is one-sided
            offset = np.abs(freqs - line)
            peak = power[offset <= rules.line_halfwidth_hz]
            around = power[(offset >= near) & (offset <= far)]
            if len(peak) and len(around) and peak.max() > rules.min_excess * max(around.max(), 1e-12):
                found.append(float(line))
    return found


def without_mains(data: np.ndarray, fs: float, rules: MainsRules = MainsRules()) -> tuple[np.ndarray, list[float]]:
    """``data`` (leads, n) mV at ``fs`` Hz with each lead's mains lines notched out, and the lines found (Hz,
    sorted, over all leads). Leads without a line are returned unchanged; ``data`` itself is not modified."""
    data = np.asarray(data)
    out, lines = data, set()
    for k in range(data.shape[0]):
        found = mains_lines(data[k], fs, rules)
        if not found or not np.isfinite(data[k]).all():
            continue
        if out is data:
            out = data.copy()
        out[k] = sosfiltfilt(_notches(tuple(found), rules.notch_q, fs), data[k]).astype(data.dtype, copy=False)
        lines.update(found)
    return out, sorted(lines)


def _notches(lines_hz: tuple[float, ...], q: float, fs: float) -> np.ndarray:
    from scipy.signal import iirnotch, tf2sos

    return np.vstack([tf2sos(*iirnotch(f, q, fs=fs)) for f in lines_hz])
