"""Reference annotations: one batched item per lane that draws exactly the beats in the visible window."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from anyecg_model.io.annotations import Annotations
from anyecg_model.io.recording import Recording
from app.lanes import BandLaneItem, BeatLaneItem


def test_lane_shows_exactly_the_visible_beats(qtbot, window, sinus):
    window.set_recording(sinus)
    view = window.trace
    view.set_view(30.0, 40.0)
    assert view.wait_rendered()
    lane = view.lanes()["beats"]
    view.grab()
    t = sinus.annotations.sample / sinus.fs
    expected = np.flatnonzero((t >= 30.0) & (t < 40.0))
    np.testing.assert_array_equal(lane.last_drawn, expected)
    assert len(expected) == 13 or len(expected) == 12  # 75 bpm: 12.5 beats in 10 s


def test_type_filter_hides_other_codes(qtbot, window, sinus):
    window.set_recording(sinus)
    view = window.trace
    view.set_view(0.0, 60.0)
    assert view.wait_rendered()
    lane = view.lanes()["beats"]
    for act in window.beat_filter_menu.actions():
        if act.text() == "N":
            act.setChecked(False)
    view.grab()
    assert len(lane.last_drawn) > 0
    assert set(lane.symbols[lane.last_drawn]) == {"V"}


def test_hundred_thousand_beats_are_one_item(qtbot, window):
    fs = 250.0
    n_beats = 100_000
    samples = np.arange(n_beats) * 200 + 100  # 0.8-s RR: 22 hours
    n = int(samples[-1] + 1000)

    class Flat:
        def read(self, start, stop, idx):
            return np.zeros((len(idx), stop - start), np.float32)

    from anyecg_model.io.recording import Lead, Provenance

    ann = Annotations.from_lists(samples, ["N"] * n_beats, source="atr")
    rec = Recording([Lead("MLII", "MLII", fs)], fs, n, Flat(), Provenance("<flat>", "test", "flat-100k"), annotations=ann)
    window.set_recording(rec)
    view = window.trace
    view.set_view(36000.0, 36010.0)
    assert view.wait_rendered()
    children = view.viewbox.childGroup.childItems()
    items = [i for i in children if isinstance(i, BeatLaneItem)]
    assert len(items) == 1
    assert len(children) < 20, "no graphics item per beat"
    view.grab()
    assert len(items[0].last_drawn) in (12, 13)


def test_band_lane_finds_long_episodes_that_start_before_the_view(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    lane = BandLaneItem("rhythm", np.array([0.0, 5000.0]), np.array([5000.0, 9000.0]), ["N", "AFIB"])
    plot.addItem(lane)
    plot.setXRange(4000, 4100, padding=0)
    assert list(lane.visible_indices()) == [0]
    plot.setXRange(4990, 5010, padding=0)
    assert list(lane.visible_indices()) == [0, 1]


def test_ticks_are_one_path_with_the_pixels_of_one_line_each(qtbot):
    """paint_ticks draws what one QLineF per beat drew, without a Python object per beat (no collection
    runs while 5,000 ticks are painted)."""
    import gc
    import threading

    from PySide6 import QtCore, QtGui

    from app.lanes import paint_ticks

    xs = np.sort(np.random.default_rng(1).uniform(0, 1600, 5000))

    def render(draw) -> np.ndarray:
        img = QtGui.QImage(1600, 40, QtGui.QImage.Format.Format_ARGB32)
        img.fill(0xFFFFFFFF)
        painter = QtGui.QPainter(img)
        pen = QtGui.QPen(QtGui.QColor(192, 32, 32, 150))
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        painter.setPen(pen)
        draw(painter)
        painter.end()
        return np.frombuffer(img.constBits(), np.uint8).reshape(40, 1600, 4).copy()

    expected = render(lambda p: p.drawLines([QtCore.QLineF(x, 2.0, x, 30.0) for x in xs]))
    collections: list[int] = []

    def count(phase, info):
        if phase == "start" and threading.current_thread() is threading.main_thread():
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        got = render(lambda p: paint_ticks(p, xs, 2.0, 30.0))
    finally:
        gc.callbacks.remove(count)
    np.testing.assert_array_equal(got, expected)
    assert collections == []


def test_band_labels_are_drawn_whole_or_as_a_real_abbreviation(qtbot):
    """At a 1-h zoom a narrow band never shows a cut label ("NS", "A"): the whole label, its short form
    (NSR → N, AFIB → AF) where only that fits, else nothing."""
    from PySide6 import QtGui

    from app.lanes import SHORT_LABELS

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(1000, 200)
    starts = np.array([0.0, 600.0, 640.0, 650.0, 1200.0, 1240.0, 1250.0])
    stops = np.append(starts[1:], 3600.0)
    labels = ["NSR", "AFIB", "NSR", "AFIB", "NSR", "OTHER", "NSR"]
    lane = BandLaneItem("rhythm", starts, stops, labels)
    lane.set_band(0.0, 1.0)
    plot.addItem(lane)
    plot.setXRange(0.0, 3600.0, padding=0)
    plot.setYRange(0.0, 1.0, padding=0)
    plot.show()
    qtbot.waitExposed(plot)
    plot.grab()
    drawn = {text for *_, text in lane.last_texts}
    assert {"NSR", "AFIB"} <= drawn
    allowed = set(labels) | {SHORT_LABELS[x] for x in labels if x in SHORT_LABELS}
    assert drawn <= allowed
    for band, box, text in lane.last_texts:
        assert box.right() <= band.right()  # whole, inside its own band
    assert "OTHER" not in drawn  # 10 s at 3.6 s/px: no room, no "O" or "OT"
    metrics = QtGui.QFontMetricsF(QtGui.QFont())
    assert metrics.horizontalAdvance("AFIB") > 40 / 3.6  # the 40-s AFIB band really is too narrow for AFIB


def test_free_slot_is_the_rightmost_gap_wide_enough():
    from app.lanes import free_slot

    spans = np.array([[10.0, 20.0], [90.0, 100.0], [30.0, 60.0], [55.0, 70.0]])
    assert free_slot(spans, 0.0, 100.0, 15.0) == 75.0  # between 70 and 90
    assert free_slot(spans, 0.0, 100.0, 25.0) is None
    assert free_slot(spans, 0.0, 130.0, 25.0) == 105.0  # right of the last span
    assert free_slot(np.zeros((0, 2)), 0.0, 50.0, 20.0) == 30.0
