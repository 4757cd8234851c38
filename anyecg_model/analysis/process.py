"""The analysis process, parent side: start it, talk to it, stop it; and what both ends of the pipe share.

A viewer analyses and generates leads in a separate Python process (``python -m anyecg_model.analysis.service``,
see :mod:`.service`), so the model's NumPy, SciPy and PyTorch work never holds the viewer's GIL. One long-lived
process per :class:`AnalysisProcess` runs one analysis job at a time, and lead generations beside it (on a
thread of their own, so a generation never waits for a long analysis), and keeps its loaded analyzers between
jobs; it is started on first use and started afresh by the next job after it died. A view generation is
superseded by a newer one; an export (``GenerationSpec.export_to``) never is: exports run on a thread of
their own, one at a time in the order they came, while view generations go on being answered. Nothing here imports Qt or
torch.

Wire: every message is a pickled tuple ``(kind, id, *fields)`` preceded by its length (8 bytes, little
endian), requests over the child's stdin, replies over a duplicate of its stdout (the child points its own
stdout at stderr, so a stray ``print`` cannot corrupt the stream). Pickle is safe here: both ends are this
program, over private pipes. Reads block in the OS with the GIL released. One reader thread per process
hands each reply to the :class:`Inbox` of its id (:meth:`AnalysisProcess.listen`, before the request is sent);
replies for ids nobody listens to are dropped.

Requests: ``("job", id, JobSpec)``, ``("generate", id, GenerationSpec)``, ``("warm", id, model_dir, device)``,
``("focus", id, t0, t1)``, ``("cancel", id)``, ``("forget", 0, model_dir)``, ``("quit", 0)``.

Replies to a job: ``("modelReady", id, ModelInfo, device, FindingsRules)``, ``("partial", id,
ChunkResult)``, ``("notice", id, message)``, then exactly one of ``("done", id, meta, arrays)`` (the findings
as :func:`~.cache.findings_to_arrays` gives them), ``("failed", id, message)``, ``("cancelled", id)``,
``("needSignal", id)`` (the file could not be re-opened as it was: send the samples). To a generation:
``("progress", id, fraction)`` (exports), then exactly one of ``("generated", id, t0_s, fs, data)`` (data:
``(n_leads, n)`` float32 mV in the order asked for), ``("exported", id, path)``, ``("failed", id, message)``,
``("cancelled", id)`` (cancelled by id or by ``quit``; a view generation also when superseded by a newer one,
an export never) or ``("needSignal", id)``; ``("notice", id, message)`` may come before (the GPU ran out of
memory: going on on the CPU). To a warm-up: ``("warmed", id, seconds)`` or ``("warmFailed", id, message)``.
Ids are the process's own (:meth:`AnalysisProcess.next_id`), never reused.

Recordings travel as a :class:`RecordingRef`, not as pickled 24-h arrays: a file-backed recording by its path
(the child re-opens it and checks that content hash, rate, length and leads match), an in-memory one of at
most ``inline_bytes`` by value, anything else as a temporary ``.npy`` file that the child memory-maps (kept
per content hash while the process lives, so analysing the same recording again writes nothing).
"""
from __future__ import annotations

import atexit
import importlib
import logging
import os
import pickle
import queue
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

import numpy as np

from ..io.recording import ArraySource, Lead, Provenance, Recording, RecordingError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
#: In-memory recordings up to this size (bytes) are sent by value; larger ones through a temporary file.
INLINE_BYTES = 4 << 20
#: Samples per piece when a recording is copied into a temporary file (bounded memory, GIL released often).
COPY_SAMPLES = 1 << 20
#: Temporary signal files kept per process (the recordings analysed last).
KEEP_SIGNAL_FILES = 2
SERVICE_MODULE = "anyecg_model.analysis.service"


class ProcessGone(Exception):
    """The analysis process is not running (it exited or was killed)."""


class ProcessStartError(ProcessGone):
    """The analysis process could not be started."""


