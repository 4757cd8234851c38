"""Plain-Python events (observer callbacks) so a Qt model can adapt the store without the store knowing Qt.

The idea is napari's evented list: the Python object is the truth and emits what changed; views only
forward those events. Callbacks run synchronously on the thread that made the edit.
"""
from __future__ import annotations

import logging
from typing import Callable, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Event(Generic[T]):
    """A list of callbacks called with one payload. ``connect`` returns the callback (usable as a decorator)."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> Callable[[T], None]:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[[T], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, payload: T) -> None:
        """Call every callback; one failing callback is logged and does not stop the others."""
        for callback in list(self._callbacks):
            try:
                callback(payload)
            except Exception:  # a broken view must not lose the edit that was already applied
                log.exception("callback %r of event %r failed", callback, self.name)
