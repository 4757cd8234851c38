"""An image of any span of a recording on true-scale ECG paper, independent of the window size.

Paper geometry in millimetres at ``dpi``: 1 mm / 5 mm grid from the image origin, one row of
``row_mv`` mV per lead at ``gain_mm_mv``, a 1 mV calibration pulse at the left of each row, time at
``speed_mm_s``, clock ticks under the traces. Overlays here are the file's own annotations (beat codes
and rhythm episodes); model overlays live in the viewer's scene, so export the *view* to include them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from anyecg_model.io.recording import Recording
from anyecg_model.signal.filters import RAW, DisplayFilter, filtered_window
from anyecg_model.timebase import TimeBase

from ..paper import LIGHT, PaperColours
from .paint import MAX_IMAGE_PX, caption_font, new_image, save_image
from .view_image import MM_PER_INCH, ImageOptions

CAL_MM = 10.0
TOP_MM = 8.0
AXIS_MM = 6.0
LANE_MM = 7.0
RIGHT_MM = 5.0
#: Points per drawn polyline piece (pieces share their end points).
CHUNK_POINTS = 128
#: Longest span one image may hold (s): 10 minutes.
MAX_SPAN_S = 600.0


@dataclass(frozen=True)
class SpanSpec:
    """What to draw: ``[t0, t1)`` s, lead indices top to bottom (``inverted`` drawn upside down),
    speed (mm/s), gain (mm/mV), height of a lead row (mV), display filter and paper colours."""

    t0: float
    t1: float
    leads: tuple[int, ...]
    inverted: frozenset[int] = frozenset()
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    row_mv: float = 3.0
    filt: DisplayFilter = RAW
    colours: PaperColours = field(default=LIGHT)

    def __post_init__(self) -> None:
        if not self.t1 > self.t0 >= 0:
            raise ValueError(f"span must satisfy 0 ≤ start < end, got {self.t0:g}–{self.t1:g} s")
        if self.t1 - self.t0 > MAX_SPAN_S:
            raise ValueError(f"span of {self.t1 - self.t0:.0f} s is longer than {MAX_SPAN_S:.0f} s; "
                             "choose a shorter one")
        if not self.leads:
            raise ValueError("no lead to draw")

    def size_mm(self, with_lane: bool) -> tuple[float, float]:
        width = CAL_MM + (self.t1 - self.t0) * self.speed_mm_s + RIGHT_MM
        height = TOP_MM + len(self.leads) * self.row_mv * self.gain_mm_mv + (LANE_MM if with_lane else 0.0) + AXIS_MM
        return 5.0 * math.ceil(width / 5.0), 5.0 * math.ceil(height / 5.0)


def span_size_px(spec: SpanSpec, options: ImageOptions) -> QtCore.QSize:
    w_mm, h_mm = spec.size_mm(options.overlays)
    px = options.dpi / MM_PER_INCH
    size = QtCore.QSize(round(w_mm * px), round(h_mm * px))
    if max(size.width(), size.height()) > MAX_IMAGE_PX:
        raise ValueError(f"{size.width()} × {size.height()} px at {options.dpi:g} dpi is too large; "
                         "lower the dpi or shorten the span")
    return size


def paint_span(painter: QtGui.QPainter, recording: Recording, spec: SpanSpec, options: ImageOptions,
               caption: str = "") -> None:
    """Draw the span on ``painter`` (a target of :func:`span_size_px`), in mm scaled to ``options.dpi``."""
    px = options.dpi / MM_PER_INCH
    w_mm, h_mm = spec.size_mm(options.overlays)
    c = spec.colours
    painter.fillRect(QtCore.QRectF(0, 0, w_mm * px, h_mm * px), QtGui.QColor(c.background))
    painter.save()
    painter.scale(px, px)  # from here on, coordinates are millimetres
    if options.grid:
        _grid(painter, w_mm, h_mm, c)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    fs = recording.fs
    a, b = int(math.floor(spec.t0 * fs)), int(math.ceil(spec.t1 * fs))
    data = filtered_window(recording, a, b, list(spec.leads), spec.filt)
    row_mm = spec.row_mv * spec.gain_mm_mv
    trace_pen = QtGui.QPen(QtGui.QColor(c.trace), 0.25, QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenCapStyle.RoundCap,
                           QtCore.Qt.PenJoinStyle.RoundJoin)
    for row, lead in enumerate(spec.leads):
        base = TOP_MM + (row + 0.55) * row_mm
        painter.setPen(trace_pen)
        _calibration(painter, base, spec.gain_mm_mv)
        sign = -1.0 if lead in spec.inverted else 1.0
        x_mm = CAL_MM + (np.arange(a, a + data.shape[1]) / fs - spec.t0) * spec.speed_mm_s
        for segment in _polylines(x_mm, base - sign * data[row] * spec.gain_mm_mv, px):
            painter.drawPolyline(segment)
        painter.setPen(QtGui.QColor(c.text))
        name = recording.leads[lead].name + (" (inverted)" if lead in spec.inverted else "")
        _text(painter, QtCore.QRectF(CAL_MM + 1.0, base - 0.5 * row_mm + 0.8, 60.0, 4.0), name, 8.0, LEFT, bold=True)
    y = TOP_MM + len(spec.leads) * row_mm
    if options.overlays:
        _annotation_lane(painter, recording, spec, y, c)
        y += LANE_MM
    _time_axis(painter, spec, y, c, TimeBase.of(recording))
    painter.restore()
    if caption:
        painter.setFont(caption_font(options.dpi))
        painter.setPen(QtGui.QColor(c.text))
        painter.drawText(QtCore.QRectF(2 * px, 1.5 * px, (w_mm - 4) * px, (TOP_MM - 2) * px),
                         int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter), caption)


LEFT = int(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
CENTRE = int(QtCore.Qt.AlignmentFlag.AlignCenter)


def _text(painter: QtGui.QPainter, rect_mm: QtCore.QRectF, s: str, points: float, align: int,
          bold: bool = False) -> None:
    """Text in a rectangle given in mm, ``points`` tall (drawn in 0.1 mm units so sizes need not be whole mm)."""
    painter.save()
    painter.scale(0.1, 0.1)
    font = QtGui.QFont("Helvetica")
    font.setPixelSize(max(1, round(points / 72.0 * 254.0)))
    font.setBold(bold)
    painter.setFont(font)
    r = rect_mm
    painter.drawText(QtCore.QRectF(r.x() * 10, r.y() * 10, r.width() * 10, r.height() * 10), align, s)
    painter.restore()


def _grid(painter: QtGui.QPainter, w_mm: float, h_mm: float, c: PaperColours) -> None:
    for major in (False, True):
        pen = QtGui.QPen(QtGui.QColor(c.major if major else c.minor), 0.2 if major else 0.08)
        painter.setPen(pen)
        lines = [QtCore.QLineF(x, 0, x, h_mm) for x in range(int(w_mm) + 1) if (x % 5 == 0) == major]
        lines += [QtCore.QLineF(0, y, w_mm, y) for y in range(int(h_mm) + 1) if (y % 5 == 0) == major]
        painter.drawLines(lines)


def _calibration(painter: QtGui.QPainter, base: float, gain: float) -> None:
    path = QtGui.QPainterPath(QtCore.QPointF(1.0, base))
    for x, y in ((3.0, base), (3.0, base - gain), (8.0, base - gain), (8.0, base), (9.5, base)):
        path.lineTo(x, y)
    painter.drawPath(path)


def _polylines(x: np.ndarray, y: np.ndarray, px_per_mm: float) -> list[QtGui.QPolygonF]:
    """Polylines through (x, y) mm, split at NaN gaps and into pieces of :data:`CHUNK_POINTS` points (Qt strokes
    many short antialiased polylines ~10× faster than one long one); more than 4 samples per pixel become
    min/max pairs per pixel column."""
    if x.size > 4 * (x[-1] - x[0]) * px_per_mm and x.size > 1:
        col = np.floor((x - x[0]) * px_per_mm).astype(np.int64)
        edges = np.flatnonzero(np.diff(col)) + 1
        starts = np.concatenate([[0], edges])
        ok = np.isfinite(y)
        lo = np.fmin.reduceat(np.where(ok, y, np.inf), starts)
        hi = np.fmax.reduceat(np.where(ok, y, -np.inf), starts)
        xs = np.repeat(x[starts], 2)
        ys = np.column_stack([lo, hi]).reshape(-1)
        ys[~np.isfinite(ys)] = np.nan
        x, y = xs, ys
    ok = np.isfinite(y)
    edges = np.flatnonzero(np.diff(ok.astype(np.int8))) + 1
    out = []
    for a, b in zip(np.concatenate([[0], edges]), np.concatenate([edges, [y.size]])):
        if not ok[a] or b - a < 2:
            continue
        points = [QtCore.QPointF(px, py) for px, py in zip(x[a:b].tolist(), y[a:b].tolist())]
        for k in range(0, len(points) - 1, CHUNK_POINTS):
            out.append(QtGui.QPolygonF(points[k:k + CHUNK_POINTS + 1]))
    return out


def _annotation_lane(painter: QtGui.QPainter, recording: Recording, spec: SpanSpec, top: float,
                     c: PaperColours) -> None:
    """Rhythm episodes as shaded bands with their label, beat codes above them (non-normal in red)."""
    fs = recording.fs
    for s, e, label in recording.annotations.rhythm_episodes(recording.n_samples):
        t_s, t_e = max(s / fs, spec.t0), min(e / fs, spec.t1)
        if t_e <= t_s:
            continue
        x0 = CAL_MM + (t_s - spec.t0) * spec.speed_mm_s
        x1 = CAL_MM + (t_e - spec.t0) * spec.speed_mm_s
        normal = label.upper() in ("N", "NSR")
        painter.fillRect(QtCore.QRectF(x0, top + 3.5, x1 - x0, 3.0),
                         QtGui.QColor(46, 125, 50, 45) if normal else QtGui.QColor(230, 81, 0, 60))
        painter.setPen(QtGui.QColor(c.text))
        _text(painter, QtCore.QRectF(x0 + 0.5, top + 3.5, max(1.0, x1 - x0 - 0.5), 3.0), label, 6.0, LEFT)
    beats = recording.annotations.beats()
    t = beats.sample / fs
    sel = (t >= spec.t0) & (t < spec.t1)
    for ti, sym in zip(t[sel], beats.symbol[sel]):
        painter.setPen(QtGui.QColor(c.text) if sym == "N" else QtGui.QColor("#c62828"))
        x = CAL_MM + (ti - spec.t0) * spec.speed_mm_s
        _text(painter, QtCore.QRectF(x - 3.0, top, 6.0, 3.2), str(sym), 6.5, CENTRE, bold=sym != "N")


def _time_axis(painter: QtGui.QPainter, spec: SpanSpec, top: float, c: PaperColours, timebase: TimeBase) -> None:
    """A tick every second, labelled with the recording's clock time (elapsed time when it has no start time)
    every 1, 2 or 5 s."""
    painter.setPen(QtGui.QPen(QtGui.QColor(c.text), 0.2))
    every = 1 if spec.speed_mm_s >= 25 else (2 if spec.speed_mm_s >= 12.5 else 5)
    for sec in range(math.ceil(spec.t0), math.floor(spec.t1) + 1):
        x = CAL_MM + (sec - spec.t0) * spec.speed_mm_s
        painter.drawLine(QtCore.QLineF(x, top, x, top + 1.2))
        if sec % every == 0:
            _text(painter, QtCore.QRectF(x - 15.0, top + 1.3, 30.0, 3.5), timebase.at(sec, label=False), 6.5,
                  CENTRE)


def render_span(recording: Recording, spec: SpanSpec, options: ImageOptions = ImageOptions(),
                caption: str = "") -> QtGui.QImage:
    image = new_image(span_size_px(spec, options), options.dpi)
    painter = QtGui.QPainter(image)
    try:
        paint_span(painter, recording, spec, options, caption)
    finally:
        painter.end()
    return image


def save_span(recording: Recording, spec: SpanSpec, path: str | Path, options: ImageOptions = ImageOptions(),
              caption: str = "") -> Path:
    """Write the span to ``path``: ``.svg`` as vector graphics, otherwise a PNG at ``options.dpi``."""
    return save_image(Path(path), span_size_px(spec, options), options.dpi,
                      lambda p: paint_span(p, recording, spec, options, caption), title="AnyECG span")
