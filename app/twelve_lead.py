"""``TwelveLeadView``: the clinical 3 × 4 printout of a standard 12-lead ECG.

Rows I/aVR/V1/V4, II/aVL/V2/V5, III/aVF/V3/V6; column ``c`` shows seconds ``[2.5c, 2.5c + 2.5)`` of a
10-s page starting at ``t0``, as a printed ECG does, followed by a full-length rhythm strip (lead II by
default). Each row starts with a 1 mV, 0.2 s calibration pulse. Drawn on the same calibrated paper
as the trace view (default 25 mm/s, 10 mm/mV); x is seconds from the page start. The model's beat classes
(:meth:`TwelveLeadView.set_beat_marks`) are written above the rhythm strip, coloured by class. Generated leads
(:meth:`TwelveLeadView.set_generated`) are drawn in their cells as dashed purple "ghost" traces with a boxed
"<lead> generated" label, never in the measured trace's solid pen.

*Fit to window* (:meth:`TwelveLeadView.set_fit`, View ▸ Fit 3 × 4 to window) scales the whole page, paper grid
included, by one factor so the 10.6 s of the page fill the width (or the rows the height, whichever is
smaller); the rows then spread apart to use the height left. Speed and gain keep their meaning on the page
(1 mV is always ten 1-mm boxes, 0.2 s five) and the badge says the scale, e.g. ``25 mm/s · 10 mm/mV · 84 %``.
Hovering reports ``mouseHovered(t_s, lead_idx, mV)`` and the calipers (:attr:`TwelveLeadView.calipers`) measure
on the panel they are placed in.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from anyecg_model.io.recording import Recording, RecordingError
from anyecg_model.report.paper import GENERATED_HEX
from anyecg_model.signal.filters import RAW, DisplayFilter, filtered_window

from .calipers import CaliperController
from .lanes import CLASS_COLOURS
from .paper import LIGHT, PaperColours, PaperGridItem, PaperScale, badge_text
from .trace_items import drag_to_handler

LAYOUT_3X4: tuple[tuple[str, ...], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
COLUMN_S = 2.5
PAGE_S = 4 * COLUMN_S
ROW_MV = 3.0  # 30 mm between baselines at 10 mm/mV
PULSE_X = (-0.4, -0.2)  # calibration pulse: 0.2 s wide, 1 mV tall, left of the traces
PAGE_X = (-0.6, PAGE_S + 0.1)  # page seconds shown: the pulses, the 10 s and a margin
PAGE_ROWS = 4.2  # rows of height a page needs: three 3 × 4 rows, the rhythm strip, the margins
MAX_ROW_MV = 5.0  # rows spread to fill the height up to 50 mm apart (at 10 mm/mV)
GHOST_COLOUR = GENERATED_HEX  # generated (never measured) traces, as in the strip view and on paper


def is_standard_12lead(recording: Recording) -> bool:
    names = set(recording.lead_names)
    return all(n in names for row in LAYOUT_3X4 for n in row)


class TwelveLeadView(QtWidgets.QWidget):
    """3 × 4 clinical layout with rhythm strip; ``cells`` maps lead name → (x0 s, x1 s, row).

    ``pageChanged(t0_s)`` is emitted when the keyboard moves the page; ``mouseHovered(t_s, lead_idx, mV)`` with
    the time from the record start, lead and amplitude under the pointer (lead -1 outside every panel)."""

    pageChanged = QtCore.Signal(float)
    mouseHovered = QtCore.Signal(float, int, float)
    viewRangeChanged = QtCore.Signal(float, float)

    def __init__(self, parent=None, scale: PaperScale = PaperScale(), colours: PaperColours = LIGHT):
        super().__init__(parent)
        self.scale = scale
        self.colours = colours
        self.recording: Recording | None = None
        #: When True (a page of the main window's stack) the page is drawn only while shown: hidden behind the
        #: stacked strips of a Holter it would read and draw a page on every open and resize (issue 19).
        self.draw_when_shown = False
        self._stale = False
        self.rhythm_lead = "II"
        self.t0 = 0.0
        self.filt: DisplayFilter = RAW
        self.cells: dict[str, tuple[float, float, int]] = {}
        self.beat_times_s = np.zeros(0)
        self.beat_labels: list[str] = []
        self.generated: dict[str, tuple[float, float, np.ndarray]] = {}
        self.dim_measured = False
        self.curves: dict[str, pg.PlotCurveItem] = {}
        self.ghosts: dict[str, pg.PlotCurveItem] = {}
        self.fit = False
        self.zoom = 1.0  # screen px per calibrated px (fit to window), grid included
        self.row_mv = ROW_MV
        self.drag_handler = None
        self.viewbox = PageViewBox(self)
        self.plot = pg.PlotWidget(viewBox=self.viewbox)
        self.plot.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.plot.hideButtons()
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.grid = PaperGridItem(colours, scale.px_per_mm)
        self.viewbox.addItem(self.grid, ignoreBounds=True)
        self._items: list = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.badge = QtWidgets.QLabel(self)
        self.badge.setObjectName("scaleBadge")
        self.badge.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.viewbox.sigResized.connect(self._on_resized)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.calipers = CaliperController(self)
        self.apply_colours(colours)

    def apply_colours(self, colours: PaperColours) -> None:
        self.colours = colours
        self.plot.setBackground(colours.background)
        self.grid.set_colours(colours)
        self.badge.setStyleSheet(
            f"QLabel#scaleBadge {{ background: {colours.background}; color: {colours.text};"
            f" border: 1px solid {colours.major}; border-radius: 4px; padding: 2px 6px; font-weight: bold; }}")
        self.redraw()

    def set_scale(self, scale: PaperScale) -> None:
        self.scale = scale
        self._on_resized()

    def set_fit(self, on: bool) -> None:
        """Fit the page to the window (True) or draw it at the calibrated paper size (False)."""
        self.fit = bool(on)
        self._on_resized()

    def badge_text(self) -> str:
        """Speed, gain and the page's scale on screen (``true size`` at the calibrated paper size)."""
        size = "true size" if abs(self.zoom - 1.0) < 5e-3 else f"{self.zoom:.0%}"
        return f"{badge_text(self.scale.speed_mm_s, self.scale.gain_mm_mv)} · {size}"

    def page_fit(self, w_px: float, h_px: float) -> tuple[float, float]:
        """``(zoom, row_mv)`` for a plot of ``w_px`` × ``h_px``: one scale for both axes (true paper proportions);
        in fit mode the page fills the width or the height, and the rows spread over the height left."""
        if not self.fit:
            return 1.0, ROW_MV
        need_w = (PAGE_X[1] - PAGE_X[0]) * self.scale.px_per_s
        need_h = PAGE_ROWS * ROW_MV * self.scale.px_per_mv
        zoom = max(0.2, min(w_px / need_w, h_px / need_h))
        row_mv = min(MAX_ROW_MV, max(ROW_MV, h_px / (zoom * self.scale.px_per_mv) / PAGE_ROWS))
        return zoom, row_mv

    def _on_resized(self, *args) -> None:
        zoom, row_mv = self.page_fit(max(10.0, self.viewbox.width()), max(10.0, self.viewbox.height()))
        self.zoom = zoom
        self.grid.set_px_per_mm(self.scale.px_per_mm * zoom)
        if abs(row_mv - self.row_mv) > 1e-6:
            self.row_mv = row_mv
            self.redraw()
        else:
            self._apply_range()

    def set_recording(self, recording: Recording | None, t0: float = 0.0) -> None:
        """Show ``recording`` from ``t0`` s; another recording drops the beat marks and generated traces of the
        previous one, so they are never drawn over it."""
        if recording is not self.recording:
            self.beat_times_s, self.beat_labels = np.zeros(0), []
            self.generated, self.dim_measured = {}, False
        self.recording = recording
        self.t0 = t0
        self.redraw()

    def set_page_start(self, t0: float) -> None:
        self.t0 = t0
        self.redraw()

    def set_rhythm_lead(self, name: str) -> None:
        """Lead drawn full length under the 3 × 4 grid (lead II by default)."""
        self.rhythm_lead = name
        self.redraw()

    def set_filter(self, filt: DisplayFilter) -> None:
        self.filt = filt
        self.redraw()

    def set_beat_marks(self, times_s: np.ndarray, labels: list[str]) -> None:
        """Beat classes (``N``, ``S``, ``V``, ``F``, ``Q``) at ``times_s`` (s from the record start), written
        above the rhythm strip for the beats on the current page; empty arrays clear them."""
        times = np.asarray(times_s, dtype=float)
        if len(times) == len(self.beat_times_s) and np.array_equal(times, self.beat_times_s) \
                and list(labels) == self.beat_labels:
            return
        self.beat_times_s, self.beat_labels = times, list(labels)
        self.redraw()

    def set_generated(self, leads: dict[str, tuple[float, float, np.ndarray]], dim_measured: bool = False) -> None:
        """Generated traces by lead name: ``(t0_s, fs_hz, mV)`` with t0 from the record start; drawn dashed over
        the cells (and the rhythm strip) of those leads. ``dim_measured`` fades their measured traces
        ("generated only"); an empty dict removes every ghost."""
        self.generated = {k: (float(t0), float(fs), np.asarray(mv, np.float32)) for k, (t0, fs, mv) in leads.items()}
        self.dim_measured = bool(dim_measured)
        self.redraw()

    def _apply_range(self, *args) -> None:
        w = max(10.0, self.viewbox.width())
        h = max(10.0, self.viewbox.height())
        x0 = PAGE_X[0]
        px_per_s, px_per_mv = self.scale.px_per_s * self.zoom, self.scale.px_per_mv * self.zoom
        self.viewbox.setRange(xRange=(x0, x0 + w / px_per_s), yRange=(-h / px_per_mv, 0), padding=0)
        self.badge.setText(self.badge_text())
        self.badge.adjustSize()
        # bottom right: the top right holds the V4 label when the page fills the width
        self.badge.move(self.width() - self.badge.width() - 8, self.height() - self.badge.height() - 6)
        self.badge.raise_()
        self.viewRangeChanged.emit(*self.view_range())

    # ------------------------------------------------------------------ geometry of the page
    def baseline(self, row: int) -> float:
        """y (mV, plot units) of the baseline of ``row`` (0–2: the 3 × 4 rows, 3: the rhythm strip)."""
        return -(row + 0.6) * self.row_mv

    def view_range(self) -> tuple[float, float]:
        """Page seconds ``(x0, x1)`` across the plot (x = 0 is the page start ``t0``)."""
        (x0, x1), _ = self.viewbox.viewRange()
        return float(x0), float(x1)

    def panel_band(self, key: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """``((x0, x1) s, (y_bottom, y_top) mV)`` of the panel ``key`` as now laid out, or None when not drawn."""
        if key not in self.cells:
            return None
        x0, x1, r = self.cells[key]
        base = self.baseline(r)
        return (x0, x1), (base - 0.5 * self.row_mv, base + 0.5 * self.row_mv)

    def panel_at(self, x: float, y: float) -> tuple[str, tuple[float, float], tuple[float, float]] | None:
        """The panel under page point ``(x s, y mV)``: ``(key, (x0, x1) s, (y_bottom, y_top) mV)``, or None."""
        row = int(np.floor(-y / self.row_mv - 0.6 + 0.5))
        for key, (x0, x1, r) in self.cells.items():
            if r == row and x0 <= x < x1:
                return (key, *self.panel_band(key))
        return None

    def sample_at(self, x: float, y: float) -> tuple[float, int, float]:
        """``(t_s, lead_idx, mV)`` under page point ``(x, y)``: time from the record start, the panel's lead and
        the amplitude y stands for on it; lead -1 outside every panel."""
        hit = self.panel_at(x, y)
        if hit is None or self.recording is None:
            return self.t0 + x, -1, float("nan")
        key, _, _ = hit
        row = self.cells[key][2]
        return self.t0 + x, self.recording.lead_index(key.split(" ")[0]), float(y - self.baseline(row))

    # ------------------------------------------------------------------ caliper view protocol
    def add_overlay(self, item) -> None:
        """A graphics item in page coordinates (x page s, y mV), kept across redraws (calipers)."""
        self.viewbox.addItem(item, ignoreBounds=True)

    def remove_overlay(self, item) -> None:
        self.viewbox.removeItem(item)

    def paper_mm_per(self, kind: str) -> float:
        """Paper mm per unit of a caliper of ``kind``: per second (speed) for ``time``, per mV (gain) otherwise."""
        return self.scale.speed_mm_s if kind == "time" else self.scale.gain_mm_mv

    def set_drag_handler(self, handler) -> None:
        """``handler(ev, x, y) -> bool`` gets left-drags (caliper mode)."""
        self.drag_handler = handler

    def _on_mouse_moved(self, scene_pos) -> None:
        if self.recording is None or not self.viewbox.sceneBoundingRect().contains(scene_pos):
            return
        p = self.viewbox.mapSceneToView(scene_pos)
        t, lead, mv = self.sample_at(p.x(), p.y())
        self.mouseHovered.emit(float(t), lead, mv)
        self.plot.setToolTip(self.describe(p.x(), t, lead, mv))

    def describe(self, x: float, t: float, lead: int, mv: float) -> str:
        """Tooltip of a page point: lead, time and amplitude, and the model's beat class of a beat under it."""
        if lead < 0 or self.recording is None:
            return ""
        text = f"{self.recording.leads[lead].name} · {t:.3f} s · {mv:+.2f} mV"
        if len(self.beat_times_s):
            k = int(np.argmin(np.abs(self.beat_times_s - t)))
            if abs(self.beat_times_s[k] - t) < 0.08:
                text += f" · model beat {self.beat_labels[k]}"
        return text

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.redraw()

    def redraw(self) -> None:
        if self.draw_when_shown and not self.isVisible():
            self._stale = True
            return
        self._stale = False
        for item in self._items:
            self.viewbox.removeItem(item)
        self._items, self.cells, self.curves, self.ghosts = [], {}, {}, {}
        rec = self.recording
        if rec is None or not is_standard_12lead(rec):
            return
        fs = rec.fs
        s0 = int(round(self.t0 * fs))
        n = int(round(PAGE_S * fs))
        try:
            page = filtered_window(rec, s0, s0 + n, None, self.filt)
        except RecordingError:
            return
        pen = pg.mkPen(self.colours.trace, width=1)
        rows = [*LAYOUT_3X4, (self.rhythm_lead,)]
        for r, names in enumerate(rows):
            base = self.baseline(r)
            pulse = pg.PlotCurveItem([PULSE_X[0] - 0.05, PULSE_X[0], PULSE_X[0], PULSE_X[1], PULSE_X[1], PULSE_X[1] + 0.05],
                                     [base, base, base + 1, base + 1, base, base], pen=pen)
            self._add(pulse)
            for c, name in enumerate(names):
                full = len(names) == 1
                x0 = 0.0 if full else c * COLUMN_S
                x1 = PAGE_S if full else x0 + COLUMN_S
                a, b = int(round(x0 * fs)), min(page.shape[1], int(round(x1 * fs)))
                y = page[rec.lead_index(name), a:b]
                x = np.arange(a, a + len(y)) / fs
                curve = pg.PlotCurveItem(x, y + base, pen=pen, connect="finite")
                self._add(curve)
                key = name if not full else f"{name} rhythm"
                self.curves[key] = curve
                self.cells[key] = (x0, x1, r)
                label = pg.TextItem(name, color=self.colours.text, anchor=(0, 0))
                label.setPos(x0 + 0.05, base + 0.55 * self.row_mv)
                self._add(label)
                if name in self.generated:
                    self._draw_ghost(key, name, x0, x1, base)
                if c > 0:
                    tick = pg.PlotCurveItem([x0, x0], [base - 0.3, base + 0.3], pen=pen)
                    self._add(tick)
        self._draw_beat_marks(self.baseline(len(rows) - 1) + 0.45 * self.row_mv)
        self._apply_range()

    def _draw_ghost(self, key: str, name: str, x0: float, x1: float, base: float) -> None:
        """The generated trace of ``name`` over page seconds ``[x0, x1)``, dashed, with its label."""
        g0, gfs, mv = self.generated[name]
        a = max(0, int(np.ceil((self.t0 + x0 - g0) * gfs - 1e-6)))
        b = min(len(mv), int(np.ceil((self.t0 + x1 - g0) * gfs - 1e-6)))
        if b <= a:
            return
        pen = pg.mkPen(GHOST_COLOUR, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        ghost = pg.PlotCurveItem(g0 - self.t0 + np.arange(a, b) / gfs, mv[a:b] + base, pen=pen)
        ghost.setZValue(5)
        self._add(ghost)
        self.ghosts[key] = ghost
        if self.dim_measured:
            self.curves[key].setOpacity(0.12)
        label = pg.TextItem(f"{name} generated", color=GHOST_COLOUR, anchor=(0, 0),
                            fill=pg.mkBrush(255, 255, 255, 220), border=pg.mkPen(GHOST_COLOUR))
        font = label.textItem.font()
        font.setItalic(True)
        font.setBold(True)
        label.setFont(font)
        label.setPos(x0 + 0.45, base + 0.55 * self.row_mv)
        self._add(label)

    def _draw_beat_marks(self, y: float) -> None:
        """One text item per beat of this 10-s page (a page holds a few dozen beats at most)."""
        lo, hi = np.searchsorted(self.beat_times_s, [self.t0, self.t0 + PAGE_S])
        for t, label in zip(self.beat_times_s[lo:hi], self.beat_labels[lo:hi]):
            mark = pg.TextItem(label, color=CLASS_COLOURS.get(label, self.colours.text), anchor=(0.5, 1))
            mark.setPos(t - self.t0, y)
            self._add(mark)

    def keyPressEvent(self, ev) -> None:
        """←/→ move a column (2.5 s; Shift or PgUp/PgDn: a page of 10 s), Home/End."""
        K = QtCore.Qt.Key
        shift = bool(ev.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier)
        end = max(0.0, self.recording.duration_s - PAGE_S) if self.recording is not None else 0.0
        step = {K.Key_Left: -COLUMN_S, K.Key_Right: COLUMN_S, K.Key_PageUp: -PAGE_S, K.Key_PageDown: PAGE_S}
        if ev.key() in (K.Key_Left, K.Key_Right, K.Key_Up, K.Key_Down) and self.calipers.nudge(ev.key(), shift):
            ev.accept()
            return
        if ev.key() == K.Key_Escape:
            self.calipers.set_mode(None)
            ev.accept()
            return
        if ev.key() in step:
            delta = step[ev.key()] * (4 if shift and ev.key() in (K.Key_Left, K.Key_Right) else 1)
            self.set_page_start(float(np.clip(self.t0 + delta, 0.0, end)))
        elif ev.key() in (K.Key_Home, K.Key_End):
            self.set_page_start(0.0 if ev.key() == K.Key_Home else end)
        else:
            super().keyPressEvent(ev)
            return
        self.pageChanged.emit(self.t0)
        ev.accept()

    def _add(self, item) -> None:
        self.viewbox.addItem(item, ignoreBounds=True)
        self._items.append(item)


class PageViewBox(pg.ViewBox):
    """View box of the 3 × 4 page: fixed (no pan or zoom); left-drags go to the caliper's drag handler."""

    def __init__(self, owner: TwelveLeadView):
        super().__init__(enableMenu=False)
        self.owner = owner
        self.setMouseEnabled(x=False, y=False)

    def mouseDragEvent(self, ev, axis=None):
        if not drag_to_handler(self, ev):
            ev.ignore()

    def wheelEvent(self, ev, axis=None):
        ev.ignore()
