"""The panel's first page: recordings or folders, where labels come from, and the counts of the built data set
(per class and split, per record), with every problem found before training."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.annotations import LABEL_SOURCES
from anyecg_model.train.data.dataset_builder import DatasetConfig, UserDataset

#: Label source choices: (text, labels kind, store sources).
LABEL_CHOICES = (
    ("Annotation store: reference, manual and accepted labels", "store", LABEL_SOURCES),
    ("Annotation store: my corrections only (manual, accepted)", "store", ("manual", "accepted")),
    ("Label table (CinC REFERENCE.csv, PTB-XL database CSV)", "table", LABEL_SOURCES),
)
ERROR_COLOUR, WARNING_COLOUR = QtGui.QColor("#b3261e"), QtGui.QColor("#8a5300")


def _item(text, align_right: bool = False) -> QtWidgets.QTableWidgetItem:
    it = QtWidgets.QTableWidgetItem(str(text))
    it.setFlags(it.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
    if align_right:
        it.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
    return it


class DataTab(QtWidgets.QWidget):
    """Signals: ``buildRequested()``; ``addOpenRequested()`` (add the viewer's open recording)."""

    buildRequested = QtCore.Signal()
    addOpenRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(QtWidgets.QLabel("Recordings and folders (any readable format):"))
        self.inputs = QtWidgets.QListWidget()
        self.inputs.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.inputs.setMaximumHeight(90)
        lay.addWidget(self.inputs)
        row = QtWidgets.QHBoxLayout()
        for text, slot in (("Add files…", self._add_files), ("Add folder…", self._add_folder),
                           ("Add open recording", self.addOpenRequested.emit), ("Remove", self._remove)):
            b = QtWidgets.QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        lay.addLayout(row)
        form = QtWidgets.QFormLayout()
        self.label_source = QtWidgets.QComboBox()
        for text, _, _ in LABEL_CHOICES:
            self.label_source.addItem(text)
        self.label_source.currentIndexChanged.connect(self._source_changed)
        form.addRow("Labels", self.label_source)
        self.annotator = QtWidgets.QLineEdit()
        self.annotator.setPlaceholderText("atr (or the annotator you saved, e.g. corr)")
        form.addRow("Annotator file", self.annotator)
        table_row = QtWidgets.QHBoxLayout()
        self.table_path = QtWidgets.QLineEdit()
        self.table_path.setPlaceholderText("REFERENCE.csv or ptbxl_database.csv")
        browse = QtWidgets.QPushButton("…")
        browse.setFixedWidth(32)
        browse.clicked.connect(self._choose_table)
        table_row.addWidget(self.table_path)
        table_row.addWidget(browse)
        form.addRow("Label table", table_row)
        split_row = QtWidgets.QHBoxLayout()
        self.val_fraction = QtWidgets.QSpinBox()
        self.val_fraction.setRange(5, 60)
        self.val_fraction.setValue(20)
        self.val_fraction.setSuffix(" % of examples, whole records / patients")
        split_row.addWidget(self.val_fraction)
        form.addRow("Validation", split_row)
        self.val_records = QtWidgets.QLineEdit()
        self.val_records.setPlaceholderText("optional: records kept for validation, e.g. 101, 203, 223")
        form.addRow("Validation records", self.val_records)
        self.drop_rare = QtWidgets.QCheckBox("Leave out classes with fewer than 10 examples")
        form.addRow("", self.drop_rare)
        lay.addLayout(form)
        self.build_button = QtWidgets.QPushButton("Build data set")
        self.build_button.clicked.connect(self.buildRequested)
        lay.addWidget(self.build_button)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.issues = QtWidgets.QListWidget()
        self.issues.setMaximumHeight(70)
        self.issues.setWordWrap(True)
        lay.addWidget(self.issues)
        lay.addWidget(QtWidgets.QLabel("Examples per class:"))
        self.counts = QtWidgets.QTableWidget(0, 3)
        self.counts.setHorizontalHeaderLabels(["training", "validation", "all"])
        self.counts.setMaximumHeight(150)
        lay.addWidget(self.counts)
        lay.addWidget(QtWidgets.QLabel("Per record:"))
        self.records = QtWidgets.QTableWidget(0, 0)
        self.records.setSortingEnabled(True)
        lay.addWidget(self.records, 1)
        self._source_changed(0)

    # ------------------------------------------------------------------ inputs
    def add_paths(self, paths) -> None:
        present = {self.inputs.item(i).text() for i in range(self.inputs.count())}
        for p in paths:
            if str(p) not in present:
                self.inputs.addItem(str(p))

    def paths(self) -> list[Path]:
        return [Path(self.inputs.item(i).text()) for i in range(self.inputs.count())]

    def _add_files(self) -> None:
        files, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Recordings", "", "ECG files (*.hea *.edf *.bdf "
                                                          "*.dcm *.xml *.scp *.csv *.npy *.ecg);;All files (*)")
        self.add_paths(files)

    def _add_folder(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder of recordings")
        if folder:
            self.add_paths([folder])

    def _remove(self) -> None:
        for it in self.inputs.selectedItems():
            self.inputs.takeItem(self.inputs.row(it))

    def _choose_table(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Label table", "", "CSV (*.csv);;All files (*)")
        if path:
            self.table_path.setText(path)

    def _source_changed(self, index: int) -> None:
        table = LABEL_CHOICES[index][1] == "table"
        self.table_path.setEnabled(table)
        self.annotator.setEnabled(not table)

    def config(self, task: str) -> DatasetConfig:
        """The data set configuration the page describes (ValueError names what is missing)."""
        _, kind, sources = LABEL_CHOICES[self.label_source.currentIndex()]
        table = self.table_path.text().strip() or None
        return DatasetConfig(task=task, inputs=self.paths(), labels=kind, annotator=self.annotator.text().strip()
                             or None, sources=sources, table=Path(table) if table else None,
                             val_fraction=self.val_fraction.value() / 100.0, drop_rare=self.drop_rare.isChecked(),
                             val_records=tuple(r.strip() for r in self.val_records.text().replace(",", " ").split()))

    # ------------------------------------------------------------------ results
    def show_dataset(self, ds: UserDataset) -> None:
        self.issues.clear()
        for sev, colour in (("error", ERROR_COLOUR), ("warning", WARNING_COLOUR)):
            for msg in (ds.errors if sev == "error" else ds.warnings):
                it = QtWidgets.QListWidgetItem(("✖ " if sev == "error" else "⚠ ") + msg)
                it.setForeground(colour)
                self.issues.addItem(it)
        counts = ds.counts()
        self.counts.setRowCount(len(ds.classes))
        self.counts.setVerticalHeaderLabels(list(ds.classes))
        for r, c in enumerate(ds.classes):
            for col, split in enumerate(("train", "val", "all")):
                self.counts.setItem(r, col, _item(counts[split][c], True))
        rows = ds.record_counts()
        cols = ["record", "patient", "split", "duration_s", *ds.classes]
        self.records.setSortingEnabled(False)
        self.records.clear()
        self.records.setColumnCount(len(cols))
        self.records.setHorizontalHeaderLabels(["record", "patient", "split", "duration (s)", *ds.classes])
        self.records.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(cols):
                self.records.setItem(r, c, _item(row[key], c >= 3))
        self.records.setSortingEnabled(True)
        self.records.resizeColumnsToContents()
        n_train = sum(1 for r in ds.records if r.split == "train")
        self.status.setText(f"{len(ds.records)} record(s): {n_train} for training, {len(ds.records) - n_train} for "
                            f"validation, split by {'patient' if _has_patients(ds) else 'record'}."
                            + ("" if ds.ok else " Fix the errors below before training."))


def _has_patients(ds: UserDataset) -> bool:
    return any(not r.patient.startswith("record-") for r in ds.records)
