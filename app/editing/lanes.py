"""Lanes that draw an :class:`~anyecg_model.annotations.AnnotationStore` live: one graphics item per lane.

Each lane paints only the rows in the visible time range, found by binary search on the store's sorted
sample column, so an edit costs one ``update()`` of one item, whatever the number of beats. Labels
(reference, manual, accepted) share one lane; pending model suggestions have their own lane, drawn
lighter with their confidence and tagged "model suggestions" at the lane's right edge like the model's
other lanes; rejected suggestions are not drawn.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6 import QtCore, QtGui

from anyecg_model.annotations import AnnotationStore
from anyecg_model.io.annotations import AAMI_CLASS, BEAT_CLASS

from ..lanes import CLASS_COLOURS, LaneItem, paint_tag, paint_ticks, rhythm_colour

#: Colour of manual and accepted labels' underline, and of the selection box.
EDITED_COLOUR = "#d08000"
#: MIT-BIH codes of the AAMI N class (normal and bundle-branch beats), drawn first in dense views.
NORMAL_CODES = tuple(code for code, cls in AAMI_CLASS.items() if cls == "N")
SELECTION_COLOUR = "#ff8c00"


class StoreBeatLane(LaneItem):
    """Beats of ``store`` whose source is in ``sources``; ``selected()`` gives the highlighted beat id."""

    #: Above this many visible beats per 100 px, codes become ticks.
    MAX_TEXT_PER_100PX = 8

    def __init__(self, name: str, store: AnnotationStore, sources: tuple[str, ...],
                 selected: Callable[[], int | None], suggestions: bool = False):
        super().__init__(name)
        self.store = store
        self.sources = sources
        self.selected = selected
        self.suggestions = suggestions
        self.last_drawn = 0  # rows painted by the last paint (tests and benchmarks read it)
        self.last_with_confidence = False  # whether the last paint wrote suggestions' confidences
        self.shown_codes: set[str] | None = None  # None: every code

    def set_filter(self, codes: set[str] | None) -> None:
        """Draw only these MIT-BIH codes (None: all), like the viewer's View ▸ Show beat types."""
        self.shown_codes = None if codes is None else set(codes)
        self.update()

    def visible_rows(self) -> dict[str, np.ndarray]:
        """Columns (``sample``, ``code``, ``source``, ``confidence``, ``id``) of the drawn rows in the visible
        time range; gathered for the window only, so the cost follows what is on screen."""
        x0, x1 = self.visible_time_range()
        b = self.store.beats
        window = b.window(int(np.floor(x0 * self.store.fs)), int(np.ceil(x1 * self.store.fs)) + 1)
        cols = {name: b.take(name, window) for name in ("sample", "code", "source", "confidence", "id")}
        keep = np.isin(cols["source"], self.sources)
        if self.shown_codes is not None:
            keep &= np.isin(cols["code"], list(self.shown_codes))
        return {name: col[keep] for name, col in cols.items()}

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        tr = painter.transform()
        self._paint_rows(painter)
        if self.suggestions:  # the model's lanes all carry a "model …" tag at their right edge
            painter.save()
            painter.resetTransform()
            paint_tag(painter, tr, self, "model suggestions")
            painter.restore()

    def _paint_rows(self, painter: QtGui.QPainter) -> None:
        rows = self.visible_rows()
        self.last_drawn = len(rows["id"])
        if not self.last_drawn:
            return
        tr = painter.transform()
        origin = tr.map(QtCore.QPointF(0.0, self.y_top))
        unit = tr.map(QtCore.QPointF(1.0, self.y_top)).x() - origin.x()
        px = origin.x() + rows["sample"] / self.store.fs * unit
        top = origin.y()
        bottom = tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        y0, h = min(top, bottom), abs(bottom - top)
        codes, sources, conf, ids = rows["code"], rows["source"], rows["confidence"], rows["id"]
        painter.save()
        painter.resetTransform()
        span = max(1.0, abs(px[-1] - px[0]) if len(px) > 1 else 100.0)
        as_text = len(ids) == 1 or len(ids) <= span / 100.0 * self.MAX_TEXT_PER_100PX
        font = painter.font()
        font.setPixelSize(max(9, int(h * (0.6 if self.suggestions else 0.7))))
        font.setBold(not self.suggestions)
        font.setItalic(self.suggestions)
        painter.setFont(font)
        # a suggestion's confidence only where neighbours leave room for "V 0.93"; codes alone otherwise
        room = span / max(len(ids) - 1, 1) if len(ids) > 1 else span
        self.last_with_confidence = (self.suggestions and as_text
                                     and room >= QtGui.QFontMetricsF(font).horizontalAdvance("V 0.00") + 6)
        if not as_text and len(ids) > 2 * span:
            self._paint_dense(painter, px, codes, y0, h)
            painter.restore()
            return
        classes = np.array([BEAT_CLASS.get(c, "Q") for c in codes], dtype=object)
        for cls in np.unique(classes):
            colour = QtGui.QColor(CLASS_COLOURS.get(cls, "#808080"))
            if self.suggestions:
                colour.setAlpha(170)
            painter.setPen(colour)
            ks = np.flatnonzero(classes == cls)
            if not as_text:
                paint_ticks(painter, px[ks], y0 + 2, y0 + h - 2)  # no Python object per beat
                continue
            for k in ks:
                text = f"{codes[k]} {conf[k]:.2f}" if self.last_with_confidence and not np.isnan(conf[k]) else codes[k]
                painter.drawText(QtCore.QRectF(float(px[k]) - 30, y0, 60, h), QtCore.Qt.AlignmentFlag.AlignCenter, text)
        if as_text:
            edited = np.flatnonzero(np.isin(sources, ("manual", "accepted")))
            painter.setPen(QtGui.QPen(QtGui.QColor(EDITED_COLOUR), 2))
            painter.drawLines([QtCore.QLineF(float(px[k]) - 5, y0 + h - 2, float(px[k]) + 5, y0 + h - 2)
                               for k in edited])
        sel = self.selected()
        if sel is not None and sel in set(ids.tolist()):
            x = float(px[int(np.flatnonzero(ids == sel)[0])])
            pen = QtGui.QPen(QtGui.QColor(SELECTION_COLOUR), 2)
            painter.setPen(pen)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(QtCore.QRectF(x - 14, y0 + 1, 28, h - 2))
        painter.restore()


    def _paint_dense(self, painter: QtGui.QPainter, px: np.ndarray, codes: np.ndarray, y0: float, h: float) -> None:
        """More beats than pixels (hours in view): one tick per pixel column for normal beats, then one per
        column and class for the others on top, so a lone V among thousands of N stays visible."""
        column = np.round(px).astype(np.int64)
        normal = np.zeros(len(codes), bool)
        for code in NORMAL_CODES:
            normal |= codes == code
        ticks = {"N": np.unique(column[normal])}
        others = np.flatnonzero(~normal)
        classes = np.array([BEAT_CLASS.get(c, "Q") for c in codes[others]], dtype=object)
        for cls in np.unique(classes):
            ticks[cls] = np.unique(column[others[classes == cls]])
        for cls, xs in ticks.items():
            colour = QtGui.QColor(CLASS_COLOURS.get(cls, "#808080"))
            if self.suggestions:
                colour.setAlpha(170)
            painter.setPen(colour)
            paint_ticks(painter, xs, y0 + 2, y0 + h - 2)


