"""Filter designs computed once per (design, rate): a chunked analysis asks for the same few filters on every
chunk, and ``scipy.signal.butter`` takes about a millisecond each time (≈ 1.5 s over a 24-h recording).

Each call returns a fresh copy (scipy's ``sosfilt`` wants a writable array) of exactly what ``scipy.signal``
designs.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


def butter_sos(order: int, freqs_hz: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    """``scipy.signal.butter(order, freqs_hz, btype, fs=fs, output="sos")``; ``freqs_hz`` a float or a
    (low, high) tuple (Hz)."""
    return _butter(order, freqs_hz, btype, fs).copy()


def band_notch_sos(order: int, band_hz: tuple[float, float], notch_hz: float | None, notch_q: float,
                   fs: float) -> np.ndarray:
    """A Butterworth band-pass (``order``, ``band_hz``) followed, when ``notch_hz`` is given, by an IIR notch at
    ``notch_hz`` of quality ``notch_q``, as one array of second-order sections."""
    return _band_notch(order, band_hz, notch_hz, notch_q, fs).copy()


@lru_cache(maxsize=64)
def _butter(order: int, freqs_hz: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    from scipy.signal import butter

    return butter(order, list(freqs_hz) if isinstance(freqs_hz, tuple) else freqs_hz, btype=btype, fs=fs,
                  output="sos")


@lru_cache(maxsize=64)
def _band_notch(order: int, band_hz: tuple[float, float], notch_hz: float | None, notch_q: float,
                fs: float) -> np.ndarray:
    from scipy.signal import iirnotch, tf2sos

    sos = _butter(order, band_hz, "bandpass", fs)
    if notch_hz is None:
        return sos
    b, a = iirnotch(notch_hz, notch_q, fs=fs)
    return np.vstack([sos, tf2sos(b, a)])
