"""The analysis process, viewer side: start it, send it requests, sort its replies by request, stop it.

A viewer analyses and generates leads in a separate Python process (``python -m anyecg_model.analysis.server``,
see :mod:`.server`), so the model's NumPy, SciPy and PyTorch work never holds the viewer's GIL. One long-lived
process per :class:`AnalysisProcess` runs one analysis job at a time, and lead generations beside it, and keeps
its loaded analyzers between jobs; it is started on first use and started afresh by the next job after it died.
The messages are those of :mod:`.protocol`, over the pipes of :mod:`.transport`. One reader thread per process
hands each reply to the :class:`Inbox` of its id (:meth:`AnalysisProcess.listen`, before the request is sent);
replies for ids nobody listens to are dropped. :class:`~.relay.Relay` runs one request to its end on top of
this. Nothing here imports Qt or torch.
"""
from __future__ import annotations

import atexit
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Callable, Sequence

from ..io.recording import Recording
from .protocol import Forget, Message, Quit
from .recording_ref import INLINE_BYTES, RecordingRef, SignalFiles, recording_ref
from .transport import ProtocolError, read_message, write_message

log = logging.getLogger(__name__)

SERVER_MODULE = "anyecg_model.analysis.server"


class ProcessGone(Exception):
    """The analysis process is not running (it exited or was killed)."""


class ProcessStartError(ProcessGone):
    """The analysis process could not be started."""


_LIVE: "weakref.WeakSet[AnalysisProcess]" = weakref.WeakSet()


def _stop_all() -> None:
    for p in list(_LIVE):
        p.stop(timeout=2.0)


atexit.register(_stop_all)

_GONE = object()  # put into an inbox when its process has ended


class Inbox:
    """The replies to one request id, in the order they were sent (:meth:`AnalysisProcess.listen`); a context
    manager that stops listening on exit."""

    def __init__(self, process: "AnalysisProcess", wire: int, proc: subprocess.Popen | None):
        self.process, self.wire, self.proc = process, wire, proc
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, msg: Message) -> None:
        """Add a message (the reply reader; or a relay thread waking itself, e.g. when cancelled)."""
        self._queue.put(msg)

    def get(self, timeout: float | None = None) -> Message:
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
        self.command = list(command) if command else [sys.executable, "-m", SERVER_MODULE]
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
                self.send(Quit(0))
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

    def send(self, msg: Message) -> None:
        """Send one request (:class:`ProcessGone` when the process is not running)."""
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise ProcessGone("the analysis process is not running")
        try:
            with self._send_lock:
                write_message(proc.stdin, msg)
        except (OSError, ValueError) as exc:  # broken pipe, or closed by stop()
            raise ProcessGone(f"the analysis process is gone ({self.death()})") from exc

    def post(self, msg: Message) -> bool:
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
                    inbox = self._routes.get(msg.id)
                if inbox is not None:
                    inbox.put(msg)
        except Exception as exc:  # noqa: BLE001 - end of the pipe (or a garbled one): the process is gone
            if isinstance(exc, ProtocolError) or not isinstance(exc, (EOFError, OSError, ValueError)):
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
        """How ``rec`` reaches this process (:func:`~.recording_ref.recording_ref`)."""
        return recording_ref(rec, self.signal_files, self.inline_bytes, by_path)

    def forget(self, model_dir: str | os.PathLike) -> None:
        """Drop the process's loaded analyzers of ``model_dir`` (before its next job)."""
        self.post(Forget(0, str(model_dir)))
