"""The shell: bad files, files changed on disk, leads panel, filters, settings, extension points."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from anyecg_model.io.writers import write_edf


@pytest.fixture
def edf_path(tmp_path, make_sinus):
    return write_edf(make_sinus(minutes=2.0), tmp_path / "sinus.edf")


def test_unreadable_file_shows_the_reader_message_and_window_stays_usable(qtbot, window, tmp_path, sinus):
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"0       this is not an EDF header")
    assert window.open_path(bad) is False
    box = window.last_message
    assert box is not None and box.isVisible()
    assert "broken.edf" in box.text()
    assert window.recording is None
    box.close()
    window.set_recording(sinus)  # still usable
    assert window.trace.wait_rendered()
    assert window.trace.last_result is not None


def test_missing_file_is_reported(qtbot, window, tmp_path):
    assert window.open_path(tmp_path / "nope.hea") is False
    assert "nope.hea" in window.last_message.text()


def test_file_deleted_while_open_gives_a_clear_message(qtbot, window, edf_path):
    assert window.open_path(edf_path)
    assert window.recording.path == str(edf_path)
    assert str(edf_path) in window.settings.recent_files()
    assert window.trace.wait_rendered()
    os.remove(edf_path)
    qtbot.waitUntil(lambda: window.last_message is not None and "deleted" in window.last_message.text(), timeout=5000)
    window.last_message.close()
    window.trace.set_view(60.0, 70.0)  # parts not yet read may fail: a message, not a crash
    window.trace.wait_rendered()
    assert window.isVisible()


def test_leads_can_be_hidden_reordered_and_inverted(qtbot, window, make_sinus):
    window.set_recording(make_sinus(minutes=1.0, n_leads=4))
    view, panel = window.trace, window.leads_panel
    assert view.visible_leads() == [0, 1, 2, 3]
    panel.list.item(1).setCheckState(QtCore.Qt.CheckState.Unchecked)
    assert view.visible_leads() == [0, 2, 3]
    assert np.isnan(view.lead_offset(1))
    panel.list.setCurrentRow(3)
    panel.move_selected(-1)
    assert view.lead_order() == [0, 1, 3, 2]
    assert view.visible_leads() == [0, 3, 2]
    view.set_view(0.0, 10.0)
    assert view.wait_rendered()
    _, y_before = view.curves[0].getData()
    panel.list.setCurrentRow(0)
    panel.invert.click()
    assert view.is_inverted(0)
    assert view.wait_rendered()
    _, y_after = view.curves[0].getData()
    # a decimated window is drawn as one vertical stroke per pixel column: the strokes' ends are negated
    np.testing.assert_allclose(np.sort(y_after.reshape(-1, 2), axis=1), np.sort(-y_before.reshape(-1, 2), axis=1))


def test_display_filter_shows_in_status_bar_and_is_remembered(qtbot, window, sinus, settings):
    window.set_recording(sinus)
    window.set_display_filter("Monitor", 50.0)
    assert window.filter_label.text() == "Filter: Monitor 0.67–40 Hz + 50 Hz notch"
    assert window.trace.display_filter().low_hz == 0.67
    assert settings.get_str("display/filter", "") == "Monitor"
    assert window.trace.wait_rendered()


def test_status_bar_shows_time_lead_and_amplitude_under_the_cursor(qtbot, window, sinus):
    window.set_recording(sinus)
    view = window.trace
    view.set_view(0.0, 10.0)
    y = view.lead_offset(1) + 0.5
    view.mouseHovered.emit(3.25, *view.lead_and_value_at(y))
    assert window.cursor_label.text() == "+0:00:03.250 elapsed   V1   +0.500 mV"  # the file has no start time


def test_extension_points(qtbot, window, sinus):
    seen = []
    window.recordingOpened.connect(lambda rec: seen.append(("open", rec)))
    window.recordingClosed.connect(lambda: seen.append(("close",)))
    window.viewRangeChanged.connect(lambda a, b: seen.append(("range", a, b)))
    for name in ("File", "View", "Navigate", "Tools", "Model", "Help"):
        assert isinstance(window.menu(name), QtWidgets.QMenu)
    dock = window.add_dock("Test panel", QtWidgets.QLabel("hi"), QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
    assert dock.widget().widget().text() == "hi"  # in the dock's scroll area
    window.set_recording(sinus)
    window.trace.set_view(5.0, 15.0)
    window.close_recording()
    kinds = [s[0] for s in seen]
    opened = [s for s in seen if s[0] == "open"]
    assert len(opened) == 1 and opened[0][1] is sinus and kinds[-1] == "close"
    assert ("range", 5.0, 15.0) in [(s[0], round(s[1], 6), round(s[2], 6)) for s in seen if s[0] == "range"]


def test_dark_theme_changes_paper(qtbot, window, sinus):
    window.set_recording(sinus)
    window.set_theme("dark")
    assert window.trace.colours.background == "#111418"
    window.set_theme("light")


def test_window_argument_parsing():
    from app.main import parse_window

    assert parse_window("1:00:00,1:00:10") == (3600.0, 3610.0)
    assert parse_window("5,15.5") == (5.0, 15.5)
    with pytest.raises(ValueError):
        parse_window("10,5")


def test_dropping_a_file_opens_it(qtbot, window, edf_path):
    from PySide6 import QtGui

    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(edf_path))])
    pos = QtCore.QPointF(200, 200)
    drop = QtGui.QDropEvent(pos, QtCore.Qt.DropAction.CopyAction, mime, QtCore.Qt.MouseButton.LeftButton,
                            QtCore.Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert window.recording is not None and window.recording.path == str(edf_path)
    assert window.recent_menu.actions()[0].text() == str(edf_path)


def test_heart_rate_lane_of_a_75_bpm_strip_reads_75(qtbot, make_sinus):
    """Without beat annotations the lane comes from the R-peak detector, chunk by chunk."""
    from anyecg_model.io.annotations import Annotations
    from app.workers import HeartRateWorker

    rec = make_sinus(minutes=3.0, bpm=75.0)
    rec.annotations = Annotations.empty()
    worker = HeartRateWorker(rec)
    got = []
    worker.result.connect(lambda t, bpm, source: got.append((t, bpm, source)))
    worker.run()  # synchronously: the thread body touches no widget
    times, bpm, source = got[0]
    assert source == "R-peak detector"
    assert np.median(bpm) == pytest.approx(75.0, abs=0.5)
    assert len(times) == pytest.approx(3 * 75, abs=3)


def test_file_rewritten_while_open_stops_reading_and_says_so(qtbot, window, edf_path, make_sinus):
    assert window.open_path(edf_path)
    window.trace.set_view(0.0, 10.0)
    assert window.trace.wait_rendered()
    drawn = window.trace.curves[0].getData()[1].copy()
    write_edf(make_sinus(minutes=0.5, bpm=120.0), edf_path)  # replaced by a shorter, different record
    qtbot.waitUntil(lambda: window.last_message is not None and "changed on disk" in window.last_message.text(),
                    timeout=5000)
    window.last_message.close()
    window.trace.set_view(60.0, 70.0)  # no read of the changed file, no crash
    np.testing.assert_array_equal(window.trace.curves[0].getData()[1], drawn)
    window.reload()
    assert window.recording.duration_s == pytest.approx(30.0)


def test_monitor_filter_removes_baseline_wander_from_the_drawn_trace(qtbot, window, make_sinus):
    from anyecg_model.io.recording import Recording

    base = make_sinus(minutes=2.0, n_leads=1)
    x = base.read()
    t = np.arange(x.shape[1]) / base.fs
    wander = (0.8 * np.sin(2 * np.pi * 0.15 * t)).astype(np.float32)
    rec = Recording.from_array(x + wander, base.fs, ["MLII"], annotations=base.annotations)
    window.set_recording(rec)
    view = window.trace
    view.set_view(30.0, 40.0)
    assert view.wait_rendered()
    raw_y = view.curves[0].getData()[1].copy()
    window.set_display_filter("Monitor")
    assert view.wait_rendered()
    y = view.curves[0].getData()[1]

    def baseline_swing(v):  # range of the 100-ms medians: the baseline, not the QRS
        return np.ptp(np.median(v[: len(v) // 25 * 25].reshape(-1, 25), axis=1))

    assert baseline_swing(raw_y) > 1.0, "the raw trace wanders"
    assert baseline_swing(y) < 0.25, "the filtered baseline is flat"


def test_synthetic_demo_says_so_in_the_title_bar(qtbot, window, tmp_path):
    from anyecg_model.demo import SyntheticHolterConfig, synthetic_holter

    window.set_recording(synthetic_holter(SyntheticHolterConfig(hours=0.25), cache_dir=tmp_path))
    assert "synthetic" in window.windowTitle()
    assert window.overview.isVisible() and "rhythm" in window.overview.lane_names()
    qtbot.waitUntil(lambda: "HR bpm" in window.overview.lane_names(), timeout=10000)


def test_resting_12_lead_opens_in_the_3x4_layout_and_a_holter_does_not(qtbot, window, make_sinus):
    window.open_demo("12lead")
    assert window.stack.currentWidget() is window.twelve_lead and window.layout_action.isChecked()
    assert window.twelve_lead.cells["II rhythm"] == (0.0, 10.0, 3)
    window.set_recording(make_sinus(minutes=2.0))
    assert window.stack.currentWidget() is window.trace and not window.layout_action.isEnabled()


def test_overview_anomaly_strip_uses_the_trace_strips_colours(qtbot, window):
    """The overview bar's heat strip is the same green (0) → red (1) scale as the anomaly strip under the
    traces (it used to be pyqtgraph's "inferno")."""
    import pyqtgraph as pg

    from app.model.overlays import heat_colour

    bar = window.overview
    bar.add_lane("anomaly score", np.arange(4) * 10.0, np.array([0.0, 0.5, 1.0]), kind="heat")
    img = next(item for item in bar._lanes[bar.lane_names().index("anomaly score")].items
               if isinstance(item, pg.ImageItem))
    colours = img.getColorMap().map(np.array([0.0, 0.5, 1.0]), mode="qcolor")
    for score, got in zip((0.0, 0.5, 1.0), colours):
        want = heat_colour(score)
        assert abs(got.red() - want.red()) <= 8 and abs(got.green() - want.green()) <= 8 \
            and abs(got.blue() - want.blue()) <= 8, (score, got.name(), want.name())


def test_pyramid_and_heart_rate_lane_start_after_the_first_paint(qtbot, window, edf_path):
    """Issue 19: their reads on other threads would hold the GIL and a core while the first window is drawn."""
    assert window.open_path(edf_path)
    assert window._pyramid_builder is None and window._hr_worker is None
    assert window.trace.wait_rendered()
    qtbot.waitUntil(lambda: window._pyramid_builder is not None and window._hr_worker is not None, timeout=5000)
    qtbot.waitUntil(window.trace.has_pyramid, timeout=20000)
