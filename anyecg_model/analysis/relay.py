"""One request to the analysis process, from sending it to its final reply: the one relay every viewer worker
(analysis, warm-up, lead generation, export) uses.

:meth:`Relay.run` sends the request that ``make(id, by_path)`` builds, hands every reply that does not end it
to ``on_reply`` and returns the final one (:attr:`Message.final <.protocol.Message.final>`). When the process
asks for the samples (:class:`~.protocol.SendSamples`: the file on disk is not what the viewer shows) it sends
the request again under a new id with ``by_path=False``. :meth:`Relay.focus`, :meth:`Relay.cancel` and
:meth:`Relay.wake` may be called from any thread while it runs. Nothing here imports Qt or torch.
"""
from __future__ import annotations

import logging
from typing import Callable

from .client import AnalysisProcess, Inbox
from .protocol import Cancel, Cancelled, Focus, Message, SendSamples

log = logging.getLogger(__name__)


def _never() -> bool:
    return False


class Relay:
    """Runs requests on ``process``, one at a time; ``what`` names them in the log."""

    def __init__(self, process: AnalysisProcess, what: str = "request"):
        self.process, self.what = process, what
        self.wire: int | None = None  # the process's id of the request in progress
        self._inbox: Inbox | None = None

    def run(self, make: Callable[[int, bool], Message], on_reply: Callable[[Message], None],
            on_sent: Callable[[int], None] | None = None,
            abandoned: Callable[[], bool] = _never) -> Message | None:
        """Send ``make(id, by_path)`` and relay its replies; returns the final reply, or None once
        ``abandoned()`` is true (checked around each wait: the caller has given the request up and the process
        drops it on the :meth:`cancel` that came with it). ``on_sent(id)`` runs right after each send (to post
        what came while it was being sent). :class:`~.client.ProcessGone` when the process ends meanwhile."""
        by_path = True
        while True:
            wire = self.process.next_id()
            with self.process.listen(wire) as inbox:
                self._inbox = inbox
                try:
                    self.process.send(make(wire, by_path))
                    self.wire = wire
                    if on_sent is not None:
                        on_sent(wire)
                    msg = self._until_final(inbox, on_reply, abandoned)
                finally:
                    self.wire = self._inbox = None
            if not isinstance(msg, SendSamples):
                return msg
            log.debug("%s %d: the process asked for the samples", self.what, wire)
            by_path = False

    @staticmethod
    def _until_final(inbox: Inbox, on_reply: Callable[[Message], None],
                     abandoned: Callable[[], bool]) -> Message | None:
        while not abandoned():
            msg = inbox.get()
            if abandoned():
                break
            if msg.final:
                return msg
            on_reply(msg)
        return None

    def focus(self, t0: float, t1: float) -> None:
        """The view now shows ``[t0, t1]`` s (a running analysis takes its next chunk from there)."""
        wire = self.wire
        if wire is not None:
            self.process.post(Focus(wire, float(t0), float(t1)))

    def cancel(self) -> None:
        """Ask the process to stop the request in progress (never blocks)."""
        wire = self.wire
        if wire is not None:
            self.process.post(Cancel(wire))

    def wake(self) -> None:
        """End the wait for the next reply now, as if the process had answered ``Cancelled``."""
        wire, inbox = self.wire, self._inbox
        if inbox is not None:
            inbox.put(Cancelled(wire if wire is not None else 0))
