"""The vectorised R-peak refinement and wave rejection (issue 19, throughput) give exactly the peaks of the
per-beat loops they replaced; the loops are kept here only as the oracle."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.signal import rpeaks


def _loop_reject_waves(peaks, energy, fs):
    if peaks.size < 3:
        return peaks
    m = rpeaks.ENERGY_NEIGHBOURS
    padded = np.pad(energy.astype(np.float64), m, constant_values=np.nan)
    ref = np.nanpercentile(np.lib.stride_tricks.sliding_window_view(padded, 2 * m + 1), rpeaks.ENERGY_PERCENTILE,
                           axis=1)
    keep = energy >= rpeaks.MIN_ENERGY_RATIO * ref
    for window, order, ratio in ((int(rpeaks.T_WAVE_WINDOW_S * fs), range(len(peaks)), rpeaks.WAVE_ENERGY_RATIO),
                                 (int(rpeaks.P_WAVE_WINDOW_S * fs), range(len(peaks) - 1, -1, -1),
                                  rpeaks.P_WAVE_ENERGY_RATIO)):
        last = -1
        for k in order:
            if not keep[k]:
                continue
            if (last >= 0 and abs(int(peaks[k]) - int(peaks[last])) < window
                    and energy[k] < ratio * energy[last]):
                keep[k] = False
                continue
            last = k
    return peaks[keep]


def _loop_detect_chunk(x, fs):
    """The detector's chunk step as it was before issue 19 (one numpy search per beat)."""
    if len(x) < int(rpeaks.MIN_DURATION_S * fs) or np.ptp(x) < 1e-6:
        return np.zeros(0, np.int64)
    peaks = rpeaks._candidates(x, fs)
    if peaks.size == 0:
        return peaks
    band = rpeaks._qrs_band(x, fs)
    half = max(1, int(round(rpeaks.REFINE_HALF_WIDTH_S * fs)))
    base = x - np.median(x)
    lo = np.clip(peaks - half, 0, len(x) - 1)
    hi = np.clip(peaks + half + 1, 1, len(x))
    refined = np.empty_like(peaks)
    for k, (a, b) in enumerate(zip(lo, hi)):
        centre = a + int(np.argmax(np.abs(band[a:b])))
        a2, b2 = max(0, centre - half // 2), min(len(x), centre + half // 2 + 1)
        refined[k] = a2 + int(np.argmax(np.abs(base[a2:b2])))
    refined = np.unique(refined)
    energy = np.array([np.abs(band[max(0, p - half):p + half + 1]).max() for p in refined])
    if refined.size > 1:
        keep = [0]
        for k in range(1, len(refined)):
            if refined[k] - refined[keep[-1]] < int(rpeaks.MIN_RR_S * fs):
                if energy[k] > energy[keep[-1]]:
                    keep[-1] = k
            else:
                keep.append(k)
        refined, energy = refined[keep], energy[keep]
    return _loop_reject_waves(refined, energy, fs)


def _hard_ecg(duration_s: float, fs: float, seed: int) -> np.ndarray:
    """A simulated ECG made hard for the detector: premature wide beats, tall T-like bumps, noise bursts,
    baseline wander, a flat stretch, and a beat right at the start."""
    import neurokit2 as nk

    rng = np.random.default_rng(seed)
    x = nk.ecg_simulate(duration=duration_s, sampling_rate=fs, heart_rate=75, noise=0.02, random_state=seed)
    n = len(x)
    t = np.arange(n) / fs
    x = x + 0.3 * np.sin(2 * np.pi * 0.2 * t)
    for c in rng.integers(int(0.05 * fs), n - int(fs), size=int(duration_s / 6)):
        w = int(0.06 * fs)
        x[c - w:c + w] += rng.choice([-1.5, 1.5]) * np.hanning(2 * w)  # wide ectopic-like deflections
    for c in rng.integers(int(fs), n - int(fs), size=int(duration_s / 8)):
        w = int(0.12 * fs)
        x[c - w:c + w] += 0.8 * np.hanning(2 * w)  # T-like bumps
    a = int(rng.integers(n // 3, n // 2))
    x[a:a + int(2 * fs)] += rng.normal(0, 0.5, int(2 * fs))
    b = int(rng.integers(n // 2, 2 * n // 3))
    x[b:b + int(4 * fs)] = x[b]
    return x


@pytest.mark.parametrize("fs,seed", [(360.0, 1), (250.0, 2), (500.0, 3), (128.0, 4)])
def test_vectorised_chunk_detection_equals_the_per_beat_loops(fs, seed):
    x = rpeaks._clean(_hard_ecg(90, fs, seed))
    expected = _loop_detect_chunk(x, fs)
    got = rpeaks._detect_chunk(x, fs)
    assert expected.size > 50
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 16, 17, 18, 30, 200])
def test_neighbour_percentile_equals_nanpercentile_of_the_padded_windows(n):
    rng = np.random.default_rng(n)
    energy = rng.gamma(2.0, 1.0, n)
    energy[::7] = 0.1  # repeated values: ties in the sort
    m, q = rpeaks.ENERGY_NEIGHBOURS, rpeaks.ENERGY_PERCENTILE
    got = rpeaks._neighbour_percentile(energy, m, q)
    if n == 0:
        assert got.size == 0
        return
    padded = np.pad(energy, m, constant_values=np.nan)
    expected = np.nanpercentile(np.lib.stride_tricks.sliding_window_view(padded, 2 * m + 1), q, axis=1)
    np.testing.assert_array_equal(got, expected)


def test_reject_waves_equals_the_loop_on_random_candidates():
    rng = np.random.default_rng(5)
    fs = 360.0
    peaks = np.cumsum(rng.integers(30, 400, 500)).astype(np.int64)
    energy = rng.gamma(1.5, 1.0, 500)
    np.testing.assert_array_equal(rpeaks._reject_waves(peaks, energy, fs), _loop_reject_waves(peaks, energy, fs))


def _loop_rodrigues(x, fs):
    """The Rodrigues search as it was before issue 19 (numpy scalars in the per-beat loop)."""
    from scipy.signal import lfilter

    n_int = max(2, int(np.round(3 * fs / 128)))
    decay = np.exp(-((0.7 * fs) / 128 + 2.7) / fs)
    d = x[n_int - 1:] - x[:-(n_int - 1)]
    p = lfilter(np.ones(n_int), [1], np.diff(d) ** 2)
    tf, span = len(p), max(1, int(2 * fs))
    peaks, i, ramp, rpos = [], 1, 0.0, 0
    while i < tf:
        tf1 = int(np.round(i + rpeaks.RODRIGUES_RMIN_S * fs))
        seg = p[i:min(tf1, tf)]
        amp = 0.0
        if seg.size:
            k = int(np.argmax(seg))
            if seg[k] > 0:
                amp, rpos = float(seg[k]), i + k + 1
        i = max(i, min(tf1, tf))
        ramp = 0.95 * ramp + 0.05 * amp
        peaks.append(rpos)
        tf2 = i + np.round(0.4 - (tf1 - rpos))
        if i <= tf2:
            i = int(tf2) + 1
        thr = ramp
        while i < tf:
            w = p[i:i + span]
            hit = np.flatnonzero(w >= thr * decay ** np.arange(len(w)))
            if hit.size:
                i += int(hit[0])
                break
            thr *= decay ** len(w)
            i += len(w)
    return np.array(peaks, dtype=np.int64)


@pytest.mark.parametrize("fs,seed", [(360.0, 1), (250.0, 2), (500.0, 3), (128.0, 4)])
def test_rodrigues_candidates_equal_the_numpy_scalar_loop(fs, seed):
    x = rpeaks._clean(_hard_ecg(60, fs, seed))
    expected = _loop_rodrigues(x, fs)
    assert expected.size > 40
    np.testing.assert_array_equal(rpeaks._rodrigues_candidates(x, fs), expected)


@pytest.mark.parametrize("q", [0.0, 12.5, 50.0, 80.0, 99.9, 100.0])
def test_row_percentile_is_np_percentile_to_the_bit(q):
    """The partition percentile equals ``np.percentile(..., axis=1)`` bit for bit, for every row width from 1 to
    40 (interpolation weights below and above 0.5), ties included."""
    rng = np.random.default_rng(int(q * 10))
    for n in range(1, 41):
        rows = rng.gamma(2.0, 1.0, (30, n))
        rows[::3, ::2] = 0.1  # ties
        assert rpeaks._row_percentile(rows, q).tobytes() == np.percentile(rows, q, axis=1).tobytes(), n


def test_neighbour_percentile_of_non_finite_energies_is_np_percentiles():
    energy = np.random.default_rng(9).gamma(2.0, 1.0, 60)
    energy[[3, 30]] = np.nan
    got = rpeaks._neighbour_percentile(energy, 8, 80.0)
    want = [np.percentile(energy[max(0, k - 8):k + 9], 80.0) for k in range(60)]
    np.testing.assert_array_equal(got, want)
