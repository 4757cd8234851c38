"""Filter designs computed once per (design, rate), and zero-phase filtering with the design's initial conditions
computed once: a chunked analysis asks for the same few filters on every chunk, and ``scipy.signal.butter``
takes about a millisecond each time (≈ 1.5 s over a 24-h recording), ``sosfiltfilt`` another one or two per
call around the filtering itself.

Each design call returns a fresh copy (scipy's ``sosfilt`` wants a writable array) of exactly what
``scipy.signal`` designs; :func:`sosfiltfilt` returns exactly what scipy's does.
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


def sosfiltfilt(sos: np.ndarray, x: np.ndarray, axis: int = -1, padlen: int | None = None) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis, padtype="odd", padlen)`` with the filter's initial conditions
    (``sosfilt_zi``, a small linear solve per section) computed once per design: the same steps on the same
    numbers, so the same result to the bit."""
    from scipy.signal import sosfilt

    sos = np.asarray(sos, np.float64)
    x = np.asarray(x)
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge = ntaps * 3 if padlen is None else padlen
    axis = axis % x.ndim
    if x.shape[axis] <= edge:
        raise ValueError(f"The length of the input vector x must be greater than padlen, which is {edge}.")
    ext = np.moveaxis(_odd_ext(np.moveaxis(x, axis, -1), edge), -1, axis) if edge > 0 else x
    zi_shape = [1] * x.ndim
    zi_shape[axis] = 2
    zi = _sosfilt_zi(sos.tobytes(), n_sections).reshape([n_sections] + zi_shape)
    first = [slice(None)] * x.ndim
    first[axis] = slice(0, 1)
    y, _ = sosfilt(sos, ext, axis=axis, zi=zi * ext[tuple(first)])
    last = [slice(None)] * x.ndim
    last[axis] = slice(-1, None)
    y, _ = sosfilt(sos, np.flip(y, axis), axis=axis, zi=zi * y[tuple(last)])
    y = np.flip(y, axis)
    if edge > 0:
        core = [slice(None)] * x.ndim
        core[axis] = slice(edge, -edge)
        y = y[tuple(core)]
    return y


def _odd_ext(x: np.ndarray, n: int) -> np.ndarray:
    """Odd extension of ``x`` by ``n`` samples at both ends of its last axis (``scipy.signal``'s ``odd_ext``)."""
    left, right = x[..., :1], x[..., -1:]
    return np.concatenate((2 * left - x[..., n:0:-1], x, 2 * right - x[..., -2:-(n + 2):-1]), axis=-1)


@lru_cache(maxsize=64)
def _sosfilt_zi(sos_bytes: bytes, n_sections: int) -> np.ndarray:
    from scipy.signal import sosfilt_zi

    return sosfilt_zi(np.frombuffer(sos_bytes, np.float64).reshape(n_sections, 6))
