"""Columnar tables of beats and rhythm episodes, sorted by time, with stable integer ids.

A table holds one numpy array per column (the schema is in :mod:`.rows`). Rows are addressed by ``id`` (stable
across edits); positions change when rows are inserted, deleted or moved. A row travels as a plain dict, many
rows at once as :class:`~.rows.Rows`, and change the table as one :class:`~.rows.Bulk`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .codes import AnnotationError
from .rows import BEAT_COLUMNS, EPISODE_COLUMNS, Bulk, Change, Column, Row, Rows, to_column_value, to_row_value

#: Above this many inserts in one change set, rows are appended and the table re-sorted once.
_BULK_INSERT = 32
#: Row ids are below this (a store numbers rows from 0; the id → slot map is an array indexed by id).
_MAX_ID = 2**31


def _member(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """``np.isin(ids, among)`` for row ids (0 ≤ id < 2³¹), by marking ``among`` in a flag per id: linear time,
    where ``np.isin`` sorts (milliseconds per 100,000 ids)."""
    if not len(ids) or not len(among):
        return np.zeros(len(ids), bool)
    top = int(max(ids.max(), among.max())) + 1
    if min(ids.min(), among.min()) < 0 or top > 64 * (len(ids) + len(among)) + 4096:
        return np.isin(ids, among)
    flag = np.zeros(top, bool)
    flag[among] = True
    return flag[ids]


@dataclass
class TableChange:
    """Ids touched by one applied change set (int64 arrays: a bulk touches 100,000 rows)."""

    inserted: np.ndarray
    removed: np.ndarray
    updated: np.ndarray


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
        self._slot_of = np.zeros(0, np.int64)  # slot of each id (index: id), -1 for an id not in the table
        self._cache: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_columns(cls, ids: Sequence[int], **columns) -> "ColumnTable":
        """A table from equal-length columns (missing columns take their defaults)."""
        table = cls()
        rows = cls.make_rows(ids, **columns)
        ids_arr, cols = rows.ids, rows.columns
        order = np.lexsort((ids_arr, cols[cls.KEY]))
        table._set_sorted(ids_arr[order], {k: v[order] for k, v in cols.items()})
        return table

    @classmethod
    def make_rows(cls, ids: Sequence[int], **columns) -> Rows:
        """:class:`Rows` from equal-length columns or scalars (a scalar fills its column; missing columns take
        their defaults), converted to the columns' dtypes."""
        unknown = set(columns) - {c.name for c in cls.COLUMNS}
        if unknown:
            raise AnnotationError(f"unknown annotation fields: {', '.join(sorted(unknown))}")
        n = len(ids)
        ids_arr = np.asarray(ids, np.int64).reshape(n)
        cols = {}
        for col in cls.COLUMNS:
            values = columns.get(col.name)
            if col.name == "top":  # one tuple per row, set one by one so numpy keeps them whole
                arr = np.empty(n, object)
                if values is None:
                    arr.fill(())
                for k, v in enumerate(() if values is None else values):
                    arr[k] = to_column_value(col, v)
            elif values is None or np.ndim(values) == 0:
                arr = np.empty(n, col.dtype)
                arr[:] = to_column_value(col, col.default if values is None else values)
            elif col.dtype is object:
                arr = np.empty(n, object)
                arr[:] = list(values)
            elif isinstance(values, np.ndarray):
                arr = values.astype(col.dtype).reshape(n)
            else:
                arr = np.array([to_column_value(col, v) for v in values], dtype=col.dtype).reshape(n)
            cols[col.name] = arr
        return Rows(ids_arr, cols)

    def _set_sorted(self, ids: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        """Replace the storage by sorted columns (slot k = position k)."""
        self._slot_ids = ids
        self._slots = cols
        self._used = len(ids)
        self._order = np.arange(len(ids), dtype=np.int64)
        self._slot_of = np.zeros(0, np.int64)
        self._map_slots(ids, np.arange(len(ids), dtype=np.int64))
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
        return self._slot(row_id) is not None

    def _slot(self, row_id: int) -> int | None:
        row_id = int(row_id)
        if 0 <= row_id < len(self._slot_of) and self._slot_of[row_id] >= 0:
            return int(self._slot_of[row_id])
        return None

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        """Slots of ``ids`` (int64 array), -1 for an id not in the table."""
        ids = np.asarray(ids, np.int64)
        out = np.full(len(ids), -1, np.int64)
        inside = (ids >= 0) & (ids < len(self._slot_of))
        out[inside] = self._slot_of[ids[inside]]
        return out

    def _map_slots(self, ids: np.ndarray, slots: np.ndarray | int) -> None:
        """Record the slots of ``ids`` (-1: gone); ids are small non-negative integers (a store numbers its rows
        from 0), checked here so a damaged file cannot make the map huge."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if not len(ids):
            return
        if ids.min() < 0 or ids.max() >= _MAX_ID:
            raise AnnotationError(f"annotation id {int(ids.min() if ids.min() < 0 else ids.max())} is out of range")
        need = int(ids.max()) + 1
        if need > len(self._slot_of):
            grown = np.full(max(need, 2 * len(self._slot_of), 64), -1, np.int64)
            grown[:len(self._slot_of)] = self._slot_of
            self._slot_of = grown
        self._slot_of[ids] = slots
        if np.ndim(slots) and not np.array_equal(self._slot_of[ids], slots):  # the last of a repeated id won
            raise AnnotationError("annotation ids are not unique")

    def _locate(self, key: int, row_id: int) -> int:
        """Sorted position where a row ``(key, row_id)`` is (or would be inserted)."""
        keys = self[self.KEY]
        lo = int(np.searchsorted(keys, key, "left"))
        hi = int(np.searchsorted(keys, key, "right"))
        return lo + int(np.searchsorted(self.ids[lo:hi], row_id))

    def position(self, row_id: int) -> int:
        """Current sorted position of ``row_id`` (raises :class:`AnnotationError` when absent)."""
        slot = self._slot(row_id)
        if slot is None:
            raise AnnotationError(f"no annotation with id {row_id}")
        return self._locate(int(self._slots[self.KEY][slot]), int(row_id))

    def row(self, row_id: int) -> Row:
        slot = self._slot(row_id)
        if slot is None:
            raise AnnotationError(f"no annotation with id {row_id}")
        return {c.name: to_row_value(c, self._slots[c.name][slot]) for c in self.COLUMNS}

    def row_at(self, pos: int) -> Row:
        return self.row(int(self.ids[pos]))

    @classmethod
    def make_row(cls, **values) -> Row:
        """A normalised row: defaults filled in, values converted to the JSON-friendly form."""
        unknown = set(values) - {c.name for c in cls.COLUMNS}
        if unknown:
            raise AnnotationError(f"unknown annotation fields: {', '.join(sorted(unknown))}")
        return {c.name: to_row_value(c, to_column_value(c, values.get(c.name, c.default))) for c in cls.COLUMNS}

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
    def gather(self, ids: Sequence[int], columns: Sequence[str] | None = None) -> Rows:
        """The rows with these ids, in this order, as columns (all, or only ``columns``); AnnotationError
        when one is absent."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        slots = self._slots_of(ids)
        names = [c.name for c in self.COLUMNS] if columns is None else columns
        return Rows(ids.copy(), {name: self._slots[name][slots] for name in names})

    def values(self, ids: Sequence[int], name: str, missing=None) -> np.ndarray:
        """Column ``name`` of the rows with these ids, ``missing`` for an id not in the table."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        slots = self._lookup(ids)
        column = self._slots[name]
        out = np.empty(len(ids), column.dtype)
        out[slots < 0] = missing
        out[slots >= 0] = column[slots[slots >= 0]]
        return out

    def _slots_of(self, ids: np.ndarray) -> np.ndarray:
        slots = self._lookup(ids)
        if (slots < 0).any():
            raise AnnotationError(f"no annotation with id {int(ids[np.argmax(slots < 0)])}")
        return slots

    def apply(self, changes: Iterable[Change], forward: bool = True, bulk: Bulk | None = None) -> TableChange:
        """Apply a change set and a :class:`Bulk` (``forward``) or revert them (``forward=False``)."""
        removals: list[int] = []
        inserts: list[tuple[int, Row]] = []
        in_place: list[tuple[int, Row]] = []
        inserted: list[int] = []
        removed: list[int] = []
        updated: list[int] = []
        gone, come = ((bulk.dropped, bulk.added) if forward else (bulk.added, bulk.dropped)) if bulk else (None, None)
        for row_id, before, after in changes:
            old, new = (before, after) if forward else (after, before)
            row_id = int(row_id)
            if old is None and new is None:
                continue
            if old is None:
                if row_id in self:
                    raise AnnotationError(f"annotation id {row_id} already exists")
                inserts.append((row_id, new))
                inserted.append(row_id)
            elif new is None:
                removals.append(row_id)
                removed.append(row_id)
            else:
                slot = self._slot(row_id)
                if slot is None:
                    raise AnnotationError(f"no annotation with id {row_id}")
                if new[self.KEY] != self._slots[self.KEY][slot]:
                    removals.append(row_id)
                    inserts.append((row_id, new))
                else:
                    in_place.append((row_id, new))
                updated.append(row_id)
        if gone is not None:  # checked before anything changes, so a refused bulk leaves the table as it was
            self._slots_of(gone.ids)
            going = np.concatenate([gone.ids, np.asarray(removals, np.int64)])
            fresh = come.ids[~_member(come.ids, going)]
            clash = fresh[self._lookup(fresh) >= 0]
            if len(clash):
                raise AnnotationError(f"annotation id {clash[0]} already exists")
        result = TableChange(np.asarray(inserted, np.int64), np.asarray(removed, np.int64),
                             np.asarray(updated, np.int64))
        if gone is not None:
            both = _member(gone.ids, come.ids)
            result = TableChange(np.concatenate([result.inserted, come.ids[~_member(come.ids, gone.ids)]]),
                                 np.concatenate([result.removed, gone.ids[~both]]),
                                 np.concatenate([result.updated, gone.ids[both]]))
        self._remove(np.asarray(removals, np.int64) if gone is None else np.concatenate(
            [np.asarray(removals, np.int64), gone.ids]))
        self._insert(inserts)
        if come is not None:
            self._insert_rows(come)
        for row_id, new in in_place:
            slot = self._slot(row_id)
            pos = None
            for col in self.COLUMNS:
                value = to_column_value(col, new.get(col.name, col.default))
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

    def _remove(self, row_ids: np.ndarray) -> None:
        if not len(row_ids):
            return
        if len(row_ids) == 1:
            pos = self.position(int(row_ids[0]))
            ids, keys = np.delete(self.ids, pos), np.delete(self[self.KEY], pos)
            self._order = np.delete(self._order, pos)
            self._drop_cache()
            self._keep_index(ids, keys)
        else:
            dead = np.zeros(self._used, bool)
            dead[self._slots_of(row_ids)] = True
            self._order = self._order[~dead[self._order]]
            self._drop_cache()
        self._map_slots(row_ids, -1)
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
            self._slots[col.name][slot] = to_column_value(col, row.get(col.name, col.default))
        self._map_slots(np.array([row_id]), slot)
        return slot

    def _insert(self, rows: list[tuple[int, Row]]) -> None:
        if len(rows) > _BULK_INSERT:
            self._insert_rows(type(self).make_rows(
                [i for i, _ in rows], **{c.name: [r.get(c.name, c.default) for _, r in rows] for c in self.COLUMNS}))
            return
        self._reserve(len(rows))
        for row_id, row in rows:
            key = int(row[self.KEY])
            pos = self._locate(key, row_id)
            ids, keys = np.insert(self.ids, pos, row_id), np.insert(self[self.KEY], pos, key)
            slot = self._append(row_id, row)
            self._order = np.insert(self._order, pos, slot)
            self._drop_cache()
            self._keep_index(ids, keys)

    def _insert_rows(self, rows: Rows) -> None:
        """Insert many rows at once: appended to the slots, then the order re-sorted once."""
        n = len(rows)
        if not n:
            return
        self._reserve(n)
        slots = np.arange(self._used, self._used + n, dtype=np.int64)
        self._slot_ids[slots] = rows.ids
        for col in self.COLUMNS:
            self._slots[col.name][slots] = rows.columns[col.name]
        self._map_slots(rows.ids, slots)
        self._used += n
        self._order = self._merge(self._order, slots)
        self._drop_cache()

    def _merge(self, order: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """``order`` (live slots in ``(key, id)`` order) with ``slots`` merged in: the new rows are sorted alone
        and placed by binary search on a ``key · 2³¹ + id`` number, which keeps ``(key, id)`` order while keys
        lie in 0..2³²; otherwise everything is sorted again."""
        keys, ids = self._slots[self.KEY], self._slot_ids
        new_keys, new_ids = keys[slots], ids[slots]
        if len(order) and 0 <= min(keys[order[0]], new_keys.min()) and max(keys[order[-1]], new_keys.max()) < 2**32:
            new_rank = new_keys * _MAX_ID + new_ids
            sort = np.argsort(new_rank, kind="stable")
            old_rank = keys[order] * _MAX_ID + ids[order]
            return np.insert(order, np.searchsorted(old_rank, new_rank[sort]), slots[sort])
        both = np.concatenate([order, slots])
        return both[np.lexsort((ids[both], keys[both]))]


class BeatTable(ColumnTable):
    """Point annotations (beats and non-beat marks), sorted by ``sample`` (base-rate samples)."""

    COLUMNS = BEAT_COLUMNS
    KEY = "sample"


class EpisodeTable(ColumnTable):
    """Rhythm episodes ``[start, stop)`` in base-rate samples, sorted by ``start``."""

    COLUMNS = EPISODE_COLUMNS
    KEY = "start"

