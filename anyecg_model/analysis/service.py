"""The analysis process, child side: ``python -m anyecg_model.analysis.service`` (started by
:class:`~.process.AnalysisProcess`; the wire is described in :mod:`.process`).

It loads analyzers (:class:`AnalyzerPool`, by checkpoint folder and device) and runs analysis jobs one at a
time with :func:`run_job`: :meth:`Analyzer.iter_analyze <.analyzer.Analyzer.iter_analyze>` streams each
:class:`~.chunks.ChunkResult` back as it is produced, then the collected :class:`~.findings.Findings` (stored
in the findings cache first). A reader thread takes the requests as they come, so while a job runs its
``focus`` (the range the viewer shows; the :class:`~.chunks.FocusRange` the analyzer polls before each chunk)
and ``cancel`` (polled between chunks) apply at once.

Lead generation (:func:`run_generation`) runs beside the analysis job, on the same loaded analyzers (inference
is read-only), so a generation never waits for a long analysis. There are two kinds, each on a thread of its
own:

- *view generations* (the viewer's visible window) run one at a time, and a newer one supersedes every older
  one (those still waiting end as ``cancelled`` at once, the one running at its next step);
- *exports* (the whole recording written with the generated leads, ``GenerationSpec.export_to``) are never
  superseded: they run one at a time in the order they came (a second export waits for the first), and end
  early only when cancelled by id or when the process quits. View generations are answered while an export
  runs (the two threads share the analyzers, so each is slower while both run, but neither waits for the
  other).

The recording a view generation last used stays open, so following the view does not re-open the file each
time; an export opens its own. The export is written through a temporary folder beside the target and
renamed into place when complete (WFDB: signal file, then header), so a cancelled or killed export never
leaves a partial file at the user's path.

Every failure (no weights, corrupt or incompatible checkpoint, unusable recording, CUDA out of memory: an
analysis or a generation goes on on the CPU with a notice) becomes a message; nothing escapes a job. End of
input (the viewer quit or died) ends the process at once; ``quit`` after the chunk in progress. Torch's threads
are set from ``ANYECG_TORCH_THREADS``. Never imports Qt. :func:`model_info` and :func:`describe_load_error` are
also used by the viewer (torch-free).
"""
from __future__ import annotations

import collections
import logging
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..io.recording import Recording, RecordingError
from ..model.checkpoint import CheckpointError, read_metadata
from .cache import FindingsCache, findings_to_arrays
from .chunks import AnalysisError, FocusRange
from .findings import ModelInfo
from .process import GenerationSpec, JobSpec, NeedSignal, RecordingRef, read_message, write_message

if TYPE_CHECKING:
    from .analyzer import Analyzer

log = logging.getLogger(__name__)

#: Seconds of recording per streamed chunk in the viewer (a multiple of the model's 10-s window): small
#: enough that the visible window's findings come quickly and cancelling waits little.
VIEWER_CHUNK_S = 60.0
#: Seconds generated per step when a whole recording is exported with generated leads (progress and cancel
#: between steps).
EXPORT_STEP_S = 600.0

Emit = Callable[[tuple], None]


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

                from .analyzer import Analyzer

                if self.torch_threads is not None:
                    torch.set_num_threads(self.torch_threads)
                self._analyzers[key] = Analyzer(model_dir, device=device, chunk_s=self.chunk_s)
            return self._analyzers[key]

    def forget(self, model_dir: Path) -> None:
        with self._lock:
            for key in [k for k in self._analyzers if k[0] == str(model_dir)]:
                del self._analyzers[key]


