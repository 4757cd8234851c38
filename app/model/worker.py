"""``AnalysisWorker``: analyses one recording in the analysis process (:mod:`anyecg_model.analysis.client`,
the same :class:`~anyecg_model.analysis.analyzer.Analyzer` as ``anyecg analyze``) and relays what it sends
as Qt signals; ``WarmUp`` starts that process and has it load and exercise the model.

The analysis runs in a separate process, so its NumPy/SciPy/PyTorch work never holds the viewer's GIL; the
``QThread`` here only sends the job and then blocks reading the pipe (the GIL released), turning each reply
into a signal. Class-level signals carry the job id, so the GUI drops anything from a job it has since
replaced; ``run()`` touches no widget. The process runs one job at a time: a worker waits for the job lock
of :class:`~anyecg_model.analysis.client.AnalysisProcess` (a replaced job ends at its next chunk boundary),
then starts the process if it is not running. :meth:`AnalysisWorker.set_visible` and
:meth:`AnalysisWorker.cancel` are sent over the pipe at once (thread-safe): the process picks its next chunk
from the range the view shows *now* and stops between chunks. A cached analysis is answered from the findings
cache without the process; a finished one is stored there by the process. Every failure (no weights, corrupt
or incompatible checkpoint, unusable recording, CUDA out of memory, the process dying) becomes a
``failed``/``notice`` message: nothing raises out of ``run()``.

The viewer itself never imports torch: lead generation (:mod:`.generated`) runs in the same process, its
``GenerationWorker`` relaying the same way. Each runs its request through a
:class:`~anyecg_model.analysis.relay.Relay`, which reads the replies to its own request ids (the process's reader
thread sorts them), so a generation's replies reach the viewer while an analysis streams.
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
from anyecg_model.analysis.chunks import TASKS, FocusRange
from anyecg_model.analysis.client import AnalysisProcess, ProcessGone, ProcessStartError
from anyecg_model.analysis.findings import model_info
from anyecg_model.analysis.protocol import (Cancel, Cancelled, Done, Job, JobSpec, Message, ModelReady, ModelUnusable,
                                            Notice, Partial, Warm, WarmFailed)
from anyecg_model.analysis.relay import Relay
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.io.recording import Recording
from anyecg_model.model.checkpoint_meta import CheckpointError

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")


def gui_torch_threads() -> int:
    """Torch intra-op threads that leave one core to the GUI thread."""
    return max(1, (os.cpu_count() or 2) - 1)


def process_died_message(how: str) -> str:
    return (f"The analysis process stopped unexpectedly ({how}). The viewer keeps working; "
            f"analyse again to start a new one.")


def describe_load_error(model_dir: Path | str, reason: object) -> str:
    """A message for the model panel naming the checkpoint and what is wrong with it (``reason``: the error)."""
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").exists() and not (model_dir / "model.safetensors").exists():
        return (f"No model weights in {model_dir}. Train or download a checkpoint, or choose one with "
                f"Model ▸ Choose model folder…. The viewer works without the model.")
    return f"The model checkpoint in {model_dir} cannot be used: {reason}"


def final_message(msg: Message) -> str:
    """The text of a final reply that ends a request without a result (Failed, ModelUnusable, WarmFailed)."""
    if isinstance(msg, ModelUnusable):
        return describe_load_error(msg.model_dir, msg.reason)
    return msg.message


@dataclass(frozen=True)
class AnalysisJob:
    """Analyse ``recording`` for ``tasks``; chunks overlapping ``visible`` (s) first (until
    :meth:`AnalysisWorker.set_visible` moves it). ``cache_only``: answer from the findings cache or end
    quietly (``cancelled``) without the model, as when a file analysed before is opened again. ``lead_map``:
    the user's file lead → model lead choices (the leads panel's "Treat as")."""

    job_id: int
    recording: Recording
    model_dir: Path = SHIPPED_MODEL_DIR
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
        self.relay = Relay(process, "analysis")

    def set_visible(self, t0: float, t1: float) -> None:
        """The view now shows ``[t0, t1]`` s: the next chunk is one of its chunks not yet analysed, if any."""
        self.focus.set(t0, t1)
        self.relay.focus(t0, t1)

    def cancel(self, wait: bool = False) -> None:
        """Stop after the chunk in progress; ``wait`` blocks until the thread has ended."""
        self._cancel.set()
        self.requestInterruption()
        self.relay.cancel()
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
            lock.release()

    def _request(self, job: AnalysisJob, wire: int, by_path: bool) -> Job:
        if not by_path:  # the file on disk is not what the viewer shows
            log.info("%s: sending the samples to the analysis process", job.recording.path)
        spec = JobSpec(self.process.ref(job.recording, by_path), str(job.model_dir), job.device, tuple(job.tasks),
                       self.focus()[0], str(self.cache.root), tuple(job.lead_map))
        return Job(wire, spec)

    def _sent(self, wire: int) -> None:
        """A cancel or view move that came while the job was being sent went nowhere: send them now."""
        self.relay.focus(*self.focus()[0])
        if self.is_cancelled():
            self.process.post(Cancel(wire))

    def _relay(self, job: AnalysisJob) -> None:
        """Send the job and turn the process's replies into signals until the job ends."""
        jid = job.job_id

        def on_reply(msg: Message) -> None:
            if isinstance(msg, Partial):
                self.partial.emit(jid, msg.part)
                self.progress.emit(jid, msg.part.progress)
            elif isinstance(msg, ModelReady):
                self.rules = msg.rules
                self.modelReady.emit(jid, msg.info, msg.device)
            elif isinstance(msg, Notice):
                self.notice.emit(jid, msg.message)

        end = self.relay.run(lambda wire, by_path: self._request(job, wire, by_path), on_reply, self._sent)
        if isinstance(end, Done):
            self.done.emit(jid, findings_from_arrays(end.meta, end.arrays), False)
        elif isinstance(end, Cancelled):
            self.cancelled.emit(jid)
        else:
            self.failed.emit(jid, final_message(end))


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
            end = Relay(self.process, "warm-up").run(
                lambda wire, _by_path: Warm(wire, str(self.model_dir), self.device), lambda _msg: None)
            if isinstance(end, WarmFailed):
                self.failed.emit(end.message)
                return
        except ProcessGone as exc:
            self.failed.emit(str(exc))
            return
        finally:
            lock.release()
        self.ready.emit(time.perf_counter() - t)
