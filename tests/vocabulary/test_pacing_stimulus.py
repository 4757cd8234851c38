"""Pacemaker stimuli found beat by beat at 400 Hz and more: a stimulus at a fixed delay before each paced QRS is
found and counted, a lone artefact spike and a held step of a sharp QRS are not, nothing is looked for below
400 Hz, and the beat classes follow (generated beats, sampled as an ADC averages each period)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.vocabulary.labels import BEAT_CLASSES
from anyecg_model.vocabulary.pacing_stimulus import (MIN_PACED_RUN, STIMULUS_PRECISION, paced_by_stimulus,
                                                     stimulus_offsets, with_stimulus_evidence,
                                                     without_lone_paced_calls)

FINE_HZ = 36_000  # every tested rate divides it


def _gauss(t: np.ndarray, at: float, sigma: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((t - at) / sigma) ** 2)


def ecg(fs: int, paced: set[int], n_beats: int = 10, spike_at_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(signal (2, n) mV at ``fs``, R peaks): native beats (P, narrow QRS, T) and, at ``paced``, paced beats: a
    1-ms stimulus of 2 mV 60 ms before a wide QRS, decaying over 3 ms as a recorder's filter leaves it; an
    optional lone 1-ms artefact spike at ``spike_at_s``."""
    t = np.arange(int(n_beats * FINE_HZ)) / FINE_HZ
    x = np.zeros_like(t)
    r = np.arange(n_beats) + 0.5
    pulse = lambda at: np.where(t >= at, np.exp(-np.clip(t - at, 0, None) / 0.003), 0.0) * ((t - at) < 0.03)
    for k, at in enumerate(r):
        if k in paced:
            x += _gauss(t, at, 0.04, -1.0) + _gauss(t, at + 0.32, 0.07, 0.4) + 2.0 * pulse(at - 0.060)
        else:
            x += _gauss(t, at - 0.16, 0.025, 0.15) + _gauss(t, at, 0.012, 1.2) + _gauss(t, at + 0.25, 0.05, 0.3)
    if spike_at_s is not None:
        x += 2.0 * pulse(spike_at_s)
    x = x.reshape(-1, FINE_HZ // fs).mean(1) + 0.005 * np.random.default_rng(0).standard_normal(len(t) * fs // FINE_HZ)
    return np.stack([x, 0.5 * x]).astype(np.float32), np.round(r * fs).astype(np.int64)


@pytest.mark.parametrize("fs", [500, 1000])
def test_a_stimulus_at_a_fixed_delay_before_each_paced_beat_is_found_and_counted(fs):
    paced = {2, 3, 4, 7, 8}
    signal, peaks = ecg(fs, paced)
    at = stimulus_offsets(signal, peaks, fs)
    is_paced = np.isin(np.arange(len(peaks)), sorted(paced))
    assert np.all(np.isnan(at[~is_paced]))
    np.testing.assert_allclose(at[is_paced], -60.0, atol=1000.0 / fs + 1)
    assert paced_by_stimulus(at).tolist() == is_paced.tolist()


def test_nothing_is_looked_for_below_400_hz():
    signal, peaks = ecg(360, {2, 3, 4, 7, 8})
    assert np.all(np.isnan(stimulus_offsets(signal, peaks, 360.0)))


def test_a_lone_spike_is_found_but_not_counted():
    """An electrode spike before one native beat lies at its own delay: no two other beats share it."""
    signal, peaks = ecg(500, set(), spike_at_s=4.40)
    at = stimulus_offsets(signal, peaks, 500.0)
    assert np.isfinite(at).sum() == 1
    assert not paced_by_stimulus(at).any()
    assert not paced_by_stimulus(np.array([np.nan, -80.0, -82.0])).any()  # two alike are not enough
    assert paced_by_stimulus(np.array([-80.0, -82.0, -90.0, 10.0, np.nan])).tolist() == [True] * 3 + [False] * 2


def test_a_held_qrs_top_dropping_at_once_is_a_step_not_a_stimulus():
    """LUDB's sharp QRS tops hold for 10-14 ms and then drop by 0.7 mV within one sample (500 Hz): abrupt, but
    the signal stays down; a stimulus comes back."""
    fs = 500
    t = np.arange(10 * fs) / fs
    x = np.zeros_like(t)
    r = np.arange(10) + 0.5
    for at in r:
        x += np.clip((t - (at - 0.03)) / 0.03, 0, 1) * 0.72 * (t < at + 0.012)  # a 30-ms upstroke, then held
        x -= 0.1 * ((t >= at + 0.012) & (t < at + 0.05))  # the drop, staying below the baseline
    x += 0.003 * np.random.default_rng(1).standard_normal(len(t))
    peaks = np.round(r * fs).astype(np.int64)
    assert np.all(np.isnan(stimulus_offsets(x[None].astype(np.float32), peaks, fs)))


def test_stimuli_set_the_paced_class_and_its_absence_removes_it():
    p = np.array([[0.70, 0.10, 0.10, 0.0, 0.0, 0.10],
                  [0.05, 0.00, 0.05, 0.0, 0.0, 0.90]], np.float32)
    k = BEAT_CLASSES.index("P")
    out = with_stimulus_evidence(p, np.array([True, False]))
    assert out[0].argmax() == k and out[0, k] == pytest.approx(STIMULUS_PRECISION)
    np.testing.assert_allclose(out[1], p[1], atol=1e-7)  # a stretch with stimuli keeps the classifier's P
    np.testing.assert_allclose(out.sum(1), 1.0, atol=1e-6)
    none = with_stimulus_evidence(p, np.array([False, False]))
    assert np.all(none[:, k] == 0) and none[1].argmax() != k
    np.testing.assert_allclose(none[0, :3], [0.7 / 0.9, 0.1 / 0.9, 0.1 / 0.9], atol=1e-6)
    np.testing.assert_allclose(none.sum(1), 1.0, atol=1e-6)


def test_below_400_hz_paced_calls_need_a_run_of_them():
    """Where no stimulus can show, lone paced calls are dropped (to the other classes); a run of
    MIN_PACED_RUN paced beats keeps every paced call of the stretch, lone ones included."""
    k = BEAT_CLASSES.index("P")
    p = np.tile(np.array([[0.8, 0.05, 0.1, 0.05, 0.0, 0.0]], np.float32), (12, 1))
    p[[0, 10], k], p[[0, 10], 0] = 0.7, 0.1  # two lone paced calls
    out = without_lone_paced_calls(p)
    assert not np.any(out.argmax(1) == k) and np.all(out[:, k] == 0)
    np.testing.assert_allclose(out.sum(1), 1.0, atol=1e-6)
    p[np.arange(3, 3 + MIN_PACED_RUN), k], p[np.arange(3, 3 + MIN_PACED_RUN), 0] = 0.9, 0.0
    assert without_lone_paced_calls(p) is p
    assert p.argmax(1).tolist().count(k) == MIN_PACED_RUN + 2  # the lone calls beside the run stand
