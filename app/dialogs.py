"""Small dialogs: screen calibration by ruler check, and non-blocking error/warning messages."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .paper import MM_PER_INCH

RULER_MM = 100.0


def dpi_from_ruler(dpi: float, measured_mm: float, drawn_mm: float = RULER_MM) -> float:
    """Corrected density (px/inch) when a line drawn ``drawn_mm`` long at ``dpi`` measures ``measured_mm``."""
    if measured_mm <= 0:
        raise ValueError(f"measured length must be positive mm, got {measured_mm}")
    return dpi * drawn_mm / measured_mm


class _Ruler(QtWidgets.QWidget):
    def __init__(self, dpi: float):
        super().__init__()
        self.setMinimumHeight(50)
        self.set_dpi(dpi)

    def set_dpi(self, dpi: float) -> None:
        """Redraw the line for ``dpi``; the widget is always wide enough to show all of it."""
        self.dpi = dpi
        self.setMinimumWidth(int(RULER_MM * dpi / MM_PER_INCH) + 24)
        self.update()

    def paintEvent(self, ev):
        p = QtGui.QPainter(self)
        px = RULER_MM * self.dpi / MM_PER_INCH
        p.setPen(QtGui.QPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText), 2))
        y = 25
        p.drawLine(QtCore.QPointF(10, y), QtCore.QPointF(10 + px, y))
        for k in range(0, int(RULER_MM) + 1, 10):
            x = 10 + k * self.dpi / MM_PER_INCH
            p.drawLine(QtCore.QPointF(x, y - (10 if k % 50 == 0 else 5)), QtCore.QPointF(x, y))
        p.end()


class CalibrationDialog(QtWidgets.QDialog):
    """Set the screen density directly, or by measuring a 100 mm line with a ruler."""

    def __init__(self, dpi: float, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Screen calibration")
        self.dpi = QtWidgets.QDoubleSpinBox(decimals=1, minimum=30.0, maximum=600.0, value=dpi, suffix=" px/inch")
        self.ruler = _Ruler(dpi)
        self.measured = QtWidgets.QDoubleSpinBox(decimals=1, minimum=10.0, maximum=400.0, value=RULER_MM, suffix=" mm")
        apply = QtWidgets.QPushButton("Correct from ruler")
        apply.clicked.connect(self._correct)
        self.dpi.valueChanged.connect(self._redraw)
        form = QtWidgets.QFormLayout(self)
        form.addRow("Screen density", self.dpi)
        form.addRow(QtWidgets.QLabel(f"Measure this line with a ruler (it should be {RULER_MM:g} mm):"))
        form.addRow(self.ruler)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.measured)
        row.addWidget(apply)
        form.addRow("Measured length", row)
        box = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                         | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)

    def _redraw(self, value: float) -> None:
        self.ruler.set_dpi(value)
        self.adjustSize()

    def _correct(self) -> None:
        self.dpi.setValue(dpi_from_ruler(self.dpi.value(), self.measured.value()))
        self.measured.setValue(RULER_MM)

    def value(self) -> float:
        return self.dpi.value()


def show_message(parent: QtWidgets.QWidget, title: str, text: str, *, error: bool = True) -> QtWidgets.QMessageBox:
    """A window-modal, non-blocking message box (the window stays usable behind it)."""
    icon = QtWidgets.QMessageBox.Icon.Critical if error else QtWidgets.QMessageBox.Icon.Warning
    box = QtWidgets.QMessageBox(icon, title, text, QtWidgets.QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
