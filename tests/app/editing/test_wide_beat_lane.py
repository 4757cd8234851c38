"""A beats lane over hours of a Holter (issue 19): every step of a wide view paints ~100 000 beats, so their
codes and sources are classified once per store revision and the paint slices the cached columns. Checked
against the per-paint classification it replaced (one tick per pixel column and class), never timed."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

FS = 50.0
HOURS = 24.0
CODES = ("N", "L", "V", "A", "F", "/", "Q", "R")


@pytest.fixture
def day(qtbot):
    """A TraceView of a flat 24-h record with 40 000 beats of mixed codes in a StoreBeatLane."""
    from anyecg_model.annotations import LABEL_SOURCES, AnnotationStore
    from anyecg_model.annotations.table import BeatTable
    from anyecg_model.io.recording import Recording
    from app.editing.lanes import StoreBeatLane
    from app.trace_view import TraceView

    n = int(HOURS * 3600 * FS)
    rng = np.random.default_rng(7)
    k = 40_000
    sample = np.sort(rng.choice(n, k, replace=False))
    codes = np.array(CODES, object)[np.minimum(rng.geometric(0.6, k) - 1, len(CODES) - 1)]
    sources = np.where(rng.random(k) < 0.95, "reference", "model").astype(object)
    beats = BeatTable.from_columns(np.arange(k), sample=sample, code=codes, subtype=np.zeros(k, np.int64),
                                   channel=np.zeros(k, np.int64), aux=np.full(k, "", object), source=sources,
                                   author=np.full(k, "atr", object))
    store = AnnotationStore(FS, n, beats)
    view = TraceView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_recording(Recording.from_array(np.zeros((1, n), np.float32), FS, ["II"], path="<day>"))
    lane = StoreBeatLane("beats", store, LABEL_SOURCES, lambda: None)
    view.add_lane("beats", lane)
    yield view, lane, store
    view.close()


def ticks_drawn(view, lane, monkeypatch) -> dict[str, np.ndarray]:
    """Pixel columns of the ticks of the next paint, per pen colour."""
    import app.editing.lanes as editing_lanes

    drawn: dict[str, list] = {}
    real = editing_lanes.paint_ticks

    def record(painter, xs, y0, y1):
        drawn.setdefault(painter.pen().color().name(), []).extend(np.asarray(xs, float).tolist())
        real(painter, xs, y0, y1)

    monkeypatch.setattr(editing_lanes, "paint_ticks", record)
    lane.update()
    view.plot.viewport().repaint()
    monkeypatch.undo()
    return {c: np.array(sorted(v)) for c, v in drawn.items()}


def expected_ticks(view, lane) -> dict[str, np.ndarray]:
    """The classification the paint used to redo every time: normal codes to N, the others by BEAT_CLASS,
    one tick per rounded pixel column."""
    from anyecg_model.vocabulary.labels import BEAT_CLASS
    from app.editing.lanes import NORMAL_CODES
    from app.lanes import CLASS_COLOURS

    rows = lane.visible_rows()
    x = view.viewbox.mapViewToDevice(QtCore.QPointF(1.0, 0.0)).x() - view.viewbox.mapViewToDevice(QtCore.QPointF(0.0, 0.0)).x()
    x0 = view.viewbox.mapViewToDevice(QtCore.QPointF(0.0, 0.0)).x()
    px = x0 + rows["sample"] / FS * x
    classes = np.array(["N" if c in NORMAL_CODES else BEAT_CLASS.get(c, "Q") for c in rows["code"]])
    out = {}
    for cls in np.unique(classes):
        out[CLASS_COLOURS.get(cls, "#808080")] = np.unique(np.round(px[classes == cls]))
    return out


@pytest.mark.parametrize("hours", [6.0, 24.0])
def test_wide_view_draws_one_tick_per_column_and_class(qtbot, day, monkeypatch, hours):
    view, lane, _ = day
    view.set_view(0.0, hours * 3600.0)
    assert view.wait_rendered()
    got = ticks_drawn(view, lane, monkeypatch)
    want = expected_ticks(view, lane)
    assert lane.last_drawn == len(lane.visible_rows()["code"]) > 2 * view.plot_width_px()
    assert set(got) == set(want) and len(want) >= 4
    for colour in want:
        np.testing.assert_allclose(got[colour], want[colour], atol=0.51)
        assert len(got[colour]) == len(want[colour])


def test_wide_steps_classify_the_beats_once_per_revision(qtbot, day, monkeypatch):
    view, lane, store = day
    view.set_view(0.0, 6 * 3600.0)
    assert view.wait_rendered()
    view.plot.viewport().repaint()
    table = lane._dense
    assert table is not None
    for _ in range(3):
        qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
        assert view.wait_rendered()
        view.plot.viewport().repaint()
    assert lane._dense is table, "scrolling rebuilt the classified columns"
    rows = lane.visible_rows()
    first_v = int(rows["id"][np.flatnonzero(rows["code"] == "V")[0]])
    store.relabel([first_v], "N")
    ticks = ticks_drawn(view, lane, monkeypatch)
    assert lane._dense is not table, "an edit is drawn"
    for colour, xs in expected_ticks(view, lane).items():
        assert len(ticks[colour]) == len(xs)
