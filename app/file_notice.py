"""``FileNoticeBar``: an amber bar over the traces when the reader had to work around a problem of the file
(``Recording.warnings``: a truncated EDF shows 10 s of the 40 s its header declares), so a partial or repaired
recording never passes for a complete one. Hidden for files read as they are."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from anyecg_model.io.recording import Recording

STYLE = "background: #fff3cd; color: #5c3c00; border: 1px solid #d39e00; padding: 3px 6px;"


class FileNoticeBar(QtWidgets.QLabel):
    """One line per reader warning of the open recording, after "Opened with problems:"."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("file_notice")
        self.setWordWrap(True)
        self.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(f"QLabel#file_notice {{ {STYLE} }}")
        self.hide()

    def show_for(self, recording: Recording | None) -> str:
        """Show ``recording``'s reader warnings (hidden when there are none); returns the text shown."""
        warnings = list(getattr(recording, "warnings", []) or []) if recording is not None else []
        text = ("⚠ Opened with problems: " + "; ".join(warnings)) if warnings else ""
        self.setText(text)
        self.setVisible(bool(text))
        return text


def install_file_notice(win) -> FileNoticeBar:
    """Put the notice bar over ``win``'s traces; it follows the open recording and repeats in the status bar."""
    bar = FileNoticeBar()
    win.add_banner(bar)
    win.register_feature("file_notice", bar)

    def opened(rec: Recording) -> None:
        text = bar.show_for(rec)
        if text:
            win.statusBar().showMessage("Opened with problems: see the notice over the traces", 20000)

    win.recordingOpened.connect(opened)
    win.recordingClosed.connect(lambda: bar.show_for(None))
    return bar
