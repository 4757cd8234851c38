"""Generated leads: the model's replacement for a lead the user marks as missing or corrupted (or that
:mod:`~anyecg_model.signal.quality` finds flat, saturated or noisy), drawn as a dashed "ghost" trace labelled
"generated" on that lead's row, with a measured/generated toggle and an export that names generated leads
as such (``<lead>_gen`` plus a header comment, as ``anyecg reconstruct`` writes them).

Generation (the core's :func:`anyecg_model.analysis.leadgen.generate_leads`, for the visible window plus a
margin) and the export run in the window's analysis process (:mod:`anyecg_model.analysis.server`, on a
thread of its own there, so a generation does not wait for a running analysis); the viewer never imports
torch for them. :class:`~app.model.generation_worker.GenerationWorker` is a ``QThread`` that only sends the
request and relays the replies as signals; :class:`~app.model.ghosts.GhostTraces` draws the result. A newer
view generation supersedes an older one by job id, in the viewer and in the process; an export is never
superseded (scrolling during an export generates the new window beside it) and ends early only through its
Cancel button or the window closing. One export at a time: asking for a second
one while one runs is refused with a message in the dock (the process would queue it). The export's outcome
(where it wrote, cancelled, failed) is shown in the dock, a failure also in a message box.
Bad-lead detection (:func:`~anyecg_model.signal.quality.bad_leads` on 30 s of the view, a few milliseconds of
NumPy) stays in the viewer.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from anyecg_model.io.recording import Recording
from anyecg_model.signal.quality import bad_leads

from ..dialogs import show_message
from .generation_worker import GenerationWorker, model_lead
from .ghosts import SHOW_MODES, GhostTraces

#: Seconds generated on each side of the visible window, and the longest window generated at once.
MARGIN_S = 5.0
MAX_SPAN_S = 120.0
#: Seconds read from the start of the view to detect bad leads.
DETECT_S = 30.0
EXPORT_TEXT = "Export with generated leads…"


class WrappedLabel(QtWidgets.QLabel):
    """A word-wrapped label that keeps the height of all its lines at its current width (a plain one is squeezed
    to fewer lines when the dock is short, and its size hint assumes a narrower width than the dock's)."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self._fit()

    def _fit(self) -> None:
        if self.width() > 0:
            h = self.heightForWidth(self.width())
            if h > 0 and h != self.minimumHeight():
                self.setMinimumHeight(h)


class GeneratedLeadsUI(QtCore.QObject):
    """The "Generated leads" box of the model panel and the ghost traces (``controller.generated``).

    View generations (:meth:`update_view`) and the export (:meth:`export`) have workers of their own: a new
    view generation retires the previous one, never the export; opening another recording does not stop an
    export of the previous one either. While an export runs, its button is "Cancel export"."""

    def __init__(self, controller):
        super().__init__(controller)
        self.c = controller
        self.window = controller.window
        self.marked: dict[int, str] = {}  # lead index -> reason
        self.ghosts = GhostTraces(self.window.trace, self.window.twelve_lead, self)
        self.job_id = 0
        self.worker: GenerationWorker | None = None
        self._retired: list[GenerationWorker] = []
        self.covered: tuple[float, float] | None = None
        self.last_export: str | None = None
        self.message = ""
        self.export_worker: GenerationWorker | None = None
        self.export_id = 0
        self.export_target: str | None = None
        self.export_names: list[str] = []
        self.export_message = ""  # the export's state or outcome, a line of its own in the box
        self.last_box: QtWidgets.QMessageBox | None = None  # the last failure message box (tests)
        self._build()
        self._timer = QtCore.QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.update_view)
        self.window.viewRangeChanged.connect(lambda *_: self._timer.start())
        controller.overlayToggled.connect(self._on_overlay_toggled)

    def _on_overlay_toggled(self, key: str, _on: bool) -> None:
        if key == "generated":  # the overlay table's "generated" row: these ghost traces
            self.update_view()

    def _build(self) -> None:
        box = QtWidgets.QGroupBox("Generated leads (model replacement, never measured)")
        outer = QtWidgets.QVBoxLayout(box)
        lay = QtWidgets.QGridLayout()
        outer.addLayout(lay)
        self.lead_combo = QtWidgets.QComboBox()
        self.mark_button = QtWidgets.QPushButton("Mark missing / corrupted")
        self.mark_button.clicked.connect(lambda: self.toggle_mark(self.lead_combo.currentIndex()))
        self.detect_button = QtWidgets.QPushButton("Detect bad leads")
        self.detect_button.clicked.connect(self.detect)
        self.mode_combo = QtWidgets.QComboBox()
        self.mode_combo.addItems(list(SHOW_MODES))
        self.mode_combo.currentTextChanged.connect(self.ghosts.set_mode)
        self.export_button = QtWidgets.QPushButton(EXPORT_TEXT)
        self.export_button.clicked.connect(self._export_clicked)
        self.status = WrappedLabel("No lead marked.")  # below the grid: a cell spanning columns clips lines
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)  # copy the path
        lay.addWidget(self.lead_combo, 0, 0)
        lay.addWidget(self.mark_button, 0, 1)
        lay.addWidget(self.detect_button, 0, 2)
        lay.addWidget(QtWidgets.QLabel("Show"), 1, 0)
        lay.addWidget(self.mode_combo, 1, 1)
        lay.addWidget(self.export_button, 1, 2)
        outer.addWidget(self.status)
        self.c.panel.extra.addWidget(box)

    # ------------------------------------------------------------------ marking leads
    def reset(self, rec: Recording | None) -> None:
        self._retire()
        self.marked = {}
        self.ghosts.clear()
        self.covered = None
        self.message = ""
        self.lead_combo.clear()
        if rec is not None:
            self.lead_combo.addItems(rec.lead_names)
        self._show_status()

    def toggle_mark(self, lead: int, reason: str = "marked by the user") -> None:
        if lead < 0:
            return
        if lead in self.marked:
            del self.marked[lead]
            self.ghosts.remove_lead(lead)
        else:
            self.marked[lead] = reason
        self.covered = None
        self._show_status()
        self.update_view()

    def detect(self) -> dict[int, str]:
        """Mark the leads that look flat, saturated or noisy in the first seconds of the view."""
        rec = self.window.recording
        if rec is None:
            return {}
        t0, _ = self.window.trace.view_range()
        a = int(t0 * rec.fs)
        found = bad_leads(rec.read(a, min(rec.n_samples, a + int(DETECT_S * rec.fs))), rec.fs)
        for lead, problem in found.items():
            self.marked.setdefault(lead, f"{problem} (detected)")
        self.covered = None
        self._show_status("" if found else "No flat, saturated or noisy lead found.")
        if found:
            self.update_view()
        return found

    def _show_status(self, extra: str = "") -> None:
        rec = self.window.recording
        if self.marked and rec is not None:
            text = "Marked: " + "; ".join(f"{rec.lead_names[i]} — {r}" for i, r in sorted(self.marked.items()))
        else:
            text = "No lead marked."
        self.status.setText("\n".join(t for t in (text, extra or self.message, self.export_message) if t))

    # ------------------------------------------------------------------ generating
    def generatable(self) -> tuple[list[int], list[str]]:
        rec = self.window.recording
        ok, problems = [], []
        for lead in sorted(self.marked):
            if model_lead(rec.lead_names[lead]) is None:
                problems.append(f"{rec.lead_names[lead]} is not a lead the model knows")
            else:
                ok.append(lead)
        return ok, problems

    def update_view(self) -> None:
        """Generate the marked leads over the visible window when the overlay is on and not yet covered."""
        rec = self.window.recording
        if rec is None or not self.marked or not self.c.overlay_on("generated"):
            if rec is not None and not self.c.overlay_on("generated"):
                self.ghosts.set_mode("measured only")
            return
        self.ghosts.set_mode(self.mode_combo.currentText())
        t0, t1 = self.window.trace.view_range()
        if self.covered is not None and self.covered[0] <= t0 and self.covered[1] >= min(t1, rec.duration_s):
            return
        leads, problems = self.generatable()
        if problems:
            self.message = "; ".join(problems)
            self._show_status()
        if not leads:
            return
        a = max(0.0, t0 - MARGIN_S)
        b = min(rec.duration_s, max(t1 + MARGIN_S, a + 10.0), a + MAX_SPAN_S)
        self._start(GenerationWorker(self._next_id(), rec, leads, a, b, self.c.process, self.c.model_dir,
                                     self.c.device_setting, parent=self))

    def _next_id(self) -> int:
        self._retire()
        self.job_id += 1
        return self.job_id

    def _start(self, w: GenerationWorker) -> None:
        w.ready.connect(self._on_ready)
        w.failed.connect(self._on_failed)
        w.notice.connect(self._on_notice)
        self.worker = w
        w.start(QtCore.QThread.Priority.LowPriority)

    def _retire(self) -> None:
        w, self.worker = self.worker, None
        if w is not None:
            w.cancel()
            if not w.isFinished():
                self._retired.append(w)
                w.finished.connect(lambda w=w: w in self._retired and self._retired.remove(w))

    def shutdown(self) -> None:
        """Window closing: the view generation and any export are dropped (an export leaves no file)."""
        self._timer.stop()
        self._retire()
        w, self.export_worker = self.export_worker, None
        if w is not None:
            w.cancel()
            self._retired.append(w)
        for w in list(self._retired):
            w.wait()
        self._retired.clear()

    def busy(self) -> bool:
        return self.worker is not None and not self.worker.isFinished()

    def _on_ready(self, job_id: int, t0: float, fs: float, data) -> None:
        if job_id != self.job_id:
            return
        self.worker = None
        leads, _ = self.generatable()
        for lead, row in zip(leads, data):
            self.ghosts.set_lead(lead, t0, fs, row)
        self.covered = (t0, t0 + data.shape[1] / fs)

    def _on_failed(self, job_id: int, message: str) -> None:
        if job_id == self.job_id:
            self.worker = None
            self.message = message
            self._show_status()

    def _on_notice(self, job_id: int, message: str) -> None:
        if job_id == self.job_id:
            self.message = message
            self._show_status()

    # ------------------------------------------------------------------ export
    def exporting(self) -> bool:
        """True while an export runs: until its outcome (exported, failed, cancelled, or its thread ended without
        one) has reached the dock; a cancel may be on its way."""
        return self.export_worker is not None

    def export(self, path: str) -> bool:
        """Write the recording plus the generated marked leads to ``path`` (.hea WFDB, .edf or .bdf) in the
        background; False when no lead the model can generate is marked, or when an export is running (one at
        a time: the second is refused with a message, not queued)."""
        rec = self.window.recording
        if self.exporting():
            self.message = (f"An export to {self.export_target} is running: wait for it to finish, or cancel it, "
                            f"before exporting again.")
            self._show_status()
            return False
        leads, problems = self.generatable() if rec is not None else ([], [])
        if not leads:
            self.message = "Mark a lead as missing or corrupted first." if not problems else "; ".join(problems)
            self._show_status()
            return False
        self.export_id += 1  # a counter of its own: the view generation in flight stays current
        w = GenerationWorker(self.export_id, rec, leads, 0.0, rec.duration_s, self.c.process,
                             self.c.model_dir, self.c.device_setting, export_to=path, parent=self)
        w.progress.connect(self._on_export_progress)
        w.exported.connect(self._on_exported)
        w.failed.connect(self._on_export_failed)
        w.cancelled.connect(self._on_export_cancelled)
        w.finished.connect(lambda w=w: self._on_export_thread_ended(w))
        w.notice.connect(lambda jid, text: self._export_is(jid) and self._set_export_message(text))
        self.export_worker, self.export_target = w, path
        self.export_names = [f"{model_lead(rec.lead_names[i])}_gen" for i in leads]
        self.export_button.setText("Cancel export")
        self._set_export_message(f"Exporting {Path(rec.path).name} with {', '.join(self.export_names)} to {path}…")
        w.start(QtCore.QThread.Priority.LowPriority)
        return True

    def cancel_export(self) -> None:
        """Ask the analysis process to stop the export; the dock says so once it has (nothing is written)."""
        w = self.export_worker
        if w is None or w.isFinished():
            return
        w.ask_cancel()
        self.export_button.setEnabled(False)
        self._set_export_message(f"Cancelling the export to {self.export_target}…")

    def _export_is(self, job_id: int) -> bool:
        return self.export_worker is not None and job_id == self.export_worker.job_id

    def _set_export_message(self, text: str) -> None:
        self.export_message = text
        self._show_status()

    def _export_ended(self) -> None:
        self.export_worker = None
        self.export_button.setText(EXPORT_TEXT)
        self.export_button.setEnabled(True)

    def _on_export_progress(self, job_id: int, fraction: float) -> None:
        if self._export_is(job_id) and self.export_button.isEnabled():  # not once a cancel is on its way
            self._set_export_message(f"Exporting: writing {self.export_target}…" if fraction >= 1.0
                                     else f"Exporting to {self.export_target}… {100 * fraction:.0f} %")

    def _on_exported(self, job_id: int, path: str) -> None:
        if not self._export_is(job_id):
            return
        self._export_ended()
        self.last_export = path
        where = f"{path} (+ .dat)" if Path(path).suffix.lower() == ".hea" else path
        self._set_export_message(f"Exported with {', '.join(self.export_names)} (generated, not measured) to {where}")
        self.window.statusBar().showMessage(f"Exported with generated leads to {path}", 10000)

    def _on_export_failed(self, job_id: int, message: str) -> None:
        if not self._export_is(job_id):
            return
        target = self.export_target
        self._export_ended()
        self._set_export_message(f"Export failed, nothing was written to {target}: {message}")
        self.window.statusBar().showMessage("Export with generated leads failed", 10000)
        self.last_box = show_message(self.window, "Export with generated leads failed",
                                     f"The export to {target} failed:\n\n{message}\n\nNothing was written there.")

    def _on_export_cancelled(self, job_id: int) -> None:
        if not self._export_is(job_id):
            return
        target = self.export_target
        self._export_ended()
        self._set_export_message(f"Export cancelled: nothing was written to {target}.")
        self.window.statusBar().showMessage("Export cancelled", 5000)

    def _on_export_thread_ended(self, w: GenerationWorker) -> None:
        """The relay ended without an outcome (its signals come before ``finished``): never silent."""
        if self.export_worker is w:
            target = self.export_target
            self._export_ended()
            self._set_export_message(f"The export to {target} ended without an answer from the analysis process; "
                                     f"nothing was written there.")

    def _export_clicked(self) -> None:
        if self.exporting():
            self.cancel_export()
        else:
            self._export_dialog()

    def _export_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export with generated leads", "",
                                                        "WFDB record (*.hea);;EDF+ (*.edf);;BDF+ (*.bdf)")
        if path:
            self.export(path)
