"""Smaller viewer defects of issue 17: honest verdict wording, a consistent heart-rate summary, a truncated file
that says so, "1 lead", no decimation notice where the trace is drawn sample for sample, no stale read-out."""
from __future__ import annotations

import numpy as np
import pytest
from resting_ecg import resting_12lead

from anyecg_model.analysis.findings import Findings, ModelInfo
from app.model.panel import verdict_text
from app.model.stream import OverlayData


def test_a_score_just_below_the_threshold_is_borderline_not_normal():
    assert verdict_text(0.52, 0.65).startswith("Record: Borderline")  # was "Normal, p(abnormal) = 0.52"
    assert "threshold 0.65" in verdict_text(0.52, 0.65)
    assert verdict_text(0.70, 0.65).startswith("Record: Abnormal")
    assert verdict_text(0.65, 0.65).startswith("Record: Abnormal")
    assert verdict_text(0.20, 0.65).startswith("Record: Normal")


def test_the_borderline_band_scales_with_a_low_threshold():
    """The fused anomaly trees' threshold is 0.25: a normal ECG at 0.09 is Normal, not borderline (a fixed band of
    0.2 below the threshold reached down to 0.05)."""
    assert verdict_text(0.09, 0.25).startswith("Record: Normal")
    assert verdict_text(0.15, 0.25).startswith("Record: Borderline")
    assert verdict_text(0.35, 0.50).startswith("Record: Borderline")
    assert verdict_text(0.25, 0.50).startswith("Record: Normal")


def summarise_peaks(peaks_s: np.ndarray) -> dict:
    from anyecg_model.analysis.episodes import summarise

    f = Findings("<r>", float(peaks_s[-1]) + 1, 500.0, ["II"], ModelInfo("t", "0", "x"))
    summarise(f, peaks_s)
    return f.heart_rate_bpm


def test_heart_rate_of_a_10_s_ecg_has_no_minute_range():
    """The reported "HR 73 bpm (min 74, max 74)": mean of RR against a minute's median RR."""
    rr = np.tile([0.70, 0.95, 0.80], 4)  # an irregular 10 s
    hr = summarise_peaks(np.concatenate([[0.3], 0.3 + np.cumsum(rr)]))
    assert hr["mean"] == pytest.approx(60 / rr.mean()) and hr["min"] is None and hr["max"] is None


def test_heart_rate_min_and_max_bracket_the_mean():
    # bigeminy-like pauses: a minute's median RR (0.6 s, 100 bpm) is far from its mean (0.78 s, 77 bpm)
    rr = np.tile([0.6, 0.6, 0.6, 0.6, 1.5], 80)
    hr = summarise_peaks(np.concatenate([[0.0], np.cumsum(rr)]))
    assert hr["min"] <= hr["mean"] <= hr["max"]


def test_panel_summary_of_a_resting_ecg_gives_the_rate_alone(qtbot, window):
    panel = window.model.panel
    panel.show_data(OverlayData(heart_rate_bpm={"mean": 73.2, "min": None, "max": None}), 10.0)
    assert panel.summary_label.text().startswith("HR 73 bpm · ")
    panel.show_data(OverlayData(heart_rate_bpm={"mean": 73.2, "min": 61.0, "max": 88.0}), 3600.0)
    assert panel.summary_label.text().startswith("HR 73 bpm (minute rates 61–88) · ")


def test_truncated_edf_says_so_over_the_traces(qtbot, window, formats_dir, tmp_path):
    src = (formats_dir / "edf" / "cardio_sample.edf").read_bytes()  # 4 data records of 10 s
    header = int(src[184:192])
    cut = tmp_path / "cut.edf"
    cut.write_bytes(src[:header + (len(src) - header) // 4])
    assert window.open_path(cut)
    assert window.recording.duration_s == pytest.approx(10.0)
    notice = window.file_notice
    assert notice.isVisible() and "(40 s)" in notice.text() and "(10 s)" in notice.text() and "truncated" in notice.text()
    assert "1 lead," in window.windowTitle()
    assert window.open_path(formats_dir / "edf" / "cardio_sample.edf")
    assert not notice.isVisible()


def test_no_decimation_notice_for_a_10_s_ecg(qtbot, window, formats_dir):
    assert window.open_path(formats_dir / "edf" / "cardio_sample.edf")  # 40 s at 300 Hz, one lead
    window.trace.set_view(0.0, 10.0)
    assert window.trace.wait_rendered()
    assert window.trace.is_decimated() and window.trace.samples_per_px() < 4  # 3000 samples in ~1000 px
    assert window.lod_label.text() == ""
    window.trace.set_view(0.0, 40.0)
    assert window.trace.wait_rendered()
    qtbot.waitUntil(lambda: window.lod_label.text().startswith("decimated (min/max of"), timeout=5000)


def test_cursor_read_out_is_cleared_when_the_file_changes(qtbot, window):
    window.set_recording(resting_12lead(75, "<a>"))
    window.set_clinical_layout(False)
    view = window.trace
    view.mouseHovered.emit(3.25, *view.lead_and_value_at(view.lead_offset(1) + 0.5))
    assert window.cursor_label.text()
    window.set_recording(resting_12lead(60, "<b>"))
    assert window.cursor_label.text() == ""
