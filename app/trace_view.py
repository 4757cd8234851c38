"""``TraceView``: the stacked-lead trace plot on calibrated ECG paper.

Coordinates of the plot: x in seconds from the start of the recording, y in millivolts with one row
per visible lead from the top (baseline of row k at ``lead_offset``) and annotation lanes below the
leads. Curves are positioned at the window start and hold x relative to it (float precision on
72-hour records). Data for the window comes from :class:`~app.workers.RenderWorker` (pyramid envelope
or filtered raw samples), so scrolling never blocks on file reads (:mod:`app.trace_render`).

Extension points for other panels:

* ``set_view(t0, t1)``, ``view_range()``, signal ``viewRangeChanged(t0, t1)`` (s);
* ``visible_leads()``, ``lead_offset(lead_idx)`` (y baseline, mV), ``lead_at_y(y)``, ``is_inverted(i)``;
* ``add_overlay(item)`` / ``remove_overlay(item)``: any pyqtgraph item in plot coordinates (ghost traces,
  heat strips); ``add_lane(name, LaneItem)`` / ``remove_lane(name)``: a band under the traces;
* signals ``mouseClicked(t_s, lead_idx, mV, button)`` and ``mouseHovered(t_s, lead_idx, mV)``;
  ``set_drag_handler(fn)`` lets an edit mode take over left-drags (``fn(ev, t_s, y) -> bool``);
* ``rendered()`` after new data is on screen; ``readFailed(str)`` when the file cannot be read;
  ``detach_source()`` stops all reads (the file changed on disk) and keeps what is drawn;
* ``calipers`` (:class:`~app.calipers.CaliperController`), ``curves`` (one ``PlotCurveItem`` per lead, in
  file order), ``wait_rendered()`` for tests and screenshots.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.io.recording import Recording
from anyecg_model.signal.filters import RAW, DisplayFilter
from anyecg_model.signal.pyramid import MinMaxPyramid

from .calipers import CaliperController
from .lanes import LaneItem
from .paper import GAINS_MM_MV, LIGHT, PaperColours, PaperGridItem, PaperScale, badge_text
from .trace_items import LeadNames, TimeAxis, TraceCurve, TraceViewBox
from .trace_render import TraceRendering
from .workers import RenderResult, RenderWorker

__all__ = ["TraceView", "TimeAxis", "LANE_PX"]

#: Height of one annotation lane in pixels.
LANE_PX = 22


class TraceView(TraceRendering, QtWidgets.QWidget):
    """Stacked leads of one recording on ECG paper (see module docstring for the public API); getting the
    window's samples on screen is :class:`~app.trace_render.TraceRendering`'s part."""

    viewRangeChanged = QtCore.Signal(float, float)
    mouseClicked = QtCore.Signal(float, int, float, int)
    mouseHovered = QtCore.Signal(float, int, float)
    rendered = QtCore.Signal()
    readFailed = QtCore.Signal(str)
    scaleChanged = QtCore.Signal()
    leadsChanged = QtCore.Signal()

    def __init__(self, parent=None, scale: PaperScale = PaperScale(), colours: PaperColours = LIGHT):
        super().__init__(parent)
        self.recording: Recording | None = None
        self.scale = scale
        self.colours = colours
        self._px_per_s = scale.px_per_s
        self._px_per_mv = scale.px_per_mv
        self._t0 = 0.0
        self._order: list[int] = []
        self._hidden: set[int] = set()
        self._inverted: set[int] = set()
        self._lanes: dict[str, LaneItem] = {}
        self._filter: DisplayFilter = RAW
        self._worker: RenderWorker | None = None
        self._seq = 0
        self._applied_seq = -1
        self.last_result: RenderResult | None = None
        self.drag_handler: Callable | None = None
        self._syncing = False
        self._last_waiting = False
        self._resume_pending = False

        self.viewbox = TraceViewBox(self)
        self.plot = pg.PlotWidget(viewBox=self.viewbox, axisItems={"bottom": TimeAxis("bottom")})
        self.plot.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.plot.hideButtons()
        self.plot.getPlotItem().hideAxis("left")
        self.plot.setAntialiasing(False)
        self.plot.scene().setItemIndexMethod(QtWidgets.QGraphicsScene.ItemIndexMethod.NoIndex)
        self.viewbox.setDefaultPadding(0.0)
        self.viewbox.disableAutoRange()
        self.grid = PaperGridItem(colours, scale.px_per_mm)
        self.viewbox.addItem(self.grid, ignoreBounds=True)
        self.curves: list[pg.PlotCurveItem] = []
        self.lead_names = LeadNames()
        self.viewbox.addItem(self.lead_names, ignoreBounds=True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.badge = QtWidgets.QLabel(self)
        self.badge.setObjectName("scaleBadge")
        self.badge.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self._render_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._render_timer.timeout.connect(self._submit_render)
        self.viewbox.sigXRangeChanged.connect(self._on_vb_range)
        self.viewbox.sigResized.connect(self._relayout)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.calipers = CaliperController(self)
        self.apply_colours(colours)

    # ------------------------------------------------------------------ recording
    def set_recording(self, recording: Recording | None, pyramid: MinMaxPyramid | None = None) -> None:
        """Show ``recording`` (None clears the view); the view starts at t = 0 at the current scale."""
        self._stop_worker()
        for item in self.curves:
            self.viewbox.removeItem(item)
        for name in list(self._lanes):
            self.remove_lane(name)
        self.calipers.clear()
        self.curves = []
        self.recording = recording
        self.last_result = None
        if recording is None:
            self._order = []
            self.lead_names.set_rows([])
            self.grid.update()
            return
        n = len(recording.leads)
        self._order = list(range(n))
        self._hidden, self._inverted = set(), set()
        for i, lead in enumerate(recording.leads):
            curve = TraceCurve(pen=self._trace_pen(), skipFiniteCheck=True)
            self.viewbox.addItem(curve, ignoreBounds=True)
            self.curves.append(curve)
        self._start_worker(recording, pyramid)
        self._t0 = 0.0
        self._relayout()

    def closeEvent(self, ev):
        self._stop_worker()
        super().closeEvent(ev)

    # ------------------------------------------------------------------ view range and scale
    @property
    def duration_s(self) -> float:
        return self.recording.duration_s if self.recording is not None else 0.0

    def plot_width_px(self) -> int:
        w = int(self.viewbox.width())
        return w if w > 10 else max(10, self.width() - 10)

    def plot_height_px(self) -> int:
        h = int(self.viewbox.height())
        return h if h > 10 else max(10, self.height() - 30)

    def page_s(self) -> float:
        """Seconds shown across the view."""
        return self.plot_width_px() / self._px_per_s

    def view_range(self) -> tuple[float, float]:
        """``(t0, t1)`` in seconds from the start of the recording."""
        return self._t0, self._t0 + self.page_s()

    def set_view(self, t0: float, t1: float) -> None:
        """Show ``[t0, t1]`` s (free zoom: the speed becomes whatever fits), clamped to the record."""
        if not (t1 > t0):
            return
        self._px_per_s = self.plot_width_px() / (t1 - t0)
        self._set_t0(t0)
        self.scaleChanged.emit()

    def _clamp_t0(self, t0: float) -> float:
        page = self.page_s()
        return float(min(max(0.0, t0), max(0.0, self.duration_s - page)))

    def _set_t0(self, t0: float) -> None:
        self._t0 = self._clamp_t0(t0)
        self._apply_range()

    def pan(self, dt: float) -> None:
        """Move the view by ``dt`` seconds (positive: later)."""
        self._set_t0(self._t0 + dt)

    def zoom_time(self, factor: float, anchor: float | None = None) -> None:
        """Multiply the page duration by ``factor`` keeping time ``anchor`` (s) fixed on screen."""
        t0, t1 = self.view_range()
        anchor = (t0 + t1) / 2 if anchor is None else anchor
        page = min(max((t1 - t0) * factor, 0.2), max(self.duration_s, 0.2) * 1.0)
        frac = (anchor - t0) / (t1 - t0)
        new_t0 = anchor - frac * page
        self._px_per_s = self.plot_width_px() / page
        self._set_t0(new_t0)
        self.scaleChanged.emit()

    def set_dpi(self, dpi: float) -> None:
        """Screen calibration (px/inch); keeps the current speed and gain in mm."""
        speed, gain = self.speed_mm_s(), self.gain_mm_mv()
        self.scale = PaperScale(dpi, self.scale.speed_mm_s, self.scale.gain_mm_mv)
        self.grid.set_px_per_mm(self.scale.px_per_mm)
        self._px_per_s = speed * self.scale.px_per_mm
        self._px_per_mv = gain * self.scale.px_per_mm
        self._relayout()
        self.scaleChanged.emit()

    def set_speed(self, mm_s: float) -> None:
        """Paper speed (mm/s) on the calibrated screen; the view keeps its start time."""
        self.scale = PaperScale(self.scale.dpi, mm_s, self.scale.gain_mm_mv)
        self._px_per_s = self.scale.px_per_s
        self._set_t0(self._t0)
        self.scaleChanged.emit()

    def set_gain(self, mm_mv: float) -> None:
        """Amplitude gain (mm/mV) on the calibrated screen."""
        self.scale = PaperScale(self.scale.dpi, self.scale.speed_mm_s, mm_mv)
        self._px_per_mv = self.scale.px_per_mv
        self._relayout()
        self.scaleChanged.emit()

    def step_gain(self, up: bool) -> None:
        """Next gain preset up or down (beyond the presets: doubling or halving)."""
        g = self.gain_mm_mv()
        presets = sorted(set(GAINS_MM_MV) | {g * 2 if up else g / 2})
        bigger = [p for p in presets if p > g * 1.001]
        smaller = [p for p in presets if p < g * 0.999]
        new = (bigger[0] if bigger else g * 2) if up else (smaller[-1] if smaller else g / 2)
        self.set_gain(float(min(max(new, 0.625), 320.0)))

    def px_per_s(self) -> float:
        """Horizontal scale of the view: screen pixels per second of signal."""
        return self._px_per_s

    def speed_mm_s(self) -> float:
        """Effective speed: mm of calibrated screen per second of signal."""
        return self._px_per_s / self.scale.px_per_mm

    def gain_mm_mv(self) -> float:
        return self._px_per_mv / self.scale.px_per_mm

    # ------------------------------------------------------------------ leads and rows
    def visible_leads(self) -> list[int]:
        """Lead indices drawn, top to bottom."""
        return [i for i in self._order if i not in self._hidden]

    def lead_order(self) -> list[int]:
        return list(self._order)

    def set_lead_order(self, order: list[int]) -> None:
        if sorted(order) != list(range(len(self.curves))):
            raise ValueError(f"lead order {order} is not a permutation of the leads")
        self._order = list(order)
        self._relayout()
        self.leadsChanged.emit()

    def set_lead_visible(self, lead: int, visible: bool) -> None:
        (self._hidden.discard if visible else self._hidden.add)(lead)
        self._relayout()
        self.leadsChanged.emit()

    def set_lead_inverted(self, lead: int, inverted: bool) -> None:
        (self._inverted.add if inverted else self._inverted.discard)(lead)
        if self.last_result is not None:
            self._apply_result(self.last_result)
        self._relayout()
        self.leadsChanged.emit()

    def is_inverted(self, lead: int) -> bool:
        return lead in self._inverted

    def row_height_mv(self) -> float:
        n = max(1, len(self.visible_leads()))
        lanes_px = LANE_PX * len(self._lanes)
        return max(10.0, self.plot_height_px() - lanes_px) / n / self._px_per_mv

    def lead_offset(self, lead: int) -> float:
        """y (mV, plot units) of the baseline of ``lead``; NaN when hidden."""
        vis = self.visible_leads()
        if lead not in vis:
            return math.nan
        return -(vis.index(lead) + 0.55) * self.row_height_mv()

    def lead_and_value_at(self, y: float) -> tuple[int, float]:
        """Lead index whose row contains plot y, and the amplitude (mV) y stands for on that lead."""
        vis = self.visible_leads()
        if not vis:
            return -1, math.nan
        row = int(np.clip(np.floor(-y / self.row_height_mv()), 0, len(vis) - 1))
        lead = vis[row]
        sign = -1.0 if lead in self._inverted else 1.0
        return lead, float((y - self.lead_offset(lead)) * sign)

    def lead_at_y(self, y: float) -> int:
        return self.lead_and_value_at(y)[0]

    # ------------------------------------------------------------------ overlays and lanes
    def add_overlay(self, item: QtWidgets.QGraphicsItem) -> None:
        """Add a graphics item in plot coordinates (x s, y mV rows)."""
        self.viewbox.addItem(item, ignoreBounds=True)

    def remove_overlay(self, item: QtWidgets.QGraphicsItem) -> None:
        self.viewbox.removeItem(item)

    def add_lane(self, name: str, item: LaneItem, position: int | None = None) -> None:
        """Add the annotation lane ``name`` under the traces: a new one at row ``position`` (None: last); an
        existing one is replaced in its row, so lanes never change order when re-added."""
        old = self._lanes.get(name)
        if old is not None:
            self.viewbox.removeItem(old)
        item.set_text_colour(self.colours.text)
        if old is None and position is not None:
            items = list(self._lanes.items())
            items.insert(max(0, min(position, len(items))), (name, item))
            self._lanes = dict(items)
        else:
            self._lanes[name] = item
        self.viewbox.addItem(item, ignoreBounds=True)
        self._relayout()

    def remove_lane(self, name: str) -> None:
        item = self._lanes.pop(name, None)
        if item is not None:
            self.viewbox.removeItem(item)
            self._relayout()

    def lanes(self) -> dict[str, LaneItem]:
        return dict(self._lanes)

    def set_drag_handler(self, handler: Callable | None) -> None:
        """``handler(ev, t_s, y)`` gets left-drags first; returning True consumes the event."""
        self.drag_handler = handler

    # ------------------------------------------------------------------ filters and colours
    def set_display_filter(self, filt: DisplayFilter) -> None:
        self._filter = filt
        self.request_render()

    def display_filter(self) -> DisplayFilter:
        return self._filter

    def _trace_pen(self) -> QtGui.QPen:
        pen = pg.mkPen(self.colours.trace, width=1)
        pen.setCosmetic(True)
        return pen

    def apply_colours(self, colours: PaperColours) -> None:
        self.colours = colours
        self.plot.setBackground(colours.background)
        self.grid.set_colours(colours)
        for c in self.curves:
            c.setPen(self._trace_pen())
        self.lead_names.set_colour(colours.text)
        for lane in self._lanes.values():
            lane.set_text_colour(colours.text)
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setPen(colours.text)
        axis.setTextPen(colours.text)
        self.badge.setStyleSheet(
            f"QLabel#scaleBadge {{ background: {colours.background}; color: {colours.text};"
            f" border: 1px solid {colours.major}; border-radius: 4px; padding: 2px 6px; font-weight: bold; }}")
        self._update_badge()

    # ------------------------------------------------------------------ layout and rendering
    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self._relayout()

    def _relayout(self, *args) -> None:
        if self.recording is None:
            self._update_badge()
            return
        row = self.row_height_mv()
        vis = self.visible_leads()
        for i, curve in enumerate(self.curves):
            curve.setVisible(i in vis)
        self.lead_names.set_rows([(self.recording.leads[i].name, self.lead_offset(i) + 0.55 * row) for i in vis])
        bottom_leads = -len(vis) * row
        lane_mv = LANE_PX / self._px_per_mv
        for k, lane in enumerate(self._lanes.values()):
            top = bottom_leads - k * lane_mv
            lane.set_band(top - lane_mv, top)
        self._t0 = self._clamp_t0(self._t0)
        self._apply_range()

    def _apply_range(self) -> None:
        t0, t1 = self.view_range()
        height_mv = self.plot_height_px() / self._px_per_mv
        self._syncing = True
        try:
            self.viewbox.setRange(xRange=(t0, t1), yRange=(-height_mv, 0), padding=0)
            # pyqtgraph defers the new view transform to the start of the next paint, where moving the items
            # marks them dirty again and queues a second full paint of the viewport: apply it now instead
            self.viewbox.updateMatrix()
        finally:
            self._syncing = False
        if self.last_result is not None:
            self._place_curves(self.last_result)
        self._update_badge()
        self.viewRangeChanged.emit(t0, t1)
        self.request_render()

    def _on_vb_range(self, *args) -> None:
        if self._syncing:
            return
        (x0, x1), _ = self.viewbox.viewRange()
        if x1 > x0:
            self._px_per_s = self.plot_width_px() / (x1 - x0)
            self._set_t0(x0)

    def _update_badge(self) -> None:
        self.badge.setText(badge_text(self.speed_mm_s(), self.gain_mm_mv()))
        self.badge.adjustSize()
        self.badge.move(self.width() - self.badge.width() - 8, 6)
        self.badge.raise_()

    @QtCore.Slot()
    def _resume_painting(self) -> None:
        if not self._resume_pending:
            return
        self._resume_pending = False
        self.plot.setUpdatesEnabled(True)
        self.rendered.emit()

    # ------------------------------------------------------------------ mouse and keys
    def _on_mouse_moved(self, scene_pos) -> None:
        if self.recording is None or not self.viewbox.sceneBoundingRect().contains(scene_pos):
            return
        p = self.viewbox.mapSceneToView(scene_pos)
        lead, mv = self.lead_and_value_at(p.y())
        self.mouseHovered.emit(float(p.x()), lead, mv)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        key, mods = ev.key(), ev.modifiers()
        shift = bool(mods & QtCore.Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & QtCore.Qt.KeyboardModifier.ControlModifier)
        K = QtCore.Qt.Key
        page = self.page_s()
        if key in (K.Key_Left, K.Key_Right, K.Key_Up, K.Key_Down) and self.calipers.nudge(key, shift):
            pass
        elif key in (K.Key_Left, K.Key_Right):
            step = page if shift else page / 4
            self.pan(step if key == K.Key_Right else -step)
        elif key == K.Key_PageDown:
            self.pan(page)
        elif key == K.Key_PageUp:
            self.pan(-page)
        elif key == K.Key_Home:
            self._set_t0(0.0)
        elif key == K.Key_End:
            self._set_t0(self.duration_s)
        elif key in (K.Key_Plus, K.Key_Equal) and not ctrl:
            self.step_gain(True)
        elif key in (K.Key_Minus, K.Key_Underscore) and not ctrl:
            self.step_gain(False)
        elif key in (K.Key_Plus, K.Key_Equal) and ctrl:
            self.zoom_time(0.5)
        elif key == K.Key_Minus and ctrl:
            self.zoom_time(2.0)
        elif key == K.Key_Escape:
            self.calipers.set_mode(None)
        else:
            super().keyPressEvent(ev)
            return
        ev.accept()
