"""Atrial activity: a consistent P wave before every QRS scores near 1, fibrillatory waves near 0; an irregular
rhythm with consistent P waves (sinus arrhythmia, atrial ectopy) is not AF, one without them is."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.af import af_episodes
from anyecg_model.signal.atrial import p_wave_consistency

FS = 250.0


def ecg(beats: np.ndarray, duration_s: float, p_waves: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * FS)) / FS
    x = 0.01 * rng.standard_normal(len(t))
    for b in beats:
        x += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2)
        if p_waves:
            x += 0.15 * np.exp(-0.5 * ((t - b + 0.16) / 0.025) ** 2)
    if not p_waves:  # fibrillatory waves, 6 Hz with a wandering phase
        x += 0.05 * np.sin(2 * np.pi * 6.0 * t + np.cumsum(rng.normal(0, 0.3, len(t))))
    return x


def test_consistent_p_waves_score_high_and_fibrillatory_waves_low():
    rng = np.random.default_rng(1)
    beats = np.cumsum(rng.uniform(0.5, 1.1, 150))
    beats = beats[beats < 118]
    peaks = np.round(beats * FS).astype(np.int64)
    with_p = p_wave_consistency(ecg(beats, 120, True), FS, peaks)
    without = p_wave_consistency(ecg(beats, 120, False), FS, peaks)
    assert np.nanmedian(with_p) > 0.8 and np.nanmedian(without) < 0.5
    assert np.isnan(p_wave_consistency(np.zeros(100), FS, np.array([10])))[0]  # segment outside the signal


def test_an_irregular_rhythm_with_consistent_p_waves_is_not_af():
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.5, 1.1, 400))  # irregularly irregular RR for ~5 min
    assert len(af_episodes(t, None, None)[0]) == 1  # RR alone: AF
    assert len(af_episodes(t, None, None, p_wave=np.full(len(t), 0.9))[0]) == 0  # P waves: not AF
    # moderate irregularity without P waves and without the model's vote is AF
    t2 = np.cumsum(0.8 * (1 + rng.uniform(-0.2, 0.2, 400)))  # mean |ΔRR|/RR about 0.13
    assert len(af_episodes(t2, None, None)[0]) == 0
    s, e, c = af_episodes(t2, None, None, p_wave=np.full(len(t2), 0.1))
    assert np.sum(e - s) > 0.8 * (t2[-1] - t2[0]) and np.all(c > 0.5)


@pytest.mark.parametrize("neighbours", [9, 5, 1, 4])
def test_neighbour_median_is_numpys_median_of_the_sliding_windows(neighbours):
    """Issue 19: the P-wave template by a partition of each window, not ``np.median`` — the same numbers to the
    bit (odd and even counts, ties from repeated edge rows, a NaN row), so the AF findings do not move."""
    from numpy.lib.stride_tricks import sliding_window_view

    from anyecg_model.signal.atrial import neighbour_median

    rng = np.random.default_rng(neighbours)
    seg = rng.standard_normal((57, 79))
    seg[10] = seg[11]  # ties
    h = neighbours // 2
    for x in (seg, np.where(np.arange(57)[:, None] == 30, np.nan, seg)):
        ref = np.median(sliding_window_view(np.pad(x, ((h, neighbours - h - 1), (0, 0)), mode="edge"), neighbours,
                                            axis=0), axis=2)
        np.testing.assert_array_equal(neighbour_median(x, neighbours), ref)


def test_a_slow_ten_second_ecg_still_gets_its_p_waves_measured():
    """45 bpm for 10 s is 8 beats, fewer than the 9 neighbours: the P waves are compared among all of them
    (not "unmeasurable", which the rhythm features would read as no P wave); four beats are too few."""
    beats = np.arange(0.6, 10.0, 60 / 45)
    x = ecg(beats, 10.0, p_waves=True)
    p = p_wave_consistency(x, FS, np.round(beats * FS).astype(int))
    assert len(beats) < 9 and np.isfinite(p).all() and np.median(p) > 0.8
    assert np.isnan(p_wave_consistency(x, FS, np.round(beats[:4] * FS).astype(int))).all()
