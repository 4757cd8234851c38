"""Review queue: walk the model's beat suggestions, least certain (or most disputed) first, with counters.

``uncertainty`` orders pending suggestions by rising confidence (ties: smaller margin between the two
best classes first). ``disagreement`` puts first the suggestions whose code differs from the labelled
beat they match within 150 ms, then those that match no label (a beat the labels lack), then the
agreements, each group by rising confidence. The queue follows the store's events: a suggestion
accepted or rejected (by any route) counts as reviewed and an undo puts it back; one that is deleted, or
whose arrival is undone, leaves the queue.
"""
from __future__ import annotations

import numpy as np

from .codes import AnnotationError
from .store import AnnotationStore, StoreChange
from .suggestions import MATCH_TOLERANCE_S, matched_labels

ORDERS = ("uncertainty", "disagreement")


class ReviewQueue:
    """The pending model suggestions of ``store`` in review order; :attr:`reviewed` / :attr:`remaining` count them."""

    def __init__(self, store: AnnotationStore, order: str = "uncertainty", tolerance_s: float = MATCH_TOLERANCE_S):
        if order not in ORDERS:
            raise AnnotationError(f"review order {order!r} is not one of {', '.join(ORDERS)}")
        self.store = store
        self.order = order
        self.tolerance_s = tolerance_s
        self.ids = np.zeros(0, np.int64)  # the queue, in review order
        self._position = np.zeros(0, np.int64)  # queue position of each id (index: id), -1 when not queued
        self._pending = np.zeros(0, bool)  # per queue position: still a model suggestion
        self._gone = np.zeros(0, bool)  # per queue position: no longer in the store
        self.rebuild()
        store.events.changed.connect(self._on_changed)

    def rebuild(self) -> None:
        """Order the store's suggestions afresh (after new suggestions arrive, a restore or a change of order):
        the pending ones and those already reviewed (accepted or rejected rows that carry the model's
        confidence), so the counters go on from where the review was."""
        b = self.store.beats
        reviewed = np.isin(b["source"], ("accepted", "rejected")) & ~np.isnan(b["confidence"])
        sel = np.flatnonzero((b["source"] == "model") | reviewed)
        conf = np.nan_to_num(b["confidence"][sel], nan=0.0)
        tops = b["top"][sel]
        margin = np.ones(len(sel))
        ranked = np.flatnonzero(np.fromiter(map(len, tops), np.int64, len(tops)) > 1)
        margin[ranked] = [tops[k][0][1] - tops[k][1][1] for k in ranked.tolist()]
        # rows come in time order and the sorts are stable, so ties stay in time order
        if self.order == "uncertainty":
            order = np.lexsort((margin, conf)) if len(ranked) else np.argsort(conf, kind="stable")
        else:
            match = matched_labels(self.store, b["sample"][sel], self.tolerance_s)
            label_code = b.values(match, "code", "")
            group = np.where(match < 0, 1, np.where(label_code != b["code"][sel], 0, 2))
            order = np.lexsort((conf, group))
        self.ids = b.ids[sel][order]
        self._position = np.full(int(self.ids.max(initial=-1)) + 1, -1, np.int64)
        self._position[self.ids] = np.arange(len(self.ids))
        self._pending = b["source"][sel][order] == "model"
        self._gone = np.zeros(len(self.ids), bool)

    def close(self) -> None:
        self.store.events.changed.disconnect(self._on_changed)

    @property
    def total(self) -> int:
        return len(self.ids) - int(self._gone.sum())

    @property
    def remaining(self) -> int:
        return int(self._pending.sum())

    @property
    def reviewed(self) -> int:
        return self.total - self.remaining

    def _positions(self, ids) -> np.ndarray:
        """Queue positions of ``ids`` (-1 for an id not in the queue)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        out = np.full(len(ids), -1, np.int64)
        inside = (ids >= 0) & (ids < len(self._position))
        out[inside] = self._position[ids[inside]]
        return out

    def _on_changed(self, change: StoreChange) -> None:
        ids = np.concatenate([change.beats.removed, change.beats.updated, change.beats.inserted])
        pos = self._positions(ids)
        hit = pos >= 0
        source = self.store.beats.values(ids[hit], "source", None)
        self._gone[pos[hit]] = source == None  # noqa: E711 (elementwise on an object array)
        self._pending[pos[hit]] = source == "model"

    def __contains__(self, row_id) -> bool:
        return row_id is not None and bool(self._positions([row_id])[0] >= 0)

    def upcoming(self, after: int | None = None, n: int = 1) -> list[int]:
        """Up to ``n`` pending suggestions after ``after`` in queue order (from the start when None), wrapping."""
        total = len(self.ids)
        if not total:
            return []
        start = int(self._positions([after])[0]) + 1 if after is not None else 0
        ahead = np.flatnonzero(np.roll(self._pending, -start))[:n]
        return self.ids[(ahead + start) % total].tolist()

    def next(self, after: int | None = None) -> int | None:
        """Id of the first pending suggestion after ``after`` in queue order (from the start when None),
        wrapping around; None when all are reviewed."""
        hits = self.upcoming(after, 1)
        return hits[0] if hits else None
