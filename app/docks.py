"""Docks of the main window on any screen: every panel's content scrolls, so no panel sets the window's minimum
height, and a compact window (a laptop's 1366 × 768) stacks the right-hand panels other than Leads as tabs of one
narrower dock. :class:`DockLayout` is the main window's ``docks``."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

RIGHT = QtCore.Qt.DockWidgetArea.RightDockWidgetArea


@dataclass(frozen=True)
class CompactRules:
    """Below ``height_px`` of window height the layout is compact: right-hand docks ``dock_px`` wide, the Leads
    dock ``leads_px`` tall."""

    height_px: int = 900
    dock_px: int = 400
    leads_px: int = 180


def scrolling(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """``widget`` in a frameless scroll area that resizes it (a dock's content)."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


class DockLayout:
    """Switches ``window``'s right-hand docks between one above the other and tabs of one dock
    (:meth:`set_compact`); ``fixed`` is the dock that keeps its own place (Leads)."""

    def __init__(self, window: QtWidgets.QMainWindow, fixed: QtWidgets.QDockWidget, rules: CompactRules = CompactRules()):
        self.window, self.fixed, self.rules = window, fixed, rules
        self.compact = False

    def fit_height(self, height_px: int) -> None:
        """Compact below :attr:`CompactRules.height_px`, stacked at or above it."""
        self.set_compact(height_px < self.rules.height_px)

    def set_compact(self, compact: bool) -> None:
        if compact == self.compact:
            return
        self.compact = compact
        win = self.window
        right = [d for d in win.findChildren(QtWidgets.QDockWidget)
                 if win.dockWidgetArea(d) == RIGHT and d is not self.fixed and not d.isFloating() and not d.isHidden()]
        if len(right) < 2:
            return
        first = right[0]
        for dock in right[1:]:
            if compact:
                win.tabifyDockWidget(first, dock)
            else:
                win.splitDockWidget(first, dock, QtCore.Qt.Orientation.Vertical)
        first.raise_()
        if compact:
            win.resizeDocks([first], [self.rules.dock_px], QtCore.Qt.Orientation.Horizontal)
            win.resizeDocks([self.fixed, first], [self.rules.leads_px, win.height()], QtCore.Qt.Orientation.Vertical)
