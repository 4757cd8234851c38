"""The event strips of a Holter summary: one lead over a few seconds around each notable event.

Each strip is sized to its signal so that no R or S wave is cut: the grid grows up to
:data:`MAX_STRIP_H_MM`, and when the complexes are still taller the gain is halved (20 → 10 → 5 →
2.5 mm/mV), printed on the strip and on its calibration pulse. Beat labels sit in a band of their own
above the grid, where the trace never goes. Geometry in mm from the lower-left corner of the page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..timebase import TimeBase
from .detected_beats import UNCLASSIFIED
from .findings import ReportFindings
from .paper import (EcgScale, beat_label_rgb, PaperStyle, calibration_width_mm, clip_to, draw_calibration, draw_grid,
                    draw_trace, generated_mark, text)
from .strips import StripSignal

#: Usual and largest grid height of a strip (mm), the room kept between the trace and the grid's edges (mm).
STRIP_H_MM = 30.0
MAX_STRIP_H_MM = 50.0
EDGE_MM = 1.5
#: Height of the band above the grid that carries the beat labels and the event marker (mm).
LABEL_BAND_MM = 6.0
#: Room under the grid for the time ticks (mm).
TICKS_MM = 6.0
#: Smallest gain a strip is reduced to (mm/mV).
MIN_GAIN_MM_MV = 1.25
MARKER_RGB = (0.05, 0.25, 0.75)


@dataclass(frozen=True)
class StripFit:
    """Gain (mm/mV), grid height (mm) and 0-mV line (mm above the grid's bottom edge) of one strip."""

    gain_mm_mv: float
    height_mm: float
    baseline_mm: float
    reduced: bool

    def span_mm(self, lo_mv: float, hi_mv: float) -> tuple[float, float]:
        """Where ``lo_mv`` and ``hi_mv`` land, in mm above the grid's bottom edge."""
        return self.baseline_mm + lo_mv * self.gain_mm_mv, self.baseline_mm + hi_mv * self.gain_mm_mv


def signal_extent_mv(signal_mv: np.ndarray) -> tuple[float, float]:
    """(lowest, highest) level (mV) the strip must show: the signal's extremes, 0 mV and the 1-mV pulse."""
    v = np.asarray(signal_mv, dtype=np.float64)
    v = v[np.isfinite(v)]
    lo = min(0.0, float(v.min())) if v.size else 0.0
    hi = max(1.0, float(v.max())) if v.size else 1.0
    return lo, hi


def fit_strip(signal_mv: np.ndarray, gain_mm_mv: float, height_mm: float = STRIP_H_MM,
              max_height_mm: float = MAX_STRIP_H_MM, edge_mm: float = EDGE_MM) -> StripFit:
    """The gain and grid height that show every sample of ``signal_mv`` (mV) inside the grid.

    The grid is ``height_mm`` tall, or taller in whole 5-mm squares up to ``max_height_mm``; beyond that the
    gain halves until the strip fits (not below :data:`MIN_GAIN_MM_MV`). The trace is centred vertically.
    """
    lo, hi = signal_extent_mv(signal_mv)
    gain = float(gain_mm_mv)
    while (hi - lo) * gain + 2 * edge_mm > max_height_mm and gain / 2 >= MIN_GAIN_MM_MV:
        gain /= 2
    need = (hi - lo) * gain + 2 * edge_mm
    height = min(max_height_mm, max(height_mm, 5.0 * math.ceil(need / 5.0 - 1e-9)))
    baseline = (height - (hi - lo) * gain) / 2 - lo * gain
    return StripFit(gain, height, baseline, gain != gain_mm_mv)


def strip_height_mm(fit: StripFit) -> float:
    """Page height one strip takes: title line, label band, grid and time ticks (mm)."""
    return 5.0 + LABEL_BAND_MM + fit.height_mm + TICKS_MM


def draw_event_strip(c: Canvas, x: float, top: float, width: float, strip: StripSignal, t0: float, t1: float,
                     marker_s: float | None, title: str, findings: ReportFindings, scale: EcgScale,
                     style: PaperStyle, tb: TimeBase, fit: StripFit) -> float:
    """Draw one strip whose title line starts at ``top`` mm; returns the y (mm) below its time ticks."""
    strip_scale = EcgScale(scale.speed_mm_s, fit.gain_mm_mv)
    gain = f"{fit.gain_mm_mv:g} mm/mV" + (" (reduced to fit)" if fit.reduced else "")
    text(c, x, top - 3.0, title, 8.5, bold=True)
    text(c, x + width, top - 3.0, f"{tb.span(t0, t1)} · lead {strip.lead} · {gain}", 7.5, align="right")
    band_top = top - 5.0
    gy = band_top - LABEL_BAND_MM - fit.height_mm
    cal_w = calibration_width_mm(strip_scale)
    x0 = x + cal_w
    _beat_labels(c, x0, band_top - LABEL_BAND_MM, t0, t1, scale, findings)
    if marker_s is not None:
        _marker(c, x0 + (marker_s - t0) * scale.speed_mm_s, band_top)
    draw_grid(c, x, gy, width, fit.height_mm, style)
    base = gy + fit.baseline_mm
    c.saveState()
    clip_to(c, x, gy, width, fit.height_mm)
    draw_calibration(c, x, base, strip_scale, style)
    draw_trace(c, x0, base, strip.signal_mv, strip.fs, strip_scale, style, strip.generated)
    if strip.generated:
        generated_mark(c, x0 + 1.0, gy + 1.0, style)
    c.restoreState()
    _time_ticks(c, x0, gy, t0, t1, scale, lambda t: tb.at(t, label=False))
    return gy - TICKS_MM


def _beat_labels(c: Canvas, x0: float, band_bottom: float, t0: float, t1: float, scale: EcgScale,
                 findings: ReportFindings) -> None:
    """Beat classes in the band above the grid, centred on each beat (:func:`beat_label_rgb`, ectopic beats bold)."""
    times, labels, _ = findings.beats_between(t0, t1)
    for t, lab in zip(times, labels):
        if lab == UNCLASSIFIED:
            continue
        text(c, x0 + (t - t0) * scale.speed_mm_s, band_bottom + 1.0, str(lab), 6.5, bold=lab != "N",
             color=beat_label_rgb(str(lab)), align="centre")


def _marker(c: Canvas, x: float, top: float) -> None:
    """A small downward triangle at the top of the label band at the event time."""
    c.saveState()
    c.setFillColorRGB(*MARKER_RGB)
    path = c.beginPath()
    path.moveTo((x - 1.2) * mm, top * mm)
    path.lineTo((x + 1.2) * mm, top * mm)
    path.lineTo(x * mm, (top - 2.0) * mm)
    path.close()
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def _time_ticks(c: Canvas, x0: float, gy: float, t0: float, t1: float, scale: EcgScale,
                label: Callable[[float], str]) -> None:
    """A tick under the strip every whole second, labelled every 2 s at 25 mm/s (every second from 50 mm/s)."""
    step = 1 if scale.speed_mm_s >= 50 else 2
    first = math.ceil(t0)
    c.saveState()
    c.setLineWidth(0.2 * mm)
    c.setStrokeColorRGB(0, 0, 0)
    for t in range(first, int(math.floor(t1)) + 1):
        x = x0 + (t - t0) * scale.speed_mm_s
        c.line(x * mm, gy * mm, x * mm, (gy - 1.2) * mm)
        if (t - first) % step == 0:
            text(c, x, gy - 3.8, label(t), 6.0, align="centre")
    c.restoreState()
