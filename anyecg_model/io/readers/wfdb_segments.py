"""Multi-segment WFDB records (MIMIC-style) read window by window from their segments' own readers.

A window touches only the segments it overlaps; each segment is opened once, on first use, by the
single-segment reader (direct byte decoding for the usual formats), and its channels are matched to
the record's by name. Gaps (``~`` segments) and channels a segment lacks read as NaN.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..recording import Recording, RecordingError


class SegmentedSource:
    """Signal source over ``segments`` (name or ``~``, length in samples) with record channels ``names``."""

    def __init__(self, folder: Path, segments: Sequence[tuple[str, int]], names: Sequence[str],
                 open_segment: Callable[[Path], Recording]):
        self.folder = folder
        self.names = list(segments and [s[0] for s in segments])
        self.lengths = np.array([s[1] for s in segments], np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)])
        self.channels = list(names)
        self.open_segment = open_segment
        self._open: dict[int, tuple[Recording, list[int]]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # picklable: segments reopen on demand
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_open")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._open, self._lock = {}, threading.Lock()

    def segment(self, k: int) -> tuple[Recording, list[int]]:
        """Segment ``k`` opened, and for each record channel its index in the segment (-1 if absent)."""
        with self._lock:
            if k not in self._open:
                path = self.folder / f"{self.names[k]}.hea"
                try:
                    rec = self.open_segment(path)
                except RecordingError:
                    raise
                except Exception as exc:  # a damaged segment header: wfdb raises many types
                    raise RecordingError(path, f"cannot read segment: {type(exc).__name__}: {exc}") from exc
                if rec.n_samples < self.lengths[k]:
                    raise RecordingError(rec.path, f"segment holds {rec.n_samples} samples, the record says "
                                                   f"{int(self.lengths[k])}")
                own = [lead.original_name for lead in rec.leads]
                self._open[k] = (rec, [own.index(c) if c in own else -1 for c in self.channels])
            return self._open[k]

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        out = np.full((len(lead_idx), stop - start), np.nan, np.float32)
        k = int(np.searchsorted(self.starts, start, side="right")) - 1
        while k < len(self.names) and self.starts[k] < stop:
            a, b = max(start, int(self.starts[k])), min(stop, int(self.starts[k + 1]))
            if b > a and self.names[k] != "~":
                rec, where = self.segment(k)
                rows = [i for i, lead in enumerate(lead_idx) if where[lead] >= 0]
                if rows:
                    offset = int(self.starts[k])
                    out[rows, a - start:b - start] = rec.read(a - offset, b - offset, [where[lead_idx[i]] for i in rows])
            k += 1
        return out
