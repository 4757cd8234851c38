"""``AnalysisWorker``: runs the core's analysis (:class:`anyecg_model.analysis.analyzer.Analyzer`, the same code as
``anyecg analyze``) for one recording in a ``QThread``.

Class-level signals carry the job id, so the GUI drops anything from a job it has since replaced; ``run()``
touches no widget. The analysis streams chunk by chunk, the chunks holding the visible window first; the
cancel flag and ``QThread.requestInterruption`` are checked between chunks, and the chunk to do next is picked
before each one from the range the view shows *now* (:meth:`AnalysisWorker.set_visible`, thread-safe). A
finished analysis is stored in
the findings cache and a cached one is sent at once. Every failure (no weights, corrupt or incompatible
checkpoint, unusable recording, CUDA out of memory) becomes a ``failed``/``notice`` message: nothing raises
out of ``run()``.

Torch and the analyzer are imported in the worker threads, when the model is first loaded, so the window
appears without them (a torch import is seconds of GIL-bound work).
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

from anyecg_model.analysis.cache import FindingsCache
from anyecg_model.analysis.chunks import DEFAULT_MODEL_DIR, TASKS, AnalysisError, FocusRange
from anyecg_model.analysis.findings import ModelInfo
from anyecg_model.io.recording import Recording, RecordingError
from anyecg_model.model.checkpoint import CheckpointError, read_metadata

if TYPE_CHECKING:
    from anyecg_model.analysis.analyzer import Analyzer

log = logging.getLogger(__name__)

#: Seconds of recording per streamed chunk in the viewer (a multiple of the model's 10-s window): small
#: enough that the visible window's findings come quickly and cancelling waits little.
VIEWER_CHUNK_S = 60.0
DEVICES = ("auto", "cpu", "cuda", "mps")


def pick_device(setting: str = "auto") -> str:
    """``auto`` → CUDA, else Apple MPS, else CPU; an explicit choice is kept as given (imports torch: call it
    from a worker thread)."""
    if setting != "auto":
        return setting
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def gui_torch_threads() -> int:
    """Torch intra-op threads that leave one core to the GUI thread."""
    return max(1, (os.cpu_count() or 2) - 1)


def model_info(model_dir: Path) -> ModelInfo:
    """Name, version and weights hash from the checkpoint's ``config.json`` (no weights loaded)."""
    meta = read_metadata(model_dir)
    return ModelInfo(meta.get("name", model_dir.name), str(meta.get("model_version", "0")),
                     meta.get("weights_sha256", ""))


def describe_load_error(model_dir: Path, exc: Exception) -> str:
    """A message for the model panel naming the checkpoint and what is wrong with it."""
    if not (model_dir / "config.json").exists() and not (model_dir / "model.safetensors").exists():
        return (f"No model weights in {model_dir}. Train or download a checkpoint, or choose one with "
                f"Model ▸ Choose model folder…. The viewer works without the model.")
    return f"The model checkpoint in {model_dir} cannot be used: {exc}"


class AnalyzerPool:
    """Loaded analyzers by (model folder, device), shared by the jobs (inference is read-only). The first
    :meth:`get` imports torch and sets its intra-op threads to ``torch_threads``."""

    def __init__(self, chunk_s: float = VIEWER_CHUNK_S, torch_threads: int | None = None):
        self.chunk_s = chunk_s
        self.torch_threads = torch_threads
        self._lock = threading.Lock()
        self._analyzers: dict[tuple[str, str], Analyzer] = {}

    def get(self, model_dir: Path, device: str) -> Analyzer:
        key = (str(model_dir), device)
        with self._lock:
            if key not in self._analyzers:
                import torch

                from anyecg_model.analysis.analyzer import Analyzer

                if self.torch_threads is not None:
                    torch.set_num_threads(self.torch_threads)
                self._analyzers[key] = Analyzer(model_dir, device=device, chunk_s=self.chunk_s)
            return self._analyzers[key]

    def forget(self, model_dir: Path) -> None:
        with self._lock:
            for key in [k for k in self._analyzers if k[0] == str(model_dir)]:
                del self._analyzers[key]


@dataclass(frozen=True)
class AnalysisJob:
    """Analyse ``recording`` for ``tasks``; chunks overlapping ``visible`` (s) first (until
    :meth:`AnalysisWorker.set_visible` moves it)."""

    job_id: int
    recording: Recording
    model_dir: Path = DEFAULT_MODEL_DIR
    device: str = "auto"
    tasks: tuple[str, ...] = TASKS
    visible: tuple[float, float] = (0.0, 10.0)
    use_cache: bool = True


