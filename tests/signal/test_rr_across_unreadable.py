"""An RR interval across unreadable signal says nothing about the rhythm: it is found, and the RR features
read it closed at the record's median interval, so a beat after a lead-off is neither premature nor late."""
from __future__ import annotations

import numpy as np

from anyecg_model.signal.quality import rr_across_unreadable
from anyecg_model.vocabulary.beat_context import CLINICAL_FEATURES, clinical_features
from anyecg_model.vocabulary.beat_inputs import close_unknown_rr, rr_features


def test_intervals_overlapping_a_span_are_found():
    peaks = np.array([0.0, 1.0, 2.0, 6.0, 7.0, 8.0, 9.0])
    spans = np.array([[2.5, 5.5], [8.9, 8.95]])
    assert rr_across_unreadable(peaks, spans).tolist() == [False, False, True, False, False, True]
    assert rr_across_unreadable(peaks, np.zeros((0, 2))).tolist() == [False] * 6
    assert rr_across_unreadable(np.array([1.0]), spans).tolist() == []


def test_closing_sets_the_unknown_interval_to_the_median_and_keeps_the_rest():
    peaks = np.array([0.0, 0.8, 1.6, 5.6, 6.4, 7.2])
    unknown = np.array([False, False, True, False, False])
    closed = close_unknown_rr(peaks, unknown)
    assert np.allclose(np.diff(closed), 0.8) and closed[0] == 0.0
    assert np.array_equal(close_unknown_rr(peaks, np.zeros(5, bool)), peaks)
    assert np.array_equal(close_unknown_rr(peaks, np.ones(5, bool)), peaks)


def test_a_lead_off_makes_no_beat_premature():
    """A 10-s strip at 75 bpm with 4 s lost: with the lost interval read as it is (4.8 s, clipped to 3 s) the
    local mean RR is inflated and every beat reads premature (pre-RR under 85 % of it); closed, none does."""
    fs = 300.0
    t = np.concatenate([np.arange(0.4, 3.0, 0.8), np.arange(7.2, 10.0, 0.8)])
    peaks = np.round(t * fs)
    signal = np.zeros((1, int(10 * fs)), np.float32)
    signal[0, peaks.astype(int)] = 1.0
    col = CLINICAL_FEATURES.index("pre_over_local")
    raw = clinical_features(signal, peaks, fs)[:, col]
    unknown = rr_across_unreadable(t, np.array([[3.0, 7.0]]))
    closed = clinical_features(signal, peaks, fs, rr_peaks=close_unknown_rr(peaks, unknown))[:, col]
    assert (raw < 0.85).mean() > 0.5
    assert np.allclose(closed, 1.0)
    assert np.allclose(rr_features(close_unknown_rr(peaks, unknown), fs)[:, 3], 1.0)
