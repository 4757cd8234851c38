"""Synthetic two-lead WFDB records with three beat kinds and a reference ``atr`` annotator for the families tests:
N (narrow QRS σ 12 ms, 1.2 mV), V (premature at 60 % of the cycle, wide σ 35 ms, 1.8 mV, inverted T, compensatory
pause) and S (premature at 65 % of the cycle, normal shape)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def family_record(path: Path, seed: int = 0, duration_s: float = 120.0, fs: float = 250.0, bpm: float = 72.0,
                  p_v: float = 0.15, p_s: float = 0.0) -> tuple[np.ndarray, list[str]]:
    """Write ``path``.hea/.dat/.atr; returns (R-peak samples, MIT-BIH symbols)."""
    import wfdb

    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    cycle = 60.0 / bpm
    times, symbols = [], []
    tb = 0.6
    while tb < duration_s - 0.8:
        u = rng.random()
        ectopic = symbols[-1:] == ["N"] and len(symbols) > 2
        if ectopic and u < p_v:
            times.append(tb - 0.4 * cycle)
            symbols.append("V")
            tb = times[-1] + 1.6 * cycle
        elif ectopic and u < p_v + p_s:
            times.append(tb - 0.35 * cycle)
            symbols.append("A")
            tb = times[-1] + cycle
        else:
            times.append(tb)
            symbols.append("N")
            tb += cycle * rng.uniform(0.97, 1.03)
    sig = np.zeros((2, n))
    for tb, s in zip(times, symbols):
        width, amp, tw = (0.035, 1.8, -0.4) if s == "V" else (0.012, 1.2 * rng.uniform(0.95, 1.05), 0.3)
        qrs = np.exp(-0.5 * ((t - tb) / width) ** 2)
        twave = np.exp(-0.5 * ((t - tb - 0.3) / 0.06) ** 2) * tw
        sig[0] += amp * qrs + twave
        sig[1] += -0.5 * amp * qrs + 0.5 * twave
    sig += 0.02 * rng.standard_normal(sig.shape)
    samples = np.round(np.array(times) * fs).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(path.name, fs=fs, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=sig.T,
                fmt=["16", "16"], adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(path.parent))
    wfdb.wrann(path.name, "atr", samples, symbol=symbols, write_dir=str(path.parent))
    return samples, symbols
