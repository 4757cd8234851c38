"""Remembered settings (QSettings ``AnyECG/Workstation``) and the light and dark themes.

Keys: ``display/dpi``, ``display/speed``, ``display/gain``, ``display/filter``, ``display/notch``,
``display/theme``, ``files/recent`` (newest first), ``files/last_dir``, ``files/report_dir`` (last report's
folder), ``window/geometry``.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from .paper import DARK, LIGHT, PaperColours

MAX_RECENT = 10


@dataclass
class ViewerSettings:
    """Typed access to the viewer's QSettings."""

    qsettings: QtCore.QSettings

    @classmethod
    def default(cls) -> "ViewerSettings":
        return cls(QtCore.QSettings("AnyECG", "Workstation"))

    def _get(self, key: str, default, kind):
        value = self.qsettings.value(key, default)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    def get_float(self, key: str, default: float) -> float:
        return self._get(key, default, float)

    def get_str(self, key: str, default: str) -> str:
        return self._get(key, default, str)

    def set(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)

    def recent_files(self) -> list[str]:
        value = self.qsettings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> list[str]:
        items = [path] + [p for p in self.recent_files() if p != path]
        self.set("files/recent", items[:MAX_RECENT])
        return items[:MAX_RECENT]


THEMES: dict[str, PaperColours] = {"light": LIGHT, "dark": DARK}


def apply_theme(app: QtWidgets.QApplication, name: str) -> PaperColours:
    """Fusion style with a light or dark palette; returns the matching paper colours."""
    app.setStyle("Fusion")
    if name == "dark":
        pal = QtGui.QPalette()
        base, text, mid = QtGui.QColor("#1c2026"), QtGui.QColor("#e8eef8"), QtGui.QColor("#2a3038")
        for role, colour in ((QtGui.QPalette.ColorRole.Window, mid), (QtGui.QPalette.ColorRole.WindowText, text),
                             (QtGui.QPalette.ColorRole.Base, base), (QtGui.QPalette.ColorRole.AlternateBase, mid),
                             (QtGui.QPalette.ColorRole.Text, text), (QtGui.QPalette.ColorRole.Button, mid),
                             (QtGui.QPalette.ColorRole.ButtonText, text),
                             (QtGui.QPalette.ColorRole.ToolTipBase, base), (QtGui.QPalette.ColorRole.ToolTipText, text),
                             (QtGui.QPalette.ColorRole.Highlight, QtGui.QColor("#3d7be0")),
                             (QtGui.QPalette.ColorRole.HighlightedText, QtGui.QColor("#ffffff"))):
            pal.setColor(role, colour)
        app.setPalette(pal)
        return DARK
    app.setPalette(app.style().standardPalette())
    return LIGHT
