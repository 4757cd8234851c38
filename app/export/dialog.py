"""The Export image dialog: current view or a span (h:mm:ss), DPI, grid, overlays; Save… or Copy."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from anyecg_model.timebase import TimeBase

from .view_image import ImageOptions

if TYPE_CHECKING:
    from .controller import ExportController

DPI_CHOICES = (96, 150, 300, 600)


class ExportDialog(QtWidgets.QDialog):
    """Non-modal dialog over the window; the work is done by the :class:`ExportController`."""

    def __init__(self, controller: "ExportController", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Export image")
        t0, t1 = controller.window.trace.view_range()
        self.timebase = TimeBase.of(controller.window.recording)  # times typed and shown as the axis shows them
        self.view_radio = QtWidgets.QRadioButton("Current view (as on screen, with every overlay)")
        self.span_radio = QtWidgets.QRadioButton("Span of the recording, on true-scale paper:")
        self.view_radio.setChecked(True)
        self.start_edit = QtWidgets.QLineEdit(self.timebase.at(t0, 1, label=False))
        self.end_edit = QtWidgets.QLineEdit(self.timebase.at(t1, 1, label=False))
        self.dpi_combo = QtWidgets.QComboBox()
        self.dpi_combo.setEditable(True)
        self.dpi_combo.addItems([str(d) for d in DPI_CHOICES])
        self.dpi_combo.setCurrentText("300")
        self.grid_check = QtWidgets.QCheckBox("ECG grid")
        self.grid_check.setChecked(True)
        self.overlay_check = QtWidgets.QCheckBox("Overlays (annotations, model findings, calipers)")
        self.overlay_check.setChecked(True)
        span_row = QtWidgets.QHBoxLayout()
        span_row.addWidget(QtWidgets.QLabel("from"))
        span_row.addWidget(self.start_edit)
        span_row.addWidget(QtWidgets.QLabel("to"))
        span_row.addWidget(self.end_edit)
        form = QtWidgets.QFormLayout()
        form.addRow("Resolution (dpi)", self.dpi_combo)
        buttons = QtWidgets.QDialogButtonBox()
        self.save_button = buttons.addButton("Save…", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.copy_button = buttons.addButton("Copy to clipboard", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.copy_button.clicked.connect(self.copy)
        self.message = QtWidgets.QLabel("")
        layout = QtWidgets.QVBoxLayout(self)
        for w in (self.view_radio, self.span_radio):
            layout.addWidget(w)
        layout.addLayout(span_row)
        layout.addLayout(form)
        layout.addWidget(self.grid_check)
        layout.addWidget(self.overlay_check)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        controller.spanExported.connect(self._on_span_exported)

    def options(self) -> ImageOptions:
        """The chosen options; raises ``ValueError`` for a DPI that is not a number in range."""
        try:
            dpi = float(self.dpi_combo.currentText())
        except ValueError:
            raise ValueError(f"resolution {self.dpi_combo.currentText()!r} is not a number") from None
        return ImageOptions(dpi=dpi, grid=self.grid_check.isChecked(), overlays=self.overlay_check.isChecked())

    def span(self) -> tuple[float, float] | None:
        """(start, end) s when a span is chosen, None for the current view; raises ``ValueError`` on bad times."""
        if not self.span_radio.isChecked():
            return None
        return self.timebase.parse(self.start_edit.text()), self.timebase.parse(self.end_edit.text())

    def _inputs(self) -> tuple[ImageOptions, tuple[float, float] | None] | None:
        try:
            return self.options(), self.span()
        except ValueError as exc:
            self.message.setText(str(exc))
            return None

    def save(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export image", "ecg.png",
                                                        "PNG image (*.png);;SVG vector image (*.svg)")
        if path:
            self.save_to(path, *inputs)

    def save_to(self, path: str, options: ImageOptions, span: tuple[float, float] | None) -> bool:
        """Save the view now, or start saving the span (True when saved or started)."""
        if span is None:
            done = self.controller.export_view(path, options) is not None
            self.message.setText(f"Saved {path}" if done else "")
            return done
        worker = self.controller.export_span(span[0], span[1], options, path)
        if worker is not None:
            self.message.setText(f"Saving {path}…")
        return worker is not None

    def copy(self) -> None:
        inputs = self._inputs()
        if inputs is None:
            return
        options, span = inputs
        if span is None:
            image = self.controller.copy_view(options)
            if image is not None:
                self.message.setText(f"Copied {image.width()} × {image.height()} px to the clipboard")
            return
        if self.controller.export_span(span[0], span[1], options) is not None:
            self.message.setText("Copying…")

    def _on_span_exported(self, result) -> None:
        if isinstance(result, QtGui.QImage):
            self.message.setText(f"Copied {result.width()} × {result.height()} px to the clipboard")
        else:
            self.message.setText(f"Saved {result}")
