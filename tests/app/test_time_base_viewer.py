"""One time base in the viewer: the model panel (summary, episode table, flagged windows), the beat tooltip, the
time axis, the cursor read-out and export captions write clock time when the file has a start time (as the
printed reports do) and labelled elapsed time otherwise — never bare seconds."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from anyecg_model.timebase import TimeBase

START = dt.datetime(2026, 11, 20, 21, 35, 0)
AF_AT_S = 47711.93  # 10:50:11 on day 2 of a recording started at 21:35:00


def _data():
    from app.model.stream import OverlayData

    return OverlayData(beat_time_s=np.array([AF_AT_S]), beat_class=np.array([0], np.int8),
                       beat_confidence=np.array([0.9], np.float32), window_start_s=np.array([AF_AT_S]),
                       window_end_s=np.array([AF_AT_S + 10.0]), window_score=np.array([0.95]),
                       episodes=[(AF_AT_S, AF_AT_S + 300.0, "AF", 0.9)], anomaly_score=0.9, burden=0.006,
                       complete=True)


def test_model_panel_writes_clock_time_or_labelled_elapsed_time(qtbot):
    from app.model.panel import ModelPanel

    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_data(_data(), 50000.0, TimeBase(START))
    rows = [panel.findings_model.row(i) for i in range(panel.findings_model.rowCount())]
    episode = next(r for r in rows if "episode" in r[0])
    assert episode[1:4] == ("10:50:11 (day 2)", "10:55:11 (day 2)", "5 min 00 s")
    assert "longest AF episode 5 min 00 s at 10:50:11 (day 2)" in panel.summary_label.text()
    assert panel.flagged.item(0).text().startswith("10:50:11 (day 2)–10:50:21 (day 2)")
    panel.show_data(_data(), 50000.0, TimeBase(None))  # no start time in the file
    episode = next(panel.findings_model.row(i) for i in range(panel.findings_model.rowCount())
                   if "episode" in panel.findings_model.row(i)[0])
    assert episode[1] == "+13:15:11 elapsed"
    assert "at +13:15:11 elapsed" in panel.summary_label.text()


def test_beat_tooltip_is_not_bare_seconds(qtbot):
    from app.model.overlays import ModelBeatLane

    lane = ModelBeatLane("beats", np.array([AF_AT_S]), np.array([2]), np.array([0.8], np.float32))
    lane.timebase = TimeBase(START)
    assert lane.describe(0) == "V beat at 10:50:11.93 (day 2), confidence 80%"
    lane.timebase = TimeBase(None)
    assert lane.describe(0) == "V beat at +13:15:11.93 elapsed, confidence 80%"


def test_axis_cursor_and_caption_follow_the_recordings_clock(window, make_sinus):
    rec = make_sinus(minutes=2.0)
    rec.start_time = START
    window.set_recording(rec)
    axis = window.trace.plot.getPlotItem().getAxis("bottom")
    assert axis.tickStrings([3600.0], 1.0, 3600.0) == ["22:35:00"]
    spacing, values = axis.tickValues(0.0, 7200.0, 400)[0]
    assert spacing == 3600 and values[0] == 1500.0  # on the clock hour 22:00:00, not 25 min past it
    overview_axis = window.overview.plot.getPlotItem().getAxis("bottom")
    assert overview_axis.tickStrings([1500.0], 1.0, 3600.0) == ["22:00:00"]
    window._on_hover(3.25, 0, 0.5)
    assert window.cursor_label.text().startswith("21:35:03.250   MLII")
    window.trace.set_view(60.0, 70.0)
    assert "21:36:00–21:36:10" in window.export.caption()
    from app.export.dialog import ExportDialog

    dialog = ExportDialog(window.export, window)  # the span's times as the axis shows them, and read back
    assert (dialog.start_edit.text(), dialog.end_edit.text()) == ("21:36:00.0", "21:36:10.0")
    dialog.span_radio.setChecked(True)
    assert dialog.span() == (60.0, 70.0)
    dialog.close()
    window.goto_box.setText("21:36:30")  # Go to reads what the axis shows
    window._goto_from_box()
    assert window.trace.view_range()[0] == pytest.approx(90.0)
