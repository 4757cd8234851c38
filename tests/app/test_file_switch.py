"""Opening another file never shows the previous file's findings: every model overlay, the 3 × 4 beat marks,
the panel, the cursor read-out and the calipers of the old file are cleared on switch, and results of the old
file's analysis that arrive late are dropped (issue 17: the demo's "N" marks over PTB-XL 00219's PVC)."""
from __future__ import annotations

import numpy as np

from resting_ecg import FS, STANDARD, RunningJob, finish_analysis, resting_12lead

from anyecg_model.analysis.findings import Beats, Findings, ModelInfo

def test_opening_another_file_clears_every_finding_of_the_previous_one(qtbot, window):
    a, b = resting_12lead(60, "<a>"), resting_12lead(90, "<b>")
    window.set_recording(a)
    finish_analysis(window, a)
    qtbot.waitUntil(lambda: len(window.twelve_lead.beat_times_s) > 0, timeout=5000)
    assert window.model.panel.verdict_label.text()
    review = window.editing.review
    qtbot.waitUntil(lambda: review.counter.text().startswith("reviewed 0 of"), timeout=5000)
    page = window.twelve_lead
    page.set_generated({"V2": (0.0, FS, np.zeros(int(10 * FS), np.float32))})
    page.calipers.place("time", 1.0, 1.4, at=(1.0, page.baseline(1)))
    window.trace.calipers.place("time", 1.0, 1.4)
    window.set_recording(b)
    qtbot.wait(50)
    assert page.generated == {} and page.ghosts == {}
    assert page.calipers.calipers == [] and window.trace.calipers.calipers == [] and window.caliper_label.text() == ""
    assert not np.any(window.editing.controller.store.beats["source"] == "model")
    assert review.counter.text() == "no model suggestions"
    assert len(window.twelve_lead.beat_times_s) == 0 and window.twelve_lead.beat_labels == []
    drawn = [it for it in window.twelve_lead._items if getattr(it, "textItem", None) is not None]
    assert [it.textItem.toPlainText() for it in drawn if it.textItem.toPlainText() == "N"] == []
    assert not any(name.startswith("model") for name in window.trace.lanes())
    assert window.model.panel.verdict_label.text() == "" and window.model.panel.summary_label.text() == ""
    assert window.model.data is None and window.model.findings is None


def test_late_results_of_the_old_files_analysis_are_dropped(qtbot, window):
    a, b = resting_12lead(60, "<a>"), resting_12lead(90, "<b>")
    window.set_recording(a)
    ctrl = window.model
    ctrl.worker = job = RunningJob()
    old_job = ctrl.job_id
    window.set_recording(b)
    t = np.arange(0.5, 10.0, 1.0)
    late = Findings("<a>", 10.0, FS, STANDARD, ModelInfo("t", "0", "x"),
                    beats=Beats(t, np.zeros(len(t), np.int8), np.full(len(t), 0.9, np.float32)))
    assert job.cancelled
    ctrl._on_done(old_job, late, False)
    qtbot.wait(50)
    assert ctrl.findings is None and len(window.twelve_lead.beat_times_s) == 0
    assert not any(name.startswith("model") for name in window.trace.lanes())


def test_demo_findings_never_show_over_ptbxl_00219(qtbot, window, shared_data):
    """The reported case: the demo analysed, then PTB-XL 00219 (a PVC in V4–V6) opened."""
    path = shared_data / "ptbxl500" / "records500" / "00000" / "00219_hr.hea"
    window.open_demo("12lead")
    finish_analysis(window, window.recording)
    qtbot.waitUntil(lambda: len(window.twelve_lead.beat_times_s) > 0, timeout=5000)
    assert window.open_path(path)
    assert window.stack.currentWidget() is window.twelve_lead
    assert len(window.twelve_lead.beat_times_s) == 0
    assert not any(name.startswith("model") for name in window.trace.lanes())
