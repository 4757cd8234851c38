"""The ultra-long GRU's state along the chunk grid, as ``anyecg analyze`` carries it, whatever the order.

``anyecg analyze`` runs the chunks in time order: chunk k's episodes start from the GRU state after chunk k-1
(chunk 0 from none). The viewer analyses the chunk it shows first, so that chunk (and any chunk taken before
its time-predecessor) starts from a guessed state: its episode probabilities are *provisional*. The
:class:`EpisodeChain` keeps such a chunk's window features (one vector per 10-s window, the GRU's input; a few
kB per chunk) and, once the chunk before it has its exact state, re-runs only the GRU over them and replaces
the chunk's ``episode_prob`` in place, then the next provisional chunk's, and so on. Beats, anomaly and rhythm
class probabilities do not depend on the state and are left alone. When every chunk has been analysed, every
chunk's episodes are the CLI's (chunk 0 is always exact, so the chain resolves). Torch-free: the GRU is the
``run`` callable.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .chunks import ChunkResult, Span

#: ``run(window_features, state) -> (episode_prob (W, E), state after)``: the ultra-long head over one chunk.
RunEpisodes = Callable[[Any, Any], "tuple[np.ndarray, Any]"]


class EpisodeChain:
    """Which GRU state each chunk starts from, and the in-place revision of provisional chunks (each revised
    chunk is handed to ``revised``, e.g. to send it to the viewer again)."""

    def __init__(self, spans: list[Span], run: RunEpisodes,
                 revised: Callable[[ChunkResult], None] | None = None):
        self._index = {round(a, 6): k for k, (a, _) in enumerate(spans)}
        self._run, self._revised = run, revised
        self._ends: dict[int, tuple[Any, bool]] = {}  # chunk → (GRU state after it, exact?) until its successor ran
        self._provisional: dict[int, tuple[Any, ChunkResult]] = {}  # chunk → (window features, its result)

    def start_state(self, start_s: float) -> tuple[Any, bool]:
        """The state the chunk starting at ``start_s`` s starts from, and whether it is the CLI's: the state
        after its time-predecessor when that has run (exact or provisional), else none (exact only for chunk 0)."""
        k = self._index[round(start_s, 6)]
        if k == 0:
            return None, True
        return self._ends.pop(k - 1, (None, False))

    def finished(self, part: ChunkResult, state: Any, exact: bool, features: Any) -> None:
        """Record the chunk ``part`` just run from a state that was ``exact`` or not, with its GRU ``features``
        and the ``state`` after it (None ``features``: no events task); an exact one revises the provisional
        chunks that follow it."""
        if features is None:  # no events task: nothing carries over
            return
        k = self._index[round(part.start_s, 6)]
        if not exact:
            self._provisional[k] = (features, part)
            self._ends[k] = (state, False)
            return
        while k + 1 in self._provisional:
            features, successor = self._provisional.pop(k + 1)
            successor.episode_prob, state = self._run(features, state)
            if self._revised is not None:
                self._revised(successor)
            k += 1
            self._ends.pop(k, None)  # its provisional end state, if its successor has not run yet
        self._ends[k] = (state, True)

    @property
    def provisional(self) -> list[float]:
        """Start times (s) of the chunks whose episodes are still provisional."""
        return sorted(p.start_s for _, p in self._provisional.values())
