"""ECG paper on a reportlab canvas: the 1 mm / 5 mm grid, traces and the calibration pulse.

All geometry here is in millimetres of the printed page (reportlab points are converted with
``reportlab.lib.units.mm``), so a page printed at 100 % has true 1 mm small squares and 5 mm large
squares. Traces are placed at ``speed_mm_s`` (mm per second) and ``gain_mm_mv`` (mm per millivolt).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from reportlab.lib.units import mm

from ..vocabulary.labels import BEAT_CLASS_COLOURS

if TYPE_CHECKING:  # the viewer uses this module's helpers without reportlab's canvas (~50 ms)
    from reportlab.pdfgen.canvas import Canvas

#: Page sizes (width, height) in mm, portrait.
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}

RGB = tuple[float, float, float]

#: Colour of every model-generated (never measured) trace, on paper and on screen (the viewer imports it).
GENERATED_HEX = "#7a3db8"
#: Colour of normal (N) beat labels printed over a strip: a muted grey, so the ectopic beats stand out on paper.
NORMAL_LABEL_RGB: RGB = (0.40, 0.40, 0.40)


def hex_rgb(colour: str) -> RGB:
    """``#rrggbb`` as an (r, g, b) triple of 0–1 floats."""
    c = colour.lstrip("#")
    return tuple(int(c[k:k + 2], 16) / 255.0 for k in (0, 2, 4))  # type: ignore[return-value]


def beat_label_rgb(label: str) -> RGB:
    """Colour of a beat class label printed over a strip (12-lead rhythm strip, Holter strips): the viewer's
    colour of that class (:data:`~anyecg_model.vocabulary.labels.BEAT_CLASS_COLOURS`: S blue, V red, F purple,
    P amber, Q grey), N muted grey."""
    if label == "N":
        return NORMAL_LABEL_RGB
    return hex_rgb(BEAT_CLASS_COLOURS.get(label, BEAT_CLASS_COLOURS["Q"]))


@dataclass(frozen=True)
class EcgScale:
    """Paper speed (mm/s) and gain (mm/mV); the clinical default is 25 mm/s and 10 mm/mV."""

    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.speed_mm_s) and 5.0 <= self.speed_mm_s <= 200.0):
            raise ValueError(f"paper speed must be 5–200 mm/s, got {self.speed_mm_s}")
        if not (math.isfinite(self.gain_mm_mv) and 1.0 <= self.gain_mm_mv <= 80.0):
            raise ValueError(f"gain must be 1–80 mm/mV, got {self.gain_mm_mv}")

    @property
    def label(self) -> str:
        return f"{self.speed_mm_s:g} mm/s, {self.gain_mm_mv:g} mm/mV"


@dataclass(frozen=True)
class PaperStyle:
    """Colours (RGB 0–1) and line widths (mm) of the printed ECG paper."""

    background: RGB = (1.0, 0.965, 0.965)
    minor: RGB = (0.98, 0.70, 0.70)
    major: RGB = (0.85, 0.22, 0.22)
    minor_width_mm: float = 0.07
    major_width_mm: float = 0.20
    trace: RGB = (0.0, 0.0, 0.0)
    trace_width_mm: float = 0.22
    generated: RGB = hex_rgb(GENERATED_HEX)
    dash_mm: tuple[float, float] = (1.2, 0.6)


def page_size_mm(paper: str, landscape: bool) -> tuple[float, float]:
    """(width, height) of ``paper`` ("a4" or "letter") in mm."""
    try:
        w, h = PAPER_SIZES_MM[paper.lower()]
    except KeyError:
        raise ValueError(f"unknown paper {paper!r}; choose one of {', '.join(PAPER_SIZES_MM)}") from None
    return (h, w) if landscape else (w, h)


def draw_grid(c: Canvas, x: float, y: float, width: float, height: float, style: PaperStyle = PaperStyle()) -> None:
    """ECG grid with its lower-left corner at (x, y) mm: 1 mm minor and 5 mm major lines.

    ``width`` and ``height`` (mm) are rounded down to whole millimetres so that the grid closes on a line.
    """
    nx, ny = int(math.floor(width + 1e-9)), int(math.floor(height + 1e-9))
    c.saveState()
    c.setFillColorRGB(*style.background)
    c.rect(x * mm, y * mm, nx * mm, ny * mm, stroke=0, fill=1)
    for major in (False, True):
        c.setStrokeColorRGB(*(style.major if major else style.minor))
        c.setLineWidth((style.major_width_mm if major else style.minor_width_mm) * mm)
        path = c.beginPath()
        for i in range(nx + 1):
            if (i % 5 == 0) == major:
                path.moveTo((x + i) * mm, y * mm)
                path.lineTo((x + i) * mm, (y + ny) * mm)
        for j in range(ny + 1):
            if (j % 5 == 0) == major:
                path.moveTo(x * mm, (y + j) * mm)
                path.lineTo((x + nx) * mm, (y + j) * mm)
        c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


