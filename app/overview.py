"""``OverviewBar``: the whole recording at a glance, with the current view as a rectangle.

Lanes are stacked rows (top to bottom in the order added); each is drawn by one item:

* ``add_lane(name, times_s, values, kind="line")`` — a trend such as heart rate (bpm), scaled to the row
  with its range written at the left;
* ``kind="bands"`` — ``times_s`` is an (n, 2) array of episode starts/stops (s) and ``values`` their
  labels (rhythm episodes, anomaly windows);
* ``kind="heat"`` — ``values`` in 0..1 drawn as a colour strip (anomaly score), green 0 → red 1 like the
  strip under the traces.

Each row is named in a gutter left of the data (the lane's name, a trend's range, or the text given to
``set_lane_label``), so no name covers the start of the recording.

Clicking or dragging in the bar emits ``timeClicked(t_s)``; the main window centres the view there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .lanes import BandLaneItem, heat_colormap
from .trace_view import TimeAxis

ROW_PX = 26
#: Narrowest label gutter left of the rows (px); it widens to the longest row name.
GUTTER_MIN_PX = 72


@dataclass
class OverviewLane:
    name: str
    kind: str
    items: list
    label: str = ""


class _OverviewViewBox(pg.ViewBox):
    def __init__(self, bar: "OverviewBar"):
        super().__init__(enableMenu=False)
        self.bar = bar
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev):
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self.bar.timeClicked.emit(float(self.mapSceneToView(ev.scenePos()).x()))
            ev.accept()

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self.bar.timeClicked.emit(float(self.mapSceneToView(ev.scenePos()).x()))
            ev.accept()
        else:
            ev.ignore()

    def wheelEvent(self, ev, axis=None):
        ev.ignore()


class OverviewBar(QtWidgets.QWidget):
    """The recording's full length; ``set_view_rect(t0, t1)`` moves the view rectangle."""

    timeClicked = QtCore.Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.duration_s = 0.0
        self._lanes: list[OverviewLane] = []
        self._specs: list = []
        self.viewbox = _OverviewViewBox(self)
        self.plot = pg.PlotWidget(viewBox=self.viewbox, axisItems={"bottom": TimeAxis("bottom")})
        self.plot.hideButtons()
        self.gutter = self.plot.getPlotItem().getAxis("left")  # the rows' names, beside the data
        self.gutter.setStyle(tickLength=0, tickTextOffset=6)
        self._labels: dict[str, str] = {}  # row names set by set_lane_label
        self.plot.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.viewbox.setDefaultPadding(0.0)
        self.view_rect = QtWidgets.QGraphicsRectItem()
        self.view_rect.setZValue(100)
        self.viewbox.addItem(self.view_rect, ignoreBounds=True)
        self.text_colour = "#222222"
        self._set_rect_colour("#1565c0")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._t = (0.0, 0.0)
        self._resize()

    def _set_rect_colour(self, colour: str) -> None:
        c = QtGui.QColor(colour)
        pen = QtGui.QPen(c)
        pen.setCosmetic(True)
        pen.setWidth(2)
        fill = QtGui.QColor(c)
        fill.setAlpha(60)
        self.view_rect.setPen(pen)
        self.view_rect.setBrush(fill)

    def apply_colours(self, background: str, text: str) -> None:
        self.plot.setBackground(background)
        self.text_colour = text
        for axis in (self.plot.getPlotItem().getAxis("bottom"), self.gutter):
            axis.setPen(text)
            axis.setTextPen(text)
        for lane in self._lanes:
            for item in lane.items:
                if isinstance(item, BandLaneItem):
                    item.set_text_colour(text)

    def set_duration(self, duration_s: float) -> None:
        """Start over for a recording of ``duration_s`` seconds (removes every lane)."""
        self._rebuild([])
        self.duration_s = max(float(duration_s), 1e-3)
        self.viewbox.setXRange(0, self.duration_s, padding=0)
        self._resize()

    def set_view_rect(self, t0: float, t1: float) -> None:
        """Show the current trace-view window ``[t0, t1]`` s (at least 2 px wide)."""
        self._t = (t0, t1)
        n = max(1, len(self._lanes))
        min_w = 2 * self.duration_s / max(1.0, self.viewbox.width())
        w = max(t1 - t0, min_w)
        self.view_rect.setRect(QtCore.QRectF(t0, -n, w, n))

    def lane_names(self) -> list[str]:
        return [lane.name for lane in self._lanes]

    def lane_labels(self) -> list[str]:
        """The names written in the gutter, top row first."""
        return [self._labels.get(lane.name, lane.label) for lane in self._lanes]

    def set_lane_label(self, name: str, text: str | None) -> None:
        """Name lane ``name``'s row ``text`` in the gutter (None: its own name), now and whenever it is redrawn."""
        if text is None:
            self._labels.pop(name, None)
        else:
            self._labels[name] = text
        self._update_gutter()

    def add_lane(self, name: str, times_s, values, kind: str = "line", colour: str = "#c02040") -> None:
        """Add lane ``name`` as a new bottom row, or replace it in place (see module docstring for ``kind``).
        Only that lane's items are rebuilt, so a streaming update costs one lane, not the whole bar."""
        if kind not in ("line", "bands", "heat"):
            raise ValueError(f"unknown overview lane kind {kind!r}")
        spec = (name, times_s, values, kind, colour)
        names = self.lane_names()
        if name in names:
            row = names.index(name)
            self._specs[row] = spec
            self._place(row)
        else:
            self._specs.append(spec)
            self._lanes.append(OverviewLane(name, kind, []))
            self._place(len(self._specs) - 1)
            self._resize()

    def remove_lane(self, name: str) -> None:
        """Remove lane ``name``; the rows below move up."""
        names = self.lane_names()
        if name not in names:
            return
        row = names.index(name)
        self._drop_items(self._lanes.pop(row))
        del self._specs[row]
        for r in range(row, len(self._specs)):
            self._place(r)
        self._resize()

    def _rebuild(self, specs: list) -> None:
        for lane in self._lanes:
            self._drop_items(lane)
        self._specs = list(specs)
        self._lanes = [OverviewLane(s[0], s[3], []) for s in self._specs]
        for row in range(len(self._specs)):
            self._place(row)
        self._resize()

    def _drop_items(self, lane: OverviewLane) -> None:
        for item in lane.items:
            self.viewbox.removeItem(item)
        lane.items = []

    def _place(self, row: int) -> None:
        """(Re)build the items of the lane in ``row`` from its spec."""
        name, times_s, values, kind, colour = self._specs[row]
        lane = self._lanes[row]
        self._drop_items(lane)
        lane.name, lane.kind = name, kind
        lane.items, lane.label = self._make_items(row, name, times_s, values, kind, colour)
        for item in lane.items:
            self.viewbox.addItem(item, ignoreBounds=True)
        self._update_gutter()

    def _update_gutter(self) -> None:
        """Write each row's name at its middle in the gutter, wide enough for the longest name."""
        labels = self.lane_labels()
        self.gutter.setTicks([[(-row - 0.5, text) for row, text in enumerate(labels)], []])
        metrics = QtGui.QFontMetrics(self.gutter.style.get("tickFont") or self.font())
        widest = max((metrics.horizontalAdvance(t) for t in labels), default=0)
        self.gutter.setWidth(max(GUTTER_MIN_PX, widest + 14))

    def _make_items(self, row: int, name: str, times_s, values, kind: str, colour: str) -> tuple[list, str]:
        """The lane's graphics items and its row name (a trend's name carries its range)."""
        top, bottom = -row, -row - 1
        items: list = []
        label = name
        if kind == "line":
            t = np.asarray(times_s, np.float64)
            v = np.asarray(values, np.float64)
            ok = np.isfinite(v)
            t, v = t[ok], v[ok]
            if len(v):
                lo, hi = np.percentile(v, [1, 99])
                hi = hi if hi > lo else lo + 1
                y = bottom + 0.1 + 0.8 * np.clip((v - lo) / (hi - lo), 0, 1)
                items.append(pg.PlotCurveItem(t, y, pen=pg.mkPen(colour, width=1)))
                label = f"{name} {lo:.0f}–{hi:.0f}"
            else:
                label = f"{name}: none"
        elif kind == "bands":
            se = np.asarray(times_s, np.float64).reshape(-1, 2)
            item = BandLaneItem(name, se[:, 0], se[:, 1], [str(v) for v in values])
            # the whole recording is always in view here: paint the bands once into a pixmap and blit it when
            # the view rectangle moves over them (a 72-h Holter has ~2 000 episodes: ~25 ms per scroll step)
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
            item.set_band(bottom, top)
            item.set_text_colour(self.text_colour)
            items.append(item)
        else:
            t = np.asarray(times_s, np.float64)
            v = np.clip(np.asarray(values, np.float64), 0, 1)
            img = pg.ImageItem(v[:, None].astype(np.float32), levels=(0, 1))
            img.setColorMap(heat_colormap())  # the scale of the strip under the traces
            span = (t[-1] - t[0]) if len(t) > 1 else self.duration_s
            img.setRect(QtCore.QRectF(float(t[0]) if len(t) else 0.0, bottom, float(span), 1.0))
            items.append(img)
        return items, label

    def _resize(self) -> None:
        n = max(1, len(self._lanes))
        self.viewbox.setYRange(-n, 0, padding=0)
        self._update_gutter()
        self.setFixedHeight(n * ROW_PX + 34)
        self.set_view_rect(*self._t)
