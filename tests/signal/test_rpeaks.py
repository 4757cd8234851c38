"""R-peak detection on signals with known truth."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.signal.rpeaks import detect_r_peaks, heart_rate_series


def _simulated(duration_s: float, fs: float, bpm: float, seed: int = 1) -> np.ndarray:
    import neurokit2 as nk

    return nk.ecg_simulate(duration=duration_s, sampling_rate=fs, heart_rate=bpm, noise=0.01, random_state=seed)


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0])
def test_simulated_70_bpm_strip_has_70_beats_per_minute(fs):
    x = _simulated(60, fs, 70)
    peaks = detect_r_peaks(x, fs)
    assert 68 <= len(peaks) <= 72
    _, bpm = heart_rate_series(peaks, fs)
    assert abs(np.median(bpm) - 70) < 2
    assert peaks.dtype == np.int64


def test_peaks_sit_on_the_r_wave_extremum():
    fs = 360.0
    x = _simulated(30, fs, 70)
    peaks = detect_r_peaks(x, fs)
    half = int(0.05 * fs)
    for p in peaks[1:-1]:
        assert x[p] == pytest.approx(x[p - half:p + half + 1].max())


def test_chunked_detection_matches_across_chunk_borders(monkeypatch):
    from anyecg_model.signal import rpeaks

    fs = 250.0
    x = _simulated(130, fs, 80)
    whole = detect_r_peaks(x, fs)
    monkeypatch.setattr(rpeaks, "CHUNK_S", 20.0)
    chunked = detect_r_peaks(x, fs)
    assert len(chunked) == len(whole)
    assert np.abs(chunked - whole).max() <= 1


def test_short_or_flat_signal_gives_no_peaks():
    assert detect_r_peaks(np.zeros(100), 250.0).size == 0
    assert detect_r_peaks(np.zeros(5000), 250.0).size == 0


def test_heart_rate_drops_implausible_intervals():
    fs = 100.0
    t, bpm = heart_rate_series(np.array([0, 100, 105, 205, 1000]), fs)
    assert np.all((bpm >= 20) & (bpm <= 300))


@pytest.mark.parametrize("fs,bpm", [(250.0, 60), (360.0, 110), (500.0, 45)])
def test_vectorised_rodrigues_detector_finds_the_same_peaks_as_neurokit(fs, bpm):
    import neurokit2 as nk

    from anyecg_model.signal.rpeaks import _rodrigues_candidates

    rng = np.random.default_rng(2)
    x = _simulated(40, fs, bpm) + 0.05 * rng.standard_normal(int(40 * fs))  # noise: spurious maxima too
    cleaned = nk.ecg_clean(x, sampling_rate=fs, method="neurokit")
    ref = np.asarray(nk.ecg_findpeaks(cleaned, sampling_rate=fs, method="rodrigues2021")["ECG_R_Peaks"])
    assert np.array_equal(_rodrigues_candidates(cleaned, fs), ref)
