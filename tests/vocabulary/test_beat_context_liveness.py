"""Exact speed-ups of beat_context (liveness, medians) against the code they replaced (the oracle)."""
from __future__ import annotations

import numpy as np

from anyecg_model.vocabulary.beat_context import beat_matrix, live_leads
from anyecg_model.vocabulary.beat_inputs import lower_middle


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


def test_lower_middle_is_the_second_kth_of_a_partition() -> None:
    """The largest element before ``mid`` of a partition at ``mid`` equals the (mid-1)-th order statistic that
    ``np.partition(a, [mid - 1, mid])`` (the code it replaced) places: ties, zeros, any axis."""
    rng = np.random.default_rng(5)
    for n in (2, 4, 8, 210):
        a = rng.normal(size=(5, n, 3)).astype(np.float32)
        a[1] = 0.0
        a[2] = np.round(a[2])
        for axis in range(a.ndim):
            mid = a.shape[axis] // 2
            if mid == 0:
                continue
            oracle = np.take(np.partition(a, [mid - 1, mid], axis=axis), mid - 1, axis=axis)
            np.testing.assert_array_equal(lower_middle(np.partition(a, mid, axis=axis), mid, axis), oracle)


def test_beat_matrix_equals_the_fancy_indexing_gather() -> None:
    """``beat_matrix`` gathers with ``np.take``; the old ``padded[:, idx]`` code is the oracle (to the bit)."""
    from anyecg_model.vocabulary.beat_context import BEAT_AFTER_S, BEAT_BEFORE_S
    rng = np.random.default_rng(13)
    fs = 300.0
    signal = rng.normal(0.0, 0.3, (2, 3000)).astype(np.float32)
    peaks = np.sort(np.concatenate([[0, 2999], rng.integers(0, 3000, 25)]))
    b, a = int(round(BEAT_BEFORE_S * fs)), int(round(BEAT_AFTER_S * fs))
    padded = np.zeros((2, 3000 + b + a), np.float32)
    padded[:, b:b + 3000] = signal
    seg = padded[:, peaks.clip(0, 2999)[:, None] + np.arange(b + a)[None, :]].transpose(1, 0, 2)
    want = seg - np.expand_dims(np.median(seg, -1), -1)
    assert beat_matrix(signal, peaks, fs).tobytes() == want.tobytes()
