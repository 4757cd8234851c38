"""The contiguous liveness test of beat_context equals the strided std it replaced (the oracle)."""
from __future__ import annotations

import numpy as np

from anyecg_model.vocabulary.beat_context import beat_matrix, live_leads


def _oracle(seg: np.ndarray) -> np.ndarray:
    return seg.std(axis=(0, 2)) > 1e-6


def test_live_leads_matches_strided_std_on_beats() -> None:
    rng = np.random.default_rng(3)
    fs = 360.0
    signal = rng.normal(0.0, 0.3, (4, 3600)).astype(np.float32)
    signal[1] = 0.0  # a flat lead (the zero padding too): dead
    signal[2] = 1e-8 * rng.normal(size=3600)  # a near-flat lead: dead
    peaks = np.arange(100, 3500, 300)
    seg = beat_matrix(signal, peaks, fs)  # (K, S, T), strided
    live = live_leads(seg)
    np.testing.assert_array_equal(live, _oracle(seg))
    np.testing.assert_array_equal(live, [True, False, False, True])


def test_live_leads_matches_oracle_on_random_scales() -> None:
    rng = np.random.default_rng(7)
    for scale in (1e-9, 1e-7, 1e-5, 1e-3, 1.0):
        seg = (scale * rng.normal(size=(12, 6, 40, 2)))[..., 0].transpose(1, 0, 2).transpose(1, 0, 2)
        np.testing.assert_array_equal(live_leads(seg), _oracle(seg))
