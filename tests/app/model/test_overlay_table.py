"""The model's overlays come from one table (app/model/overlay_table.py): a row added there (with its drawing
class) is in the Model menu and the panel, gets its data when the findings are drawn, follows its toggle and
is cleared when another file opens; the rows' data functions are plain functions of the findings."""
from __future__ import annotations

import numpy as np
import pytest

from resting_ecg import finish_analysis, resting_12lead

from app.model import overlay_table
from app.model.stream import OverlayData, anomaly_lane_data, beat_lane_data, rhythm_lane_data


def confident_beats(d: OverlayData) -> tuple | None:
    """Times of the beats the model is at least 80 % sure of (None: no beat)."""
    if len(d.beat_time_s) == 0:
        return None
    return (d.beat_time_s[d.beat_confidence >= 0.8],)


def test_the_data_functions_need_no_qt():
    empty = OverlayData()
    assert anomaly_lane_data(empty) is None and beat_lane_data(empty) is None and rhythm_lane_data(empty) is None
    d = OverlayData(beat_time_s=np.array([1.0, 2.0]), beat_class=np.array([0, 2], np.int8),
                    beat_confidence=np.array([0.9, 0.4], np.float32), episodes=[(0.0, 5.0, "AF", 0.8)],
                    window_start_s=np.array([0.0]), window_end_s=np.array([10.0]), window_score=np.array([0.7]),
                    anomaly_threshold=0.6)
    assert beat_lane_data(d)[0] is d.beat_time_s
    starts, stops, labels = rhythm_lane_data(d)
    assert list(starts) == [0.0] and list(stops) == [5.0] and labels == ["AF"]
    assert anomaly_lane_data(d)[3] == 0.6


@pytest.fixture
def fake_row(monkeypatch):
    """A row added to the table, drawn by a lane class of the test's own."""
    from app.lanes import LaneItem
    from app.model.overlays import OverlayLane

    class ConfidentBeatsLane(OverlayLane, LaneItem):
        def __init__(self, name: str):
            super().__init__(name)
            self.times_s = np.zeros(0)
            self.set_calls = 0

        def set_data(self, times_s) -> None:
            self.times_s = np.asarray(times_s)
            self.set_calls += 1

        def same_data(self, times_s) -> bool:
            return np.array_equal(times_s, self.times_s)

        def clear(self) -> None:
            self.set_data(np.zeros(0))

        def paint(self, painter, *args) -> None:
            pass

    row = overlay_table.OverlayRow("confident", "Confident beats", "Ctrl+Alt+K", "model confident beats",
                                   ConfidentBeatsLane, confident_beats)
    monkeypatch.setattr(overlay_table, "OVERLAYS", [*overlay_table.OVERLAYS, row])
    return row


def test_a_row_added_to_the_table_is_drawn_toggled_and_cleared(qtbot, fake_row, window):
    action = window.model.overlay_actions["confident"]
    assert action in window.menu("Model").actions()
    assert action.text() == "Confident beats" and action.shortcut().toString() == "Ctrl+Alt+K"
    assert window.model.panel.toggles["confident"].text() == "Confident beats  (Ctrl+Alt+K)"
    rec = resting_12lead(60, "<a>")
    window.set_recording(rec)
    assert "model confident beats" not in window.trace.lanes()
    findings = finish_analysis(window, rec)
    lane = window.trace.lanes()["model confident beats"]
    assert isinstance(lane, fake_row.drawing)
    np.testing.assert_array_equal(lane.times_s, findings.beats.time_s)
    assert "model beats" in window.trace.lanes()  # the table's own rows are drawn beside it
    calls = lane.set_calls
    window.model.apply_overlays()
    assert lane.set_calls == calls  # unchanged data: not set again
    window.model.panel.toggles["confident"].setChecked(False)
    assert not action.isChecked() and "model confident beats" not in window.trace.lanes()
    action.setChecked(True)
    assert "model confident beats" in window.trace.lanes()
    window.set_recording(resting_12lead(90, "<b>"))
    assert "model confident beats" not in window.trace.lanes()
