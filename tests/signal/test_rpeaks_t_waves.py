"""T waves larger than their QRS complex in the QRS band are not beats (the high-band sharpness rule)."""
import numpy as np
import pytest

from anyecg_model.signal import rpeaks
from anyecg_model.signal.rpeaks import detect_r_peaks


@pytest.fixture(scope="module")
def tall_t_lead_ii():
    """NeuroKit2's simulated 12-lead ECG at 70 bpm: its lead II has a 0.2-mV QRS and a 0.9-mV T wave 0.24 s
    after it, with 0.68 of the QRS's 5-25 Hz energy; lead I's tall R waves give the true beat times."""
    import neurokit2 as nk

    sig = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, heart_rate_std=0, method="multileads",
                          random_state=7)
    return sig["II"].to_numpy(), detect_r_peaks(sig["I"].to_numpy(), 500.0), 500.0


def test_tall_t_waves_are_not_counted_as_beats(tall_t_lead_ii):
    x, beats, fs = tall_t_lead_ii
    peaks = detect_r_peaks(x, fs)
    dist = np.abs(peaks[:, None] - beats[None, :]).min(axis=1) / fs
    assert np.all(dist < 0.05), np.round(dist, 2)  # every detection is a QRS complex (refined within 50 ms)
    assert len(peaks) >= len(beats) - 1  # the first beat, at the very start, may be cut off
    assert 69 <= 60 / np.mean(np.diff(peaks) / fs) <= 71


def test_strip_starting_in_a_t_wave_drops_that_wave():
    """A first candidate inside the T-wave window of the start, smooth beside the next beat, is that beat's
    predecessor's T wave; a sharp one (a QRS complex) stays."""
    fs = 500.0
    peaks = np.array([120, 430, 860, 1290, 1720])
    energy = np.array([0.09, 0.13, 0.13, 0.13, 0.13])
    smooth = np.array([0.001, 0.03, 0.03, 0.03, 0.03])
    sharp = np.array([0.03, 0.03, 0.03, 0.03, 0.03])
    np.testing.assert_array_equal(rpeaks._reject_waves(peaks, energy, fs, smooth), peaks[1:])
    np.testing.assert_array_equal(rpeaks._reject_waves(peaks, energy, fs, sharp), peaks)
