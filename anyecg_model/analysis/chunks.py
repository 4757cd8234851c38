"""The torch-free side of the streamed analysis: constants, :class:`ChunkResult`, and the order of chunks.

:class:`ChunkScheduler` picks, before each chunk, the first chunk not yet analysed that overlaps the ranges
asked for *now*, else the earliest not yet analysed (time order). :class:`FocusRange` holds the range a viewer
shows, set from one thread and read from another. Nothing here imports torch, so a GUI can use these names
before the model is loaded (:mod:`.analyzer` re-exports them).
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..vocabulary.model_input import WINDOW_S
from .findings import Beats

TASKS = ("anomaly", "arrhythmia", "events")
CHUNK_S = 300.0
MARGIN_S = 10.0
#: Shortest recording the analysis accepts (s): one window needs at least half its length.
MIN_DURATION_S = 5.0

Span = tuple[float, float]


class AnalysisError(Exception):
    """A recording cannot be analysed; the message names the file and the reason."""


@dataclass
class ChunkResult:
    """The model's output over ``[start_s, end_s)``; per-window arrays are aligned with ``window_start_s``."""

    start_s: float
    end_s: float
    window_start_s: np.ndarray
    window_end_s: np.ndarray
    r_peaks_s: np.ndarray | None = None  # detected R peaks in [start_s, end_s), s
    beats: Beats | None = None
    anomaly_logit: np.ndarray | None = None  # (W,) the anomaly head's
    anomaly_fused_logit: np.ndarray | None = None  # (W,) calibrated log-odds of the fused anomaly trees (12 leads)
    record_class_prob: np.ndarray | None = None  # (W, 4)
    episode_prob: np.ndarray | None = None  # (W, E)
    p_wave: np.ndarray | None = None  # (len(r_peaks_s),) P-wave consistency of each R peak (signal.atrial)
    unreadable_s: np.ndarray | None = None  # (K, 2) unreadable stretches in [start_s, end_s), s
    unreadable_code: np.ndarray | None = None  # (K,) reasons, indices into signal.quality.UNREADABLE_REASONS
    #: (len(r_peaks_s), 17) clinical features of each R peak (vocabulary.beat_context), when the model reads them
    beat_clinical: np.ndarray | None = None
    #: leads read but masked by the preprocessing in this chunk (flat, or mostly missing samples): the model did
    #: not see them
    masked_leads: tuple[str, ...] = ()
    #: the file lead the R peaks (and the quality gate's spans) of this chunk come from, when not the recording's
    #: rhythm lead (that one was unreadable over much of the chunk); None: the rhythm lead
    rhythm_lead: str | None = None
    #: (W,) per window, the largest share buried in noise on a lead the anomaly model needs (None: not measured),
    #: and those leads where it passes ``FindingsRules.anomaly_max_lead_noise`` in some window
    anomaly_lead_noise: np.ndarray | None = None
    noisy_leads: tuple[str, ...] = ()
    #: mains lines (Hz) notched out of this chunk's signal before it was read (:mod:`~anyecg_model.signal.mains`)
    mains_hz: tuple[float, ...] = ()
    #: (len(beats), F) float16 shape features of the beats (:func:`~.paced_families.beat_shapes`), in their order
    beat_shape: np.ndarray | None = None
    progress: float = 0.0  # share of the recording done after this chunk


def chunk_spans(duration_s: float, chunk_s: float) -> list[Span]:
    """``[start_s, end_s)`` of each chunk in time order; a tail shorter than half a window joins the last chunk."""
    n = int(np.ceil(duration_s / chunk_s))
    spans = [(k * chunk_s, min(duration_s, (k + 1) * chunk_s)) for k in range(n)]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < WINDOW_S / 2:
        spans[-2] = (spans[-2][0], spans[-1][1])
        spans.pop()
    return spans


class ChunkScheduler:
    """Hands out each chunk once. :meth:`take` ``(ranges)`` returns the earliest chunk not yet taken that
    overlaps the first range (s) that still has one, else the earliest chunk not yet taken; None when all
    are taken. Used from one thread (the analysis loop)."""

    def __init__(self, spans: list[Span]):
        self.spans = spans
        self._starts = [a for a, _ in spans]
        self._taken = [False] * len(spans)
        self._first_free = 0

    def take(self, ranges: Iterable[Span] = ()) -> Span | None:
        for t0, t1 in ranges:
            k = max(0, bisect.bisect_right(self._starts, t0) - 1)
            while k < len(self.spans) and self._starts[k] < t1:
                if not self._taken[k] and self.spans[k][1] > t0:
                    return self._mark(k)
                k += 1
        while self._first_free < len(self.spans) and self._taken[self._first_free]:
            self._first_free += 1
        return self._mark(self._first_free) if self._first_free < len(self.spans) else None

    def _mark(self, k: int) -> Span:
        self._taken[k] = True
        return self.spans[k]


class FocusRange:
    """The range (s) a viewer shows, thread-safe: :meth:`set` from the GUI thread; calling the object returns
    ``[(t0, t1)]``, the form :meth:`Analyzer.iter_analyze <.analyzer.Analyzer.iter_analyze>` polls as ``order``."""

    def __init__(self, t0: float, t1: float):
        self._lock = threading.Lock()
        self._range = (float(t0), float(t1))

    def set(self, t0: float, t1: float) -> None:
        with self._lock:
            self._range = (float(t0), float(t1))

    def __call__(self) -> list[Span]:
        with self._lock:
            return [self._range]
