"""Graphics pieces of the trace view: the lead curve, the clock-time axis and the view box that maps the
mouse wheel and drags to navigation (Ctrl+wheel: zoom time, Shift+wheel: gain, wheel: scroll, drag: pan)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from anyecg_model.timebase import TimeBase

if TYPE_CHECKING:
    from .trace_view import TraceView


class TraceCurve(pg.PlotCurveItem):
    """One lead's curve; its data bounds are set with the data instead of being searched each paint.

    A decimated window (each pixel column's min then max) is drawn as one vertical stroke per column, each
    stretched to touch its left neighbour's range so the trace stays continuous: the same pixels as the
    polyline through the (min, max) pairs, without its diagonal from one column's max to the next one's min,
    which rasterised every steep stretch twice (paint cost grew with the window's width)."""

    def set_trace(self, x: np.ndarray, y: np.ndarray, finite: bool, decimated: bool = False) -> None:
        if len(y) and finite:
            self._bounds = ((float(x[0]), float(x[-1])), (float(y.min()), float(y.max())))
        else:
            self._bounds = None
        if decimated and finite and len(y) >= 4:
            self.setSegmentedLineMode("on")
            self.setData(x, column_strokes(y), connect="pairs", skipFiniteCheck=True)
        else:
            self.setSegmentedLineMode("auto")
            self.setData(x, y, connect="all" if finite else "finite", skipFiniteCheck=finite)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        bounds = getattr(self, "_bounds", None)
        if bounds is None or frac != 1.0 or orthoRange is not None:
            return super().dataBounds(ax, frac, orthoRange)
        return bounds[ax]


class LeadNames(pg.GraphicsObject):
    """Every visible lead's name, bold, at the top left of its row, in screen pixels whatever the zoom: ONE item.

    Twelve ``pg.TextItem`` labels cost a twelfth of a trace paint each (a text document per label, its transform
    re-derived before every paint) and had to be moved at every scroll step. Here the names are drawn as cached
    static texts at the view's left edge: scrolling changes nothing in the item, and a paint is one
    ``drawStaticText`` per lead. :meth:`set_rows` is called when the rows change (layout, gain, leads shown)."""

    #: Pixels between a row's top left corner and its name (a text document's margin, as the labels had).
    PAD_PX = 4.0

    def __init__(self):
        super().__init__()
        self.setZValue(10)
        self.rows: list[tuple[str, float]] = []  # (name, top of the row in mV) per visible lead, top to bottom
        self.colour = QtGui.QColor("#222222")
        self.last_drawn: list[tuple[str, float, float]] = []  # (name, x px, y px) of the last paint
        self._texts: dict[str, QtGui.QStaticText] = {}

    def set_rows(self, rows: list[tuple[str, float]]) -> None:
        self.rows = [(str(name), float(top)) for name, top in rows]
        self.update()

    def set_colour(self, colour: str) -> None:
        self.colour = QtGui.QColor(colour)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        return QtCore.QRectF() if vb is None else vb.viewRect()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        self.last_drawn = []
        if vb is None or not self.rows:
            return
        tr = painter.transform()
        x = tr.map(QtCore.QPointF(vb.viewRect().left(), 0.0)).x() + self.PAD_PX
        painter.save()
        painter.resetTransform()
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.colour)
        for name, top in self.rows:
            y = tr.map(QtCore.QPointF(0.0, top)).y() + self.PAD_PX
            text = self._texts.get(name)
            if text is None:
                text = self._texts[name] = QtGui.QStaticText(name)
            painter.drawStaticText(QtCore.QPointF(x, y), text)
            self.last_drawn.append((name, x, y))
        painter.restore()


def column_strokes(y: np.ndarray) -> np.ndarray:
    """``y`` = (min, max) per pixel column, interleaved → the same pairs, each column's range widened to reach
    the previous column's (so the strokes join into one trace)."""
    lo, hi = np.minimum(y[0::2], y[1::2]), np.maximum(y[0::2], y[1::2])  # an inverted lead swaps them
    out = np.empty_like(y)
    out[0::2] = lo
    out[1::2] = hi
    out[2::2] = np.minimum(lo[1:], hi[:-1])
    out[3::2] = np.maximum(hi[1:], lo[:-1])
    return out


#: Tick spacings (s) a clock reader expects: sub-second paper steps, then seconds, minutes, hours.
TIME_TICKS_S = (0.04, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


class TimeAxis(pg.AxisItem):
    """Bottom axis in the recording's :class:`~anyecg_model.timebase.TimeBase`: clock time (ticks on round clock
    steps, ``(day 2)`` after midnight) when the file has a start time, else ``+h:mm:ss`` elapsed; tenths or
    milliseconds when zoomed in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timebase = TimeBase()

    def set_timebase(self, timebase: TimeBase) -> None:
        self.timebase = timebase
        self.picture = None
        self.update()

    def _clock_offset_s(self) -> float:
        start = self.timebase.start
        return 0.0 if start is None else start.hour * 3600.0 + start.minute * 60.0 + start.second + start.microsecond / 1e6

    def tickSpacing(self, minVal, maxVal, size):
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        target = span / max(2.0, size / (130.0 if self.timebase.is_clock else 110.0))
        major = next((t for t in TIME_TICKS_S if t >= target), TIME_TICKS_S[-1])
        return [(major, 0)]

    def tickValues(self, minVal, maxVal, size):
        """Ticks at whole multiples of the spacing in the shown time base (09:00:00, not 09:03:17)."""
        spacing = self.tickSpacing(minVal, maxVal, size)[0][0]
        if maxVal <= minVal or spacing <= 0:
            return super().tickValues(minVal, maxVal, size)
        offset = self._clock_offset_s()
        first = np.ceil((minVal + offset) / spacing - 1e-9) * spacing - offset
        return [(spacing, list(np.arange(first, maxVal + spacing * 1e-6, spacing)))]

    def tickStrings(self, values, scale, spacing):
        decimals = 0 if spacing >= 1 else (1 if spacing >= 0.1 else 2)
        return [self.timebase.at(v, decimals, label=False) for v in values]


def drag_to_handler(viewbox: pg.ViewBox, ev) -> bool:
    """Give a left-drag to the owner's ``drag_handler`` (a caliper or an edit mode) at its view coordinates
    (s, mV); True (event accepted) when the handler took it."""
    handler = viewbox.owner.drag_handler
    if handler is None or ev.button() != QtCore.Qt.MouseButton.LeftButton:
        return False
    p = viewbox.mapSceneToView(ev.scenePos())
    if handler(ev, p.x(), p.y()):
        ev.accept()
        return True
    return False


class TraceViewBox(pg.ViewBox):
    """View box of the trace plot: plain wheel scrolls time, Ctrl+wheel zooms time around the cursor,
    Shift+wheel zooms amplitude (free gain), left-drag pans (or goes to the drag handler of a caliper/edit mode)."""

    def __init__(self, owner: "TraceView"):
        super().__init__(enableMenu=False)
        self.owner = owner
        self.setMouseEnabled(x=True, y=False)

    def wheelEvent(self, ev, axis=None):
        delta = ev.delta() if hasattr(ev, "delta") else ev.angleDelta().y()
        steps = delta / 120.0
        x = self.mapSceneToView(ev.scenePos()).x()
        if ev.modifiers() & QtCore.Qt.KeyboardModifier.ControlModifier:
            self.owner.zoom_time(1.25 ** (-steps), anchor=x)
        elif ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            self.owner.set_gain(float(np.clip(self.owner.gain_mm_mv() * 1.25 ** steps, 0.625, 320.0)))
        else:
            t0, t1 = self.owner.view_range()
            self.owner.pan(-(t1 - t0) * 0.1 * steps)
        ev.accept()

    def mouseDragEvent(self, ev, axis=None):
        if drag_to_handler(self, ev):
            return
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            ev.accept()
            last = self.mapSceneToView(ev.lastScenePos()).x()
            now = self.mapSceneToView(ev.scenePos()).x()
            self.owner.pan(last - now)
            return
        ev.ignore()

    def mouseClickEvent(self, ev):
        p = self.mapSceneToView(ev.scenePos())
        lead, mv = self.owner.lead_and_value_at(p.y())
        self.owner.mouseClicked.emit(float(p.x()), lead, mv, int(ev.button().value))
        ev.accept()
