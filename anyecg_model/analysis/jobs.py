"""Analysis jobs in the analysis process: load analyzers (:class:`AnalyzerPool`, by checkpoint folder and
device) and run one job with :func:`run_job`, streaming each :class:`~.chunks.ChunkResult` back as it is
produced, then the collected :class:`~.findings.Findings` (stored in the findings cache first); :func:`warm_up`
pays the import, load and first-call costs before the first real job.

Every failure (no weights, corrupt or incompatible checkpoint, unusable recording, CUDA out of memory: the
analysis goes on on the CPU with a :class:`~.protocol.Notice`) becomes a reply; nothing escapes a job. The
replies are :mod:`.protocol` messages handed to ``emit``.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..io.recording import Recording, RecordingError
from ..model.checkpoint_meta import CheckpointError
from .cache import FindingsCache, findings_to_arrays
from .chunks import CHUNK_S, AnalysisError, FocusRange
from .protocol import (Cancelled, Done, Failed, JobSpec, Message, ModelReady, ModelUnusable, Notice, Partial,
                       SendSamples)
from .recording_ref import NeedSignal, RecordingRef

if TYPE_CHECKING:
    from .analyzer import Analyzer

log = logging.getLogger(__name__)

#: Seconds of recording per streamed chunk in the viewer: the CLI's chunk grid (:data:`~.chunks.CHUNK_S`), so a
#: beat sees the same context (R peaks, RR, dominant template, prematurity, pacing against the context's median
#: are computed over its chunk and margins) whichever order the chunks come in: the viewer and ``anyecg analyze``
#: give each beat the same label. Shorter chunks (60 s before) changed the labels of beats (MIT-BIH 201: 7 N/V).
VIEWER_CHUNK_S = CHUNK_S

Emit = Callable[[Message], None]


def pick_device(setting: str = "auto") -> str:
    """``auto`` → CUDA, else Apple MPS, else CPU; an explicit choice is kept as given (imports torch)."""
    if setting != "auto":
        return setting
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


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

                from .analyzer import Analyzer

                if self.torch_threads is not None:
                    torch.set_num_threads(self.torch_threads)
                self._analyzers[key] = Analyzer(model_dir, device=device, chunk_s=self.chunk_s)
            return self._analyzers[key]

    def forget(self, model_dir: Path) -> None:
        with self._lock:
            for key in [k for k in self._analyzers if k[0] == str(model_dir)]:
                del self._analyzers[key]


def open_for(job_id: int, ref: RecordingRef, opener: Callable[[], Recording], emit: Emit,
              cancelled: Callable[[], bool]) -> Recording | None:
    """The recording of a job (``opener()``), or None after emitting why not: :class:`~.protocol.Cancelled`,
    :class:`~.protocol.SendSamples` (the file changed: the viewer sends the samples) or
    :class:`~.protocol.Failed` naming the file."""
    if cancelled():
        emit(Cancelled(job_id))
        return None
    try:
        return opener()
    except NeedSignal as exc:
        log.info("%s", exc)
        emit(SendSamples(job_id))
    except (RecordingError, OSError, ValueError) as exc:
        emit(Failed(job_id, str(exc) if isinstance(exc, RecordingError) else
                    f"{ref.provenance.path}: cannot read the recording: {exc}"))
    return None


def run_job(job_id: int, job: JobSpec, pool: AnalyzerPool, emit: Emit, cancelled: Callable[[], bool],
            focus: FocusRange) -> None:
    """Analyse ``job``, emitting the :mod:`.protocol` replies for ``job_id``; ends with exactly one final
    reply (Done, Failed, ModelUnusable, Cancelled or SendSamples), whatever happens."""
    recording = open_for(job_id, job.recording, job.recording.open, emit, cancelled)
    if recording is None:
        return
    try:
        _run(job_id, job, recording, pool, emit, cancelled, focus)
    except BrokenPipeError:
        raise  # the viewer is gone
    except Exception as exc:  # noqa: BLE001 - the viewer must survive any analysis failure
        log.exception("analysis of %s failed", recording.path)
        emit(Failed(job_id, f"Analysis of {Path(recording.path).name} failed: {exc}"))


def _run(job_id, job: JobSpec, rec: Recording, pool, emit: Emit, cancelled, focus) -> None:
    import torch

    model_dir = Path(job.model_dir)
    device = pick_device(job.device)
    analyzer = _load(job_id, model_dir, device, pool, emit)
    if analyzer is None:
        return
    try:
        parts = _stream(job_id, job, rec, analyzer, emit, cancelled, focus)
    except (AnalysisError, RecordingError) as exc:
        emit(Failed(job_id, str(exc)))
        return
    except torch.cuda.OutOfMemoryError:
        if device == "cpu":
            raise
        emit(Notice(job_id, f"{device.upper()} ran out of memory: the analysis continues on the CPU."))
        torch.cuda.empty_cache()
        analyzer = _load(job_id, model_dir, "cpu", pool, emit)
        if analyzer is None:
            return
        parts = _stream(job_id, job, rec, analyzer, emit, cancelled, focus)
    if parts is None:
        emit(Cancelled(job_id))
        return
    findings = analyzer.collect(rec, job.tasks, parts, lead_map=dict(job.lead_map) or None)
    content = rec.provenance.content_hash
    if content and job.cache_dir:
        try:
            FindingsCache(job.cache_dir).store(content, job.tasks, findings, dict(job.lead_map) or None)
        except OSError as exc:
            log.warning("findings cache not written: %s", exc)
    emit(Done(job_id, *findings_to_arrays(findings)))  # arrays: cheap to unpickle in the viewer


def _load(job_id, model_dir: Path, device: str, pool, emit: Emit):
    try:
        analyzer = pool.get(model_dir, device)
    except (CheckpointError, OSError) as exc:
        emit(ModelUnusable(job_id, str(model_dir), str(exc)))
        return None
    except (AnalysisError, RuntimeError, ValueError) as exc:
        emit(Failed(job_id, f"The model in {model_dir} cannot run on {device}: {exc}"))
        return None
    emit(ModelReady(job_id, analyzer.info, device, analyzer.rules))
    return analyzer


def _stream(job_id, job: JobSpec, rec: Recording, analyzer, emit: Emit, cancelled, focus):
    """Chunk results in streaming order (each sent as it comes), or None when cancelled. A chunk whose
    provisional episodes were revised (it came before the chunk preceding it) is sent again after the chunk
    that revised it (the viewer replaces it), so the streamed view ends as the final findings."""
    parts, revised = [], []
    for part in analyzer.iter_analyze(rec, job.tasks, order=focus, cancelled=cancelled,
                                      lead_map=dict(job.lead_map) or None, revised=revised.append):
        parts.append(part)
        emit(Partial(job_id, part))
        for again in revised:
            emit(Partial(job_id, replace(again, progress=part.progress)))
        revised.clear()
    if cancelled():
        return None
    return parts


def warm_up(pool: AnalyzerPool, model_dir: Path, device: str) -> float:
    """Load the model and run it once on 20 s of synthetic ECG (import, load and first-call costs paid
    before the first real job); returns the seconds it took."""
    import numpy as np

    t = time.perf_counter()
    analyzer = pool.get(Path(model_dir), pick_device(device))
    fs, beat = 250.0, np.exp(-0.5 * (np.arange(-10, 11) / 3.0) ** 2)
    x = np.zeros(int(20 * fs), np.float32)
    for s in range(100, len(x) - 20, 200):  # 75 bpm
        x[s - 10:s + 11] += beat
    rec = Recording.from_array(x[None], fs, ["II"], path="<warm-up>")
    for _ in analyzer.iter_analyze(rec):
        pass
    return time.perf_counter() - t
