"""``AnalysisWorker``: analyses one recording in the analysis process (:mod:`anyecg_model.analysis.process`,
the same :class:`~anyecg_model.analysis.analyzer.Analyzer` as ``anyecg analyze``) and relays what it sends
as Qt signals; ``WarmUp`` starts that process and has it load and exercise the model.

The analysis runs in a separate process, so its NumPy/SciPy/PyTorch work never holds the viewer's GIL; the
``QThread`` here only sends the job and then blocks reading the pipe (the GIL released), turning each reply
into a signal. Class-level signals carry the job id, so the GUI drops anything from a job it has since
replaced; ``run()`` touches no widget. The process runs one job at a time: a worker waits for the job lock
of :class:`~anyecg_model.analysis.process.AnalysisProcess` (a replaced job ends at its next chunk boundary),
then starts the process if it is not running. :meth:`AnalysisWorker.set_visible` and
:meth:`AnalysisWorker.cancel` are sent over the pipe at once (thread-safe): the process picks its next chunk
from the range the view shows *now* and stops between chunks. A cached analysis is answered from the findings
cache without the process; a finished one is stored there by the process. Every failure (no weights, corrupt
or incompatible checkpoint, unusable recording, CUDA out of memory, the process dying) becomes a
``failed``/``notice`` message: nothing raises out of ``run()``.

The viewer itself never imports torch: lead generation (:mod:`.generated`) runs in the same process, its
``GenerationWorker`` relaying the same way. Each relay reads the replies to its own request ids from an
:class:`~anyecg_model.analysis.process.Inbox` (the process's reader thread sorts them), so a generation's
replies reach the viewer while an analysis streams.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore

from anyecg_model.analysis.builder import FindingsRules
from anyecg_model.analysis.cache import FindingsCache, findings_from_arrays
from anyecg_model.analysis.chunks import DEFAULT_MODEL_DIR, TASKS, FocusRange
from anyecg_model.analysis.process import AnalysisProcess, Inbox, JobSpec, ProcessGone, ProcessStartError
from anyecg_model.analysis.service import describe_load_error, model_info
from anyecg_model.io.recording import Recording
from anyecg_model.model.checkpoint import CheckpointError

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")


def gui_torch_threads() -> int:
    """Torch intra-op threads that leave one core to the GUI thread."""
    return max(1, (os.cpu_count() or 2) - 1)


def process_died_message(how: str) -> str:
    return (f"The analysis process stopped unexpectedly ({how}). The viewer keeps working; "
            f"analyse again to start a new one.")


@dataclass(frozen=True)
class AnalysisJob:
    """Analyse ``recording`` for ``tasks``; chunks overlapping ``visible`` (s) first (until
    :meth:`AnalysisWorker.set_visible` moves it). ``cache_only``: answer from the findings cache or end
    quietly (``cancelled``) without the model, as when a file analysed before is opened again. ``lead_map``:
    the user's file lead → model lead choices (the leads panel's "Treat as")."""

    job_id: int
    recording: Recording
    model_dir: Path = DEFAULT_MODEL_DIR
    device: str = "auto"
    tasks: tuple[str, ...] = TASKS
    visible: tuple[float, float] = (0.0, 10.0)
    use_cache: bool = True
    cache_only: bool = False
    lead_map: tuple[tuple[str, str], ...] = ()


class AnalysisWorker(QtCore.QThread):
    """One job. Signals (all start with the job id): ``modelReady(id, ModelInfo, device)``,
    ``partial(id, ChunkResult)``, ``progress(id, 0..1)``, ``done(id, Findings, from_cache)``,
    ``failed(id, message)``, ``notice(id, message)``, ``cancelled(id)``. :meth:`set_visible` and
    :meth:`cancel` may be called from the GUI thread at any time."""

    modelReady = QtCore.Signal(int, object, str)
    partial = QtCore.Signal(int, object)
    progress = QtCore.Signal(int, float)
    done = QtCore.Signal(int, object, bool)
    failed = QtCore.Signal(int, str)
    notice = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self, job: AnalysisJob, process: AnalysisProcess, cache: FindingsCache | None = None,
                 parent=None):
        super().__init__(parent)
        self.job = job
        self.process = process
        self.cache = cache or FindingsCache()
        self.rules = FindingsRules()  # the model's, once loaded
        self._cancel = threading.Event()
        self.focus = FocusRange(*job.visible)
        self._wire: int | None = None  # the process's id of the job in progress

    def set_visible(self, t0: float, t1: float) -> None:
        """The view now shows ``[t0, t1]`` s: the next chunk is one of its chunks not yet analysed, if any."""
        self.focus.set(t0, t1)
        wire = self._wire
        if wire is not None:
            self.process.post(("focus", wire, float(t0), float(t1)))

    def cancel(self, wait: bool = False) -> None:
        """Stop after the chunk in progress; ``wait`` blocks until the thread has ended."""
        self._cancel.set()
        self.requestInterruption()
        wire = self._wire
        if wire is not None:
            self.process.post(("cancel", wire))
        if wait:
            self.wait()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set() or self.isInterruptionRequested()

    def run(self) -> None:
        job = self.job
        try:
            self._run(job)
        except ProcessStartError as exc:
            self.failed.emit(job.job_id, f"The model cannot run: {exc}.")
        except ProcessGone as exc:
            if self.is_cancelled() or self.process.stopping():
                self.cancelled.emit(job.job_id)
            else:
                log.warning("analysis of %s: %s", job.recording.path, exc)
                self.failed.emit(job.job_id, process_died_message(self.process.death()))
        except Exception as exc:  # noqa: BLE001 - the viewer must survive any analysis failure
            log.exception("analysis of %s failed", job.recording.path)
            self.failed.emit(job.job_id, f"Analysis of {Path(job.recording.path).name} failed: {exc}")

    def _run(self, job: AnalysisJob) -> None:
        content = job.recording.provenance.content_hash
        try:
            info = model_info(job.model_dir)
        except (CheckpointError, OSError) as exc:
            if job.cache_only:
                self.cancelled.emit(job.job_id)
            else:
                self.failed.emit(job.job_id, describe_load_error(job.model_dir, exc))
            return
        if job.use_cache and content:
            cached = self.cache.load(content, info, job.tasks, dict(job.lead_map) or None)
            if cached is not None:
                self.modelReady.emit(job.job_id, info, "cache")
                self.progress.emit(job.job_id, 1.0)
                self.done.emit(job.job_id, cached, True)
                return
        if job.cache_only:
            self.cancelled.emit(job.job_id)
            return
        lock = self.process.job_lock
        while not lock.acquire(timeout=0.05):  # a replaced job still finishing its chunk
            if self.is_cancelled():
                self.cancelled.emit(job.job_id)
                return
        try:
            if self.is_cancelled():
                self.cancelled.emit(job.job_id)
                return
            self.process.start(cancelled=self.is_cancelled)
            self._relay(job)
        finally:
            self._wire = None
            lock.release()

    def _submit(self, job: AnalysisJob, by_path: bool = True) -> Inbox:
        spec = JobSpec(self.process.ref(job.recording, by_path), str(job.model_dir), job.device, tuple(job.tasks),
                       self.focus()[0], str(self.cache.root), tuple(job.lead_map))
        wire = self.process.next_id()
        inbox = self.process.listen(wire)
        try:
            self.process.send(("job", wire, spec))
        except BaseException:
            inbox.close()
            raise
        self._wire = wire
        # a cancel or view move that came while the job was being sent went nowhere: send them now
        self.process.post(("focus", wire, *self.focus()[0]))
        if self.is_cancelled():
            self.process.post(("cancel", wire))
        return inbox

    def _relay(self, job: AnalysisJob) -> None:
        """Send the job and turn the process's replies into signals until the job ends."""
        jid = job.job_id
        inbox = self._submit(job)
        try:
            while True:
                msg = inbox.get()
                kind = msg[0]
                if kind == "partial":
                    self.partial.emit(jid, msg[2])
                    self.progress.emit(jid, msg[2].progress)
                elif kind == "modelReady":
                    self.rules = msg[4]
                    self.modelReady.emit(jid, msg[2], msg[3])
                elif kind == "notice":
                    self.notice.emit(jid, msg[2])
                elif kind == "needSignal":  # the file on disk is not what the viewer shows: send the samples
                    log.info("%s: sending the samples to the analysis process", job.recording.path)
                    inbox.close()
                    inbox = self._submit(job, by_path=False)
                elif kind == "done":
                    self.done.emit(jid, findings_from_arrays(msg[2], msg[3]), False)
                    return
                elif kind == "failed":
                    self.failed.emit(jid, msg[2])
                    return
                elif kind == "cancelled":
                    self.cancelled.emit(jid)
                    return
        finally:
            inbox.close()


