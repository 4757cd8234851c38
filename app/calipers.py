"""Calipers on the trace view: time (Δt in ms and the heart rate it implies) and amplitude (ΔmV).

In caliper mode a left-drag on the traces places a caliper from the press to the release point; its
two lines can then be dragged, and the arrow keys nudge the active line by one pixel (Shift: move the
whole caliper). March-out repeats a time caliper's interval across the strip, the way a cardiologist
walks dividers along the rhythm strip to check regularity. ``changed(str)`` carries the reading.

A caliper starts where the mouse button went down (not where the drag was recognised, a few pixels on). On a
view made of panels (the 3 × 4 page: ``view.panel_at(x, y)``) it belongs to the panel it was placed in: its
lines span that panel only, and its reading names the lead and gives the distance on paper in mm as well
(``view.paper_mm_per(kind)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

if TYPE_CHECKING:
    from .trace_view import TraceView

CALIPER_COLOUR = "#1565c0"


def time_reading(dt_s: float) -> str:
    """``Δt 800 ms · 75 bpm`` for a time caliper of ``dt_s`` seconds."""
    dt = abs(dt_s)
    hr = f" · {60.0 / dt:.0f} bpm" if dt > 1e-6 else ""
    return f"Δt {dt * 1000:.0f} ms{hr}"


def amplitude_reading(dmv: float) -> str:
    return f"ΔV {abs(dmv):.2f} mV"


class MarchOutItem(pg.GraphicsObject):
    """Dashed lines at ``a + k·Δt`` across the visible range: one item for all repeats."""

    def __init__(self):
        super().__init__()
        self.a = 0.0
        self.dt = 0.0
        self.setZValue(80)

    def set_interval(self, a: float, dt: float) -> None:
        self.a, self.dt = a, dt
        self.update()

    def positions(self) -> np.ndarray:
        vb = self.getViewBox()
        if vb is None or abs(self.dt) < 1e-6:
            return np.zeros(0)
        (x0, x1), _ = vb.viewRange()
        d = abs(self.dt)
        k = np.arange(np.ceil((x0 - self.a) / d), np.floor((x1 - self.a) / d) + 1)
        return self.a + k * d

    def boundingRect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        return vb.viewRect() if vb is not None else QtCore.QRectF()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        r = vb.viewRect()
        pen = QtGui.QPen(QtGui.QColor(CALIPER_COLOUR))
        pen.setCosmetic(True)
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLines([QtCore.QLineF(x, r.top(), x, r.bottom()) for x in self.positions()])


class Caliper:
    """Two lines (vertical for ``kind='time'``, horizontal for ``'amplitude'``) and a reading label."""

    def __init__(self, view: "TraceView", kind: str, a: float, b: float, panel=None):
        self.view, self.kind = view, kind
        self.panel = panel  # (name, (x0, x1), (y_bottom, y_top)) on a paged view, else None
        angle = 90 if kind == "time" else 0
        pen = pg.mkPen(CALIPER_COLOUR, width=2)
        self.lines = [pg.InfiniteLine(pos=v, angle=angle, movable=True, pen=pen) for v in (a, b)]
        self.label = pg.TextItem("", color=CALIPER_COLOUR, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 200))
        self.active = 1
        for i, line in enumerate(self.lines):
            line.setZValue(90)
            view.add_overlay(line)
            line.sigPositionChanged.connect(self.update)
            line.sigDragged.connect(lambda *_, i=i: setattr(self, "active", i))
        self.label.setZValue(95)
        view.add_overlay(self.label)
        self.march = MarchOutItem() if kind == "time" else None
        if self.march is not None:
            self.march.setVisible(False)
            view.add_overlay(self.march)
        view.viewRangeChanged.connect(self.update)
        self.update()

    def values(self) -> tuple[float, float]:
        return float(self.lines[0].value()), float(self.lines[1].value())

    def delta(self) -> float:
        a, b = self.values()
        return b - a

    def reading(self) -> str:
        text = time_reading(self.delta()) if self.kind == "time" else amplitude_reading(self.delta())
        if self.panel is None:
            return text
        mm = abs(self.delta()) * self.view.paper_mm_per(self.kind)
        head, _, tail = text.partition(" · ")
        return f"{self.panel[0]}: {head} = {mm:.1f} mm" + (f" · {tail}" if tail else "")

    def set_values(self, a: float, b: float) -> None:
        self.lines[0].setValue(a)
        self.lines[1].setValue(b)

    def set_march_out(self, on: bool) -> None:
        if self.march is not None:
            self.march.setVisible(on)
            self.update()

    def update(self, *args) -> None:
        a, b = self.values()
        t0, t1 = self.view.view_range()
        self.label.setText(self.reading())
        if self.panel is not None:
            band = self.view.panel_band(self.panel[0])  # rows move apart or together as the window resizes
            if band is not None:
                self.panel = (self.panel[0], *band)
            self._span_panel()
        left = t0 + 0.02 * (t1 - t0) if self.panel is None else self.panel[1][0]
        if self.kind == "time":
            # on a panel the reading sits at its foot, clear of the lead name at its head
            self.label.setAnchor((0, 0) if self.panel is None else (0, 1))
            self.label.setPos(min(a, b), 0 if self.panel is None else self.panel[2][0])
            if self.march is not None:
                self.march.set_interval(a, b - a)
        else:
            self.label.setPos(left, max(a, b))

    def _span_panel(self) -> None:
        """Limit the lines to the caliper's panel (fractions of the view along each line)."""
        (vx0, vx1), (vy0, vy1) = self.view.viewbox.viewRange()
        lo, hi = self.panel[2] if self.kind == "time" else self.panel[1]
        v0, v1 = (vy0, vy1) if self.kind == "time" else (vx0, vx1)
        if v1 > v0:
            for line in self.lines:
                line.setSpan(max(0.0, (lo - v0) / (v1 - v0)), min(1.0, (hi - v0) / (v1 - v0)))

    def remove(self) -> None:
        self.view.viewRangeChanged.disconnect(self.update)
        for item in [*self.lines, self.label] + ([self.march] if self.march else []):
            self.view.remove_overlay(item)


