"""Beat waveforms: a short window around every R peak at a fixed rate, read from a recording chunk by chunk.

Each beat becomes ``WAVE_FS`` Hz samples from ``BEFORE_S`` before to ``AFTER_S`` after its R peak, band-passed
0.5–40 Hz (zero phase) and with its PR-segment level subtracted, in mV. A 24-h Holter's 110 000 beats are
read in 10-minute chunks (with a filter run-in at both edges), so memory stays bounded by one chunk plus the
waves themselves (110 000 × 2 leads × 100 samples × 4 bytes ≈ 88 MB).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from ..io.recording import Recording
from ..vocabulary.lead_map import standard_equivalent

#: Rate of the beat waves (Hz).
WAVE_FS = 125.0
#: Window around the R peak (s).
BEFORE_S, AFTER_S = 0.3, 0.5
#: PR segment whose median is the beat's zero level (s relative to R).
BASELINE_S = (-0.12, -0.06)
#: Band of the morphology filter (Hz).
BAND_HZ = (0.5, 40.0)
#: Chunk read at once (s) and filter run-in on both sides (s).
CHUNK_S, RUN_IN_S = 600.0, 5.0


@dataclass
class BeatWaves:
    """``waves`` (K, S, T) float32 mV at ``fs`` Hz, sample ``offset`` being the R peak; ``leads`` names the S rows."""

    waves: np.ndarray
    fs: float
    offset: int
    leads: list[str]

    def __len__(self) -> int:
        return self.waves.shape[0]

    def time_axis(self) -> np.ndarray:
        """Seconds relative to R of each of the T samples."""
        return (np.arange(self.waves.shape[-1]) - self.offset) / self.fs


def morphology_leads(recording: Recording, max_leads: int = 2) -> list[int]:
    """Lead indices used for shapes: II (or its Holter equivalent) first, then V1, then the other placed leads."""
    names = recording.lead_names
    std = [standard_equivalent(n) for n in names]
    order = [i for i, s in enumerate(std) if s == "II"] + [i for i, s in enumerate(std) if s == "V1"]
    order += [i for i, s in enumerate(std) if s is not None and i not in order]
    order += [i for i in range(len(names)) if i not in order]
    return order[:max_leads]


@lru_cache(maxsize=8)
def _band_sos(fs: float) -> np.ndarray:
    from scipy.signal import butter  # ~1 s: imported when beats are grouped, not when the viewer starts
    high = min(BAND_HZ[1], 0.45 * fs)
    return butter(2, [BAND_HZ[0], high], btype="bandpass", fs=fs, output="sos")


def _sample(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of rows ``x`` (S, n) at fractional positions ``pos`` (K, T) → (K, S, T)."""
    n = x.shape[1]
    p = np.clip(pos, 0, n - 1.000001)
    i0 = p.astype(np.int64)
    frac = (p - i0).astype(np.float32)
    lo, hi = x[:, i0], x[:, i0 + 1]  # (S, K, T)
    return (lo + (hi - lo) * frac).transpose(1, 0, 2)


def _grid() -> tuple[int, np.ndarray]:
    """The R peak's sample and the window's times relative to R (s)."""
    offset = int(round(BEFORE_S * WAVE_FS))
    return offset, (np.arange(offset + int(round(AFTER_S * WAVE_FS))) - offset) / WAVE_FS


def _waves(data: np.ndarray, fs: float, first_sample: int, times_s: np.ndarray) -> np.ndarray:
    """(K, S, T) band-passed waves of the beats at ``times_s`` (s) from rows ``data`` (S, n) in mV at ``fs`` Hz whose
    first sample is the recording's ``first_sample``, each less its PR-segment level."""
    from scipy.signal import sosfiltfilt  # ~1 s: imported when beats are grouped, not when the viewer starts

    offset, grid = _grid()
    b0, b1 = (np.searchsorted(grid, BASELINE_S[0]), np.searchsorted(grid, BASELINE_S[1]))
    data = np.nan_to_num(data.astype(np.float64))
    if data.shape[1] > 3 * 8:
        data = sosfiltfilt(_band_sos(float(fs)), data, axis=1)
    pos = (np.asarray(times_s, np.float64)[:, None] + grid[None, :]) * fs - first_sample
    w = _sample(data.astype(np.float32), pos)
    w -= np.median(w[..., b0:b1], axis=-1, keepdims=True)
    return w


def waves_at(data: np.ndarray, fs: float, first_sample: int, times_s: np.ndarray,
             leads: Sequence[str] = ()) -> BeatWaves:
    """Waves of the beats at ``times_s`` (s from the recording's start) from signal rows ``data`` (leads ×
    samples, mV at ``fs`` Hz) already read, its first sample being the recording's ``first_sample``; ``leads``
    names the rows. Beats near the edges of ``data`` see its filter's edge effects."""
    offset, _ = _grid()
    return BeatWaves(_waves(data, fs, first_sample, times_s), WAVE_FS, offset, list(leads))


def beat_waves(recording: Recording, times_s: np.ndarray, leads: Sequence[int] | None = None) -> BeatWaves:
    """Waves of the beats at ``times_s`` (s from the start, any order) from ``leads`` (default:
    :func:`morphology_leads`)."""
    times = np.asarray(times_s, dtype=np.float64)
    idx = list(morphology_leads(recording) if leads is None else leads)
    fs = recording.fs
    offset, grid = _grid()
    out = np.zeros((len(times), len(idx), len(grid)), np.float32)
    order = np.argsort(times, kind="stable")
    sorted_t = times[order]
    for c0 in np.arange(0.0, max(recording.duration_s, 1e-9), CHUNK_S):
        c1 = c0 + CHUNK_S
        lo, hi = np.searchsorted(sorted_t, [c0, c1])
        if hi <= lo:
            continue
        r0 = max(0.0, c0 - RUN_IN_S - BEFORE_S)
        data = recording.read_seconds(r0, min(recording.duration_s, c1 + RUN_IN_S + AFTER_S), idx)
        out[order[lo:hi]] = _waves(data, fs, int(round(r0 * fs)), sorted_t[lo:hi])
    return BeatWaves(out, WAVE_FS, offset, [recording.lead_names[i] for i in idx])