class WarmUp(QtCore.QThread):
    """Starts the analysis process and has it load the model and run it once on 20 s of synthetic ECG, so
    the first real analysis pays no process start, torch import, load or first-call cost.
    ``ready(seconds)`` (from the start of this thread) or ``failed(message)``."""

    ready = QtCore.Signal(float)
    failed = QtCore.Signal(str)

    def __init__(self, process: AnalysisProcess, model_dir: Path, device: str, parent=None):
        super().__init__(parent)
        self.process, self.model_dir, self.device = process, model_dir, device
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Do not start the process any more (window closing); a warm-up under way ends with the process."""
        self._cancel.set()

    def run(self) -> None:
        t = time.perf_counter()
        lock = self.process.job_lock
        while not lock.acquire(timeout=0.05):
            if self._cancel.is_set():
                return
        try:
            self.process.start(cancelled=self._cancel.is_set)
            wire = self.process.next_id()
            with self.process.listen(wire) as inbox:
                self.process.send(("warm", wire, str(self.model_dir), self.device))
                msg = inbox.get()
            if msg[0] == "warmFailed":
                self.failed.emit(msg[2])
                return
        except ProcessGone as exc:
            self.failed.emit(str(exc))
            return
        finally:
            lock.release()
        self.ready.emit(time.perf_counter() - t)
