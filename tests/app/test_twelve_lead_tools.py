"""The 3 × 4 page of a cart ECG is measured like the strips (issue 17): hover read-out and tooltip of lead, time
and mV, calipers in ms/mV and paper mm on the panel they are placed in, started where the button went down."""
from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest
from resting_ecg import resting_12lead


@pytest.fixture
def page(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    assert window.stack.currentWidget() is window.twelve_lead
    qtbot.waitUntil(lambda: window.twelve_lead.viewbox.width() > 100)
    return window.twelve_lead


def to_widget(page, x: float, y: float) -> QtCore.QPoint:
    """Widget pixel of page point (x s, y mV) in the plot's viewport."""
    scene = page.viewbox.mapViewToScene(QtCore.QPointF(x, y))
    return page.plot.mapFromScene(scene)


def drag(qtbot, widget, start: QtCore.QPoint, end: QtCore.QPoint) -> None:
    """A left-button drag from ``start`` to ``end`` in ten mouse moves (button held in every move event; apart
    in time, as pyqtgraph drops moves closer than its rate limit)."""
    from PySide6 import QtGui, QtWidgets

    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    mods = QtCore.Qt.KeyboardModifier.NoModifier

    def send(kind, pos, button, buttons):
        p = QtCore.QPointF(pos)
        ev = QtGui.QMouseEvent(kind, p, QtCore.QPointF(widget.mapToGlobal(pos)), button, buttons, mods)
        QtWidgets.QApplication.sendEvent(widget, ev)

    send(QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    for k in range(1, 11):  # the drag is recognised only after a few pixels of movement
        qtbot.wait(25)
        send(QtCore.QEvent.Type.MouseMove, start + (end - start) * k / 10, none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, left, none)


def test_hover_reads_lead_time_and_millivolts(qtbot, window, page):
    x0, _, row = page.cells["V5"]
    y = page.baseline(row) + 0.5
    QTest.mouseMove(page.plot.viewport(), to_widget(page, x0 + 1.0, y))
    qtbot.waitUntil(lambda: "V5" in window.cursor_label.text())
    when, lead, reading = window.cursor_label.text().split("   ")  # e.g. "+0:00:08.500 elapsed   V5   +0.500 mV"
    clock, (mv, unit) = when.split()[0], reading.split()
    px_s, px_mv = page.viewbox.viewPixelSize()
    assert lead == "V5" and unit == "mV"
    assert float(clock.split(":")[-1]) == pytest.approx(8.5, abs=1.5 * px_s)  # V5 starts 7.5 s into the page
    assert float(mv) == pytest.approx(0.5, abs=1.5 * px_mv)
    assert page.plot.toolTip().startswith("V5 · 8.")
    page.set_page_start(0.0)  # the view changed: the read-out is of nothing any more
    assert window.cursor_label.text() == ""


def test_time_caliper_on_a_panel_starts_at_the_press_and_reads_ms_and_mm(qtbot, window, page):
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    qtbot.keyClick(page, QtCore.Qt.Key.Key_T, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert page.calipers.mode == "time"
    x0, _, row = page.cells["V2"]
    y = page.baseline(row)
    vp = page.plot.viewport()
    start, end = to_widget(page, x0 + 0.40, y), to_widget(page, x0 + 0.80, y)
    drag(qtbot, vp, start, end)
    cal = page.calipers.current
    assert cal is not None
    px_s = page.viewbox.viewPixelSize()[0]
    a, b = cal.values()
    assert a == pytest.approx(x0 + 0.40, abs=1.5 * px_s), "the caliper starts where the button went down"
    assert b == pytest.approx(x0 + 0.80, abs=1.5 * px_s)
    assert cal.panel[0] == "V2"
    text = window.caliper_label.text()
    ms, mm = float(text.split("Δt ")[1].split(" ms")[0]), float(text.split("= ")[1].split(" mm")[0])
    assert text.startswith("V2: Δt ") and ms == pytest.approx(400, abs=10) and mm == pytest.approx(ms * 0.025, abs=0.06)
    # the lines span the V2 panel only
    (_, _), (vy0, vy1) = page.viewbox.viewRange()
    lo, hi = cal.lines[0].span
    assert 0.0 < lo < hi < 1.0


def test_amplitude_caliper_reads_mv_and_mm(qtbot, window, page):
    x0, _, row = page.cells["II"]
    base = page.baseline(row)
    page.calipers.set_mode("amplitude")
    cal = page.calipers.place("amplitude", base, base + 1.0, at=(x0 + 1.0, base))
    assert cal.reading() == "II: ΔV 1.00 mV = 10.0 mm"


def test_arrow_keys_nudge_the_caliper_on_the_page(qtbot, window, page):
    page.calipers.set_mode("time")
    x0, _, row = page.cells["V1"]
    cal = page.calipers.place("time", x0 + 0.4, x0 + 0.8, at=(x0 + 0.4, page.baseline(row)))
    t0 = page.t0
    px = page.viewbox.viewPixelSize()[0]
    qtbot.keyClick(page, QtCore.Qt.Key.Key_Right)
    assert cal.values() == pytest.approx((x0 + 0.4, x0 + 0.8 + px))
    assert page.t0 == t0, "in caliper mode the arrows nudge, they do not turn the page"
