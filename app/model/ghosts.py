"""Generated leads on screen: :class:`GhostTraces` draws each generated lead as a dashed "ghost" trace
labelled "<lead> generated" on its lead's row of the strips, and hands it to the 3 × 4 page, in one of the
:data:`SHOW_MODES` (measured + generated, generated only: the measured trace dimmed, measured only).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from anyecg_model.report.paper import GENERATED_HEX

from .overlays import ghost_pen

SHOW_MODES = ("measured + generated", "generated only", "measured only")


class GhostTraces(QtCore.QObject):
    """Dashed generated traces on the rows of their leads, each labelled "<lead> generated", in the strip view
    ``trace`` and in the 3 × 4 layout ``twelve_lead`` (its cells of those leads)."""

    def __init__(self, trace, twelve_lead=None, parent=None):
        super().__init__(parent)
        self.trace = trace
        self.twelve_lead = twelve_lead
        self.items: dict[int, tuple[pg.PlotCurveItem, pg.TextItem]] = {}
        self.data: dict[int, tuple[float, float, np.ndarray]] = {}  # lead -> (t0_s, fs, mV)
        self.mode = SHOW_MODES[0]
        trace.leadsChanged.connect(self.place)
        trace.scaleChanged.connect(self.place)
        trace.rendered.connect(self.place)

    def set_lead(self, lead: int, t0: float, fs: float, mv: np.ndarray) -> None:
        if lead not in self.items:
            curve = pg.PlotCurveItem(pen=ghost_pen())
            curve.setZValue(20)
            label = pg.TextItem(f"{self.trace.recording.leads[lead].name} generated", color=GENERATED_HEX,
                                anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 220), border=pg.mkPen(GENERATED_HEX))
            label.setZValue(60)
            f = label.textItem.font()
            f.setItalic(True)
            f.setBold(True)
            label.setFont(f)
            self.trace.add_overlay(curve)
            self.trace.add_overlay(label)
            self.items[lead] = (curve, label)
        self.data[lead] = (t0, fs, np.asarray(mv, np.float32))
        self.place()
        self._publish()

    def clear(self) -> None:
        for lead in list(self.items):
            self.remove_lead(lead, publish=False)
        self._publish()

    def remove_lead(self, lead: int, publish: bool = True) -> None:
        curve, label = self.items.pop(lead, (None, None))
        if curve is not None:
            self.trace.remove_overlay(curve)
            self.trace.remove_overlay(label)
        self.data.pop(lead, None)
        if lead < len(self.trace.curves):
            self.trace.curves[lead].setOpacity(1.0)
        if publish:
            self._publish()

    def set_mode(self, mode: str) -> None:
        changed = mode != self.mode
        self.mode = mode
        self.place()
        if changed:
            self._publish()

    def _publish(self) -> None:
        """Hand the generated traces to the 3 × 4 layout (by lead name), unless only measured ones are shown."""
        if self.twelve_lead is None:
            return
        if self.trace.recording is None or not self.data:
            if self.twelve_lead.generated:
                self.twelve_lead.set_generated({})
            return
        shown = {} if self.mode == "measured only" else {
            self.trace.recording.lead_names[lead]: data for lead, data in self.data.items()}
        if shown or self.twelve_lead.generated:
            self.twelve_lead.set_generated(shown, dim_measured=self.mode == "generated only")

    def place(self, *args) -> None:
        """Put each ghost on its lead's row (after re-layouts, inversion, scale changes)."""
        for lead, (curve, label) in self.items.items():
            t0, fs, mv = self.data[lead]
            base = self.trace.lead_offset(lead)
            show = np.isfinite(base) and self.mode != "measured only"
            curve.setVisible(bool(show))
            label.setVisible(bool(show))
            if lead < len(self.trace.curves):
                self.trace.curves[lead].setOpacity(0.12 if self.mode == "generated only" else 1.0)
            if not show:
                continue
            sign = -1.0 if self.trace.is_inverted(lead) else 1.0
            curve.setData(np.arange(len(mv)) / fs, sign * mv, skipFiniteCheck=True)
            curve.setPos(t0, base)
            v0, _ = self.trace.view_range()
            label.setPos(v0 + 0.05 * (self.trace.view_range()[1] - v0) + 0.6, base + 0.45 * self.trace.row_height_mv())
