"""``RestingHeader``: the patient/acquisition line and the automated measurements of a resting ECG, above the
traces, as on the printed 12-lead report (the same fields and wording: :func:`recording_fields`,
:func:`measurement_lines`).

Measuring (R peaks, delineation: about a second) runs in :class:`MeasureWorker`, off the GUI thread; a result
of a recording no longer shown is dropped. QRS duration is not shown as a number: the delineator underestimates
it by about 20 ms on LUDB (see :mod:`anyecg_model.report.measurements`), so the header says so instead.
The report modules are imported when a resting ECG is shown: a Holter's first paint does not wait for them.
"""
from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from anyecg_model.io.recording import Recording, RecordingError

if TYPE_CHECKING:
    from anyecg_model.report.measurements import Measurements

log = logging.getLogger(__name__)

#: Lead the intervals are measured on (as in the printed report), else the first lead; another recorded lead where
#: this one is unreadable (:func:`~anyecg_model.report.measurements.measured_lead`).
MEASURE_LEAD = "II"


class MeasureWorker(QtCore.QThread):
    """Heart rate, PR, QT/QTc on lead II and the frontal QRS axis (leads I, aVF) of ``recording``;
    ``measured(recording, Measurements, axis_deg | None)`` or ``failed(recording, message)``."""

    measured = QtCore.Signal(object, object, object)
    failed = QtCore.Signal(object, str)

    def __init__(self, recording: Recording, parent=None):
        super().__init__(parent)
        self.recording = recording

    def run(self) -> None:
        from anyecg_model.report.measurements import frontal_axis_deg, measure_resting_ecg, measured_lead

        rec = self.recording
        try:
            names = rec.lead_names
            lead = measured_lead(rec, MEASURE_LEAD if MEASURE_LEAD in names else names[0])
            x = rec.read(0, rec.n_samples, [rec.lead_index(lead)])[0]
            m = measure_resting_ecg(x, rec.fs, lead)
            axis = None
            if "I" in names and "aVF" in names:
                i_avf = rec.read(0, rec.n_samples, [rec.lead_index("I"), rec.lead_index("aVF")])
                axis = frontal_axis_deg(i_avf[0], i_avf[1], rec.fs)
        except (RecordingError, OSError, ValueError) as exc:
            self.failed.emit(rec, str(exc))
            return
        self.measured.emit(rec, m, axis)


def measurement_text(m: Measurements, axis_deg: float | None) -> str:
    """``HR 73 bpm · RR 818 ms · PR 149 ms · QRS not measured · QT / QTc (Bazett) 405 / 448 ms · axis +9° —
    automated, lead II, 12 beats``."""
    from anyecg_model.report.twelve_lead import measurement_lines

    lines = measurement_lines(m)  # the printed report's wording
    if m.heart_rate_bpm is None:
        return lines[0]
    parts = [ln.replace("Heart rate:", "HR").replace(": ", " ") for ln in lines[:-1]]
    parts.insert(3, "QRS not measured")
    parts.append(f"axis {axis_deg:+.0f}°" if axis_deg is not None else "axis not measured")
    note = lines[-1]
    return " · ".join(parts) + f" — {note[:1].lower()}{note[1:]}"


class RestingHeader(QtWidgets.QFrame):
    """Two lines over the traces of a resting ECG: who and when (record, acquisition time, age, sex, device,
    leads), then heart rate, intervals and axis. Hidden for long recordings (Holter)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("restingHeader")
        self.recording: Recording | None = None
        self.worker: MeasureWorker | None = None
        self._running: list[MeasureWorker] = []  # threads of earlier recordings, kept until they end
        self.patient = QtWidgets.QLabel("")
        self.measures = QtWidgets.QLabel("")
        for label in (self.patient, self.measures):
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(0)
        layout.addWidget(self.patient)
        layout.addWidget(self.measures)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Maximum)
        self.hide()

    def set_recording(self, recording: Recording | None) -> None:
        """Show ``recording``'s header and measure it in the background (None hides the header)."""
        self.recording = recording
        if recording is None:
            self.hide()
            return
        from anyecg_model.report.header import recording_fields

        fields = recording_fields(recording)
        known = {k for k, _ in fields}
        missing = [k for k in ("Acquired", "Age", "Sex") if k not in known]
        text = " · ".join(f"<b>{html.escape(k)}</b> {html.escape(v)}" for k, v in fields)
        if missing:
            text += f" · <i>not in the file: {', '.join(m.lower() for m in missing)}</i>"
        self.patient.setText(text)
        self.measures.setText("Measuring heart rate and intervals…")
        self.show()
        w = self.worker = MeasureWorker(recording)
        w.measured.connect(self._on_measured)
        w.failed.connect(self._on_failed)
        w.finished.connect(lambda w=w: self._reap(w))
        self._running.append(w)
        w.start(QtCore.QThread.Priority.LowPriority)

    def _reap(self, w: MeasureWorker) -> None:
        if w in self._running:
            self._running.remove(w)
            w.deleteLater()
        if w is self.worker:
            self.worker = None

    def shutdown(self) -> None:
        """Wait for the measuring threads (window closing; a measurement takes about a second)."""
        self.recording = None
        for w in list(self._running):
            w.wait()

    def _on_measured(self, recording: Recording, m: Measurements, axis: float | None) -> None:
        if recording is self.recording:
            self.measures.setText(measurement_text(m, None if axis is None or not np.isfinite(axis) else axis))

    def _on_failed(self, recording: Recording, message: str) -> None:
        if recording is self.recording:
            self.measures.setText(f"Not measured: {message}")

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Wait until the measurement of the shown recording is on screen (tests, screenshots); False on timeout."""
        deadline = QtCore.QDeadlineTimer(timeout_ms)
        while self.worker is not None and not deadline.hasExpired():
            self.worker.wait(50)
            QtWidgets.QApplication.processEvents()
        return self.worker is None
