"""Synthetic labelled recordings for the training tests: WFDB records whose ventricular (V) beats differ
learnably from normal (N) ones — premature (RR 60 % of the cycle), wide (QRS σ 35 ms vs 12 ms), taller
(1.8 vs 1.2 mV in MLII) with an inverted T wave — with a reference ``atr`` annotator holding the true labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def beat_record(path: Path, seed: int, duration_s: float = 60.0, fs: float = 250.0, bpm: float = 75.0,
                p_v: float = 0.25, annotate: bool = True) -> tuple[np.ndarray, list[str]]:
    """Write ``path``.hea/.dat (MLII, V1 in mV) and, with ``annotate``, ``path``.atr; returns (samples, symbols)."""
    rng = np.random.default_rng(seed)
    cycle = 60.0 / bpm
    times, symbols = [], []
    tb = 0.6
    while tb < duration_s - 0.6:
        v = rng.random() < p_v and symbols[-1:] != ["V"]
        if v:
            tb_v = tb - 0.4 * cycle  # premature
            times.append(tb_v)
            symbols.append("V")
            tb = tb_v + 1.6 * cycle  # compensatory pause
        else:
            times.append(tb)
            symbols.append("N")
            tb += cycle * rng.uniform(0.95, 1.05)
    return write_beats(path, times, symbols, duration_s, fs, rng, annotate=annotate)


def write_beats(path: Path, times: list[float], symbols: list[str], duration_s: float, fs: float,
                rng: np.random.Generator, amp_jitter: float = 0.0, annotate: bool = True) -> tuple[np.ndarray, list[str]]:
    """Render beats at ``times`` (s) — V wide (QRS σ 35 ms, 1.8 mV, inverted T), any other narrow (σ 12 ms,
    1.2 mV × U(1 ± ``amp_jitter``)) — on MLII and V1 (mV) with 0.02-mV noise, and write ``path``.hea/.dat and,
    with ``annotate``, ``path``.atr; returns (samples, symbols)."""
    import wfdb

    n = int(duration_s * fs)
    t = np.arange(n) / fs
    sig = np.zeros((2, n))
    for tb, s in zip(times, symbols):
        if s == "V":
            width, amp, tw = 0.035, 1.8, -0.4
        else:
            width, amp, tw = 0.012, 1.2 * (rng.uniform(1 - amp_jitter, 1 + amp_jitter) if amp_jitter else 1.0), 0.3
        qrs = np.exp(-0.5 * ((t - tb) / width) ** 2)
        twave = np.exp(-0.5 * ((t - tb - 0.3) / 0.06) ** 2) * tw
        sig[0] += amp * qrs + twave
        sig[1] += -0.5 * amp * qrs + 0.5 * twave
    sig += 0.02 * rng.standard_normal(sig.shape)
    samples = np.round(np.array(times) * fs).astype(np.int64)
    path.parent.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(path.name, fs=fs, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=sig.T,
                fmt=["16", "16"], adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(path.parent))
    if annotate:
        wfdb.wrann(path.name, "atr", samples, symbol=symbols, write_dir=str(path.parent))
    return samples, symbols


def paced_signal(duration_s: float = 120.0, fs: float = 250.0, bpm: float = 70.0, paced: bool = True,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A regular rhythm (MLII, V1 in mV) of paced beats — a 2-ms pacing spike, then a wide (σ 40 ms)
    QRS with a discordant T wave — or, with ``paced=False``, of narrow normal beats; returns
    (signal (2, n), beat samples)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    times = np.arange(0.6, duration_s - 0.6, 60.0 / bpm)
    times = times + rng.normal(0.0, 0.01, len(times))
    sig = np.zeros((2, n))
    for tb in times:
        if paced:
            spike = (np.abs(t - (tb - 0.06)) < 1.0 / fs).astype(float) * 4.0
            qrs = 1.4 * np.exp(-0.5 * ((t - tb) / 0.040) ** 2)
            twave = -0.5 * np.exp(-0.5 * ((t - tb - 0.32) / 0.07) ** 2)
            sig[0] += spike + qrs + twave
            sig[1] += spike - 0.9 * qrs - 0.6 * twave
        else:
            pwave = 0.15 * np.exp(-0.5 * ((t - tb + 0.16) / 0.025) ** 2)
            qrs = 1.2 * np.exp(-0.5 * ((t - tb) / 0.012) ** 2)
            twave = 0.3 * np.exp(-0.5 * ((t - tb - 0.3) / 0.06) ** 2)
            sig[0] += pwave + qrs + twave
            sig[1] += 0.5 * pwave - 0.6 * qrs + 0.5 * twave
    sig += 0.02 * rng.standard_normal(sig.shape)
    return sig.astype(np.float32), np.round(times * fs).astype(np.int64)
