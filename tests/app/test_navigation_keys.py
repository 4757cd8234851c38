"""Keyboard and mouse navigation move the view exactly as the issue specifies."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

Key = QtCore.Qt.Key
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def view(window, sinus):
    window.set_recording(sinus)
    view = window.trace
    view.set_view(60.0, 80.0)  # a 20-s page
    assert view.wait_rendered()
    return view


def page(view):
    t0, t1 = view.view_range()
    return t1 - t0


@pytest.mark.parametrize("key, mods, shift_pages", [
    (Key.Key_Right, QtCore.Qt.KeyboardModifier.NoModifier, 0.25),
    (Key.Key_Left, QtCore.Qt.KeyboardModifier.NoModifier, -0.25),
    (Key.Key_Right, SHIFT, 1.0),
    (Key.Key_Left, SHIFT, -1.0),
    (Key.Key_PageDown, QtCore.Qt.KeyboardModifier.NoModifier, 1.0),
    (Key.Key_PageUp, QtCore.Qt.KeyboardModifier.NoModifier, -1.0),
])
def test_keys_move_by_quarter_or_whole_page(qtbot, view, key, mods, shift_pages):
    t0, _ = view.view_range()
    p = page(view)
    qtbot.keyClick(view, key, mods)
    assert view.view_range()[0] == pytest.approx(t0 + shift_pages * p)
    assert page(view) == pytest.approx(p), "navigation never changes the zoom"


def test_home_and_end(qtbot, view, sinus):
    p = page(view)
    qtbot.keyClick(view, Key.Key_End)
    assert view.view_range()[1] == pytest.approx(sinus.duration_s)
    qtbot.keyClick(view, Key.Key_Home)
    assert view.view_range() == pytest.approx((0.0, p))
    qtbot.keyClick(view, Key.Key_Left)
    assert view.view_range()[0] == 0.0, "the view stops at the start of the record"


def test_plus_minus_step_gain_through_presets(qtbot, view):
    view.set_gain(10.0)
    qtbot.keyClick(view, Key.Key_Plus)
    assert view.gain_mm_mv() == pytest.approx(20.0)
    qtbot.keyClick(view, Key.Key_Minus)
    qtbot.keyClick(view, Key.Key_Minus)
    assert view.gain_mm_mv() == pytest.approx(5.0)
    assert "5 mm/mV" in view.badge.text()


def test_ctrl_wheel_zooms_time_around_the_cursor(qtbot, view):
    t0, t1 = view.view_range()
    vb = view.viewbox
    anchor = t0 + 0.25 * (t1 - t0)
    scene_pos = vb.mapViewToScene(QtCore.QPointF(anchor, -1.0))

    class Wheel:
        def __init__(self, mods):
            self._mods = mods
            self.accepted = False

        def delta(self):
            return 120

        def scenePos(self):
            return scene_pos

        def modifiers(self):
            return self._mods

        def accept(self):
            self.accepted = True

    vb.wheelEvent(Wheel(QtCore.Qt.KeyboardModifier.ControlModifier))
    n0, n1 = view.view_range()
    assert n1 - n0 == pytest.approx((t1 - t0) / 1.25)
    assert n0 + 0.25 * (n1 - n0) == pytest.approx(anchor), "the time under the cursor stays put"


def test_speed_presets_are_calibrated(view):
    view.set_speed(25.0)
    mm = view.scale.px_per_mm
    assert page(view) == pytest.approx(view.plot_width_px() / (25.0 * mm))
    view.set_speed(50.0)
    assert page(view) == pytest.approx(view.plot_width_px() / (50.0 * mm))
    assert view.badge.text().startswith("50 mm/s")


def test_go_to_time_box_and_overview_click(qtbot, window, view):
    window.goto_box.setText("0:02:30")
    qtbot.keyClick(window.goto_box, Key.Key_Return)
    assert view.view_range()[0] == pytest.approx(150.0)
    window.overview.timeClicked.emit(100.0)
    t0, t1 = view.view_range()
    assert (t0 + t1) / 2 == pytest.approx(100.0)
    assert window.overview.view_rect.rect().left() == pytest.approx(t0)


def test_find_next_ventricular_ectopic(window, view, sinus):
    window.search_combo.setCurrentText("any ventricular ectopic")
    v_times = sinus.annotations.sample[sinus.annotations.symbol == "V"] / sinus.fs
    view.set_view(0.0, 20.0)
    assert window.find_annotation(True)
    t0, t1 = view.view_range()
    centre = (t0 + t1) / 2
    assert centre == pytest.approx(v_times[v_times > 10.0][0])
    assert window.find_annotation(True)
    assert sum(view.view_range()) / 2 == pytest.approx(v_times[v_times > centre + 0.01][0])
    assert window.find_annotation(False)
    assert sum(view.view_range()) / 2 == pytest.approx(centre)


class FakeDrag:
    """The parts of a pyqtgraph drag event the view boxes read."""

    def __init__(self, last, now):
        self._last, self._now = last, now
        self.accepted = False

    def button(self):
        return QtCore.Qt.MouseButton.LeftButton

    def lastScenePos(self):
        return self._last

    def scenePos(self):
        return self._now

    def isStart(self):
        return False

    def accept(self):
        self.accepted = True

    def ignore(self):
        pass


def test_drag_pans_by_the_distance_dragged(view):
    vb = view.viewbox
    t0, t1 = view.view_range()
    a = vb.mapViewToScene(QtCore.QPointF(t0 + 6.0, -1.0))
    b = vb.mapViewToScene(QtCore.QPointF(t0 + 4.0, -1.0))
    vb.mouseDragEvent(FakeDrag(a, b))  # drag the trace 2 s to the left: later times come into view
    assert view.view_range()[0] == pytest.approx(t0 + 2.0, abs=0.05)


def test_dragging_in_the_overview_moves_the_view(window, view):
    ob = window.overview.viewbox
    got = []
    window.overview.timeClicked.connect(got.append)
    p = ob.mapViewToScene(QtCore.QPointF(200.0, -0.5))
    ob.mouseDragEvent(FakeDrag(p, p))
    assert got and got[-1] == pytest.approx(200.0, abs=1.0)
    t0, t1 = view.view_range()
    assert (t0 + t1) / 2 == pytest.approx(200.0, abs=1.0)
