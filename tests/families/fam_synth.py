"""Synthetic two-lead WFDB records with three beat kinds and a reference ``atr`` annotator for the families tests:
N (narrow QRS σ 12 ms, 1.2 mV), V (premature at 60 % of the cycle, wide σ 35 ms, 1.8 mV, inverted T, compensatory
pause) and S (premature at 65 % of the cycle, normal shape)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from beat_synth import write_beats  # noqa: E402


def family_record(path: Path, seed: int = 0, duration_s: float = 120.0, fs: float = 250.0, bpm: float = 72.0,
                  p_v: float = 0.15, p_s: float = 0.0) -> tuple[np.ndarray, list[str]]:
    """Write ``path``.hea/.dat/.atr; returns (R-peak samples, MIT-BIH symbols)."""
    rng = np.random.default_rng(seed)
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
    return write_beats(path, times, symbols, duration_s, fs, rng, amp_jitter=0.05)