def _open_for(job_id: int, ref: RecordingRef, opener: Callable[[], Recording], emit: Emit,
              cancelled: Callable[[], bool]) -> Recording | None:
    """The recording of a job (``opener()``), or None after emitting why not: ``cancelled``, ``needSignal``
    (the file changed: the viewer sends the samples) or ``failed`` naming the file."""
    if cancelled():
        emit(("cancelled", job_id))
        return None
    try:
        return opener()
    except NeedSignal as exc:
        log.info("%s", exc)
        emit(("needSignal", job_id))
    except (RecordingError, OSError, ValueError) as exc:
        emit(("failed", job_id, str(exc) if isinstance(exc, RecordingError) else
              f"{ref.provenance.path}: cannot read the recording: {exc}"))
    return None


# ---------------------------------------------------------------------------------------------- one job
def run_job(job_id: int, job: JobSpec, pool: AnalyzerPool, emit: Emit, cancelled: Callable[[], bool],
            focus: FocusRange) -> None:
    """Analyse ``job``, emitting the replies of :mod:`.process` for ``job_id``; ends with exactly one of
    done / failed / cancelled / needSignal, whatever happens."""
    recording = _open_for(job_id, job.recording, job.recording.open, emit, cancelled)
    if recording is None:
        return
    try:
        _run(job_id, job, recording, pool, emit, cancelled, focus)
    except BrokenPipeError:
        raise  # the viewer is gone
    except Exception as exc:  # noqa: BLE001 - the viewer must survive any analysis failure
        log.exception("analysis of %s failed", recording.path)
        emit(("failed", job_id, f"Analysis of {Path(recording.path).name} failed: {exc}"))


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
        emit(("failed", job_id, str(exc)))
        return
    except torch.cuda.OutOfMemoryError:
        if device == "cpu":
            raise
        emit(("notice", job_id, f"{device.upper()} ran out of memory: the analysis continues on the CPU."))
        torch.cuda.empty_cache()
        analyzer = _load(job_id, model_dir, "cpu", pool, emit)
        if analyzer is None:
            return
        parts = _stream(job_id, job, rec, analyzer, emit, cancelled, focus)
    if parts is None:
        emit(("cancelled", job_id))
        return
    findings = analyzer.collect(rec, job.tasks, parts, lead_map=dict(job.lead_map) or None)
    content = rec.provenance.content_hash
    if content and job.cache_dir:
        try:
            FindingsCache(job.cache_dir).store(content, job.tasks, findings, dict(job.lead_map) or None)
        except OSError as exc:
            log.warning("findings cache not written: %s", exc)
    emit(("done", job_id, *findings_to_arrays(findings)))  # arrays: cheap to unpickle in the viewer


def _load(job_id, model_dir: Path, device: str, pool, emit: Emit):
    try:
        analyzer = pool.get(model_dir, device)
    except (CheckpointError, OSError) as exc:
        emit(("failed", job_id, describe_load_error(model_dir, exc)))
        return None
    except (AnalysisError, RuntimeError, ValueError) as exc:
        emit(("failed", job_id, f"The model in {model_dir} cannot run on {device}: {exc}"))
        return None
    emit(("modelReady", job_id, analyzer.info, device, analyzer.rules))
    return analyzer


def _stream(job_id, job: JobSpec, rec: Recording, analyzer, emit: Emit, cancelled, focus):
    """Chunk results in streaming order (each sent as it comes), or None when cancelled."""
    parts = []
    for part in analyzer.iter_analyze(rec, job.tasks, order=focus, cancelled=cancelled,
                                      lead_map=dict(job.lead_map) or None):
        parts.append(part)
        emit(("partial", job_id, part))
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


# ---------------------------------------------------------------------------------------------- lead generation
def run_generation(job_id: int, spec: GenerationSpec, pool: AnalyzerPool, emit: Emit,
                   cancelled: Callable[[], bool], recordings: "RecordingCache | None" = None) -> None:
    """Generate ``spec``'s leads, emitting the replies of :mod:`.process` for ``job_id``; ends with exactly one
    of generated / exported / failed / cancelled / needSignal, whatever happens."""
    opener = (lambda: recordings.open(spec.recording)) if recordings is not None else spec.recording.open
    rec = _open_for(job_id, spec.recording, opener, emit, cancelled)
    if rec is None:
        return
    try:
        _generate(job_id, spec, rec, pool, emit, cancelled)
    except BrokenPipeError:
        raise  # the viewer is gone
    except Exception as exc:  # noqa: BLE001 - generation failures become a message, never a crash
        log.exception("lead generation for %s failed", rec.path)
        emit(("failed", job_id, f"Lead generation failed: {exc}"))


