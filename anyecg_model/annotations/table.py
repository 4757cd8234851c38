"""Columnar tables of beats and rhythm episodes, sorted by time, with stable integer ids.

A table holds one numpy array per column. Rows are addressed by ``id`` (stable across edits);
positions change when rows are inserted, deleted or moved. A row travels as a plain dict of
JSON-friendly values (``None`` for a missing float, ``[[code, p], …]`` for the top classes), which is
what the edit log and the journal store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .codes import AnnotationError

Row = dict
#: One row change: ``(id, before, after)``; ``before`` None inserts, ``after`` None deletes.
Change = tuple[int, "Row | None", "Row | None"]

#: Above this many inserts in one change set, rows are appended and the table re-sorted once.
_BULK_INSERT = 32


@dataclass(frozen=True)
class Column:
    """One column: its name, numpy dtype (``object`` for text) and the value of a row that omits it."""

    name: str
    dtype: object
    default: object


_COMMON = (
    Column("code", object, ""),
    Column("channel", np.int16, -1),  # lead index for lead-specific labels, -1 for all leads
    Column("aux", object, ""),
    Column("source", object, "manual"),
    Column("author", object, ""),
    Column("timestamp", np.float64, None),  # Unix time (s) of the last edit; None when unknown
    Column("confidence", np.float64, None),  # model probability of ``code`` (0..1); None for human labels
    Column("top", object, ()),  # model's top classes: ((code, probability), …), at most 3
)
BEAT_COLUMNS = (Column("sample", np.int64, 0), Column("subtype", np.int16, 0), *_COMMON)
EPISODE_COLUMNS = (Column("start", np.int64, 0), Column("stop", np.int64, 0), *_COMMON)


@dataclass
class TableChange:
    """Ids touched by one applied change set."""

    inserted: list[int]
    removed: list[int]
    updated: list[int]


def _to_column_value(col: Column, value):
    if col.name == "top":
        return tuple((str(c), float(p)) for c, p in (value or ()))
    if col.dtype is object:
        return "" if value is None else str(value)
    if col.dtype is np.float64:
        return np.nan if value is None else float(value)
    return int(value)


def _to_row_value(col: Column, value):
    if col.name == "top":
        return [[c, p] for c, p in value]
    if col.dtype is object:
        return value
    if col.dtype is np.float64:
        return None if np.isnan(value) else float(value)
    return int(value)


class ColumnTable:
    """Rows sorted by ``(key, id)``; subclasses name the columns and the key (``sample`` or ``start``).

    Storage is append-only (a new or moved row takes a new slot at the end, amortised O(1)); an index
    array ``order`` lists the live slots in sorted order. Sorted columns are gathered on first access
    after a change and cached; the key and id columns are patched in place, so one edit on a
    100,000-row table costs a few small array copies instead of rewriting every column.
    """

    COLUMNS: tuple[Column, ...] = ()
    KEY = ""

    def __init__(self) -> None:
        self._slots = {c.name: np.zeros(0, dtype=c.dtype) for c in self.COLUMNS}
        self._slot_ids = np.zeros(0, np.int64)
        self._used = 0  # slots in use (live or dead)
        self._order = np.zeros(0, np.int64)  # live slots, sorted by (key, id)
        self._slot_of: dict[int, int] = {}
        self._cache: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_columns(cls, ids: Sequence[int], **columns) -> "ColumnTable":
        """A table from equal-length columns (missing columns take their defaults)."""
        table = cls()
        n = len(ids)
        ids_arr = np.asarray(ids, np.int64).reshape(n)
        cols = {}
        for col in cls.COLUMNS:
            if col.name in columns:
                values = columns[col.name]
                if col.dtype is object:
                    arr = np.empty(n, object)
                    arr[:] = [_to_column_value(col, v) for v in values] if col.name == "top" else list(values)
                elif isinstance(values, np.ndarray):
                    arr = values.astype(col.dtype).reshape(n)
                else:
                    arr = np.array([_to_column_value(col, v) for v in values], dtype=col.dtype).reshape(n)
            else:
                arr = np.empty(n, object) if col.dtype is object else np.empty(n, col.dtype)
                arr[:] = [_to_column_value(col, col.default)] * n if col.name == "top" else _to_column_value(col, col.default)
            cols[col.name] = arr
        order = np.lexsort((ids_arr, cols[cls.KEY]))
        table._set_sorted(ids_arr[order], {k: v[order] for k, v in cols.items()})
        if len(table._slot_of) != n:
            raise AnnotationError("annotation ids are not unique")
        return table

    def _set_sorted(self, ids: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        """Replace the storage by sorted columns (slot k = position k)."""
        self._slot_ids = ids
        self._slots = cols
        self._used = len(ids)
        self._order = np.arange(len(ids), dtype=np.int64)
        self._slot_of = dict(zip(ids.tolist(), range(len(ids))))
        self._cache = {}

    def select(self, mask: np.ndarray) -> "ColumnTable":
        """A new table of the rows where ``mask`` (over sorted positions) is True (ids kept)."""
        out = type(self)()
        out._set_sorted(self.ids[mask].copy(), {c.name: self[c.name][mask].copy() for c in self.COLUMNS})
        return out

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, name: str) -> np.ndarray:
        """The sorted column ``name`` (read-only: edits go through :meth:`apply`)."""
        arr = self._cache.get(name)
        if arr is None:
            arr = self._slots[name][self._order]
            arr.flags.writeable = False
            self._cache[name] = arr
        return arr

    def take(self, name: str, window: slice) -> np.ndarray:
        """Column ``name`` (``"id"`` for ids) at the sorted positions of ``window``: costs the window's
        length, not the table's, when the full column is not cached (views painting a visible range)."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached[window]
        slots = self._order[window]
        return self._slot_ids[slots] if name == "id" else self._slots[name][slots]

    @property
    def ids(self) -> np.ndarray:
        """Row ids in sorted order."""
        arr = self._cache.get("id")
        if arr is None:
            arr = self._slot_ids[self._order]
            arr.flags.writeable = False
            self._cache["id"] = arr
        return arr

    def __contains__(self, row_id: int) -> bool:
        return int(row_id) in self._slot_of

    def _locate(self, key: int, row_id: int) -> int:
        """Sorted position where a row ``(key, row_id)`` is (or would be inserted)."""
        keys = self[self.KEY]
        lo = int(np.searchsorted(keys, key, "left"))
        hi = int(np.searchsorted(keys, key, "right"))
        return lo + int(np.searchsorted(self.ids[lo:hi], row_id))

    def position(self, row_id: int) -> int:
        """Current sorted position of ``row_id`` (raises :class:`AnnotationError` when absent)."""
        slot = self._slot_of.get(int(row_id))
        if slot is None:
            raise AnnotationError(f"no annotation with id {row_id}")
        return self._locate(int(self._slots[self.KEY][slot]), int(row_id))

    def row(self, row_id: int) -> Row:
        slot = self._slot_of.get(int(row_id))
        if slot is None:
            raise AnnotationError(f"no annotation with id {row_id}")
        return {c.name: _to_row_value(c, self._slots[c.name][slot]) for c in self.COLUMNS}

    def row_at(self, pos: int) -> Row:
        return self.row(int(self.ids[pos]))

    @classmethod
    def make_row(cls, **values) -> Row:
        """A normalised row: defaults filled in, values converted to the JSON-friendly form."""
        unknown = set(values) - {c.name for c in cls.COLUMNS}
        if unknown:
            raise AnnotationError(f"unknown annotation fields: {', '.join(sorted(unknown))}")
        return {c.name: _to_row_value(c, _to_column_value(c, values.get(c.name, c.default))) for c in cls.COLUMNS}

    def window(self, start: int, stop: int) -> slice:
        """Positions of rows whose key lies in ``[start, stop)``."""
        keys = self[self.KEY]
        return slice(int(np.searchsorted(keys, start, "left")), int(np.searchsorted(keys, stop, "left")))

    def equals(self, other: "ColumnTable", *, compare_ids: bool = True) -> bool:
        """Same rows in the same order (NaN equals NaN); ids compared unless ``compare_ids`` is False."""
        if type(self) is not type(other) or len(self) != len(other):
            return False
        if compare_ids and not np.array_equal(self.ids, other.ids):
            return False
        for col in self.COLUMNS:
            a, b = self[col.name], other[col.name]
            if col.dtype is np.float64:
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not np.array_equal(a, b):
                return False
        return True

    # ------------------------------------------------------------------ mutation
    def apply(self, changes: Iterable[Change], forward: bool = True) -> TableChange:
        """Apply a change set (``forward``) or revert it (``forward=False``)."""
        removals: list[int] = []
        inserts: list[tuple[int, Row]] = []
        in_place: list[tuple[int, Row]] = []
        result = TableChange([], [], [])
        for row_id, before, after in changes:
            old, new = (before, after) if forward else (after, before)
            row_id = int(row_id)
            if old is None and new is None:
                continue
            if old is None:
                if row_id in self._slot_of:
                    raise AnnotationError(f"annotation id {row_id} already exists")
                inserts.append((row_id, new))
                result.inserted.append(row_id)
            elif new is None:
                removals.append(row_id)
                result.removed.append(row_id)
            else:
                slot = self._slot_of.get(row_id)
                if slot is None:
                    raise AnnotationError(f"no annotation with id {row_id}")
                if new[self.KEY] != self._slots[self.KEY][slot]:
                    removals.append(row_id)
                    inserts.append((row_id, new))
                else:
                    in_place.append((row_id, new))
                result.updated.append(row_id)
        self._remove(removals)
        self._insert(inserts)
        for row_id, new in in_place:
            slot = self._slot_of[row_id]
            pos = None
            for col in self.COLUMNS:
                value = _to_column_value(col, new.get(col.name, col.default))
                self._slots[col.name][slot] = value
                cached = self._cache.get(col.name)
                if cached is not None:
                    pos = self.position(row_id) if pos is None else pos
                    cached.flags.writeable = True
                    cached[pos] = value
                    cached.flags.writeable = False
        return result

    def _drop_cache(self) -> None:
        self._cache = {}

    def _keep_index(self, ids: np.ndarray, keys: np.ndarray) -> None:
        """Cache the patched sorted id and key columns (the rest are gathered again on demand)."""
        ids.flags.writeable = False
        keys.flags.writeable = False
        self._cache.update({"id": ids, self.KEY: keys})

    def _remove(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        positions = np.fromiter((self.position(i) for i in row_ids), np.int64, len(row_ids))
        if len(row_ids) == 1:
            pos = int(positions[0])
            ids, keys = np.delete(self.ids, pos), np.delete(self[self.KEY], pos)
            self._order = np.delete(self._order, pos)
            self._drop_cache()
            self._keep_index(ids, keys)
        else:
            keep = np.ones(len(self._order), bool)
            keep[positions] = False
            self._order = self._order[keep]
            self._drop_cache()
        for i in row_ids:
            del self._slot_of[i]
        if self._used > 2 * len(self._order) + 1024:
            self._set_sorted(self.ids.copy(), {c.name: self[c.name].copy() for c in self.COLUMNS})

    def _reserve(self, extra: int) -> None:
        need = self._used + extra
        if need <= len(self._slot_ids):
            return
        size = max(need, 2 * len(self._slot_ids), 64)
        self._slot_ids = np.resize(self._slot_ids, size)
        for col in self.COLUMNS:
            grown = np.empty(size, self._slots[col.name].dtype)
            grown[:self._used] = self._slots[col.name][:self._used]
            self._slots[col.name] = grown

    def _append(self, row_id: int, row: Row) -> int:
        slot = self._used
        self._used += 1
        self._slot_ids[slot] = row_id
        for col in self.COLUMNS:
            self._slots[col.name][slot] = _to_column_value(col, row.get(col.name, col.default))
        self._slot_of[row_id] = slot
        return slot

    def _insert(self, rows: list[tuple[int, Row]]) -> None:
        if not rows:
            return
        self._reserve(len(rows))
        if len(rows) <= _BULK_INSERT:
            for row_id, row in rows:
                key = int(row[self.KEY])
                pos = self._locate(key, row_id)
                ids, keys = np.insert(self.ids, pos, row_id), np.insert(self[self.KEY], pos, key)
                slot = self._append(row_id, row)
                self._order = np.insert(self._order, pos, slot)
                self._drop_cache()
                self._keep_index(ids, keys)
            return
        extra = type(self).from_columns([i for i, _ in rows],
                                        **{c.name: [r.get(c.name, c.default) for _, r in rows] for c in self.COLUMNS})
        slots = np.arange(self._used, self._used + len(rows), dtype=np.int64)
        self._slot_ids[slots] = extra.ids
        for col in self.COLUMNS:
            self._slots[col.name][slots] = extra[col.name]
        self._slot_of.update(zip(extra.ids.tolist(), slots.tolist()))
        self._used += len(rows)
        order = np.concatenate([self._order, slots])
        self._order = order[np.lexsort((self._slot_ids[order], self._slots[self.KEY][order]))]
        self._drop_cache()


class BeatTable(ColumnTable):
    """Point annotations (beats and non-beat marks), sorted by ``sample`` (base-rate samples)."""

    COLUMNS = BEAT_COLUMNS
    KEY = "sample"


class EpisodeTable(ColumnTable):
    """Rhythm episodes ``[start, stop)`` in base-rate samples, sorted by ``start``."""

    COLUMNS = EPISODE_COLUMNS
    KEY = "start"