class CaliperController(QtCore.QObject):
    """Caliper mode of a trace view: ``set_mode('time' | 'amplitude' | None)``, placement by drag,
    nudging by arrow keys, march-out."""

    changed = QtCore.Signal(str)

    def __init__(self, view: "TraceView"):
        super().__init__(view)
        self.view = view
        self.mode: str | None = None
        self.calipers: list[Caliper] = []
        self.march_out = False

    @property
    def current(self) -> Caliper | None:
        return self.calipers[-1] if self.calipers else None

    def set_mode(self, mode: str | None) -> None:
        if mode not in (None, "time", "amplitude"):
            raise ValueError(f"unknown caliper mode {mode!r}")
        self.mode = mode
        self.view.set_drag_handler(self._on_drag if mode else None)
        self.view.setCursor(QtCore.Qt.CursorShape.CrossCursor if mode else QtCore.Qt.CursorShape.ArrowCursor)

    def place(self, kind: str, a: float, b: float, at: tuple[float, float] | None = None) -> Caliper:
        """Place a caliper from ``a`` to ``b`` (s for time, plot mV for amplitude); replaces one of that kind.
        On a paged view, ``at`` (x, y) picks the panel it measures on."""
        for c in [c for c in self.calipers if c.kind == kind]:
            c.remove()
            self.calipers.remove(c)
        panel_at = getattr(self.view, "panel_at", None)
        panel = panel_at(*at) if panel_at is not None and at is not None else None
        cal = Caliper(self.view, kind, a, b, panel)
        for line in cal.lines:
            line.sigPositionChanged.connect(lambda *_: self.changed.emit(self.reading()))
        cal.set_march_out(self.march_out)
        self.calipers.append(cal)
        self.changed.emit(self.reading())
        return cal

    def clear(self) -> None:
        for c in self.calipers:
            c.remove()
        self.calipers = []
        self.changed.emit("")

    def set_march_out(self, on: bool) -> None:
        self.march_out = on
        for c in self.calipers:
            c.set_march_out(on)

    def reading(self) -> str:
        return "   ".join(c.reading() for c in self.calipers)

    def _on_drag(self, ev, t: float, y: float) -> bool:
        if ev.isStart():
            # the drag is recognised a few pixels after the press: start where the button went down
            p = self.view.viewbox.mapSceneToView(ev.buttonDownScenePos())
            start = p.x() if self.mode == "time" else p.y()
            self._drag_start = start
            self.place(self.mode, start, t if self.mode == "time" else y, at=(p.x(), p.y()))
            return True
        value = t if self.mode == "time" else y
        if self.current is not None:
            self.current.set_values(self._drag_start, value)
        return True

    def nudge(self, key: int, whole: bool) -> bool:
        """Arrow-key nudge of the newest caliper by one pixel; False when no caliper takes the key."""
        cal = self.current
        if cal is None or self.mode is None:
            return False
        K = QtCore.Qt.Key
        horizontal = key in (K.Key_Left, K.Key_Right)
        if horizontal != (cal.kind == "time"):
            return False
        vb = self.view.viewbox
        px = vb.viewPixelSize()[0 if horizontal else 1]
        step = px * (1 if key in (K.Key_Right, K.Key_Up) else -1)
        a, b = cal.values()
        if whole:
            cal.set_values(a + step, b + step)
        elif cal.active == 0:
            cal.set_values(a + step, b)
        else:
            cal.set_values(a, b + step)
        return True
