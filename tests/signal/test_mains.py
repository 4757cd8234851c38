"""Mains interference: a 50- or 60-Hz line (and its harmonics) is found and notched out of the lead it is in; a
clean lead is left as it was; on a real record, hum no longer makes readable signal unreadable."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.signal.mains import mains_lines, without_mains
from anyecg_model.signal.quality import unreadable_blocks


def ecg(fs: float, duration_s: float = 30.0) -> np.ndarray:
    """A noiseless generated lead (mV): narrow QRS spikes every 0.8 s with a T wave."""
    t = np.arange(int(duration_s * fs)) / fs
    x = np.zeros_like(t)
    for b in np.arange(0.4, duration_s, 0.8):
        x += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2)
    return x


def line_amplitude(x: np.ndarray, fs: float, hz: float) -> float:
    """Peak amplitude (mV) of the ``hz`` sinusoid in ``x`` (least-squares projection)."""
    t = np.arange(len(x)) / fs
    basis = np.stack([np.sin(2 * np.pi * hz * t), np.cos(2 * np.pi * hz * t)], 1)
    coef, *_ = np.linalg.lstsq(basis, x - x.mean(), rcond=None)
    return float(np.hypot(*coef))


def test_a_60_hz_line_is_found_and_notched_without_bending_the_qrs():
    fs = 360.0
    clean = ecg(fs)
    hum = 0.1 * np.sin(2 * np.pi * 60.0 * np.arange(len(clean)) / fs)
    other = ecg(fs)[::-1].copy()  # a second lead without hum
    out, lines = without_mains(np.stack([clean + hum, other]), fs)
    assert lines == [60.0]
    assert mains_lines(clean + hum, fs) == [60.0]
    assert line_amplitude(clean + hum, fs, 60.0) > 0.09
    assert line_amplitude(out[0], fs, 60.0) < 0.005
    inner = slice(int(2 * fs), int(-2 * fs))
    assert np.abs(out[0][inner] - clean[inner]).max() < 0.1 * clean.max()  # the R waves keep their height
    np.testing.assert_array_equal(out[1], other)  # the lead without a line is untouched


def test_a_clean_lead_is_returned_as_it_was():
    fs = 500.0
    x = np.stack([ecg(fs), 0.5 * ecg(fs)])
    out, lines = without_mains(x, fs)
    assert lines == []
    np.testing.assert_array_equal(out, x)
    assert mains_lines(ecg(fs)[: int(fs)], fs) == []  # under 2 s: not judged


def test_50_hz_and_its_third_harmonic_on_a_500_hz_cart():
    fs = 500.0
    t = np.arange(int(10 * fs)) / fs
    x = ecg(fs, 10.0) + 0.05 * np.sin(2 * np.pi * 50 * t) + 0.02 * np.sin(2 * np.pi * 150 * t + 1.0)
    assert mains_lines(x, fs) == [50.0, 150.0]
    out, _ = without_mains(x[None], fs)
    assert line_amplitude(out[0], fs, 50.0) < 0.003 and line_amplitude(out[0], fs, 150.0) < 0.002


def test_hum_no_longer_makes_a_real_record_unreadable(shared_data):
    """MIT-BIH 232 (low-voltage MLII): with 0.1 mV of 60-Hz hum the quality gate called 263 of its 1 805 s
    unreadable (noise); with the hum notched out, none, as for the record itself."""
    wfdb = pytest.importorskip("wfdb")
    fs = 360.0
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / "232"))
    x = sig[:, 0]
    hummed = x + 0.1 * np.sin(2 * np.pi * 60.0 * np.arange(len(x)) / fs)
    assert np.sum(unreadable_blocks(x, fs) >= 0) == 0
    assert np.sum(unreadable_blocks(hummed, fs) >= 0) > 100
    cleaned, lines = without_mains(hummed[None], fs)
    assert 60.0 in lines
    assert np.sum(unreadable_blocks(cleaned[0], fs) >= 0) == 0


def test_the_analysis_reads_a_humming_holter_as_the_clean_one(shared_data):
    """The first 2 minutes of MIT-BIH 232 with 0.1 mV of 60-Hz hum on MLII: before, the gate called 15 of its
    seconds unreadable and the beats there were lost; now the findings are the clean record's."""
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.io.recording import ArraySource, Provenance, Recording
    from anyecg_model.io.registry import open_recording

    rec = open_recording(shared_data / "mitdb" / "232.hea")
    n = int(120 * rec.fs)
    clean = rec.read(0, n)
    hummed = clean.copy()
    hummed[0] += 0.1 * np.sin(2 * np.pi * 60.0 * np.arange(n) / rec.fs)

    def analyze(data: np.ndarray):
        r = Recording(leads=rec.leads, fs=rec.fs, n_samples=n, source=ArraySource(data),
                      provenance=Provenance("<232, first 120 s>", "array", "0"))
        return Analyzer(None, device="cpu").analyze(r, ("arrhythmia",))

    a, b = analyze(clean), analyze(hummed)
    assert len(b.unreadable) == 0
    assert 60.0 in b.mains_hz and b.to_dict()["signal_quality"]["mains_hz"] == b.mains_hz  # and the findings say so
    assert len(b.beats.time_s) == len(a.beats.time_s)
    np.testing.assert_allclose(b.beats.time_s, a.beats.time_s, atol=0.01)
    assert np.mean(np.asarray(b.beats.label) == np.asarray(a.beats.label)) >= 0.97


def test_60_hz_hum_on_a_128_hz_holter_is_found_next_to_the_nyquist_rate():
    fs = 128.0
    x = ecg(fs) + 0.1 * np.sin(2 * np.pi * 60.0 * np.arange(int(30 * fs)) / fs)
    assert mains_lines(x, fs) == [60.0]
    out, _ = without_mains(x[None], fs)
    assert line_amplitude(out[0], fs, 60.0) < 0.005
