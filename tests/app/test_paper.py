"""ECG paper: grid spacing equals the mm setting at a given DPI; calibration by ruler."""
from __future__ import annotations

import numpy as np
import pytest

from app.dialogs import dpi_from_ruler
from app.paper import PaperScale, badge_text


@pytest.mark.parametrize("dpi", [96.0, 150.0])
def test_grid_line_spacing_in_pixels_is_one_mm(qtbot, dpi, sinus):
    from app.trace_view import TraceView

    view = TraceView(scale=PaperScale(dpi=dpi))
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_recording(sinus)
    view.set_speed(25.0)
    view.grab()  # paint once
    pos = view.grid.grid_positions()
    xs = np.sort(np.concatenate([pos["x_minor"], pos["x_major"]]))
    ys = np.sort(np.concatenate([pos["y_minor"], pos["y_major"]]))
    mm = dpi / 25.4
    np.testing.assert_allclose(np.diff(xs), mm, rtol=1e-6)
    np.testing.assert_allclose(np.diff(ys), mm, rtol=1e-6)
    np.testing.assert_allclose(np.diff(pos["x_major"]), 5 * mm, rtol=1e-6)
    # at 25 mm/s one 5-mm box is 0.2 s; at 10 mm/mV one 1-mm box is 0.1 mV
    (x0, x1), (y0, y1) = view.viewbox.viewRange()
    px_per_s = view.viewbox.width() / (x1 - x0)
    px_per_mv = view.viewbox.height() / (y1 - y0)
    assert 5 * mm / px_per_s == pytest.approx(0.2)
    assert mm / px_per_mv == pytest.approx(0.1)
    view.set_recording(None)


def test_ruler_check_corrects_the_dpi():
    # a 100-mm line drawn at 96 dpi that measures 80 mm means the screen is denser: 120 dpi
    assert dpi_from_ruler(96.0, 80.0) == pytest.approx(120.0)
    with pytest.raises(ValueError):
        dpi_from_ruler(96.0, 0.0)


def test_badge_marks_free_zoom():
    assert badge_text(25.0, 10.0) == "25 mm/s · 10 mm/mV"
    assert badge_text(3.2, 10.0).startswith("≈3.2 mm/s")


@pytest.mark.parametrize("dpi", [96.0, 144.0])
def test_ruler_line_is_100_mm_at_the_dpi(qtbot, dpi):
    from app.dialogs import CalibrationDialog

    dlg = CalibrationDialog(dpi)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    img = dlg.ruler.grab().toImage()
    row = [img.pixelColor(x, 25).lightness() for x in range(img.width())]
    dark = [x for x, v in enumerate(row) if v < 100]
    assert dark[-1] - dark[0] == pytest.approx(100 * dpi / 25.4, abs=2.5)
