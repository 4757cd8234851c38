"""The NeuroKit2-free gradient QRS detector (issue 19, throughput) cleans and finds exactly what
``nk.ecg_clean`` + ``nk.ecg_findpeaks(method="neurokit")`` do; NeuroKit2 is kept here only as the oracle."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from anyecg_model.signal import rpeaks
from anyecg_model.signal.qrs_gradient import clean_ecg, gradient_qrs_peaks, local_maxima


def _neurokit(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """NeuroKit2's cleaned lead and gradient-detector peaks, as the R-peak detector called them before."""
    import neurokit2 as nk

    cleaned = nk.ecg_clean(x, sampling_rate=fs, method="neurokit")
    try:
        peaks = np.asarray(nk.ecg_findpeaks(cleaned, sampling_rate=fs, method="neurokit")["ECG_R_Peaks"], np.int64)
    except (ValueError, IndexError, ZeroDivisionError):
        peaks = np.zeros(0, np.int64)
    return cleaned, peaks


def _assert_same_as_neurokit(x: np.ndarray, fs: float) -> int:
    cleaned, expected = _neurokit(x, fs)
    np.testing.assert_array_equal(clean_ecg(x, fs), cleaned)
    got = gradient_qrs_peaks(cleaned, fs)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    return len(expected)


def _hard_ecg(duration_s: float, fs: float, seed: int) -> np.ndarray:
    """Simulated ECG with ectopic-like deflections, T-like bumps, a noise burst, a flat stretch, quantised to
    5 µV (flat runs of equal samples: plateaus), as MIT-BIH's 200 adu/mV are."""
    import neurokit2 as nk

    rng = np.random.default_rng(seed)
    x = nk.ecg_simulate(duration=duration_s, sampling_rate=fs, heart_rate=70 + 10 * seed, noise=0.02,
                        random_state=seed)
    n = len(x)
    for c in rng.integers(int(0.05 * fs), n - int(fs), size=int(duration_s / 6)):
        w = int(0.06 * fs)
        x[c - w:c + w] += rng.choice([-1.5, 1.5]) * np.hanning(2 * w)
    for c in rng.integers(int(fs), n - int(fs), size=int(duration_s / 8)):
        w = int(0.12 * fs)
        x[c - w:c + w] += 0.8 * np.hanning(2 * w)
    a = int(rng.integers(n // 3, n // 2))
    x[a:a + int(2 * fs)] += rng.normal(0, 0.5, int(2 * fs))
    b = int(rng.integers(n // 2, 2 * n // 3))
    x[b:b + int(4 * fs)] = x[b]
    return np.round(x * 200) / 200


@pytest.mark.parametrize("fs,seed", [(360.0, 1), (250.0, 2), (500.0, 3), (128.0, 4), (1000.0, 5), (90.0, 6)])
def test_generated_ecg_gives_neurokits_cleaning_and_peaks(fs, seed):
    assert _assert_same_as_neurokit(_hard_ecg(60, fs, seed), fs) > 40


@pytest.mark.parametrize("seed", range(4))
def test_noise_and_short_or_degenerate_leads_give_neurokits_peaks(seed):
    rng = np.random.default_rng(seed)
    fs = 360.0
    _assert_same_as_neurokit(rng.standard_normal(int(20 * fs)), fs)  # many short "complexes"
    _assert_same_as_neurokit(np.round(rng.standard_normal(int(3 * fs)) * 4) / 4, fs)  # coarse: many plateaus
    x = np.zeros(int(10 * fs))
    x[int(5 * fs)] = 1.0  # one spike
    _assert_same_as_neurokit(x, fs)


@pytest.mark.parametrize("record", ["100", "104", "108", "203", "207", "208", "231", "232"])
def test_mitdb_records_give_neurokits_peaks(shared_data, record):
    import wfdb

    fs = 360.0
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / record), sampto=int(640 * fs))
    n = 0
    for lead in range(2):
        for a in (0, int(320 * fs)):  # the analyzer's chunk with its margins: 320 s
            n += _assert_same_as_neurokit(rpeaks._clean(sig[a:a + int(320 * fs), lead]), fs)
    assert n > 1000


def test_local_maxima_are_find_peaks_maxima():
    rng = np.random.default_rng(0)
    y = np.round(rng.standard_normal(5000) * 3)  # many flat runs, at the edges too
    y[:4] = y[4] + 1
    y[-3:] = y[-4] + 1
    np.testing.assert_array_equal(local_maxima(y), find_peaks(y)[0])
    np.testing.assert_array_equal(local_maxima(np.array([1.0, np.inf, 2.0, 3.0, np.inf])), [1])
    assert local_maxima(np.array([1.0, 2.0])).size == 0
