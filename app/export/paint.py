"""Painting targets shared by the image exports: a PNG-ready ``QImage`` that records its DPI, an SVG
generator with the same pixel size and physical resolution, and the caption font."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtGui
from PySide6.QtSvg import QSvgGenerator

#: Largest image side in pixels (QImage and most viewers cope; 32767 is Qt's raster limit).
MAX_IMAGE_PX = 30000
INCH_PER_M = 1.0 / 0.0254


def new_image(size: QtCore.QSize, dpi: float) -> QtGui.QImage:
    """An opaque white ``QImage`` of ``size`` px whose metadata says ``dpi`` (PNG pHYs chunk)."""
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("white"))
    dpm = round(dpi * INCH_PER_M)
    image.setDotsPerMeterX(dpm)
    image.setDotsPerMeterY(dpm)
    return image


def caption_font(dpi: float, points: float = 9.0) -> QtGui.QFont:
    """A sans-serif font ``points`` tall on paper at ``dpi``."""
    font = QtGui.QFont("Helvetica")
    font.setPixelSize(max(6, round(points / 72.0 * dpi)))
    return font


def save_image(path: Path, size: QtCore.QSize, dpi: float, paint: Callable[[QtGui.QPainter], None],
               title: str) -> Path:
    """Run ``paint`` on a PNG (any suffix but ``.svg``) or SVG target of ``size`` px at ``dpi`` and write ``path``.

    Raises ``OSError`` naming the file when it cannot be written.
    """
    if path.suffix.lower() == ".svg":
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(size)
        gen.setViewBox(QtCore.QRect(0, 0, size.width(), size.height()))
        gen.setResolution(round(dpi))
        gen.setTitle(title)
        gen.setDescription("Exported by AnyECG Workstation")
        painter = QtGui.QPainter()
        if not painter.begin(gen):
            raise OSError(f"{path}: cannot write SVG")
        try:
            paint(painter)
        finally:
            painter.end()
        if not path.exists():
            raise OSError(f"{path}: cannot write SVG")
        return path
    image = new_image(size, dpi)
    painter = QtGui.QPainter(image)
    try:
        paint(painter)
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"{path}: cannot write PNG")
    return path
