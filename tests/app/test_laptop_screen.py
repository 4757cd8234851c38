"""Laptop screens (issue 17): the window can be made 1366 × 768; the right-hand panels then share one tabbed dock;
the 3 × 4 page fits the width with every lead and the whole rhythm strip, on a paper grid scaled with it, and
says its scale; on a large window it uses the height too."""
from __future__ import annotations

import pytest
from resting_ecg import resting_12lead


def page_on_screen(window) -> tuple[float, float]:
    """Page seconds (x0, x1) visible across the 3 × 4 plot."""
    return window.twelve_lead.view_range()


def test_1366x768_fits_every_lead_and_the_rhythm_strip(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    assert window.minimumSizeHint().height() < 700
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.height() == 768, timeout=2000)
    assert window.is_compact()
    page = window.twelve_lead
    qtbot.waitUntil(lambda: page.view_range()[1] >= 10.0, timeout=2000)
    x0, x1 = page.view_range()
    assert x0 <= -0.4 and x1 >= 10.0, "calibration pulses, V4–V6 and the end of the rhythm strip are on screen"
    (_, _), (y0, y1) = page.viewbox.viewRange()
    assert y0 <= page.baseline(3) - 1.0, "the rhythm strip is on screen"
    assert page.zoom < 1.0 and f"{page.zoom:.0%}" in page.badge.text()
    # the grid scales with the page: 1 mm of paper is zoom × the calibrated mm, on both axes
    assert page.grid.px_per_mm == pytest.approx(page.scale.px_per_mm * page.zoom)
    px_x = page.viewbox.width() / (x1 - x0) / page.scale.speed_mm_s
    px_y = page.viewbox.height() / (y1 - y0) / page.scale.gain_mm_mv
    assert px_x == pytest.approx(page.grid.px_per_mm, rel=1e-3) and px_y == pytest.approx(page.grid.px_per_mm, rel=1e-3)


def test_large_window_uses_the_height(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    window.resize(1600, 900)
    page = window.twelve_lead
    qtbot.waitUntil(lambda: page.viewbox.height() > 500, timeout=2000)
    (_, _), (y0, y1) = page.viewbox.viewRange()
    lowest = page.baseline(3) - 0.5 * page.row_mv  # bottom of the rhythm strip's band
    assert lowest / (y0 - y1) > 0.7, "the four rows spread over most of the height"


def test_true_size_is_one_menu_entry_away(qtbot, window, settings):
    window.set_recording(resting_12lead(75, "<r>"))
    window.fit_action.trigger()
    page = window.twelve_lead
    assert not page.fit and page.zoom == 1.0 and page.badge.text().endswith("true size")
    assert settings.get_str("display/fit_3x4", "") == "false"


def test_a_window_sized_before_it_is_shown_is_compact(qtbot, settings):
    """A restored 1366 × 768 geometry: the panels share one tabbed dock from the first frame."""
    from app.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    assert win.is_compact()
    win.close()


def test_a_caliper_follows_its_panel_when_the_rows_spread(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    window.resize(1366, 768)
    page = window.twelve_lead
    qtbot.waitUntil(lambda: window.height() == 768, timeout=2000)
    x0, _, row = page.cells["V5"]
    cal = page.calipers.place("time", x0 + 0.2, x0 + 0.6, at=(x0 + 0.2, page.baseline(row)))
    spacing = page.row_mv
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.height() == 1000, timeout=2000)
    qtbot.wait(20)
    assert page.row_mv != pytest.approx(spacing), "the rows moved"
    assert cal.panel[2] == pytest.approx((page.baseline(row) - 0.5 * page.row_mv, page.baseline(row) + 0.5 * page.row_mv))


def test_ptbxl_00219_at_1366x768(qtbot, window, shared_data):
    """The reported record on a laptop: the PVC in V4–V6 and the end of the rhythm strip are on screen, with the
    header's measurements above the page."""
    window.resize(1366, 768)
    assert window.open_path(shared_data / "ptbxl500" / "records500" / "00000" / "00219_hr.hea")
    page = window.twelve_lead
    qtbot.waitUntil(lambda: window.height() == 768 and page.view_range()[1] >= 10.0, timeout=3000)
    assert window.stack.currentWidget() is page and window.is_compact()
    assert page.view_range()[0] <= -0.4 and page.view_range()[1] >= 10.0
    (_, _), (y0, _) = page.viewbox.viewRange()
    assert y0 <= page.baseline(3) - 1.0
    assert window.header.wait()
    assert window.header.measures.text().startswith("HR 7")  # 73 bpm on lead II
