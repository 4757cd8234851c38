"""Page flow of the Holter summary: a canvas that knows where the next line goes, ruled tables whose
heading repeats on a new page, and label/value lines. Geometry in mm from the page's lower-left corner."""
from __future__ import annotations

from typing import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .header import LINE_MM, draw_footer, wrap
from .paper import text

MARGIN_MM = 12.0
ROW_MM = 4.0
#: Width of the label column of label/value lines (mm).
KEY_MM = 38.0
GREY = (0.35, 0.35, 0.35)


class Pages:
    """A canvas with a write position ``y`` (mm) that starts a new page (with footer) when one is full."""

    def __init__(self, c: Canvas, page_w: float, page_h: float, footer: str):
        self.c, self.w, self.h, self.footer = c, page_w, page_h, footer
        self.page = 1
        self.y = page_h - MARGIN_MM

    @property
    def width(self) -> float:
        return self.w - 2 * MARGIN_MM

    def need(self, height: float) -> bool:
        """Make room for ``height`` mm; returns True when a new page was started."""
        if self.y - height >= MARGIN_MM + 4.0:
            return False
        self.new_page()
        return True

    def new_page(self) -> None:
        self.finish_page()
        self.c.showPage()
        self.page += 1
        self.y = self.h - MARGIN_MM

    def finish_page(self) -> None:
        draw_footer(self.c, MARGIN_MM, self.w - MARGIN_MM, 6.0, self.footer, self.page)

    def heading(self, title: str, size_pt: float = 10.0) -> None:
        self.need(3 * ROW_MM)
        text(self.c, MARGIN_MM, self.y - 3.5, title, size_pt, bold=True)
        self.y -= 3.5 + ROW_MM + 0.5

    def key_value(self, key: str, value: str, size_pt: float = 8.0) -> None:
        """``key`` in bold in the label column, ``value`` wrapped in the rest of the width."""
        parts = wrap(self.c, value, self.width - KEY_MM, size_pt)
        self.need(LINE_MM * len(parts) + 1.0)
        text(self.c, MARGIN_MM, self.y, key, size_pt, bold=True)
        for part in parts:
            text(self.c, MARGIN_MM + KEY_MM, self.y, part, size_pt)
            self.y -= LINE_MM + 0.4


def table(pages: Pages, title: str, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[str]],
          grey_rows: frozenset[int] = frozenset()) -> None:
    """A ruled table; columns are (heading, width mm); the title and heading repeat on each new page.
    Rows whose index is in ``grey_rows`` are notes: their first cell printed grey, indented, across the table."""
    c = pages.c

    def heading(suffix: str = "") -> None:
        text(c, MARGIN_MM, pages.y, title + suffix, 9.0, bold=True)
        pages.y -= ROW_MM + 0.5
        x = MARGIN_MM
        for name, w in columns:
            text(c, x + 1.0, pages.y, name, 7.0, bold=True)
            x += w
        c.setLineWidth(0.2 * mm)
        c.setStrokeColorRGB(0, 0, 0)
        c.line(MARGIN_MM * mm, (pages.y - 1.2) * mm, x * mm, (pages.y - 1.2) * mm)
        pages.y -= ROW_MM

    pages.need(3 * ROW_MM + 2.0)
    heading()
    for k, row in enumerate(rows):
        if pages.need(ROW_MM):
            heading(" (continued)")
        if k in grey_rows:
            text(c, MARGIN_MM + 5.0, pages.y, row[0], 7.0, color=GREY)
        else:
            x = MARGIN_MM
            for value, (_, w) in zip(row, columns):
                text(c, x + 1.0, pages.y, value, 7.0)
                x += w
        pages.y -= ROW_MM
    pages.y -= 4.0
