"""A QRS cut by the recording's start or end is not a beat the analysis can read: its R peak is the last sample of
an upstroke, and the beat classifier called such half complexes V (LUDB: 12 of 190 unpaced ECGs got one false V
beat in their last 60 ms)."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io.registry import open_recording
from anyecg_model.signal.rpeaks import EDGE_S, inside_recording
from anyecg_model.vocabulary.labels import BEAT_CLASSES


def test_peaks_closer_than_the_edge_margin_to_either_end_are_left_out():
    fs = 500.0
    peaks = np.array([5, 30, 400, 4960, 4990])  # 10 ms, 60 ms, ..., 80 ms and 20 ms before the end of 10 s
    np.testing.assert_array_equal(inside_recording(peaks, fs, 0.0, 10.0), [30, 400, 4960])
    # a chunk read from 300 s of a 600-s recording: its peaks are inside the recording
    np.testing.assert_array_equal(inside_recording(np.array([2, 400]), fs, 300.0, 600.0), [2, 400])
    assert EDGE_S == 0.05


def test_ludb_ecgs_ending_on_a_cut_qrs_get_no_false_ventricular_beat(shared_data):
    analyzer = Analyzer(None, device="cpu")
    for ecg in (2, 124, 130):  # sinus rhythm, no extrasystole in LUDB's diagnosis; each ends on a cut QRS
        beats = analyzer.analyze(open_recording(shared_data / "ludb" / "data" / f"{ecg}.hea"), ("arrhythmia",)).beats
        t = np.asarray(beats.time_s)
        assert t.min() >= EDGE_S and t.max() <= 10.0 - EDGE_S
        assert not np.any(np.asarray(beats.label) == BEAT_CLASSES.index("V")), ecg


def test_samples_a_recorder_held_at_either_end_are_no_signal():
    from anyecg_model.signal.rpeaks import held_span

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, (2, 1000)).astype(np.float32)
    x[:, 950:] = x[:, 950:951]  # the last 50 samples hold the value of sample 950 on both leads
    assert held_span(x, x) == (0, 49)
    x[:, :3] = x[:, 3:4]
    assert held_span(x, x) == (3, 49)
    y = x.copy()
    y[1, 960:] = 0.5 + np.arange(40)  # one lead still moving: nothing is held
    assert held_span(y, y)[1] == 0
    assert held_span(x[:, :1], x[:, :1]) == (0, 0)


def test_a_qrs_cut_where_the_recorders_padding_begins_is_no_beat(shared_data):
    """PTB-XL's ECGs end on about 0.1 s of their last value held on every lead: ECG 38 (a normal ECG) is cut in
    its last R upstroke there, and that half complex was called V (0.66). The analysis now ends the recording
    where the held value begins."""
    import csv

    from anyecg_model.analysis.lead_setup import input_leads, signal_span

    root = shared_data / "ptbxl500"
    row = next(r for r in csv.DictReader(open(root / "ptbxl_database.csv")) if r["ecg_id"] == "38")
    rec = open_recording(root / f"{row['filename_hr']}.hea")
    start, end = signal_span(rec, input_leads(rec))
    assert start < 0.01 and 9.85 < end < 9.95
    beats = Analyzer(None, device="cpu").analyze(rec, ("arrhythmia",)).beats
    assert np.asarray(beats.time_s).max() <= end - EDGE_S
    assert not np.any(np.asarray(beats.label) == BEAT_CLASSES.index("V"))
