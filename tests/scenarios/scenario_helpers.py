"""Helpers of the scenario tests: copy a record, find a button or menu action, press keys, analyse."""
from __future__ import annotations

import shutil
from pathlib import Path

from PySide6 import QtCore, QtWidgets

K = QtCore.Qt.Key
CTRL = QtCore.Qt.KeyboardModifier.ControlModifier
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier
ALT = QtCore.Qt.KeyboardModifier.AltModifier
LEFT = QtCore.Qt.MouseButton.LeftButton
#: Longest wait for the shipped model to analyse a 30-min record on a shared CPU (ms).
ANALYSIS_TIMEOUT_MS = 600_000


def copy_record(src_dir: Path, name: str, dest: Path) -> Path:
    """Copy WFDB record ``name`` (.hea, .dat, .atr) to ``dest`` (never edit the shared data); returns the .hea."""
    dest.mkdir(parents=True, exist_ok=True)
    for ext in (".hea", ".dat", ".atr"):
        if (src_dir / f"{name}{ext}").exists():
            shutil.copy(src_dir / f"{name}{ext}", dest / f"{name}{ext}")
    return dest / f"{name}.hea"


def button(parent: QtWidgets.QWidget, text: str) -> QtWidgets.QPushButton:
    """The push button under ``parent`` whose text starts with ``text``."""
    found = [b for b in parent.findChildren(QtWidgets.QPushButton) if b.text().startswith(text)]
    assert found, f"no button {text!r}"
    return found[0]


def menu_action(win, path: str):
    """The action at menu ``path`` such as ``"Annotate/Save as WFDB annotator"`` (prefix match, & ignored)."""
    *menus, leaf = path.split("/")
    actions = win.menuBar().actions()
    for name in menus:
        menu = next(a.menu() for a in actions if a.menu() is not None and a.text().replace("&", "").startswith(name))
        actions = menu.actions()
    return next(a for a in actions if a.text().replace("&", "").startswith(leaf))


def analyse(qtbot, win):
    """Model ▸ Analyze recording (Ctrl+Alt+Return), waiting for the whole recording's findings."""
    with qtbot.waitSignal(win.model.analysisFinished, timeout=ANALYSIS_TIMEOUT_MS) as blocker:
        qtbot.keyClick(win.trace, K.Key_Return, CTRL | ALT)
    return blocker.args[0]