def _generate(job_id, spec: GenerationSpec, rec: Recording, pool, emit: Emit, cancelled) -> None:
    import numpy as np
    import torch

    from .leadgen import export_with_generated, generate_leads, without_leads

    model_dir = Path(spec.model_dir)
    device = pick_device(spec.device)
    try:
        analyzer = pool.get(model_dir, device)
    except (CheckpointError, OSError) as exc:
        emit(("failed", job_id, describe_load_error(model_dir, exc)))
        return
    names = list(spec.names)
    what = "lead generation" if spec.export_to is None else "export"

    def generate(a: float, b: float):
        """The generated leads over [a, b] s; on a GPU out of memory, the CPU from then on (with a notice)."""
        nonlocal analyzer, device
        try:
            return generate_leads(analyzer, source, names, a, b)
        except torch.cuda.OutOfMemoryError:
            if device == "cpu":
                raise
            emit(("notice", job_id, f"{device.upper()} ran out of memory: the {what} continues on the CPU."))
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            analyzer, device = pool.get(model_dir, "cpu"), "cpu"
            return generate_leads(analyzer, source, names, a, b)

    try:
        source = without_leads(rec, spec.leads)
        if spec.export_to is None:
            gen = generate(spec.t0, spec.t1)
            emit(("cancelled", job_id) if cancelled() else ("generated", job_id, gen.start_s, gen.fs, gen.data))
            return
        parts = []
        for a in np.arange(0.0, rec.duration_s, EXPORT_STEP_S):
            if cancelled():
                emit(("cancelled", job_id))
                return
            b = min(rec.duration_s, a + EXPORT_STEP_S)
            parts.append(generate(float(a), float(b)).data)
            emit(("progress", job_id, b / rec.duration_s))
        if cancelled():  # the last chance: the file is written at once from here on
            emit(("cancelled", job_id))
            return
        path = export_with_generated(rec, np.concatenate(parts, axis=1), names, spec.export_to,
                                     f"{analyzer.info.name} v{analyzer.info.version}")
        emit(("exported", job_id, str(path)))
    except (AnalysisError, RecordingError, ValueError, OSError, CheckpointError) as exc:
        emit(("failed", job_id, str(exc)))


def is_export(spec) -> bool:
    """True for a generation request that writes the whole recording (``export_to``), not a view's window."""
    return getattr(spec, "export_to", None) is not None


class RecordingCache:
    """The recording the last generation opened, kept while the next ones ask for the same one (a file is
    re-opened and checked only when the viewer's recording changes; samples sent by value are not kept)."""

    def __init__(self):
        self._key: tuple | None = None
        self._rec: Recording | None = None

    @staticmethod
    def _key_of(ref: RecordingRef) -> tuple | None:
        if ref.kind == "array":
            return None
        return (ref.kind, ref.provenance, ref.npy, ref.gain_mv, ref.fs, ref.n_samples,
                tuple(lead.name for lead in ref.leads))

    def open(self, ref: RecordingRef) -> Recording:
        key = self._key_of(ref)
        if key is not None and key == self._key and self._rec is not None:
            return self._rec
        rec = ref.open()
        self._key, self._rec = key, (rec if key is not None else None)
        return rec


