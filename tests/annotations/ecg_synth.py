"""Synthetic ECG with known R peaks (shared by the annotation tests and their crash subprocess)."""
from __future__ import annotations

import numpy as np


def synthetic_ecg(bpm: float = 70.0, duration_s: float = 60.0, fs: float = 250.0, seed: int = 0):
    """Two-lead ECG (mV) with Gaussian QRS complexes (R 1.2 mV in II, −0.8 mV in V1) and T waves at a steady
    rate; returns (signal (2, n), R-peak samples)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    peaks = np.arange(0.5, duration_s - 0.3, 60.0 / bpm)
    sig = np.zeros((2, n))
    for p in peaks:
        qrs = np.exp(-0.5 * ((t - p) / 0.012) ** 2)
        twave = np.exp(-0.5 * ((t - p - 0.28) / 0.05) ** 2)
        sig[0] += 1.2 * qrs + 0.3 * twave
        sig[1] += -0.8 * qrs + 0.15 * twave
    sig += 0.01 * rng.standard_normal(sig.shape)
    return sig.astype(np.float32), np.round(peaks * fs).astype(np.int64)
