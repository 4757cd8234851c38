"""Dialogs of annotation editing: name the annotator to save as, and offer to restore a journal."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from anyecg_model.annotations import AnnotationError, JournalInfo, annotator_path
from anyecg_model.annotations.wfdb_file import record_base


class SaveAnnotatorDialog(QtWidgets.QDialog):
    """Ask for the annotator name (``<record>.<name>``); replacing an existing file (``atr`` included) needs
    the user to tick a box naming it, so the original labels are never overwritten by accident."""

    def __init__(self, record: str, default: str = "corr", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Save annotations as WFDB annotator")
        self.record = QtWidgets.QLineEdit(str(record_base(record)))
        self.name = QtWidgets.QLineEdit(default)
        self.target = QtWidgets.QLabel()
        self.target.setWordWrap(True)
        self.replace = QtWidgets.QCheckBox()
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Save
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Record", self.record)
        form.addRow("Annotator name", self.name)
        form.addRow(self.target)
        form.addRow(self.replace)
        form.addRow(self.buttons)
        for w in (self.record, self.name):
            w.textChanged.connect(self._check)
        self.replace.toggled.connect(self._check)
        self._check()

    def _check(self, *_) -> None:
        self.exists = False
        try:
            path = annotator_path(self.record.text(), self.name.text())
        except AnnotationError as exc:
            self.target.setText(str(exc))
            self.replace.setVisible(False)
            ok = False
        else:
            exists = self.exists = path.exists()
            self.replace.setVisible(exists)
            self.replace.setText(f"Replace the existing annotator '{self.name.text()}' (its labels are lost)")
            self.target.setText(f"Writes {path}" + ("  — this file exists" if exists else ""))
            ok = not exists or self.replace.isChecked()
            ok = ok and Path(self.record.text()).parent.is_dir()
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save).setEnabled(ok)

    def values(self) -> tuple[str, str, bool]:
        """``(record, annotator, replace)``."""
        return self.record.text(), self.name.text(), self.exists and self.replace.isChecked()


def restore_question(parent, info: JournalInfo) -> QtWidgets.QMessageBox:
    """A non-blocking question: restore the journalled edits, or set them aside (never deleted)."""
    when = _dt.datetime.fromtimestamp(info.last_time).strftime("%Y-%m-%d %H:%M:%S") if info.last_time else "unknown"
    saved = f"\nLast saved to {info.saved_to}; {info.edits_since_save} change(s) since." if info.saved_to else ""
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Restore unsaved edits?",
                                f"This recording has {info.n_edits} edit(s) from an earlier session "
                                f"(last change {when}).{saved}\n\nRestore them?", parent=parent)
    box.restore_button = box.addButton("Restore edits", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    box.discard_button = box.addButton("Start fresh (keep journal aside)", QtWidgets.QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(box.restore_button)
    box.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    return box
