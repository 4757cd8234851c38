"""Synthetic ECGs from a rotating cardiac dipole: tests, smoke runs and the CPU demo, never evaluation.

Each beat is a sum of Gaussian waves (P, Q, R, S, T), each with a 3-D direction; a lead is the projection
of the heart vector on the lead's axis (limb leads in the frontal plane, V1–V6 in the horizontal plane).
Heart rate (bpm) is drawn per record from 50–110 and rises with age; male records have 20 % larger QRS
voltage, so demography is learnable. Noise: white (0.01 mV), baseline wander (0.3 Hz, 0.1 mV) and mains.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import Dataset

from ...signal.preprocess import preprocess
from ...vocabulary.lead_map import standard_equivalent
from ...vocabulary.leads import STANDARD_LEADS
from ...vocabulary.model_input import PreprocessConfig
from .batch import example_from_prepared

_FRONTAL = {"I": 0, "II": 60, "III": 120, "aVR": -150, "aVL": -30, "aVF": 90}
_HORIZONTAL = {"V1": 120, "V2": 95, "V3": 75, "V4": 60, "V5": 30, "V6": 0}
#: (offset s, width s, direction (x left, y down, z anterior), amplitude mV)
_WAVES = (
    (-0.20, 0.025, (0.5, 0.8, 0.2), 0.15),
    (-0.03, 0.008, (-0.3, 0.2, -0.4), 0.25),
    (0.00, 0.010, (0.6, 0.7, -0.4), 1.3),
    (0.03, 0.010, (-0.2, -0.3, 0.9), 0.5),
    (0.26, 0.050, (0.5, 0.6, 0.4), 0.3),
)


def lead_axis(name: str) -> np.ndarray:
    """Unit axis (x left, y down, z anterior) of a standard lead (or its Holter equivalent)."""
    std = standard_equivalent(name) or name
    if std in _FRONTAL:
        a = math.radians(_FRONTAL[std])
        return np.array([math.cos(a), math.sin(a), 0.0])
    a = math.radians(_HORIZONTAL[std])
    return np.array([math.cos(a), 0.0, math.sin(a)])


def simulate_ecg(duration_s: float, fs: float, heart_rate_bpm: float, leads=STANDARD_LEADS,
                 qrs_gain: float = 1.0, noise_mv: float = 0.01, mains_hz: float = 50.0,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n_leads, n) mV and the R-peak sample indices of a dipole ECG at ``heart_rate_bpm``."""
    rng = rng or np.random.default_rng(0)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    rr = 60.0 / heart_rate_bpm
    beats = np.arange(rng.uniform(0.2, 0.2 + rr), duration_s + 0.5, rr)
    beats = beats + rng.normal(0, 0.01 * rr, beats.shape)
    heart = np.zeros((3, n))
    for k, (off, width, direction, amp) in enumerate(_WAVES):
        d = np.asarray(direction) / np.linalg.norm(direction)
        gain = qrs_gain if 1 <= k <= 3 else 1.0
        pulse = np.exp(-0.5 * ((t[None, :] - beats[:, None] - off) / width) ** 2).sum(0)
        heart += np.outer(d, pulse * amp * gain)
    axes = np.stack([lead_axis(name) for name in leads])
    x = axes @ heart
    x += 0.1 * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 2 * np.pi, (len(leads), 1)))
    x += rng.normal(0, noise_mv, x.shape)  # last draw: everything above is independent of fs
    x += 0.02 * np.sin(2 * np.pi * mains_hz * t)
    peaks = np.round(beats[beats < duration_s] * fs).astype(int)
    return x.astype(np.float32), peaks[peaks < n]


class SyntheticECGDataset(Dataset):
    """``n_records`` deterministic synthetic windows of ``window_s`` seconds yielding the batch contract.

    A share ``subset_fraction`` of records has a random lead subset in random order (sometimes Holter names
    MLII/V1); native rates are drawn from ``rates`` Hz so resampling is exercised. Age or sex is unknown
    in 20 % of records.
    """

    def __init__(self, n_records: int, window_s: float = 10.0, seed: int = 0,
                 preprocess_cfg: PreprocessConfig | None = None, rates: tuple[float, ...] = (250.0, 360.0, 500.0),
                 subset_fraction: float = 0.3, slots=STANDARD_LEADS):
        self.n_records, self.window_s, self.seed = n_records, window_s, seed
        self.cfg = preprocess_cfg or PreprocessConfig()
        self.rates, self.subset_fraction, self.slots = rates, subset_fraction, tuple(slots)
        self.n_patches = int(round(window_s * self.cfg.target_fs / self.cfg.patch_len))

    def __len__(self) -> int:
        return self.n_records

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if not 0 <= i < self.n_records:
            raise IndexError(i)
        rng = np.random.default_rng([self.seed, i])
        age = float(rng.uniform(20, 90))
        sex = float(rng.integers(0, 2))
        hr = float(np.clip(rng.uniform(50, 95) + 0.2 * (age - 50), 45, 130))
        leads = list(STANDARD_LEADS)
        if rng.random() < self.subset_fraction:
            leads = ["MLII", "V1"] if rng.random() < 0.3 else list(rng.choice(leads, rng.integers(1, 7), replace=False))
            rng.shuffle(leads)
        fs = float(rng.choice(self.rates))
        data, _ = simulate_ecg(self.window_s, fs, hr, leads, qrs_gain=1.2 if sex else 1.0, rng=rng)
        prepared = preprocess(data, fs, leads, self.cfg, self.slots).window(0, self.n_patches)
        return example_from_prepared(prepared, age if rng.random() > 0.2 else None,
                                     sex if rng.random() > 0.2 else None)
