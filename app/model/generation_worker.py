"""One lead generation or export in the analysis process, relayed to the viewer: :class:`GenerationWorker`
sends the request (the core's :func:`anyecg_model.analysis.leadgen.generate_leads` for a window, or the whole
recording written with the generated leads added) and turns the replies into Qt signals; the viewer never
imports torch for it.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6 import QtCore

from anyecg_model.analysis.client import AnalysisProcess, ProcessGone, ProcessStartError
from anyecg_model.analysis.protocol import (Cancel, Cancelled, Exported, Generate, GenerationSpec, Generated, Message,
                                            Notice, Progress)
from anyecg_model.analysis.relay import Relay
from anyecg_model.vocabulary.lead_map import standard_equivalent
from anyecg_model.io.recording import Recording

from .worker import final_message, process_died_message

log = logging.getLogger(__name__)


def model_lead(name: str) -> str | None:
    """The model's lead slot for a recording lead name (MLII → II), or None when it has none."""
    return standard_equivalent(name)


class GenerationWorker(QtCore.QThread):
    """Generates ``leads`` (recording lead indices) over ``[t0, t1]`` s in the analysis process ``process``:
    ``ready(job_id, t0_s, fs, data)`` with data (n, samples) mV in the order of ``leads``, or
    ``failed(job_id, message)``. Set ``export_to`` to write the whole recording with the generated leads added
    instead (``progress(job_id, 0..1)``, then ``exported(job_id, path)``). ``notice(job_id, message)``: the
    process went on on the CPU. A cancelled worker emits nothing more and ends at once; the process drops the
    request at its next step. :meth:`ask_cancel` (exports) instead asks the process to stop and relays its
    answer: ``cancelled(job_id)`` once it has stopped, or ``exported`` when the file was already complete. An
    export that the process ends as cancelled without being asked (it should not happen: exports are never
    superseded) is reported as ``failed``, never silent."""

    ready = QtCore.Signal(int, float, float, object)
    failed = QtCore.Signal(int, str)
    progress = QtCore.Signal(int, float)
    exported = QtCore.Signal(int, str)
    notice = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self, job_id: int, recording: Recording, leads: list[int], t0: float, t1: float,
                 process: AnalysisProcess, model_dir: Path, device: str, export_to: str | None = None, parent=None):
        super().__init__(parent)
        self.job_id, self.recording, self.leads = job_id, recording, list(leads)
        self.t0, self.t1 = t0, t1
        self.process, self.model_dir, self.device = process, model_dir, device
        self.export_to = export_to
        self._cancel = threading.Event()
        self._cancel_asked = threading.Event()
        self.relay = Relay(process, "lead generation" if export_to is None else "export")

    def cancel(self) -> None:
        """Drop the request (thread-safe, never blocks on the process)."""
        self._cancel.set()
        self.requestInterruption()
        self.relay.cancel()
        self.relay.wake()  # the relay ends now, not when the process answers

    def ask_cancel(self) -> None:
        """Ask the process to stop the request and go on relaying until it answers (thread-safe, never
        blocks): ``cancelled`` when it stopped, ``exported`` when the export was already complete."""
        self._cancel_asked.set()
        self.relay.cancel()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set() or self.isInterruptionRequested()

    def run(self) -> None:
        try:
            self._relay()
        except ProcessStartError as exc:
            self.failed.emit(self.job_id, f"The model cannot run: {exc}.")
        except ProcessGone as exc:
            if not (self.is_cancelled() or self.process.stopping()):
                log.warning("lead generation for %s: %s", self.recording.path, exc)
                self.failed.emit(self.job_id, process_died_message(self.process.death()))
        except Exception as exc:  # noqa: BLE001 - generation failures become a message, never a crash
            log.exception("lead generation failed")
            self.failed.emit(self.job_id, f"Lead generation failed: {exc}")

    def _request(self, wire: int, by_path: bool) -> Generate:
        rec = self.recording
        if not by_path:  # the file on disk is not what the viewer shows
            log.info("%s: sending the samples to the analysis process", rec.path)
        spec = GenerationSpec(self.process.ref(rec, by_path), tuple(self.leads),
                              tuple(model_lead(rec.lead_names[i]) for i in self.leads), float(self.t0),
                              float(self.t1), str(self.model_dir), self.device, self.export_to)
        return Generate(wire, spec)

    def _sent(self, wire: int) -> None:
        """Cancelled, or asked to, while the request was being sent (it had no id yet): ask now."""
        if self.is_cancelled() or self._cancel_asked.is_set():
            self.process.post(Cancel(wire))

    def _on_reply(self, msg: Message) -> None:
        if isinstance(msg, Notice):
            self.notice.emit(self.job_id, msg.message)
        elif isinstance(msg, Progress):
            self.progress.emit(self.job_id, msg.fraction)

    def _relay(self) -> None:
        """Send the request and turn the replies into signals until it ends (nothing once cancelled)."""
        if self.is_cancelled():
            return
        self.process.start(cancelled=self.is_cancelled)
        end = self.relay.run(self._request, self._on_reply, self._sent, self.is_cancelled)
        if end is None:
            return
        if isinstance(end, Cancelled):
            if self._cancel_asked.is_set():
                self.cancelled.emit(self.job_id)
            elif self.export_to is not None:
                self.failed.emit(self.job_id, f"The export to {self.export_to} was stopped by the "
                                              "analysis process; nothing was written there.")
        elif isinstance(end, Generated):
            self.ready.emit(self.job_id, end.t0_s, end.fs, end.data)
        elif isinstance(end, Exported):
            self.exported.emit(self.job_id, end.path)
        else:
            self.failed.emit(self.job_id, final_message(end))
