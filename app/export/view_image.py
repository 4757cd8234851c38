"""Images of what is on screen: the trace view (or the 3 × 4 view) rendered at a chosen DPI, PNG or SVG.

The view's scene is re-rendered, not grabbed, so the picture is as sharp as the DPI asks and keeps
the paper's true scale: the screen is calibrated at ``view.scale.dpi`` px/inch, so scaling by
``dpi / view.scale.dpi`` makes one millimetre of paper ``dpi / 25.4`` pixels. Grid and overlays
(annotation lanes, model overlays, calipers: every item that is not the paper, a trace or a lead
label) can be left out.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .paint import MAX_IMAGE_PX, caption_font, new_image, save_image

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class ImageOptions:
    """Resolution (dots per inch) and what to include."""

    dpi: float = 300.0
    grid: bool = True
    overlays: bool = True

    def __post_init__(self) -> None:
        if not 36.0 <= self.dpi <= 2400.0:
            raise ValueError(f"resolution must be 36–2400 dpi, got {self.dpi:g}")


def _base_items(view: QtWidgets.QWidget) -> set:
    """Items that make up the trace itself: curves and lead labels (everything else is an overlay)."""
    curves = view.curves.values() if isinstance(view.curves, dict) else view.curves
    return set(curves) | set(getattr(view, "labels", []) or [])


@contextmanager
def _prepared(view: QtWidgets.QWidget, options: ImageOptions, factor: float) -> Iterator[None]:
    """Temporarily hide the grid/overlays and widen cosmetic trace pens so lines keep their on-screen weight."""
    changed: list[tuple[QtWidgets.QGraphicsItem, bool]] = []
    pens: list[tuple[pg.PlotCurveItem, QtGui.QPen]] = []
    base = _base_items(view)
    grid = view.grid
    try:
        if not options.grid:
            changed.append((grid, grid.isVisible()))
            grid.setVisible(False)
        # the 3 × 4 view draws its own layout items (pulses, separators): they are part of the page
        if not options.overlays and hasattr(view, "lanes"):
            for item in list(view.viewbox.childGroup.childItems()):
                if item is not grid and item not in base:
                    changed.append((item, item.isVisible()))
                    item.setVisible(False)
        for item in view.viewbox.childGroup.childItems():
            if isinstance(item, pg.PlotCurveItem):
                pen = QtGui.QPen(item.opts["pen"])
                pens.append((item, pen))
                wider = QtGui.QPen(pen)
                wider.setWidthF(max(1.0, pen.widthF()) * factor)
                item.setPen(wider)
        yield
    finally:
        for item, pen in pens:
            item.setPen(pen)
        for item, visible in changed:
            item.setVisible(visible)


def view_size_px(view: QtWidgets.QWidget, options: ImageOptions) -> tuple[QtCore.QRectF, float, QtCore.QSize]:
    """(scene rectangle rendered, scale factor, output size in px) for ``view`` at ``options.dpi``.

    The rectangle is the paper (the view box), without the time axis: the caption states the span.
    """
    vb = view.viewbox
    source = vb.mapRectToScene(QtCore.QRectF(0.0, 0.0, vb.width(), vb.height()))
    factor = options.dpi / view.scale.dpi
    size = QtCore.QSize(round(source.width() * factor), round(source.height() * factor))
    if max(size.width(), size.height()) > MAX_IMAGE_PX:
        raise ValueError(f"{size.width()} × {size.height()} px at {options.dpi:g} dpi is too large; lower the dpi")
    return source, factor, size


def paint_view(painter: QtGui.QPainter, view: QtWidgets.QWidget, options: ImageOptions, caption: str) -> None:
    """Render the view's plot into ``painter`` (already sized by :func:`view_size_px`), with a caption."""
    source, factor, size = view_size_px(view, options)
    target = QtCore.QRectF(0, 0, size.width(), size.height())
    painter.fillRect(target, QtGui.QColor(view.colours.background))
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    with _prepared(view, options, factor):
        view.plot.scene().render(painter, target, source)
    if caption:
        painter.setFont(caption_font(options.dpi))
        painter.setPen(QtGui.QColor(view.colours.text))
        margin = options.dpi / MM_PER_INCH * 2.0
        painter.drawText(target.adjusted(margin, margin, -margin, -margin),
                         int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignTop), caption)


def render_view(view: QtWidgets.QWidget, options: ImageOptions = ImageOptions(), caption: str = "") -> QtGui.QImage:
    """The view as an image at ``options.dpi`` (the PNG records the dpi, so it prints at true scale)."""
    _, _, size = view_size_px(view, options)
    image = new_image(size, options.dpi)
    painter = QtGui.QPainter(image)
    try:
        paint_view(painter, view, options, caption)
    finally:
        painter.end()
    return image


def save_view(view: QtWidgets.QWidget, path: str | Path, options: ImageOptions = ImageOptions(),
              caption: str = "") -> Path:
    """Write the view to ``path``: ``.svg`` as vector graphics, anything else as a PNG at ``options.dpi``."""
    _, _, size = view_size_px(view, options)
    return save_image(Path(path), size, options.dpi, lambda p: paint_view(p, view, options, caption),
                      title="AnyECG view")
