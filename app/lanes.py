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

Text in a lane is drawn only where it fits whole: a band's label when the band is wide enough (else a
standard abbreviation that is itself a label, ``NSR`` → ``N``, else nothing: never ``NS``), and a lane's tag
(``model suggestions``) only in a gap its texts leave free (:func:`paint_tag`), never over them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASS_COLOURS

#: Colours of AAMI beat classes and of common rhythm labels.
CLASS_COLOURS = BEAT_CLASS_COLOURS
RHYTHM_COLOURS = {"N": "#6fbf73", "AFIB": "#e0603a", "AFL": "#e09a3a", "SVTA": "#3a7be0", "VT": "#c0202a",
                  "B": "#b04fc0", "T": "#9b6fd0", "SBR": "#9fb0c0", "PREX": "#c0a030", "NOD": "#40a0a0",
                  "P": "#c08000", "PACED": "#c08000", "AB": "#5f8fd0"}


#: Shorter forms of rhythm labels that are labels themselves (MIT-BIH codes, or the model's ``AF``), drawn when the
#: full label does not fit its band.
SHORT_LABELS = {"NSR": "N", "AFIB": "AF", "BIGEMINY": "B", "TRIGEMINY": "T", "NOISE": "~"}
#: Ticks of a beat lane that carries a tag start this far down the lane (fraction of its height), leaving
#: the tag its own row above them.
TICK_FROM = 0.45
#: Pixels kept free around a text in a lane.
TEXT_PAD_PX = 4.0


def fit_label(metrics: QtGui.QFontMetricsF, label: str, width_px: float, suffix: str = "") -> str:
    """``label + suffix`` if it fits ``width_px`` whole; else the short form of :data:`SHORT_LABELS` with the
    suffix if that fits; else ``""`` (a label is never cut, which could make another label: ``NSR`` → ``NS``)."""
    for text in (label, SHORT_LABELS.get(label)):
        if text and metrics.horizontalAdvance(text + suffix) + TEXT_PAD_PX <= width_px:
            return text + suffix
    return ""


def text_box(metrics: QtGui.QFontMetricsF, rect: QtCore.QRectF, text: str) -> QtCore.QRectF:
    """Where ``text`` drawn left-aligned (4 px in) and centred vertically in ``rect`` lies (px)."""
    h = metrics.height()
    return QtCore.QRectF(rect.left() + 4, rect.center().y() - h / 2, metrics.horizontalAdvance(text), h)


def free_slot(occupied: np.ndarray, lo: float, hi: float, width: float) -> float | None:
    """Left edge (px) of the rightmost gap of at least ``width`` px within ``[lo, hi]`` that overlaps none of
    the ``occupied`` spans (rows ``(left, right)`` in px); None when there is none."""
    spans = np.asarray(occupied, np.float64).reshape(-1, 2)
    spans = spans[(spans[:, 1] > lo) & (spans[:, 0] < hi)]
    spans = spans[np.argsort(spans[:, 0])]
    right = hi
    for left, end in zip(spans[::-1, 0], np.maximum.accumulate(spans[:, 1])[::-1]):
        if right - max(end, lo) >= width:
            return right - width
        right = min(right, left)
    return right - width if right - lo >= width else None


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


def tag_font(base: QtGui.QFont, lane_px: float) -> QtGui.QFont:
    """The font of lane tags in a lane ``lane_px`` high."""
    font = QtGui.QFont(base)
    font.setPixelSize(max(8, int(lane_px * 0.45)))
    font.setBold(False)
    font.setItalic(False)
    return font


def tag_width(font: QtGui.QFont, text: str) -> float:
    """Width (px) of the tag ``text`` with its margins."""
    return QtGui.QFontMetricsF(font).horizontalAdvance(text) + 6


def paint_tag(painter: QtGui.QPainter, tr: QtGui.QTransform, item: LaneItem, text: str,
              occupied: np.ndarray | None = None, boxed: bool = True, top_row: bool = False,
              short: str = "model") -> QtCore.QRectF | None:
    """A small tag naming the lane, as far right as the lane's texts leave room: ``occupied`` are their spans
    ``(left, right)`` in device px, which the tag never covers (no room: no tag; the lane's tooltip names
    it). ``boxed`` puts it on a white box (lanes whose gaps are empty); a colour strip gets the text alone.
    ``top_row``: in the lane's upper part (:data:`TICK_FROM` keeps it free of ticks), else at its bottom.
    Where the whole ``text`` finds no room, its ``short`` form may (the text drawn: ``item.tag_text``).
    ``tr`` maps view (s, mV) to device pixels and the painter's own transform has been reset. Returns where
    the tag went (also kept as ``item.tag_rect``)."""
    x0, x1 = item.visible_time_range()
    left = tr.map(QtCore.QPointF(x0, item.y_top))
    top = tr.map(QtCore.QPointF(x1, item.y_top))
    bottom = tr.map(QtCore.QPointF(x1, item.y_bottom))
    font = tag_font(painter.font(), abs(bottom.y() - top.y()))
    painter.setFont(font)
    item.setToolTip(item.toolTip() or text)
    item.tag_rect, item.tag_text = None, ""
    spans = np.zeros((0, 2)) if occupied is None else occupied
    for shown in dict.fromkeys((text, short)):
        w = tag_width(font, shown)
        slot = free_slot(spans, left.x() + 2, top.x() - 2, w)
        if slot is not None:
            break
    if slot is None:
        return None
    y = min(top.y(), bottom.y()) + font.pixelSize() + 3 if top_row else max(top.y(), bottom.y())
    box = QtCore.QRectF(slot, y - font.pixelSize() - 3, w, font.pixelSize() + 2)
    if boxed:
        painter.fillRect(box, QtGui.QColor(255, 255, 255, 210))
    painter.setPen(QtGui.QColor("#5a2d91"))
    painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, shown)
    item.tag_rect, item.tag_text = box, shown
    return box


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