# ---------------------------------------------------------------------------------------------- wire
def write_message(stream: BinaryIO, msg: tuple) -> None:
    data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_message(stream: BinaryIO) -> tuple:
    """The next message; EOFError when the other end has closed the pipe."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError("pipe closed")
    n = _HEADER.unpack(head)[0]
    data = stream.read(n)
    if len(data) < n:
        raise EOFError("pipe closed mid-message")
    return pickle.loads(data)


# ---------------------------------------------------------------------------------------------- recordings
class LeadsNpySource:
    """Signal source over a ``(n_leads, n)`` float32 ``.npy`` memory map (the temporary signal files)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.data = np.load(self.path, mmap_mode="r", allow_pickle=False)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        return np.asarray(self.data[list(lead_idx), start:stop], np.float32)


class NeedSignal(Exception):
    """The child could not re-open the file as the viewer has it; the parent sends the samples instead."""


@dataclass(frozen=True)
class RecordingRef:
    """What the child needs to rebuild a recording: its leads, rate, length and provenance, and where the
    samples are: ``kind`` ``"file"`` (re-open ``provenance.path``), ``"array"`` (``array``, by value),
    ``"npy"`` (``npy``: an ``(n_leads, n)`` float32 file) or ``"memmap"`` (``npy``: a ``(n, n_leads)`` file
    read by :class:`anyecg_model.demo.MemmapSource` with ``gain_mv``)."""

    leads: tuple[Lead, ...]
    fs: float
    n_samples: int
    provenance: Provenance
    kind: str
    array: np.ndarray | None = None
    npy: str | None = None
    gain_mv: float = 1.0

    def open(self) -> Recording:
        """The recording in this process (:class:`NeedSignal` when a file no longer matches)."""
        if self.kind == "file":
            return self._reopen()
        if self.kind == "array":
            source = ArraySource(self.array)
        elif self.kind == "npy":
            source = LeadsNpySource(self.npy)
        elif self.kind == "memmap":
            from ..demo import MemmapSource

            source = MemmapSource(self.npy, self.gain_mv)
        else:
            raise ValueError(f"unknown recording reference {self.kind!r}")
        return Recording(leads=list(self.leads), fs=self.fs, n_samples=self.n_samples, source=source,
                         provenance=self.provenance)

    def _reopen(self) -> Recording:
        from ..io.registry import READERS, open_recording

        path, fmt = self.provenance.path, self.provenance.format
        try:
            if fmt in READERS:  # the reader itself: a WFDB record is named without its extension
                rec = importlib.import_module(READERS[fmt]).read(path, fs=self.fs)
            else:
                rec = open_recording(path, fs=self.fs)
        except (RecordingError, OSError, ValueError) as exc:
            raise NeedSignal(f"{path} cannot be re-opened: {exc}") from exc
        same = (rec.provenance.content_hash == self.provenance.content_hash and rec.n_samples == self.n_samples
                and abs(rec.fs - self.fs) < 1e-9 and rec.lead_names == [lead.name for lead in self.leads])
        if not same:
            raise NeedSignal(f"{path} differs from the recording the viewer shows")
        return rec


def _is_file_backed(rec: Recording) -> bool:
    p = rec.provenance
    return p.format != "array" and bool(p.path) and not p.path.startswith("<")


