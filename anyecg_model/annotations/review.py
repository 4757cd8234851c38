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
        self.ids = np.zeros(0, np.int64)
        self._order: list[int] = []
        self._gone: set[int] = set()
        self._rank: dict[int, int] = {}
        self._pending: set[int] = set()
        self.rebuild()
        store.events.changed.connect(self._on_changed)

    def rebuild(self) -> None:
        """Order the store's pending suggestions afresh (after new suggestions arrive or the order changes)."""
        b = self.store.beats
        sel = np.flatnonzero(b["source"] == "model")
        conf = np.nan_to_num(b["confidence"][sel], nan=0.0)
        margin = np.array([t[0][1] - t[1][1] if len(t) > 1 else 1.0 for t in b["top"][sel]], dtype=float)
        if self.order == "uncertainty":
            order = np.lexsort((b["sample"][sel], margin, conf))
        else:
            match = matched_labels(self.store, b["sample"][sel], self.tolerance_s)
            label_code = np.array([b["code"][b.position(m)] if m >= 0 else "" for m in match], dtype=object)
            group = np.where(match < 0, 1, np.where(label_code != b["code"][sel], 0, 2))
            order = np.lexsort((b["sample"][sel], conf, group))
        self.ids = b.ids[sel][order]
        self._order = self.ids.tolist()
        self._rank = {i: k for k, i in enumerate(self._order)}
        self._pending = set(self._rank)
        self._gone: set[int] = set()

    def close(self) -> None:
        self.store.events.changed.disconnect(self._on_changed)

    @property
    def total(self) -> int:
        return len(self._order) - len(self._gone)

    @property
    def remaining(self) -> int:
        return len(self._pending)

    @property
    def reviewed(self) -> int:
        return self.total - self.remaining

    def _on_changed(self, change: StoreChange) -> None:
        b = self.store.beats
        for row_id in change.beats.removed + change.beats.updated + change.beats.inserted:
            if row_id not in self._rank:
                continue
            source = b.row(row_id)["source"] if row_id in b else None
            (self._gone.add if source is None else self._gone.discard)(row_id)
            (self._pending.add if source == "model" else self._pending.discard)(row_id)

    def __contains__(self, row_id) -> bool:
        return row_id in self._rank

    def upcoming(self, after: int | None = None, n: int = 1) -> list[int]:
        """Up to ``n`` pending suggestions after ``after`` in queue order (from the start when None), wrapping."""
        if not self._pending:
            return []
        start = self._rank.get(after, -1) + 1 if after is not None else 0
        out: list[int] = []
        total = len(self._order)
        for k in range(total):
            row_id = self._order[(start + k) % total]
            if row_id in self._pending:
                out.append(row_id)
                if len(out) == n:
                    break
        return out

    def next(self, after: int | None = None) -> int | None:
        """Id of the first pending suggestion after ``after`` in queue order (from the start when None),
        wrapping around; None when all are reviewed."""
        hits = self.upcoming(after, 1)
        return hits[0] if hits else None