class StoreRhythmLane(LaneItem):
    """Rhythm episodes of ``store``: labels as solid bands, pending model episodes as hatched bands."""

    def __init__(self, name: str, store: AnnotationStore, selected: Callable[[], int | None]):
        super().__init__(name)
        self.store = store
        self.selected = selected

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        e = self.store.episodes
        if not len(e):
            return
        x0, x1 = self.visible_time_range()
        fs = self.store.fs
        start, stop = e["start"] / fs, e["stop"] / fs
        show = (stop > x0) & (start < x1) & (e["source"] != "rejected")
        idx = np.flatnonzero(show)
        tr = painter.transform()
        painter.save()
        painter.resetTransform()
        sel = self.selected()
        for i in idx:
            a = tr.map(QtCore.QPointF(max(start[i], x0), self.y_top))
            b = tr.map(QtCore.QPointF(min(stop[i], x1), self.y_bottom))
            rect = QtCore.QRectF(a, b).normalized()
            label = str(e["code"][i])
            fill = rhythm_colour(label)
            model = e["source"][i] == "model"
            if model:
                rect = rect.adjusted(0, rect.height() / 2, 0, 0)
                fill.setAlpha(90)
                painter.fillRect(rect, QtGui.QBrush(fill, QtCore.Qt.BrushStyle.BDiagPattern))
            else:
                fill.setAlpha(110)
                painter.fillRect(rect, fill)
            if int(e.ids[i]) == sel:
                painter.setPen(QtGui.QPen(QtGui.QColor(SELECTION_COLOUR), 2))
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
            painter.setPen(self.text_colour)
            text = f"{label}?" if model else label
            painter.drawText(rect.adjusted(4, 0, -2, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