class SignalFiles:
    """Temporary ``.npy`` copies of recordings, one per content hash, the latest :data:`KEEP_SIGNAL_FILES`."""

    def __init__(self):
        self._dir: Path | None = None
        self._files: list[Path] = []
        self._lock = threading.Lock()

    def path_for(self, rec: Recording) -> Path:
        """A ``(n_leads, n)`` float32 file of ``rec``'s samples (written unless it exists)."""
        with self._lock:
            if self._dir is None:  # on disk: the page cache holds it while it is used, and may drop it later
                self._dir = Path(tempfile.mkdtemp(prefix="anyecg-signal-"))
            key = (rec.provenance.content_hash or f"id{id(rec)}")[:40]
            path = self._dir / f"{key}-{len(rec.leads)}x{rec.n_samples}.npy"
            if path in self._files:
                self._files.remove(path)
            elif not path.exists():
                self._write(rec, path)
            self._files.append(path)
            for old in self._files[:-KEEP_SIGNAL_FILES]:
                try:
                    old.unlink(missing_ok=True)
                except OSError:  # still mapped by the process (Windows): removed with the folder at stop
                    pass
            del self._files[:-KEEP_SIGNAL_FILES]
            return path

    @staticmethod
    def _write(rec: Recording, path: Path) -> None:
        """Header, then the samples in pieces: each ``write`` releases the GIL while the OS copies."""
        tmp = path.with_name(f".{path.name}.tmp")
        shape = (len(rec.leads), rec.n_samples)
        src = rec.source
        whole = isinstance(src, ArraySource) and src.data.dtype == np.float32 and src.data.flags.c_contiguous
        with open(tmp, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": shape})
            if whole:
                flat = memoryview(src.data.reshape(-1)).cast("B")
                step = COPY_SAMPLES * 4
                for a in range(0, len(flat), step):
                    fh.write(flat[a:a + step])
            else:  # lead by lead, in pieces, through the recording's own reader
                for lead in range(shape[0]):
                    for a in range(0, rec.n_samples, COPY_SAMPLES):
                        block = rec.read(a, min(rec.n_samples, a + COPY_SAMPLES), [lead])
                        fh.write(np.ascontiguousarray(block, "<f4").tobytes())
        os.replace(tmp, path)

    def clear(self) -> None:
        with self._lock:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
            self._dir, self._files = None, []


def recording_ref(rec: Recording, files: SignalFiles, inline_bytes: int = INLINE_BYTES,
                  by_path: bool = True) -> RecordingRef:
    """How ``rec`` reaches the child (see the module docstring); ``by_path=False`` after a ``needSignal``."""
    head = dict(leads=tuple(rec.leads), fs=rec.fs, n_samples=rec.n_samples, provenance=rec.provenance)
    src = rec.source
    if isinstance(src, ArraySource):
        if src.data.nbytes <= inline_bytes:
            return RecordingRef(**head, kind="array", array=src.data)
        return RecordingRef(**head, kind="npy", npy=str(files.path_for(rec)))
    demo = sys.modules.get("anyecg_model.demo")
    if demo is not None and type(src) is demo.MemmapSource:
        return RecordingRef(**head, kind="memmap", npy=str(src.path), gain_mv=src.gain_mv)
    if by_path and _is_file_backed(rec):
        return RecordingRef(**head, kind="file")
    return RecordingRef(**head, kind="npy", npy=str(files.path_for(rec)))


# ---------------------------------------------------------------------------------------------- jobs
@dataclass(frozen=True)
class JobSpec:
    """One analysis for the child: the recording, the checkpoint folder and device setting, the tasks, the
    range the view shows at the start, the findings cache folder the result is stored in (None: none) and the
    user's lead map (file lead, model lead) pairs, e.g. ``(("ECG", "II"),)``."""

    recording: RecordingRef
    model_dir: str
    device: str
    tasks: tuple[str, ...]
    visible: tuple[float, float]
    cache_dir: str | None = None
    lead_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GenerationSpec:
    """Lead generation for the child: the recording, the leads to generate (``leads``: indices into the
    recording, never used as inputs; ``names``: the model's lead for each), ``[t0, t1]`` s, the checkpoint
    folder and device setting. With ``export_to``, the whole recording plus the generated leads is written
    to that path (WFDB ``.hea``, EDF or BDF) instead."""

    recording: RecordingRef
    leads: tuple[int, ...]
    names: tuple[str, ...]
    t0: float
    t1: float
    model_dir: str
    device: str
    export_to: str | None = None


# ---------------------------------------------------------------------------------------------- client
_LIVE: "weakref.WeakSet[AnalysisProcess]" = weakref.WeakSet()


def _stop_all() -> None:
    for p in list(_LIVE):
        p.stop(timeout=2.0)


atexit.register(_stop_all)

_GONE = ("<process gone>", 0)  # put into an inbox when its process has ended


class Inbox:
    """The replies to one request id, in the order they were sent (:meth:`AnalysisProcess.listen`); a context
    manager that stops listening on exit."""

    def __init__(self, process: "AnalysisProcess", wire: int, proc: subprocess.Popen | None):
        self.process, self.wire, self.proc = process, wire, proc
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, msg: tuple) -> None:
        """Add a message (the reply reader; or a relay thread waking itself, e.g. when cancelled)."""
        self._queue.put(msg)

    def get(self, timeout: float | None = None) -> tuple:
        """The next reply (:class:`queue.Empty` after ``timeout`` s); :class:`ProcessGone` once the process
        has ended, for every later call as well."""
        msg = self._queue.get(timeout=timeout)
        if msg is _GONE:
            self._queue.put(_GONE)
            raise ProcessGone(f"the analysis process stopped ({self.process.death()})")
        return msg

    def close(self) -> None:
        self.process._unroute(self)

    def __enter__(self) -> "Inbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AnalysisProcess:
    """The parent's handle on one analysis process.

    :meth:`start` (idempotent; starts a new process when the last one died), :meth:`listen` (an
    :class:`Inbox` for the replies to one id: call it before sending the request), :meth:`send` /
    :meth:`post` (thread-safe; ``post`` ignores a dead process), :meth:`stop` (quit, then kill after
    ``timeout``; also at exit). :attr:`job_lock` is held by whoever runs an analysis job or warm-up (the process
    runs one at a time); lead generations need no lock.
    ``torch_threads`` limits the child's torch and BLAS threads; ``command`` replaces the child's command line
    (tests). ``inline_bytes``: see :func:`recording_ref`.
    """

    def __init__(self, torch_threads: int | None = None, command: Sequence[str] | None = None,
                 inline_bytes: int = INLINE_BYTES):
        self.torch_threads = torch_threads
        self.command = list(command) if command else [sys.executable, "-m", SERVICE_MODULE]
        self.inline_bytes = inline_bytes
        self.job_lock = threading.Lock()
        self.signal_files = SignalFiles()
        self._proc: subprocess.Popen | None = None
        self._state = threading.Lock()
        self._send_lock = threading.Lock()
        self._routes_lock = threading.Lock()
        self._routes: dict[int, Inbox] = {}
        self._reading: subprocess.Popen | None = None  # the process whose replies are being read
        self._ids = 0
        self._stopping = False
        self.started = 0  # processes started so far

    # ------------------------------------------------------------------ life cycle
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, cancelled: Callable[[], bool] | None = None) -> None:
        """Start the process unless it runs (:class:`ProcessStartError` when it cannot be started). With
        ``cancelled``, nothing is started once it returns True (:class:`ProcessGone`): a job cancelled by a
        closing window never starts a process after :meth:`stop`."""
        with self._state:
            if cancelled is not None and cancelled():
                raise ProcessGone("cancelled before the analysis process was needed")
            if self.alive():
                return
            self._close_pipes()
            env = dict(os.environ)
            root = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
            if self.torch_threads:
                n = str(self.torch_threads)
                env.update(ANYECG_TORCH_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n)
            try:
                self._proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                              start_new_session=os.name == "posix")
            except OSError as exc:
                self._proc = None
                raise ProcessStartError(f"the analysis process could not be started: {exc}") from exc
            with self._routes_lock:
                self._reading = self._proc
            threading.Thread(target=self._read_replies, args=(self._proc,), name="analysis-replies",
                             daemon=True).start()
            self._stopping = False
            self.started += 1
            _LIVE.add(self)
            log.info("analysis process %d started", self._proc.pid)

    def stop(self, timeout: float = 3.0) -> None:
        """Ask the process to quit (it finishes the chunk in progress), kill it after ``timeout`` s, remove
        the temporary signal files. Threads waiting on an :class:`Inbox` get :class:`ProcessGone`."""
        with self._state:
            proc = self._proc
            self._stopping = True
        if proc is not None and proc.poll() is None:
            try:
                self.send(("quit", 0))
            except ProcessGone:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("analysis process %d did not quit within %.0f s: killed", proc.pid, timeout)
                proc.kill()
                proc.wait(5.0)
        with self._state:
            if self._proc is proc:
                self._close_pipes()
        self.signal_files.clear()
        _LIVE.discard(self)

    def stopping(self) -> bool:
        """True once :meth:`stop` was called (a job ending now was stopped on purpose)."""
        return self._stopping

    def _close_pipes(self) -> None:
        """Close the request pipe (the reply pipe is closed by its reader thread when it reaches the end)."""
        if self._proc is not None and self._proc.stdin is not None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass

    def death(self) -> str:
        """How the process ended: ``exit code N`` or ``killed by SIGKILL`` (waits briefly for it)."""
        proc = self._proc
        if proc is None:
            return "not started"
        try:
            code = proc.wait(2.0)
        except subprocess.TimeoutExpired:
            return "its pipe closed"
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    # ------------------------------------------------------------------ messages
    def next_id(self) -> int:
        with self._state:
            self._ids += 1
            return self._ids

    def send(self, msg: tuple) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise ProcessGone("the analysis process is not running")
        try:
            with self._send_lock:
                write_message(proc.stdin, msg)
        except (OSError, ValueError) as exc:  # broken pipe, or closed by stop()
            raise ProcessGone(f"the analysis process is gone ({self.death()})") from exc

    def post(self, msg: tuple) -> bool:
        """:meth:`send`, ignoring a process that is not running (cancel, focus)."""
        if not self.alive():
            return False
        try:
            self.send(msg)
            return True
        except ProcessGone:
            return False

    def listen(self, wire: int) -> Inbox:
        """An :class:`Inbox` for the replies to ``wire`` from the running process (call :meth:`start` first,
        and this before sending the request); its :meth:`~Inbox.get` raises :class:`ProcessGone` when none runs."""
        with self._routes_lock:
            inbox = Inbox(self, wire, self._reading)
            if self._reading is None:
                inbox.put(_GONE)
            self._routes[wire] = inbox
        return inbox

    def _unroute(self, inbox: Inbox) -> None:
        with self._routes_lock:
            if self._routes.get(inbox.wire) is inbox:
                del self._routes[inbox.wire]

    def _read_replies(self, proc: subprocess.Popen) -> None:
        """Reader thread of one process: each reply to the inbox of its id, until the pipe closes; then
        every inbox of this process learns that it has gone."""
        stream = proc.stdout
        try:
            while True:
                msg = read_message(stream)
                with self._routes_lock:
                    inbox = self._routes.get(msg[1])
                if inbox is not None:
                    inbox.put(msg)
        except Exception as exc:  # noqa: BLE001 - end of the pipe (or a garbled one): the process is gone
            if not isinstance(exc, (EOFError, OSError, ValueError)):
                log.warning("analysis process %d: unreadable reply (%s): killed", proc.pid, exc)
                proc.kill()  # nothing after a garbled message can be trusted; the next job starts a new one
        finally:
            with self._routes_lock:
                if self._reading is proc:
                    self._reading = None
                gone = [inbox for inbox in self._routes.values() if inbox.proc is proc]
            for inbox in gone:
                inbox.put(_GONE)
            try:
                stream.close()
            except OSError:
                pass

    def ref(self, rec: Recording, by_path: bool = True) -> RecordingRef:
        return recording_ref(rec, self.signal_files, self.inline_bytes, by_path)

    def forget(self, model_dir: str | os.PathLike) -> None:
        """Drop the process's loaded analyzers of ``model_dir`` (before its next job)."""
        self.post(("forget", 0, str(model_dir)))