# ---------------------------------------------------------------------------------------------- the loop
class Service:
    """Requests in (a reader thread), analysis jobs and warm-ups run on the calling thread by :meth:`run`,
    view generations on a thread of their own and exports on another (see the module docstring), replies out.
    ``runner`` replaces :func:`run_job` and ``generator`` :func:`run_generation` (tests)."""

    def __init__(self, inbox, outbox, pool: AnalyzerPool, runner=None, generator=None):
        self.inbox, self.outbox, self.pool = inbox, outbox, pool
        self.runner = runner or run_job
        self.generator = generator or run_generation
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._cancelled: set[int] = set()
        self._focus: dict[int, FocusRange] = {}
        self._quit = False
        # generations: view requests not started yet, the newest view id asked for, exports not started yet
        # (in order), ids cancelled, ids (of both kinds) not yet ended
        self._gen_wake = threading.Condition(self._lock)
        self._gen_waiting: list[tuple] = []
        self._gen_newest = 0
        self._export_wake = threading.Condition(self._lock)
        self._exports: collections.deque[tuple] = collections.deque()
        self._gen_cancelled: set[int] = set()
        self._gen_open: set[int] = set()
        self._recordings = RecordingCache()

    def emit(self, msg: tuple) -> None:
        with self._write_lock:  # the job thread and the generation thread both reply
            write_message(self.outbox, msg)

    def read_requests(self) -> None:
        """Reader thread: jobs to the queue, focus and cancel applied at once; end of input ends the process."""
        while True:
            try:
                msg = read_message(self.inbox)
            except (EOFError, OSError):
                os._exit(0)  # the viewer is gone: nothing to finish for
            kind, mid = msg[0], msg[1]
            with self._lock:
                if kind == "focus":
                    self._focus_of(mid).set(msg[2], msg[3])
                elif kind == "cancel":
                    (self._gen_cancelled if mid in self._gen_open else self._cancelled).add(mid)
                elif kind == "generate" and is_export(msg[2]):
                    self._exports.append(msg)  # never superseded: each export is answered, in order
                    self._gen_open.add(mid)
                    self._export_wake.notify()
                elif kind == "generate":
                    self._gen_waiting.append(msg)
                    self._gen_open.add(mid)
                    self._gen_newest = max(self._gen_newest, mid)
                    self._gen_wake.notify()
                elif kind == "quit":
                    self._quit = True
                    self._queue.put(None)
                    self._gen_wake.notify()
                    self._export_wake.notify()
                    return
                else:
                    self._queue.put(msg)

    def _focus_of(self, job_id: int, default: tuple[float, float] = (0.0, 10.0)) -> FocusRange:
        if job_id not in self._focus:
            self._focus[job_id] = FocusRange(*default)
        return self._focus[job_id]

    def _is_cancelled(self, job_id: int) -> bool:
        return self._quit or job_id in self._cancelled

    def run(self) -> None:
        threading.Thread(target=self.read_requests, name="requests", daemon=True).start()
        generations = threading.Thread(target=self.run_generations, name="generations", daemon=True)
        generations.start()
        exports = threading.Thread(target=self.run_exports, name="exports", daemon=True)
        exports.start()
        while True:
            msg = self._queue.get()
            if msg is None:
                break
            try:
                self._handle(msg)
            except BrokenPipeError:
                os._exit(0)  # the viewer is gone
        generations.join(5.0)  # quit: a generation stops at its next step (an export being written finishes)
        exports.join(5.0)  # (the viewer kills the process after its own timeout anyway: no file at the target)

    # ------------------------------------------------------------------ generations
    def _gen_is_cancelled(self, job_id: int) -> bool:
        return self._quit or job_id in self._gen_cancelled or job_id < self._gen_newest

    def _export_is_cancelled(self, job_id: int) -> bool:
        """An export ends early only when cancelled by its id or when the process quits."""
        return self._quit or job_id in self._gen_cancelled

    def run_generations(self) -> None:
        """View-generation thread: the newest waiting request, the older ones answered ``cancelled``."""
        while True:
            with self._lock:
                while not self._gen_waiting and not self._quit:
                    self._gen_wake.wait()
                if self._quit:
                    return
                waiting, self._gen_waiting = sorted(self._gen_waiting, key=lambda m: m[1]), []
            try:
                for old in waiting[:-1]:
                    self.emit(("cancelled", old[1]))
                    self._gen_finished(old[1])
                mid, spec = waiting[-1][1], waiting[-1][2]
                self._generate(mid, spec, lambda: self._gen_is_cancelled(mid), self._recordings,
                               "Lead generation")
            except BrokenPipeError:
                os._exit(0)  # the viewer is gone

    def run_exports(self) -> None:
        """Export thread: the exports one at a time, in the order they came, each to its end."""
        while True:
            with self._lock:
                while not self._exports and not self._quit:
                    self._export_wake.wait()
                if self._quit:
                    return
                msg = self._exports.popleft()
            mid, spec = msg[1], msg[2]
            try:  # its own recording: the view thread's RecordingCache is not shared between threads
                self._generate(mid, spec, lambda: self._export_is_cancelled(mid), None,
                               "Export with generated leads")
            except BrokenPipeError:
                os._exit(0)  # the viewer is gone

    def _generate(self, mid: int, spec, is_cancelled, recordings, what: str) -> None:
        """Run one generation or export; an error the generator did not answer itself is answered ``failed``
        ("``what`` failed: …"). A broken pipe (the viewer is gone) is left to the caller."""
        try:
            self.generator(mid, spec, self.pool, self.emit, is_cancelled, recordings)
        except BrokenPipeError:
            raise
        except Exception as exc:  # noqa: BLE001 - run_generation handles its own; a replacement may not
            log.exception("%s %d", what, mid)
            self.emit(("failed", mid, f"{what} failed: {exc}"))
        self._gen_finished(mid)

    def _gen_finished(self, job_id: int) -> None:
        with self._lock:
            self._gen_open.discard(job_id)
            self._gen_cancelled.discard(job_id)

    def _handle(self, msg: tuple) -> None:
        kind, mid = msg[0], msg[1]
        if kind == "job":
            job: JobSpec = msg[2]
            with self._lock:
                focus = self._focus_of(mid, job.visible)
            try:
                self.runner(mid, job, self.pool, self.emit, lambda: self._is_cancelled(mid), focus)
            except BrokenPipeError:
                raise
            except Exception as exc:  # noqa: BLE001 - run_job handles its own; a replacement runner may not
                log.exception("job %d", mid)
                self.emit(("failed", mid, f"Analysis failed: {exc}"))
            self._finished(mid)
        elif kind == "warm":
            try:
                self.emit(("warmed", mid, warm_up(self.pool, Path(msg[2]), msg[3])))
            except BrokenPipeError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed warm-up only means the real job reports it
                self.emit(("warmFailed", mid, str(exc)))
            self._finished(mid)
        elif kind == "forget":
            self.pool.forget(Path(msg[2]))

    def _finished(self, job_id: int) -> None:
        """Requests come in id order: focus and cancel of this id and earlier ones are no longer needed."""
        with self._lock:
            self._cancelled = {i for i in self._cancelled if i > job_id}
            self._focus = {i: f for i, f in self._focus.items() if i > job_id}


def main(runner=None, generator=None) -> int:
    """Entry point of the child process (``runner``, ``generator``: see :class:`Service`)."""
    outbox = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr, not into the replies
    sys.stdout = sys.stderr
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the viewer decides when this process ends
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s analysis process %(name)s: %(message)s")
    threads = int(os.environ.get("ANYECG_TORCH_THREADS", "0") or 0) or None
    Service(sys.stdin.buffer, outbox, AnalyzerPool(torch_threads=threads), runner, generator).run()
    outbox.flush()
    sys.stderr.flush()
    os._exit(0)  # quit asked for: skip the interpreter's teardown (seconds with torch loaded)


if __name__ == "__main__":
    sys.exit(main())
