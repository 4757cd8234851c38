"""Annotation lanes under the traces: one batched graphics item per lane, never one item per beat.

A lane occupies a horizontal band ``[y_bottom, y_top]`` (view units) that :class:`~app.trace_view.TraceView`
assigns with :meth:`LaneItem.set_band` whenever it lays out its rows. Subclasses paint only what lies in
the visible time range, found by binary search, so 100,000 beats cost the same as 100.

* :class:`BeatLaneItem` — beat symbols (MIT-BIH codes) at their times, coloured by AAMI class; when too
  many are visible to read, a tick per beat.
* :class:`BandLaneItem` — labelled episodes ``(start_s, stop_s, label)`` as coloured bands (rhythm
  episodes, anomaly windows).

Other engineers add their own lanes by subclassing :class:`LaneItem` and calling
``TraceView.add_lane(name, item)``; :func:`paint_ticks` draws a tick per beat from arrays.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from anyecg_model.io.annotations import BEAT_CLASS

#: Colours of AAMI beat classes and of common rhythm labels.
CLASS_COLOURS = {"N": "#2a7d2a", "S": "#1f5fbf", "V": "#c02020", "F": "#b05fc0", "Q": "#808080", "P": "#c08000"}
RHYTHM_COLOURS = {"N": "#6fbf73", "AFIB": "#e0603a", "AFL": "#e09a3a", "SVTA": "#3a7be0", "VT": "#c0202a",
                  "B": "#b04fc0", "T": "#9b6fd0", "SBR": "#9fb0c0", "PREX": "#c0a030", "NOD": "#40a0a0",
                  "P": "#c08000", "PACED": "#c08000"}


def rhythm_colour(label: str) -> QtGui.QColor:
    """A stable colour for a rhythm label (known labels get fixed colours)."""
    if label in RHYTHM_COLOURS:
        return QtGui.QColor(RHYTHM_COLOURS[label])
    h = (sum(map(ord, label)) * 47) % 360
    return QtGui.QColor.fromHsv(h, 140, 210)


def heat_colour(score: float, alpha: int = 255) -> QtGui.QColor:
    """Green (0) → yellow (0.5) → red (1) for an anomaly probability."""
    s = float(np.clip(score, 0.0, 1.0))
    c = QtGui.QColor.fromHsvF((1.0 - s) * 0.33, 0.85, 0.92)
    c.setAlpha(alpha)
    return c


def paint_tag(painter: QtGui.QPainter, tr: QtGui.QTransform, item: LaneItem, text: str) -> None:
    """A small boxed tag at the right edge of a lane; ``tr`` maps view (s, mV) to device pixels and the
    painter's own transform has been reset."""
    _, x1 = item.visible_time_range()
    top = tr.map(QtCore.QPointF(x1, item.y_top))
    bottom = tr.map(QtCore.QPointF(x1, item.y_bottom))
    h = abs(bottom.y() - top.y())
    font = painter.font()
    font.setPixelSize(max(8, int(h * 0.45)))
    font.setBold(False)
    painter.setFont(font)
    w = painter.fontMetrics().horizontalAdvance(text) + 6
    y = max(top.y(), bottom.y())
    box = QtCore.QRectF(top.x() - w - 2, y - font.pixelSize() - 3, w, font.pixelSize() + 2)
    painter.fillRect(box, QtGui.QColor(255, 255, 255, 210))
    painter.setPen(QtGui.QColor("#5a2d91"))
    painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, text)


def paint_ticks(painter: QtGui.QPainter, xs, y0: float, y1: float) -> None:
    """Vertical ticks from ``y0`` to ``y1`` at the x positions ``xs`` (painter coordinates), with the
    painter's pen, as ONE path built from arrays (:func:`pyqtgraph.arrayToQPath`, ``connect="pairs"``).

    The lanes drew a list of ``QLineF``, one per beat: with an hour of a Holter on screen, 3,000–5,000
    wrapper objects per lane and paint, all tracked by the garbage collector and promoted into its older
    generations while the list was being built; scrolling hour by hour with the model's beats shown set off
    a full collection of 67–79 ms on the GUI thread (``bench/bench_gui_open_scroll.py --analyze``). The path
    makes no Python object per tick and draws the same pixels, in 2.5–6.2 ms where the list took 3.9–7.8 ms
    (3,000 ticks)."""
    xs = np.asarray(xs, np.float64).ravel()
    if len(xs) == 0:
        return
    y = np.tile(np.array([y0, y1], np.float64), len(xs))
    painter.strokePath(pg.arrayToQPath(np.repeat(xs, 2), y, connect="pairs"), painter.pen())


def heat_colormap(steps: int = 33) -> pg.ColorMap:
    """:func:`heat_colour` as a pyqtgraph colour map, for image items (the overview bar's anomaly strip), so
    the strips under the traces and on the overview bar share one scale."""
    pos = np.linspace(0.0, 1.0, steps)
    return pg.ColorMap(pos, [heat_colour(p).getRgb() for p in pos])


