"""The pacemaker-stimulus features: a paced beat's stimulus stands out from a normal beat, and a band-limited
beat measures the same at 250, 360 and 500 Hz (generated beats, sampled as an ADC averages each period)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.vocabulary.pacing_spike import PACING_FEATURES, pacing_features

FINE_HZ = 180_000  # every tested rate divides it: each sample is the mean of its period (an ADC's integration)
BEAT_S, PACED = 1.0, (2, 5)  # one beat a second; beats 2 and 5 are paced


def _gauss(t: np.ndarray, at: float, sigma: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((t - at) / sigma) ** 2)


def ecg(fs: int, n_beats: int = 8, spike_mv: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(signal (1, n) mV at ``fs``, R peaks): normal beats (P, narrow QRS, T) and, at :data:`PACED`, paced
    beats: a 1-ms stimulus of ``spike_mv`` 40 ms before a wide QRS with no P wave."""
    t = np.arange(int(n_beats * BEAT_S * FINE_HZ)) / FINE_HZ
    x = np.zeros_like(t)
    r = (np.arange(n_beats) + 0.5) * BEAT_S
    for k, at in enumerate(r):
        if k in PACED:
            x += _gauss(t, at, 0.035, 1.0) + _gauss(t, at + 0.30, 0.06, -0.4)
            x += np.where((t >= at - 0.040) & (t < at - 0.039), spike_mv, 0.0)
        else:
            x += _gauss(t, at - 0.16, 0.025, 0.15) + _gauss(t, at, 0.012, 1.2) + _gauss(t, at + 0.25, 0.05, 0.3)
    x = x.reshape(-1, FINE_HZ // fs).mean(1)
    return x[None].astype(np.float32), np.round(r * fs).astype(np.int64)


@pytest.mark.parametrize("fs", [250, 360, 500])
def test_a_paced_beat_stands_out_from_normal_beats_at_any_rate(fs):
    signal, peaks = ecg(fs)
    f = pacing_features(signal, peaks, fs)
    assert f.shape == (len(peaks), len(PACING_FEATURES))
    paced = np.isin(np.arange(len(peaks)), PACED)
    sharp, steep, vs_context, at_ms = f.T
    assert sharp[paced].min() > 0.4 > 0.25 > sharp[~paced].max()  # 1/ms
    assert steep[paced].min() > 2 * steep[~paced].max()
    assert vs_context[paced].min() > 0.5 > 0.3 > np.abs(vs_context[~paced]).max()  # log of the slope ratio
    np.testing.assert_allclose(at_ms[paced], -40.0, atol=1000.0 / fs + 0.5)  # the stimulus, 40 ms before R


def test_a_band_limited_beat_measures_the_same_at_250_360_and_500_hz():
    values = []
    for fs in (250, 360, 500):
        signal, peaks = ecg(fs, spike_mv=0.0)  # no stimulus: every beat is a smooth wave
        f = pacing_features(signal, peaks, fs)
        normal = ~np.isin(np.arange(len(peaks)), PACED)
        values.append(np.median(f[normal], 0))
    values = np.array(values)  # (rates, features)
    np.testing.assert_allclose(values[:, :2], np.repeat(values[[1], :2], 3, 0), rtol=0.1)  # sharpness, steepness
    assert 0.1 < values[1, 0] < 0.2  # a 12-ms Gaussian R wave: e^0.5 / 12 ms = 0.14 /ms


def test_no_signal_or_no_beats_give_zeros_not_errors():
    assert pacing_features(np.zeros((2, 5000), np.float32), np.array([100, 2000]), 360.0).tolist() == [[0.0] * 4] * 2
    assert pacing_features(np.ones((1, 5000), np.float32), np.zeros(0, np.int64), 360.0).shape == (0, 4)
    edge = pacing_features(np.random.default_rng(0).normal(size=(1, 500)).astype(np.float32), np.array([0, 499]), 250.0)
    assert np.isfinite(edge).all()


def _pacing_features_fancy_gather(signal: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """The features as computed before ``np.take``: the stretches gathered by fancy indexing (the oracle)."""
    from anyecg_model.vocabulary.pacing_spike import AFTER_S, BEFORE_S
    x = np.atleast_2d(np.asarray(signal, np.float32))
    out = np.zeros((len(peaks), len(PACING_FEATURES)), np.float32)
    b, a = int(round(BEFORE_S * fs)), int(round(AFTER_S * fs))
    seg = x[:, np.clip(np.arange(-b, a + 1)[:, None] + peaks[None, :], 0, x.shape[1] - 1)]
    span = seg.max(1) - seg.min(1)
    live = np.flatnonzero(span.max(1) > 1e-6)
    seg, span = seg[live], span[live]
    d1, d2 = np.abs(np.diff(seg, axis=1)), np.abs(np.diff(seg, 2, axis=1))
    m1 = d1.max(1) * fs
    sharp = d2.max(1) * (fs * fs / 1000.0) / m1.clip(min=1e-6)
    ctx = np.log(m1.clip(min=1e-6) / np.median(m1, axis=1, keepdims=True).clip(min=1e-6))
    lead = sharp.argmax(0)
    at = d2[lead, :, np.arange(len(peaks))].argmax(-1) + 1
    out[:, 0], out[:, 1], out[:, 2] = sharp.max(0), (m1 / span.clip(min=1e-3)).max(0), ctx.max(0)
    out[:, 3] = (at - b) * 1000.0 / fs
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


def test_pacing_features_equal_the_fancy_indexing_gather():
    rng = np.random.default_rng(11)
    fs = 360.0
    x = rng.normal(0.0, 0.2, (3, 7200)).astype(np.float32)
    x[1] = 0.0  # a dead lead
    x[2, 1000:1002] += 5.0  # a stimulus-like spike
    peaks = np.sort(np.concatenate([[0, 5, 7199], rng.integers(0, 7200, 40)]))
    got = pacing_features(x, peaks, fs)
    assert got.tobytes() == _pacing_features_fancy_gather(x, peaks, fs).tobytes()
