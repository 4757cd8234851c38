"""``PartialBuild``: the streamed findings of an analysis, merged off the GUI thread.

While a 24-h analysis streams in, merging every chunk received so far (:class:`FindingsBuilder`: AF at beat
resolution, the quality gate, the summary) costs 40–60 ms of CPU, longer than a GUI frame may wait. Each
request builds a :meth:`~FindingsBuilder.snapshot` on a Python thread and hands the findings back to the GUI
thread by a queued signal. One build runs at a time; requests made meanwhile collapse into one, built next
from the chunks received by then.
"""
from __future__ import annotations

import logging
import threading

from PySide6 import QtCore

from anyecg_model.analysis.builder import FindingsBuilder

log = logging.getLogger(__name__)


class PartialBuild(QtCore.QObject):
    """Signal ``built(builder, findings, slow)``: ``builder`` is the live builder the request named (compare it
    with the current one: a newer analysis makes the result stale), ``slow`` whether the overview lanes and the
    panel are due a redraw too."""

    built = QtCore.Signal(object, object, bool)

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._running = False
        self._pending: tuple[FindingsBuilder, bool] | None = None

    def request(self, builder: FindingsBuilder, slow: bool) -> None:
        """Build ``builder``'s findings so far in the background (GUI thread only)."""
        with self._lock:
            if self._running:
                slow = slow or (self._pending is not None and self._pending[1])
                self._pending = (builder, slow)
                return
            self._running = True
        self._start(builder, slow)

    def _start(self, builder: FindingsBuilder, slow: bool) -> None:
        snap = builder.snapshot()
        threading.Thread(target=self._run, args=(builder, snap, slow), name="streamed-findings",
                         daemon=True).start()

    def _run(self, builder: FindingsBuilder, snap: FindingsBuilder, slow: bool) -> None:
        try:
            findings = snap.findings()
        except Exception:  # a bad chunk must not end the stream's redraws; the finished findings still come
            log.exception("merging the streamed chunks failed")
            findings = None
        with self._lock:
            nxt, self._pending = self._pending, None
            self._running = nxt is not None
        try:
            if findings is not None:
                self.built.emit(builder, findings, slow)
        except RuntimeError:  # the window closed while this thread ran
            return
        if nxt is not None:
            self._start(*nxt)
