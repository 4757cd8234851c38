"""The demo bar above the traces: says what a built-in demo is, and opens the other one in one click.

* The synthetic Holter gets a bold amber "SYNTHETIC DEMO DATA" banner for as long as it is on screen (the
  title bar alone is easily missed, and a screenshot of the traces must not pass for a patient's).
* The real 12-lead demo gets a quiet line naming its source.

Each offers the other demo with a button; File ▸ Open demo lists both. Any other recording hides the bar.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.demo import SYNTHETIC_LABEL, demo_kind

#: (banner text, button text, demo the button opens, style) per demo kind.
_BARS = {
    "holter": (f"{SYNTHETIC_LABEL} — a generated six-hour Holter, not a patient recording",
               "Open the real 12-lead demo", "12lead",
               "background: #f5b800; color: #1a1a1a; font-weight: bold;"),
    "12lead": ("Demo: a real 10-s 12-lead resting ECG (pydicom's test file waveform_ecg.dcm)",
               "Open the long demo (synthetic 6-h Holter)", "holter",
               "background: palette(alternate-base); color: palette(text);"),
}


class DemoBar(QtWidgets.QFrame):
    """One line above the traces while a built-in demo is open."""

    openDemo = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("demo_bar")
        self.kind: str | None = None
        self.label = QtWidgets.QLabel()
        self.button = QtWidgets.QPushButton()
        self.button.setCursor(QtGui.QCursor(QtCore.Qt.CursorShape.PointingHandCursor))
        self.button.clicked.connect(lambda: self.openDemo.emit(_BARS[self.kind][2]) if self.kind else None)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.show_for(None)

    def show_for(self, kind: str | None) -> None:
        """Show the bar of demo ``kind`` (``"holter"``, ``"12lead"``) or hide it (None)."""
        self.kind = kind if kind in _BARS else None
        if self.kind is None:
            self.hide()
            return
        text, button, _, style = _BARS[self.kind]
        self.label.setText(text)
        self.button.setText(button)
        self.setStyleSheet(f"QFrame#demo_bar {{ {style} }} QFrame#demo_bar QLabel {{ {style} }}")
        self.show()


def install_demo_bar(win) -> DemoBar:
    """Put the demo bar at the top of ``win``'s central area and keep it in step with the open recording."""
    bar = DemoBar()
    win.add_banner(bar)
    win.register_feature("demo_bar", bar)
    win.recordingOpened.connect(lambda rec: bar.show_for(demo_kind(rec)))
    win.recordingClosed.connect(lambda: bar.show_for(None))
    bar.openDemo.connect(win.open_demo)
    return bar
