"""Stretches the signal-quality gate found unreadable (flat, saturated, noisy, baseline), drawn over the traces and
on the overview bar as light grey hatched bands, so a reader sees why no beat, rhythm or anomaly is shown there.

:class:`UnreadableBands` is one item for all the stretches: it paints only the visible ones (binary search), and
stretches closer than a pixel become one rectangle, so a 24-hour Holter with thousands of noisy stretches costs a
few fills per paint. It takes no mouse button (clicks and drags reach the view beneath); hovering a band shows its
reason and span in the recording's time base.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from anyecg_model.timebase import TimeBase

from ..lanes import fit_label

#: Grey of the bands' fill (translucent, so the unreadable signal itself stays visible) and of the hatching.
FILL_RGBA = (128, 128, 128, 45)
HATCH_RGBA = (90, 90, 90, 110)
#: Above the traces, below the lanes (50) and the calipers.
Z_VALUE = 40


def label_of(reason: str, lead: str = "", sentence: bool = False) -> str:
    """``MLII unreadable (noisy)``; ``signal unreadable (noisy)`` when the lead is not known (``Signal`` to start a
    ``sentence``)."""
    what = f"{lead} unreadable" if lead else f"{'S' if sentence else 's'}ignal unreadable"
    return f"{what} ({reason})" if reason else what


def merge_px(x0: np.ndarray, x1: np.ndarray, gap_px: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge pixel intervals ``[x0, x1]`` (sorted by ``x0``) closer than ``gap_px``; returns the merged starts,
    ends and, for each, the index of its first interval."""
    if len(x0) == 0:
        return x0, x1, np.zeros(0, np.int64)
    reach = np.maximum.accumulate(x1)
    new = np.ones(len(x0), bool)
    new[1:] = x0[1:] > reach[:-1] + gap_px
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(x0)) - 1
    return x0[first], reach[last], first


class UnreadableBands(pg.GraphicsObject):
    """Unreadable stretches ``(start_s, end_s, reason[, lead])`` as hatched bands over the whole height of the view,
    labelled with the lead the gate judged (the one the beats are read on) when given."""

    def __init__(self, spans: Sequence[tuple] = (), label: bool = True):
        super().__init__()
        self.timebase = TimeBase()  # the recording's; the controller sets it
        self.label = label  # write "signal unreadable (reason)" where it fits
        self.hover_text = ""
        self.last_rects: list[QtCore.QRectF] = []  # device-pixel rectangles of the last paint
        self.last_texts: list[str] = []
        self.setZValue(Z_VALUE)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.set_data(spans)

    @staticmethod
    def _normal(spans: Sequence[tuple]) -> list[tuple[float, float, str, str]]:
        return sorted((float(s[0]), float(s[1]), str(s[2]), str(s[3]) if len(s) > 3 else "") for s in spans)

    def same_data(self, spans) -> bool:
        return self._normal(spans) == self.spans

    def set_data(self, spans: Sequence[tuple]) -> None:
        self.prepareGeometryChange()
        self.spans = self._normal(spans)
        self.starts = np.array([s[0] for s in self.spans], np.float64)
        self.ends = np.array([s[1] for s in self.spans], np.float64)
        self._max_len = float(np.max(self.ends - self.starts)) if self.spans else 0.0
        self.update()

    def _view_rect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        return vb.viewRect() if vb is not None else QtCore.QRectF()

    def visible_indices(self) -> np.ndarray:
        r = self._view_rect()
        x0, x1 = r.left(), r.right()
        a = np.searchsorted(self.starts, x0 - self._max_len, side="left")
        b = np.searchsorted(self.starts, x1, side="right")
        idx = np.arange(a, b)
        return idx[self.ends[a:b] > x0]

    def span_at(self, t: float) -> int | None:
        """Index of the stretch that holds ``t`` (s), else None."""
        k = int(np.searchsorted(self.starts, t, side="right"))
        for i in range(k - 1, -1, -1):
            if self.ends[i] > t:
                return i
            if self.starts[i] < t - self._max_len:
                break
        return None

    def describe(self, i: int) -> str:
        a, b, reason, lead = self.spans[i]
        return (f"{label_of(reason or 'unknown reason', lead, sentence=True)} {self.timebase.span(a, b, 1)} "
                f"({b - a:.1f} s): not analysed, so no beat, rhythm or anomaly is reported here")

    def boundingRect(self) -> QtCore.QRectF:
        """The whole view (as the lanes): the view range changes without telling the item."""
        return self._view_rect() if self.spans else QtCore.QRectF()

    def shape(self) -> QtGui.QPainterPath:
        """The visible bands only, so hovering between them shows nothing."""
        r = self._view_rect()
        path = QtGui.QPainterPath()
        for i in self.visible_indices():
            path.addRect(QtCore.QRectF(self.starts[i], r.top(), self.ends[i] - self.starts[i], r.height()))
        return path

    def hoverEvent(self, ev) -> None:
        if ev.isExit():
            self.hover_text = ""
        else:
            i = self.span_at(float(ev.pos().x()))
            self.hover_text = "" if i is None else self.describe(i)
        self.setToolTip(self.hover_text)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        idx = self.visible_indices()
        self.last_rects, self.last_texts = [], []
        if len(idx) == 0:
            return
        r = self._view_rect()
        tr = painter.transform()
        origin = tr.map(QtCore.QPointF(0.0, r.top()))
        unit = tr.map(QtCore.QPointF(1.0, r.top())).x() - origin.x()
        y_other = tr.map(QtCore.QPointF(0.0, r.bottom())).y()
        top, height = min(origin.y(), y_other), abs(y_other - origin.y())
        x_lo, x_hi = sorted((origin.x() + r.left() * unit, origin.x() + r.right() * unit))
        px0 = np.clip(origin.x() + self.starts[idx] * unit, x_lo, x_hi)
        px1 = np.clip(origin.x() + self.ends[idx] * unit, x_lo, x_hi)
        if unit < 0:
            px0, px1 = px1, px0
        m0, m1, first = merge_px(px0, px1)
        painter.save()
        painter.resetTransform()
        fill = QtGui.QColor(*FILL_RGBA)
        hatch = QtGui.QBrush(QtGui.QColor(*HATCH_RGBA), QtCore.Qt.BrushStyle.BDiagPattern)
        metrics = QtGui.QFontMetricsF(painter.font())
        painter.setPen(QtGui.QColor("#404040"))
        for a, b, k in zip(m0, m1, first):
            rect = QtCore.QRectF(a, top, max(1.0, b - a), height)
            painter.fillRect(rect, fill)
            painter.fillRect(rect, hatch)
            self.last_rects.append(rect)
            if self.label:
                text = (fit_label(metrics, label_of(*self.spans[idx[k]][2:]), rect.width() - 6)
                        or fit_label(metrics, "unreadable", rect.width() - 6))
                if text:
                    box = QtCore.QRectF(rect.left() + 3, rect.top() + 2, metrics.horizontalAdvance(text) + 6,
                                        metrics.height() + 2)
                    painter.fillRect(box, QtGui.QColor(255, 255, 255, 200))  # legible over the hatching
                    painter.drawText(box.adjusted(3, 0, 0, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
                    self.last_texts.append(text)
        painter.restore()