def draw_trace(c: Canvas, x: float, baseline: float, signal_mv: np.ndarray, fs: float, scale: EcgScale,
               style: PaperStyle = PaperStyle(), generated: bool = False) -> None:
    """Draw ``signal_mv`` (mV at ``fs`` Hz) starting at x mm with 0 mV at ``baseline`` mm.

    NaN samples (invalid in the file) leave a gap. Generated leads are drawn dashed in the
    ``generated`` colour so they cannot be mistaken for a recorded lead.
    """
    v = np.asarray(signal_mv, dtype=np.float64).reshape(-1)
    if v.size < 2:
        return
    xs = (x + np.arange(v.size) / fs * scale.speed_mm_s) * mm
    ys = (baseline + v * scale.gain_mm_mv) * mm
    c.saveState()
    c.setStrokeColorRGB(*(style.generated if generated else style.trace))
    c.setLineWidth(style.trace_width_mm * mm)
    c.setLineJoin(1)
    c.setLineCap(1)
    if generated:
        c.setDash([d * mm for d in style.dash_mm])
    path = c.beginPath()
    pen_down = False
    for xi, yi in zip(xs.tolist(), ys.tolist()):
        if yi != yi:  # NaN
            pen_down = False
        elif pen_down:
            path.lineTo(xi, yi)
        else:
            path.moveTo(xi, yi)
            pen_down = True
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


#: Flat lead-in and lead-out of the calibration pulse (mm) and its duration (s).
CAL_FLAT_MM = 2.0
CAL_PULSE_S = 0.2


def calibration_width_mm(scale: EcgScale) -> float:
    """Horizontal room (mm) the calibration pulse takes, rounded up to whole 5 mm squares."""
    raw = 2 * CAL_FLAT_MM + CAL_PULSE_S * scale.speed_mm_s
    return 5.0 * math.ceil(raw / 5.0 - 1e-9)


def draw_calibration(c: Canvas, x: float, baseline: float, scale: EcgScale, style: PaperStyle = PaperStyle()) -> None:
    """The 1 mV standardisation pulse: ``gain_mm_mv`` mm tall, ``CAL_PULSE_S`` s wide, at x mm."""
    top = baseline + scale.gain_mm_mv
    x1 = x + CAL_FLAT_MM
    x2 = x1 + CAL_PULSE_S * scale.speed_mm_s
    c.saveState()
    c.setStrokeColorRGB(*style.trace)
    c.setLineWidth(style.trace_width_mm * mm)
    path = c.beginPath()
    path.moveTo(x * mm, baseline * mm)
    for px, py in ((x1, baseline), (x1, top), (x2, top), (x2, baseline), (x2 + CAL_FLAT_MM, baseline)):
        path.lineTo(px * mm, py * mm)
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


def clip_to(c: Canvas, x: float, y: float, width: float, height: float) -> None:
    """Clip further drawing to a rectangle in mm (call between ``saveState``/``restoreState``)."""
    path = c.beginPath()
    path.rect(x * mm, y * mm, width * mm, height * mm)
    c.clipPath(path, stroke=0, fill=0)


def text(c: Canvas, x: float, y: float, s: str, size_pt: float = 8.0, bold: bool = False,
         color: RGB = (0.0, 0.0, 0.0), align: str = "left") -> None:
    """Draw a string with its baseline at (x, y) mm in Helvetica."""
    c.saveState()
    c.setFillColorRGB(*color)
    c.setFont("Helvetica-Bold" if bold else "Helvetica", size_pt)
    draw = {"left": c.drawString, "right": c.drawRightString, "centre": c.drawCentredString}[align]
    draw(x * mm, y * mm, s)
    c.restoreState()


def generated_mark(c: Canvas, x: float, y: float, style: PaperStyle = PaperStyle()) -> float:
    """A boxed "GENERATED" tag with its lower-left corner at (x, y) mm; returns its width (mm)."""
    size = 6.5
    w = c.stringWidth("GENERATED", "Helvetica-Bold", size) / mm + 1.6
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.setStrokeColorRGB(*style.generated)
    c.setLineWidth(0.25 * mm)
    c.rect(x * mm, y * mm, w * mm, 3.2 * mm, stroke=1, fill=1)
    c.restoreState()
    text(c, x + 0.8, y + 0.85, "GENERATED", size, bold=True, color=style.generated)
    return w