class AnalysisWorker(QtCore.QThread):
    """One job. Signals (all start with the job id): ``modelReady(id, ModelInfo, device)``,
    ``partial(id, ChunkResult)``, ``progress(id, 0..1)``, ``done(id, Findings, from_cache)``,
    ``failed(id, message)``, ``notice(id, message)``, ``cancelled(id)``. :meth:`set_visible` may be called
    from the GUI thread at any time."""

    modelReady = QtCore.Signal(int, object, str)
    partial = QtCore.Signal(int, object)
    progress = QtCore.Signal(int, float)
    done = QtCore.Signal(int, object, bool)
    failed = QtCore.Signal(int, str)
    notice = QtCore.Signal(int, str)
    cancelled = QtCore.Signal(int)

    def __init__(self, job: AnalysisJob, pool: AnalyzerPool, cache: FindingsCache | None = None, parent=None):
        super().__init__(parent)
        self.job = job
        self.pool = pool
        self.cache = cache or FindingsCache()
        self.anomaly_threshold = 0.5  # the model's, once loaded
        self._cancel = threading.Event()
        self.focus = FocusRange(*job.visible)

    def set_visible(self, t0: float, t1: float) -> None:
        """The view now shows ``[t0, t1]`` s: the next chunk is one of its chunks not yet analysed, if any."""
        self.focus.set(t0, t1)

    def cancel(self, wait: bool = False) -> None:
        """Stop after the chunk in progress; ``wait`` blocks until the thread has ended."""
        self._cancel.set()
        self.requestInterruption()
        if wait:
            self.wait()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set() or self.isInterruptionRequested()

    def run(self) -> None:
        job = self.job
        try:
            self._run(job)
        except Exception as exc:  # noqa: BLE001 - the viewer must survive any analysis failure
            log.exception("analysis of %s failed", job.recording.path)
            self.failed.emit(job.job_id, f"Analysis of {Path(job.recording.path).name} failed: {exc}")

    def _run(self, job: AnalysisJob) -> None:
        content = job.recording.provenance.content_hash
        try:
            info = model_info(job.model_dir)
        except (CheckpointError, OSError) as exc:
            self.failed.emit(job.job_id, describe_load_error(job.model_dir, exc))
            return
        if job.use_cache and content:
            cached = self.cache.load(content, info, job.tasks)
            if cached is not None:
                self.modelReady.emit(job.job_id, info, "cache")
                self.progress.emit(job.job_id, 1.0)
                self.done.emit(job.job_id, cached, True)
                return
        import torch

        device = pick_device(job.device)
        analyzer = self._load(job, device)
        if analyzer is None:
            return
        try:
            parts = self._stream(job, analyzer, device)
        except (AnalysisError, RecordingError) as exc:
            self.failed.emit(job.job_id, str(exc))
            return
        except torch.cuda.OutOfMemoryError:
            if device == "cpu":
                raise
            self.notice.emit(job.job_id, f"{device.upper()} ran out of memory: the analysis continues on the CPU.")
            torch.cuda.empty_cache()
            analyzer = self._load(job, "cpu")
            if analyzer is None:
                return
            parts = self._stream(job, analyzer, "cpu")
        if parts is None:
            self.cancelled.emit(job.job_id)
            return
        findings = analyzer.collect(job.recording, job.tasks, parts)
        if content:
            try:
                self.cache.store(content, job.tasks, findings)
            except OSError as exc:
                log.warning("findings cache not written: %s", exc)
        self.done.emit(job.job_id, findings, False)

    def _load(self, job: AnalysisJob, device: str) -> Analyzer | None:
        try:
            analyzer = self.pool.get(job.model_dir, device)
        except (CheckpointError, OSError) as exc:
            self.failed.emit(job.job_id, describe_load_error(job.model_dir, exc))
            return None
        except (AnalysisError, RuntimeError, ValueError) as exc:
            self.failed.emit(job.job_id, f"The model in {job.model_dir} cannot run on {device}: {exc}")
            return None
        self.anomaly_threshold = analyzer.anomaly_threshold
        self.modelReady.emit(job.job_id, analyzer.info, device)
        return analyzer

    def _stream(self, job: AnalysisJob, analyzer: Analyzer, device: str):
        """Chunk results in streaming order, or None when cancelled."""
        parts = []
        for part in analyzer.iter_analyze(job.recording, job.tasks, order=self.focus, cancelled=self.is_cancelled):
            parts.append(part)
            self.partial.emit(job.job_id, part)
            self.progress.emit(job.job_id, part.progress)
            QtCore.QThread.yieldCurrentThread()
        if self.is_cancelled():
            return None
        return parts


class WarmUp(QtCore.QThread):
    """Loads the model and runs it once on 20 s of synthetic ECG, so the first real analysis pays no
    import, load or first-call cost (those hold the GIL and would stall the GUI mid-analysis).
    ``ready(seconds)`` or ``failed(message)``."""

    ready = QtCore.Signal(float)
    failed = QtCore.Signal(str)

    def __init__(self, pool: AnalyzerPool, model_dir: Path, device: str, parent=None):
        super().__init__(parent)
        self.pool, self.model_dir, self.device = pool, model_dir, device

    def run(self) -> None:
        import time

        import numpy as np

        t = time.perf_counter()
        try:
            analyzer = self.pool.get(self.model_dir, pick_device(self.device))
            fs, beat = 250.0, np.exp(-0.5 * (np.arange(-10, 11) / 3.0) ** 2)
            x = np.zeros(int(20 * fs), np.float32)
            for s in range(100, len(x) - 20, 200):  # 75 bpm
                x[s - 10:s + 11] += beat
            rec = Recording.from_array(x[None], fs, ["II"], path="<warm-up>")
            for _ in analyzer.iter_analyze(rec):
                pass
        except Exception as exc:  # noqa: BLE001 - a failed warm-up only means the real job reports it
            self.failed.emit(str(exc))
            return
        self.ready.emit(time.perf_counter() - t)
