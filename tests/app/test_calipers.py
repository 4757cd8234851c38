"""Calipers: Δt with the heart rate it implies, ΔmV, arrow-key nudge, march-out."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from app.calipers import amplitude_reading, time_reading


def test_readings():
    assert time_reading(0.8) == "Δt 800 ms · 75 bpm"
    assert time_reading(-1.0) == "Δt 1000 ms · 60 bpm"
    assert amplitude_reading(-1.25) == "ΔV 1.25 mV"


@pytest.fixture
def view(window, sinus):
    window.set_recording(sinus)
    window.trace.set_view(10.0, 20.0)
    assert window.trace.wait_rendered()
    return window.trace


def test_rr_caliper_between_two_beats_reads_the_rate(qtbot, view, sinus):
    view.calipers.set_mode("time")
    peaks = sinus.annotations.sample / sinus.fs
    a, b = peaks[(peaks > 11)][:2]
    cal = view.calipers.place("time", a, b)
    assert cal.reading() == "Δt 800 ms · 75 bpm"  # the fixture is 75 bpm sinus rhythm


def test_arrow_keys_nudge_by_one_pixel(qtbot, view):
    view.calipers.set_mode("time")
    cal = view.calipers.place("time", 12.0, 12.8)
    px = view.viewbox.viewPixelSize()[0]
    t0 = view.view_range()[0]
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    assert cal.values() == pytest.approx((12.0, 12.8 + px))
    assert view.view_range()[0] == t0, "in caliper mode arrows nudge, they do not scroll"
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Left, QtCore.Qt.KeyboardModifier.ShiftModifier)
    assert cal.values() == pytest.approx((12.0 - px, 12.8))
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Escape)
    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    assert view.view_range()[0] > t0, "after Esc the arrows scroll again"


def test_march_out_repeats_the_interval(qtbot, view):
    view.calipers.set_mode("time")
    view.calipers.set_march_out(True)
    cal = view.calipers.place("time", 12.0, 12.8)
    pos = cal.march.positions()
    assert cal.march.isVisible()
    np.testing.assert_allclose(np.diff(pos), 0.8)
    assert pos.min() < 10.8 and pos.max() > 19.2


def test_amplitude_caliper_reads_millivolts(qtbot, view):
    view.calipers.set_mode("amplitude")
    base = view.lead_offset(0)
    cal = view.calipers.place("amplitude", base, base + 1.0)
    assert cal.reading() == "ΔV 1.00 mV"


def test_drag_places_a_caliper_from_the_press_point(qtbot, view):
    """A real drag: the caliper starts where the button went down, not where the drag was recognised."""
    from PySide6.QtCore import QPointF
    from test_twelve_lead_tools import drag

    view.calipers.set_mode("time")
    y = view.lead_offset(0)

    def px(t):
        return view.plot.mapFromScene(view.viewbox.mapViewToScene(QPointF(t, y)))

    drag(qtbot, view.plot.viewport(), px(13.0), px(13.5))
    step = view.viewbox.viewPixelSize()[0]
    assert view.calipers.current.values() == pytest.approx((13.0, 13.5), abs=1.5 * step)
    assert "Δt 50" in view.calipers.reading() or "Δt 49" in view.calipers.reading()