class LaneItem(pg.GraphicsObject):
    """Base of annotation lanes: a band of the trace view, painted in device pixels."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.y_bottom = 0.0
        self.y_top = 1.0
        self.text_colour = QtGui.QColor("#222222")
        self.setZValue(50)

    def set_band(self, y_bottom: float, y_top: float) -> None:
        self.prepareGeometryChange()
        self.y_bottom, self.y_top = float(y_bottom), float(y_top)
        self.update()

    def set_text_colour(self, colour: str) -> None:
        self.text_colour = QtGui.QColor(colour)
        self.update()

    def visible_time_range(self) -> tuple[float, float]:
        vb = self.getViewBox()
        if vb is None:
            return (0.0, 0.0)
        (x0, x1), _ = vb.viewRange()
        return x0, x1

    def boundingRect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        if vb is None:
            return QtCore.QRectF()
        r = vb.viewRect()
        return QtCore.QRectF(r.left(), self.y_bottom, r.width(), self.y_top - self.y_bottom)


class BeatLaneItem(LaneItem):
    """Beat symbols of one annotator: ``times_s`` (sorted, s) and ``symbols`` (MIT-BIH codes)."""

    #: Above this many visible beats per 100 px, symbols become ticks.
    MAX_TEXT_PER_100PX = 8

    def __init__(self, name: str, times_s: np.ndarray, symbols: Sequence[str]):
        super().__init__(name)
        self.times_s = np.asarray(times_s, dtype=np.float64)
        self.symbols = np.asarray(symbols, dtype=object)
        self.shown = np.ones(len(self.times_s), bool)
        self.last_drawn = np.zeros(0, np.int64)
        self._classes = np.array([BEAT_CLASS.get(s, "Q") for s in self.symbols], dtype=object)

    def set_filter(self, symbols: set[str] | None) -> None:
        """Show only these symbols (None shows all)."""
        self.shown = np.ones(len(self.times_s), bool) if symbols is None else np.isin(self.symbols, list(symbols))
        self.update()

    def visible_indices(self) -> np.ndarray:
        """Indices of the shown beats whose time lies in the visible range."""
        x0, x1 = self.visible_time_range()
        a, b = np.searchsorted(self.times_s, [x0, x1], side="left")
        idx = np.arange(a, b)
        return idx[self.shown[a:b]]

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        idx = self.visible_indices()
        self.last_drawn = idx
        if len(idx) == 0:
            return
        tr = painter.transform()
        y_mid = (self.y_bottom + self.y_top) / 2
        xs = self.times_s[idx]
        # map all x at once: the view transform is affine with no rotation
        origin = tr.map(QtCore.QPointF(0.0, y_mid))
        unit = tr.map(QtCore.QPointF(1.0, y_mid)).x() - origin.x()
        px = origin.x() + xs * unit
        top = tr.map(QtCore.QPointF(0.0, self.y_top)).y()
        bottom = tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        painter.save()
        painter.resetTransform()
        span = max(1.0, abs(px[-1] - px[0]) if len(px) > 1 else 100.0)
        as_text = len(idx) <= max(1, span / 100.0 * self.MAX_TEXT_PER_100PX) or len(idx) == 1
        classes = self._classes[idx]
        font = painter.font()
        font.setPixelSize(max(9, int(abs(bottom - top) * 0.7)))
        font.setBold(True)
        painter.setFont(font)
        for cls in np.unique(classes):
            sel = classes == cls
            pen = QtGui.QPen(QtGui.QColor(CLASS_COLOURS.get(cls, "#808080")))
            pen.setCosmetic(True)
            painter.setPen(pen)
            if as_text:
                h = abs(bottom - top)
                for x, sym in zip(px[sel], self.symbols[idx][sel]):
                    painter.drawText(QtCore.QRectF(x - 15, min(top, bottom), 30, h),
                                     QtCore.Qt.AlignmentFlag.AlignCenter, sym)
            else:
                paint_ticks(painter, px[sel], top + 2, bottom - 2)
        painter.restore()


class BandLaneItem(LaneItem):
    """Labelled episodes as coloured bands: ``starts_s``/``stops_s`` (s) and ``labels``."""

    def __init__(self, name: str, starts_s: np.ndarray, stops_s: np.ndarray, labels: Sequence[str]):
        super().__init__(name)
        order = np.argsort(starts_s, kind="stable")
        self.starts = np.asarray(starts_s, dtype=np.float64)[order]
        self.stops = np.asarray(stops_s, dtype=np.float64)[order]
        self.labels = np.asarray(labels, dtype=object)[order]
        self._max_len = float(np.max(self.stops - self.starts)) if len(self.starts) else 0.0

    def visible_indices(self) -> np.ndarray:
        x0, x1 = self.visible_time_range()
        a = np.searchsorted(self.starts, x0 - self._max_len, side="left")
        b = np.searchsorted(self.starts, x1, side="right")
        idx = np.arange(a, b)
        return idx[self.stops[a:b] > x0]

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        idx = self.visible_indices()
        if len(idx) == 0:
            return
        x0, x1 = self.visible_time_range()
        tr = painter.transform()
        painter.save()
        painter.resetTransform()
        font = painter.font()
        painter.setFont(font)
        for i in idx:
            a = tr.map(QtCore.QPointF(max(self.starts[i], x0), self.y_top))
            b = tr.map(QtCore.QPointF(min(self.stops[i], x1), self.y_bottom))
            rect = QtCore.QRectF(a, b).normalized()
            colour = rhythm_colour(str(self.labels[i]))
            fill = QtGui.QColor(colour)
            fill.setAlpha(110)
            painter.fillRect(rect, fill)
            painter.setPen(self.text_colour)
            painter.drawText(rect.adjusted(4, 0, -2, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, str(self.labels[i]))
        painter.restore()
