"""Scrolling paints the trace area once per step and hands the curves only what the pixels can show
(issue 19): counted with an event filter on the plot's viewport and real key presses, never timed."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from anyecg_model.io.recording import Recording
from anyecg_model.signal.pyramid import MinMaxPyramid

FS = 100.0
HOURS = 24.0


class PaintCounter(QtCore.QObject):
    """Counts paint events of the widget it is installed on."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def eventFilter(self, obj, ev):
        if ev.type() == QtCore.QEvent.Type.Paint:
            self.n += 1
        return False


@pytest.fixture(scope="module")
def day_recording() -> Recording:
    """24 h × 2 leads at 100 Hz: a 0.8-s beat (Gaussian R wave) tiled, with a slow drift (mV)."""
    beat = np.zeros(80, np.float32)
    k = np.arange(80)
    beat += np.exp(-0.5 * ((k - 40) / 2.0) ** 2).astype(np.float32)
    n = int(HOURS * 3600 * FS)
    x = np.tile(beat, n // len(beat) + 1)[:n]
    drift = (0.2 * np.sin(np.arange(n, dtype=np.float32) * np.float32(2 * np.pi / (FS * 3600)))).astype(np.float32)
    return Recording.from_array(np.stack([x + drift, -0.6 * x]), FS, ["MLII", "V1"], path="<day>")


@pytest.fixture
def view(qtbot, day_recording):
    from app.lanes import BeatLaneItem
    from app.trace_view import TraceView

    v = TraceView()
    qtbot.addWidget(v)
    v.resize(1200, 600)
    v.show()
    qtbot.waitExposed(v)
    v.set_recording(day_recording, MinMaxPyramid.build(day_recording))
    beats = np.arange(0.4, day_recording.duration_s, 0.8)
    v.add_lane("beats", BeatLaneItem("beats", beats, ["N"] * len(beats)))
    v.set_view(3600.0, 3610.0)
    assert v.wait_rendered()
    yield v
    v.close()


def settle(qtbot, view) -> None:
    assert view.wait_rendered()
    qtbot.wait(30)  # every queued update of the step has had its turn


def count_paints_per_step(qtbot, view, key, steps: int = 6) -> list[int]:
    counter = PaintCounter()
    view.plot.viewport().installEventFilter(counter)
    settle(qtbot, view)
    counts = []
    try:
        for _ in range(steps):
            counter.n = 0
            qtbot.keyClick(view, key)
            settle(qtbot, view)
            counts.append(counter.n)
    finally:
        view.plot.viewport().removeEventFilter(counter)
    return counts


@pytest.mark.parametrize("key", [QtCore.Qt.Key.Key_Right, QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Left])
def test_one_paint_per_scroll_step(qtbot, view, key):
    t0 = view.view_range()[0]
    counts = count_paints_per_step(qtbot, view, key)
    assert view.view_range()[0] != t0, "the keys scrolled"
    assert counts == [1] * len(counts)


@pytest.mark.parametrize("page_s", [10.0, 600.0, 6 * 3600.0, HOURS * 3600.0])
def test_curves_get_at_most_two_points_per_pixel_column(qtbot, view, page_s):
    start = 0.0 if page_s >= HOURS * 3600 else 7200.0
    view.set_view(start, start + page_s)
    settle(qtbot, view)
    width = view.plot_width_px()
    for lead in view.visible_leads():
        n = len(view.curves[lead].xData)
        assert 0 < n <= 2 * width + 2, f"{n} points for {width} px at a {page_s:g}-s page"
        assert not view.curves[lead].opts["antialias"], "1-px traces on paper need no antialiasing"
    if page_s > 60:
        assert count_paints_per_step(qtbot, view, QtCore.Qt.Key.Key_Right, steps=2) == [1, 1]


def test_beat_lane_draws_one_tick_per_pixel_column_when_zoomed_out(qtbot, view):
    lane = view.lanes()["beats"]
    view.set_view(0.0, HOURS * 3600.0)
    settle(qtbot, view)
    view.plot.viewport().repaint()
    assert len(lane.last_drawn) > 100_000, "every beat of the day is in view"
    assert 0 < lane.last_ticks <= view.plot_width_px() + 1


def test_decimated_columns_are_joined_vertical_strokes():
    from app.trace_items import column_strokes

    # columns (min, max): a rise from [0, 1] to [3, 4], then a fall to [-2, -1]; the third inverted
    y = np.array([0, 1, 3, 4, -1, -2], np.float32)
    s = column_strokes(y).reshape(-1, 2)
    np.testing.assert_array_equal(s, [[0, 1], [1, 4], [-2, 3]])
    for a, b in zip(s[:-1], s[1:]):
        assert min(b) <= max(a) and max(b) >= min(a), "each stroke reaches its left neighbour: no gap"


def test_wide_windows_draw_one_stroke_per_column(qtbot, view):
    view.set_view(0.0, 6 * 3600.0)
    settle(qtbot, view)
    curve = view.curves[view.visible_leads()[0]]
    assert view.is_decimated() and curve.opts["connect"] == "pairs"
    x = curve.xData
    np.testing.assert_array_equal(x[0::2], x[1::2])  # vertical: both ends of a stroke at one column


def test_anomaly_strip_is_one_image_row_when_zoomed_out(qtbot, view, monkeypatch):
    from app.model import overlays

    starts = np.arange(0.0, HOURS * 3600.0, 10.0)
    scores = np.full(len(starts), 0.1)
    scores[1234] = 0.99  # one abnormal 10-s window must stay visible at 24 h on screen
    lane = overlays.AnomalyHeatLane("anomaly", starts, starts + 10.0, scores)
    view.add_lane("anomaly", lane)
    view.set_view(0.0, HOURS * 3600.0)
    settle(qtbot, view)

    def one_fill_per_window(*args):
        raise AssertionError("a fill per window at 24 h")

    monkeypatch.setattr(overlays, "heat_colour", one_fill_per_window)
    view.plot.viewport().repaint()
    assert lane.last_strip is not None and abs(len(lane.last_strip) - view.plot_width_px()) <= 2
    assert np.nanmax(lane.last_strip) == 0.99 and np.nanmin(lane.last_strip) == 0.1
    monkeypatch.undo()
    view.set_view(7200.0, 7800.0)  # 60 windows of ~20 px: each its own box with its score
    settle(qtbot, view)
    view.plot.viewport().repaint()
    assert lane.last_strip is None and len(lane.last_drawn) == 60


def test_lead_names_are_one_item_left_alone_by_scrolling(qtbot, view, monkeypatch):
    """The names are drawn by one item at each visible row's top left; a scroll step neither moves nor
    re-lays it out (twelve text items, each moved and re-transformed every step, cost a twelfth of a paint each)."""
    from app.trace_items import LeadNames

    scene_items = view.plot.scene().items()
    assert sum(isinstance(i, LeadNames) for i in scene_items) == 1
    assert not any(type(i).__name__ == "TextItem" or type(i).__name__ == "LeadLabel" for i in scene_items)
    laid_out = []
    monkeypatch.setattr(view.lead_names, "set_rows", lambda rows: laid_out.append(rows))
    pos = view.lead_names.pos()
    count_paints_per_step(qtbot, view, QtCore.Qt.Key.Key_Right, steps=2)
    assert laid_out == [] and view.lead_names.pos() == pos
    monkeypatch.undo()
    view.set_lead_visible(1, False)
    settle(qtbot, view)
    view.plot.viewport().repaint()
    drawn = view.lead_names.last_drawn
    assert [name for name, _, _ in drawn] == ["MLII"]
    top = view.viewbox.mapViewToDevice(QtCore.QPointF(view.view_range()[0], view.lead_offset(0) + 0.55 * view.row_height_mv()))
    assert abs(drawn[0][1] - top.x() - 4) < 1.5 and abs(drawn[0][2] - top.y() - 4) < 1.5


def test_beat_lane_groups_classes_without_comparing_text_per_paint(qtbot, view, monkeypatch):
    """At 24 h every paint sees every beat of the day: the classes are integer indices made once, and the
    ticks are still one per pixel column and class (checked against the classes compared as text)."""
    import app.lanes as lanes
    from anyecg_model.vocabulary.labels import BEAT_CLASS

    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0, HOURS * 3600.0, 60_000))
    symbols = np.array(["N", "V", "A", "L", "F", "Q", "/"], object)[np.minimum(rng.geometric(0.5, len(times)) - 1, 6)]
    lane = lanes.BeatLaneItem("mixed", times, symbols)
    lane.set_filter({"N", "V", "A", "F", "/"})  # L and Q hidden
    view.remove_lane("beats")
    view.add_lane("mixed", lane)
    view.set_view(0.0, HOURS * 3600.0)
    settle(qtbot, view)
    drawn: dict[str, list] = {}
    real = lanes.paint_ticks

    def record(painter, xs, y0, y1):
        drawn.setdefault(painter.pen().color().name(), []).extend(np.asarray(xs).tolist())
        real(painter, xs, y0, y1)

    monkeypatch.setattr(lanes, "paint_ticks", record)
    monkeypatch.setattr(lanes.np, "unique", lambda *a, **k: pytest.fail("classes compared as text in a paint"))
    lane.update()
    view.plot.viewport().repaint()
    monkeypatch.undo()
    idx = lane.last_drawn
    assert len(idx) == int(np.isin(symbols, ["N", "V", "A", "F", "/"]).sum())
    origin = view.viewbox.mapViewToDevice(QtCore.QPointF(0.0, 0.0)).x()
    unit = view.viewbox.mapViewToDevice(QtCore.QPointF(1.0, 0.0)).x() - origin
    classes = np.array([BEAT_CLASS.get(s, "Q") for s in symbols[idx]])
    want = {lanes.CLASS_COLOURS[c]: np.unique(np.round(origin + times[idx][classes == c] * unit)) for c in set(classes)}
    assert set(drawn) == set(want) and len(want) >= 3
    for colour, cols in want.items():
        assert len(drawn[colour]) == len(cols)
        np.testing.assert_allclose(sorted(drawn[colour]), cols, atol=0.51)


def test_scroll_step_at_one_hour_reuses_the_paper_tile(qtbot, view):
    """A step at 1 h width is one paint, and the paper grid is blitted from the tile drawn for this size and
    density, never redrawn line by line because only the time range moved."""
    view.set_view(7200.0, 7200.0 + 3600.0)
    settle(qtbot, view)
    view.plot.viewport().repaint()
    tile = view.grid._tile_pixmap
    assert count_paints_per_step(qtbot, view, QtCore.Qt.Key.Key_Right, steps=3) == [1, 1, 1]
    assert view.grid._tile_pixmap is tile
    view.set_dpi(120.0)  # a new screen calibration draws a new tile
    settle(qtbot, view)
    view.plot.viewport().repaint()
    assert view.grid._tile_pixmap is not tile
