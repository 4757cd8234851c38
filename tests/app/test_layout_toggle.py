"""View ▸ Clinical 3 × 4 layout and Ctrl+L switch a resting 12-lead between the 3 × 4 page and the stacked
strips, both ways, with the menu's check mark following (issue 17: a TypeError kept the 3 × 4 on screen)."""
from __future__ import annotations

from PySide6 import QtCore
from resting_ecg import resting_12lead


def test_ctrl_l_leaves_and_reenters_the_3x4_layout(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=2000)
    assert window.stack.currentWidget() is window.twelve_lead and window.layout_action.isChecked()
    qtbot.keyClick(window.stack.currentWidget(), QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.trace and not window.layout_action.isChecked()
    qtbot.keyClick(window.stack.currentWidget(), QtCore.Qt.Key.Key_L, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.twelve_lead and window.layout_action.isChecked()


def test_menu_entry_toggles_the_layout(qtbot, window):
    window.set_recording(resting_12lead(75, "<r>"))
    window.layout_action.trigger()
    assert window.stack.currentWidget() is window.trace and not window.layout_action.isChecked()
    window.layout_action.trigger()
    assert window.stack.currentWidget() is window.twelve_lead and window.layout_action.isChecked()


def test_the_hidden_3x4_page_is_drawn_when_shown_not_on_every_open(qtbot, window):
    """Issue 19: behind a Holter's stacked strips the 3 × 4 page read and drew a page on every open and resize."""
    window.settings.set("display/auto_3x4", "false")
    window.set_recording(resting_12lead(75, "<r>"))
    assert window.stack.currentWidget() is window.trace
    assert window.twelve_lead.cells == {}
    window.layout_action.trigger()
    assert window.stack.currentWidget() is window.twelve_lead
    assert len(window.twelve_lead.cells) == 13  # 12 leads and the rhythm strip
