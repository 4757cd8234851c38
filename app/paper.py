"""ECG paper: screen calibration (mm → pixels), speed and gain presets, and the 1 mm / 5 mm grid item.

A view is *calibrated* when its time axis runs at ``speed_mm_s`` and its amplitude axis at
``gain_mm_mv`` on a screen whose density is ``dpi`` (pixels per inch, set in the calibration dialog by a
ruler check). The grid is drawn in screen millimetres (minor every 1 mm, major every 5 mm), anchored
to t = 0 s and to the top of the view, so it scrolls with the trace like paper.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

SPEEDS_MM_S: tuple[float, ...] = (12.5, 25.0, 50.0)
GAINS_MM_MV: tuple[float, ...] = (5.0, 10.0, 20.0)
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PaperScale:
    """Screen density ``dpi`` (px/inch), paper speed (mm/s) and gain (mm/mV)."""

    dpi: float = 96.0
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0

    @property
    def px_per_mm(self) -> float:
        return self.dpi / MM_PER_INCH

    @property
    def px_per_s(self) -> float:
        return self.speed_mm_s * self.px_per_mm

    @property
    def px_per_mv(self) -> float:
        return self.gain_mm_mv * self.px_per_mm


def badge_text(speed_mm_s: float, gain_mm_mv: float) -> str:
    """``25 mm/s · 10 mm/mV``; values off the presets are marked as free zoom with ``≈``."""
    def fmt(v: float, presets: tuple[float, ...]) -> str:
        for p in presets:
            if abs(v - p) < 1e-3 * p:
                return f"{p:g}"
        return f"≈{v:.3g}"

    return f"{fmt(speed_mm_s, SPEEDS_MM_S)} mm/s · {fmt(gain_mm_mv, GAINS_MM_MV)} mm/mV"


@dataclass(frozen=True)
class PaperColours:
    """Background, minor (1 mm) and major (5 mm) grid colours and the trace colour."""

    background: str
    minor: str
    major: str
    trace: str
    text: str


LIGHT = PaperColours("#fffdfb", "#f9d3d8", "#ef97a3", "#111111", "#222222")
DARK = PaperColours("#111418", "#3a2329", "#6e3241", "#e8eef8", "#e8eef8")


class PaperGridItem(pg.GraphicsObject):
    """The 1 mm / 5 mm grid of the view it is added to, drawn with one ``drawLines`` call per pen.

    ``px_per_mm`` is the screen calibration; lines are placed every 1 mm of *screen*, so the spacing in
    pixels equals ``px_per_mm`` at any zoom. Minor lines are skipped when closer than 3 px.
    """

    def __init__(self, colours: PaperColours, px_per_mm: float):
        super().__init__()
        self.colours = colours
        self.px_per_mm = px_per_mm
        self.setZValue(-1000)
        self.last_lines: dict[str, np.ndarray] = {}

    def set_colours(self, colours: PaperColours) -> None:
        self.colours = colours
        self.update()

    def set_px_per_mm(self, px_per_mm: float) -> None:
        self.px_per_mm = px_per_mm
        self.update()

    def boundingRect(self) -> QtCore.QRectF:
        vb = self.getViewBox()
        if vb is None:
            return QtCore.QRectF()
        return vb.viewRect()

    def grid_positions(self) -> dict[str, np.ndarray]:
        """Pixel positions of the vertical (``x_minor``/``x_major``) and horizontal lines in the view."""
        vb = self.getViewBox()
        rect = vb.viewRect()
        w, h = vb.width(), vb.height()
        if w <= 0 or h <= 0 or rect.width() <= 0:
            return {}
        px_per_s = w / rect.width()
        mm = self.px_per_mm
        # vertical lines: screen-mm multiples counted from t = 0 s
        first = np.ceil(rect.left() * px_per_s / mm)
        last = np.floor(rect.right() * px_per_s / mm)
        k = np.arange(first, last + 1)
        xs = k * mm - rect.left() * px_per_s
        ky = np.arange(0, int(h / mm) + 1)
        ys = ky * mm
        return {"x_minor": xs[k % 5 != 0], "x_major": xs[k % 5 == 0],
                "y_minor": ys[ky % 5 != 0], "y_major": ys[ky % 5 == 0]}

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        pos = self.grid_positions()
        if not pos:
            return
        self.last_lines = pos
        period = 5 * self.px_per_mm
        tile = self._tile(int(np.ceil(vb.width() + 2 * period)), int(np.ceil(vb.height())))
        # the tile has a major line at x = 0; shift it so major lines fall on 5-mm multiples from t = 0
        first_major = pos["x_major"][0] if len(pos["x_major"]) else 0.0
        shift = first_major - period
        painter.save()
        painter.setTransform(self._vb_pixel_transform(painter))
        painter.drawPixmap(QtCore.QPointF(round(shift), 0.0), tile)
        painter.restore()

    def _tile(self, w: int, h: int) -> QtGui.QPixmap:
        """The grid drawn once per size/density/colours (major line at x = 0 and y = 0), then blitted."""
        key = (w, h, round(self.px_per_mm, 6), self.colours)
        if getattr(self, "_tile_key", None) == key:
            return self._tile_pixmap
        pm = QtGui.QPixmap(max(1, w), max(1, h))
        pm.fill(QtGui.QColor(self.colours.background))
        p = QtGui.QPainter(pm)
        mm = self.px_per_mm
        k = np.arange(0, int(w / mm) + 1)
        ky = np.arange(0, int(h / mm) + 1)
        for kind, colour, skip in (("minor", self.colours.minor, mm < 3), ("major", self.colours.major, False)):
            if skip:
                continue
            pen = QtGui.QPen(QtGui.QColor(colour))
            pen.setWidth(1)
            p.setPen(pen)
            sel_x = k[(k % 5 == 0) == (kind == "major")]
            sel_y = ky[(ky % 5 == 0) == (kind == "major")]
            lines = [QtCore.QLineF(round(x * mm), 0, round(x * mm), h) for x in sel_x]
            lines += [QtCore.QLineF(0, round(y * mm), w, round(y * mm)) for y in sel_y]
            p.drawLines(lines)
        p.end()
        self._tile_key, self._tile_pixmap = key, pm
        return pm

    def _vb_pixel_transform(self, painter: QtGui.QPainter) -> QtGui.QTransform:
        """Transform from view-box pixel coordinates to the painter's device."""
        vb = self.getViewBox()
        inverse, _ = self.sceneTransform().inverted()
        return vb.sceneTransform() * inverse * painter.transform()