def one_per_column(px: np.ndarray) -> np.ndarray:
    """Sorted pixel x positions rounded to their column, each column once: 100,000 beats of a day on
    1,500 px stroke 1,500 ticks, so a lane's paint cost does not grow with the width of the window."""
    cols = np.round(np.asarray(px, np.float64))
    if len(cols) < 2:
        return cols
    return cols[np.concatenate(([True], cols[1:] != cols[:-1]))]


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
        self.tag_rect: QtCore.QRectF | None = None  # where the last paint put the lane's tag (None: no room)
        self.tag_text = ""  # the tag's text as drawn
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
        #: Ticks stroked by the last paint: at most one per pixel column and class, whatever the zoom.
        self.last_ticks = 0
        symbols = self.symbols.tolist()
        class_of = {s: BEAT_CLASS.get(s, "Q") for s in set(symbols)}
        #: AAMI class names present, and each beat's class as an index into them: a paint of hours in view
        #: groups 100 000 beats by integer, not by comparing their text (issue 19).
        self.class_names = tuple(sorted(set(class_of.values())))
        index = {s: self.class_names.index(c) for s, c in class_of.items()}
        self._class_idx = np.fromiter(map(index.__getitem__, symbols), np.int8, len(symbols))

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
        self.last_ticks = 0
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
        classes = self._class_idx[idx]
        font = painter.font()
        font.setPixelSize(max(9, int(abs(bottom - top) * 0.7)))
        font.setBold(True)
        painter.setFont(font)
        present = np.flatnonzero(np.bincount(classes, minlength=len(self.class_names)))
        for k in present:
            sel = classes == k
            pen = QtGui.QPen(QtGui.QColor(CLASS_COLOURS.get(self.class_names[k], "#808080")))
            pen.setCosmetic(True)
            painter.setPen(pen)
            if as_text:
                h = abs(bottom - top)
                for x, sym in zip(px[sel], self.symbols[idx][sel]):
                    painter.drawText(QtCore.QRectF(x - 15, min(top, bottom), 30, h),
                                     QtCore.Qt.AlignmentFlag.AlignCenter, sym)
            else:
                cols = one_per_column(px[sel])
                self.last_ticks += len(cols)
                paint_ticks(painter, cols, top + 2, bottom - 2)
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
        self.last_texts: list[tuple[QtCore.QRectF, QtCore.QRectF, str]] = []  # (band, text box, text) last drawn

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
        top_left = tr.map(QtCore.QPointF(0.0, self.y_top))
        unit = tr.map(QtCore.QPointF(1.0, self.y_top)).x() - top_left.x()  # px per second (no shear in a view)
        bottom = tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        lefts = top_left.x() + np.maximum(self.starts[idx], x0) * unit
        rights = top_left.x() + np.minimum(self.stops[idx], x1) * unit
        # no label fits a band narrower than the padding and a glyph: a wide view skips measuring its many bands
        room = np.abs(rights - lefts) >= TEXT_PAD_PX + 2.0
        painter.save()
        painter.resetTransform()
        metrics = QtGui.QFontMetricsF(painter.font())
        fills: dict[str, QtGui.QColor] = {}
        texts = []
        for i, left, right, wide in zip(idx, lefts, rights, room):
            label = str(self.labels[i])
            fill = fills.get(label)
            if fill is None:
                fill = fills[label] = rhythm_colour(label)
                fill.setAlpha(110)
            rect = QtCore.QRectF(QtCore.QPointF(left, top_left.y()), QtCore.QPointF(right, bottom)).normalized()
            painter.fillRect(rect, fill)
            text = fit_label(metrics, label, rect.width()) if wide else ""
            if text:
                painter.setPen(self.text_colour)
                painter.drawText(rect.adjusted(4, 0, -2, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
                texts.append((rect, text_box(metrics, rect, text), text))
        self.last_texts = texts
        painter.restore()
