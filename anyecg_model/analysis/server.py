"""The analysis process, child side: ``python -m anyecg_model.analysis.server`` (started by
:class:`~.client.AnalysisProcess`; the messages are those of :mod:`.protocol`, over :mod:`.transport`).

:class:`Service` takes the requests as they come on a reader thread, so while a job runs its
:class:`~.protocol.Focus` (the range the viewer shows; the :class:`~.chunks.FocusRange` the analyzer polls
before each chunk) and :class:`~.protocol.Cancel` (polled between chunks) apply at once. Analysis jobs
(:func:`~.jobs.run_job`) and warm-ups run one at a time on the main thread. Lead generation
(:func:`~.generation.run_generation`) runs beside them on the same loaded analyzers, so a generation never
waits for a long analysis; there are two kinds, each on a thread of its own:

- *view generations* (the viewer's visible window) run one at a time, and a newer one supersedes every older
  one (those still waiting end as cancelled at once, the one running at its next step);
- *exports* (:attr:`GenerationSpec.export_to <.protocol.GenerationSpec.export_to>`) are never superseded: they
  run one at a time in the order they came, and end early only when cancelled by id or when the process quits.
  View generations are answered while an export runs (the threads share the analyzers, so each is slower while
  both run, but neither waits for the other).

End of input (the viewer quit or died) ends the process at once; :class:`~.protocol.Quit` after the chunk in
progress. Torch's threads are set from ``ANYECG_TORCH_THREADS``. Never imports Qt.
"""
from __future__ import annotations

import collections
import logging
import os
import queue
import signal
import sys
import threading
from pathlib import Path

from .chunks import FocusRange
from .generation import RecordingCache, run_generation
from .jobs import AnalyzerPool, run_job, warm_up
from .protocol import (Cancel, Cancelled, Failed, Focus, Forget, Generate, Job, Message, Quit, Warm, WarmFailed,
                       Warmed)
from .transport import ProtocolError, read_message, write_message

log = logging.getLogger(__name__)


def is_export(spec) -> bool:
    """True for a generation request that writes the whole recording (``export_to``), not a view's window."""
    return getattr(spec, "export_to", None) is not None


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
        self._gen_waiting: list[Generate] = []
        self._gen_newest = 0
        self._export_wake = threading.Condition(self._lock)
        self._exports: collections.deque[Generate] = collections.deque()
        self._gen_cancelled: set[int] = set()
        self._gen_open: set[int] = set()
        self._recordings = RecordingCache()

    def emit(self, msg: Message) -> None:
        with self._write_lock:  # the job thread and the generation thread both reply
            write_message(self.outbox, msg)

    def read_requests(self) -> None:
        """Reader thread: jobs to the queue, focus and cancel applied at once; end of input ends the process."""
        while True:
            try:
                msg = read_message(self.inbox)
            except (EOFError, OSError):
                os._exit(0)  # the viewer is gone: nothing to finish for
            except ProtocolError as exc:  # a viewer of another version: say so, and go on with the next one
                log.error("request ignored: %s", exc)
                continue
            mid = msg.id
            with self._lock:
                if isinstance(msg, Focus):
                    self._focus_of(mid).set(msg.t0, msg.t1)
                elif isinstance(msg, Cancel):
                    (self._gen_cancelled if mid in self._gen_open else self._cancelled).add(mid)
                elif isinstance(msg, Generate) and is_export(msg.spec):
                    self._exports.append(msg)  # never superseded: each export is answered, in order
                    self._gen_open.add(mid)
                    self._export_wake.notify()
                elif isinstance(msg, Generate):
                    self._gen_waiting.append(msg)
                    self._gen_open.add(mid)
                    self._gen_newest = max(self._gen_newest, mid)
                    self._gen_wake.notify()
                elif isinstance(msg, Quit):
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
                waiting, self._gen_waiting = sorted(self._gen_waiting, key=lambda m: m.id), []
            try:
                for old in waiting[:-1]:
                    self.emit(Cancelled(old.id))
                    self._gen_finished(old.id)
                mid, spec = waiting[-1].id, waiting[-1].spec
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
            mid, spec = msg.id, msg.spec
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
            self.emit(Failed(mid, f"{what} failed: {exc}"))
        self._gen_finished(mid)

    def _gen_finished(self, job_id: int) -> None:
        with self._lock:
            self._gen_open.discard(job_id)
            self._gen_cancelled.discard(job_id)

    def _handle(self, msg: Message) -> None:
        mid = msg.id
        if isinstance(msg, Job):
            job = msg.spec
            with self._lock:
                focus = self._focus_of(mid, job.visible)
            try:
                self.runner(mid, job, self.pool, self.emit, lambda: self._is_cancelled(mid), focus)
            except BrokenPipeError:
                raise
            except Exception as exc:  # noqa: BLE001 - run_job handles its own; a replacement runner may not
                log.exception("job %d", mid)
                self.emit(Failed(mid, f"Analysis failed: {exc}"))
            self._finished(mid)
        elif isinstance(msg, Warm):
            try:
                self.emit(Warmed(mid, warm_up(self.pool, Path(msg.model_dir), msg.device)))
            except BrokenPipeError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed warm-up only means the real job reports it
                self.emit(WarmFailed(mid, str(exc)))
            self._finished(mid)
        elif isinstance(msg, Forget):
            self.pool.forget(Path(msg.model_dir))

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
