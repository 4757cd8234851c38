"""Helpers of the editing tests: the sample rate of the sinus record, key names, and real key presses and clicks
on the trace."""
from __future__ import annotations

from PySide6 import QtCore

FS = 250.0
K = QtCore.Qt.Key
CTRL = QtCore.Qt.KeyboardModifier.ControlModifier


def labels(ui):
    store = ui.controller.store
    mask = store.label_mask()
    return store.beats["sample"][mask], store.beats["code"][mask]


def press(qtbot, ui, key, text="", mods=QtCore.Qt.KeyboardModifier.NoModifier):
    if text:
        qtbot.keyClick(ui.window.trace, text, mods)
    else:
        qtbot.keyClick(ui.window.trace, key, mods)


def repaint(ui) -> None:
    """Paint the trace area now, once the view's data is there (painting waits for it)."""
    assert ui.window.trace.wait_rendered()
    ui.window.trace.plot.viewport().repaint()


def click_at(qtbot, ui, t_s: float, y: float):
    """A real left click on the trace at plot time ``t_s`` (s) and plot ``y`` (mV rows)."""
    trace = ui.window.trace
    scene = trace.viewbox.mapViewToScene(QtCore.QPointF(t_s, y))
    pos = trace.plot.mapFromScene(scene)
    qtbot.mouseClick(trace.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
