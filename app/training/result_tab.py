"""The panel's third page: before/after validation metrics side by side (per class), the two confusion
matrices, the validation beats or records whose prediction changed, and the viewer's model version."""
from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

BETTER, WORSE = QtGui.QColor("#d7f0d2"), QtGui.QColor("#f6d5d2")
#: Per-class metric prefixes by task: (key prefix, column title).
PER_CLASS = {"beats": (("Se_", "sensitivity"), ("+P_", "+P")), "rhythm": (("F1_", "F1"),)}
OVERALL = ("accuracy", "kappa", "jkappa", "F1_mean_NAO", "AUROC", "AUC_PR", "F1_weighted", "PSNR_dB", "SSIM",
           "MAE", "r")


def _cell(text: str, colour: QtGui.QColor | None = None) -> QtWidgets.QTableWidgetItem:
    it = QtWidgets.QTableWidgetItem(text)
    it.setFlags(it.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
    it.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
    if colour is not None:
        it.setBackground(colour)
    return it


def _f(v) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.3f}"


def comparison_rows(result: dict) -> list[tuple[str, float | None, float | None]]:
    """(metric, before, after) rows: each class's metrics first, then the overall ones."""
    before, after = result["before"], result["after"]
    rows = []
    present = _present_classes(result)
    for cls in present:
        for prefix, title in PER_CLASS.get(result["task"], ()):
            key = f"{prefix}{cls}"
            if key in after:
                rows.append((f"{cls} {title}", before.get(key), after.get(key)))
    rows += [(k, before.get(k), after.get(k)) for k in OVERALL if k in after]
    return rows


def _present_classes(result: dict) -> list[str]:
    """Classes with a reference example or a prediction, before or after (empty ones would only show zeros)."""
    mats = [m for m in (result.get("confusion_before"), result.get("confusion_after")) if m]
    if not mats:
        return list(result["classes"])
    return [c for k, c in enumerate(result["classes"])
            if any(sum(m[k]) or sum(row[k] for row in m) for m in mats)]


class ChangedModel(QtCore.QAbstractTableModel):
    """Read-only table over the result's list of changed predictions (thousands of rows, drawn lazily)."""

    COLUMNS = (("record", "record"), ("time_s", "time (s)"), ("reference", "reference"), ("before", "before"),
               ("after", "after"))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return int(QtCore.Qt.AlignmentFlag.AlignCenter)
        if role != QtCore.Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        key = self.COLUMNS[index.column()][0]
        v = self.rows[index.row()][key]
        return f"{v:.2f}" if key == "time_s" else str(v)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.COLUMNS[section][1]
        return super().headerData(section, orientation, role)


class ResultTab(QtWidgets.QWidget):
    """Signals: ``changedActivated(record, time_s)`` (double-click on a changed prediction),
    ``useVersionRequested(str label)`` ("" = the shipped default)."""

    changedActivated = QtCore.Signal(str, float)
    useVersionRequested = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        vrow = QtWidgets.QHBoxLayout()
        vrow.addWidget(QtWidgets.QLabel("Viewer model:"))
        self.versions = QtWidgets.QComboBox()
        vrow.addWidget(self.versions, 1)
        self.use_button = QtWidgets.QPushButton("Use in viewer")
        self.use_button.clicked.connect(lambda: self.useVersionRequested.emit(self.versions.currentData() or ""))
        vrow.addWidget(self.use_button)
        lay.addLayout(vrow)
        self.summary = QtWidgets.QLabel("No result yet.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary)
        lay.addWidget(QtWidgets.QLabel("Validation records, before → after fine-tuning:"))
        self.metrics = QtWidgets.QTableWidget(0, 3)
        self.metrics.setHorizontalHeaderLabels(["before", "after", "change"])
        self.metrics.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.metrics, 2)
        crow = QtWidgets.QHBoxLayout()
        self.confusion_before = QtWidgets.QTableWidget()
        self.confusion_after = QtWidgets.QTableWidget()
        for title, table in (("Confusion before (rows: reference)", self.confusion_before),
                             ("Confusion after", self.confusion_after)):
            box = QtWidgets.QVBoxLayout()
            box.addWidget(QtWidgets.QLabel(title))
            box.addWidget(table)
            crow.addLayout(box)
        lay.addLayout(crow, 2)
        self.changed_label = QtWidgets.QLabel("Predictions that changed:")
        lay.addWidget(self.changed_label)
        self.changed_model = ChangedModel(self)
        self.changed = QtWidgets.QTableView()
        self.changed.setModel(self.changed_model)
        self.changed.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.changed.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.changed.doubleClicked.connect(self._activated)
        lay.addWidget(self.changed, 2)

    def set_versions(self, labels: list[str], active: str | None) -> None:
        self.versions.clear()
        self.versions.addItem("Shipped default model", "")
        for label in labels:
            self.versions.addItem(label, label)
        self.versions.setCurrentIndex(max(0, self.versions.findData(active or "")))

    def show_result(self, result: dict) -> None:
        v = result.get("version")
        saved = f"saved as version {v['label']} in {v['path']}" if v else "not saved"
        self.summary.setText(f"Best epoch {result.get('best_epoch')} of {len(result.get('history', []))}; {saved}. "
                             f"{result['n_changed']} validation {'beats' if result['task'] == 'beats' else 'records'} "
                             f"changed prediction.")
        rows = comparison_rows(result)
        self.metrics.setRowCount(len(rows))
        self.metrics.setVerticalHeaderLabels([r[0] for r in rows])
        for i, (_, b, a) in enumerate(rows):
            delta = None if a is None or b is None else a - b
            colour = None if delta is None or abs(delta) < 1e-9 or result["task"] == "leadgen" else \
                (BETTER if delta > 0 else WORSE)
            self.metrics.setItem(i, 0, _cell(_f(b)))
            self.metrics.setItem(i, 1, _cell(_f(a), colour))
            self.metrics.setItem(i, 2, _cell("—" if delta is None else f"{delta:+.3f}", colour))
        for table, key in ((self.confusion_before, "confusion_before"), (self.confusion_after, "confusion_after")):
            self._confusion(table, result["classes"], result.get(key))
        changed = result["changed"]
        self.changed_label.setText(f"Predictions that changed ({result['n_changed']}"
                                   f"{', first ' + str(len(changed)) + ' listed' if len(changed) < result['n_changed'] else ''}"
                                   f"; double-click to show it in the viewer):")
        self.changed_model.set_rows(changed)

    @staticmethod
    def _confusion(table: QtWidgets.QTableWidget, classes: list[str], matrix) -> None:
        table.clear()
        if matrix is None:
            table.setRowCount(0)
            table.setColumnCount(0)
            return
        n = len(classes)
        table.setRowCount(n)
        table.setColumnCount(n)
        table.setHorizontalHeaderLabels(classes)
        table.setVerticalHeaderLabels(classes)
        top = max(1, max(max(r) for r in matrix))
        for i in range(n):
            for j in range(n):
                v = matrix[i][j]
                shade = int(255 - 150 * (v / top) ** 0.5)
                colour = QtGui.QColor(shade, shade, 255) if i == j else QtGui.QColor(255, shade, shade)
                table.setItem(i, j, _cell(str(v), colour if v else None))
        table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)

    def _activated(self, index: QtCore.QModelIndex) -> None:
        row = self.changed_model.rows[index.row()]
        self.changedActivated.emit(row["record"], float(row["time_s"]))
