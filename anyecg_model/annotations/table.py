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
    """Rows sorted by ``(key, id)``; subclasses name the columns and the key (``sample`` or ``start``)."""

    COLUMNS: tuple[Column, ...] = ()
    KEY = ""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self._cols = {c.name: np.zeros(0, dtype=c.dtype) for c in self.COLUMNS}
        self._key_of: dict[int, int] = {}

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
        table.ids = ids_arr[order]
        table._cols = {k: v[order] for k, v in cols.items()}
        if len(np.unique(table.ids)) != n:
            raise AnnotationError("annotation ids are not unique")
        table._key_of = dict(zip(table.ids.tolist(), table._cols[cls.KEY].tolist()))
        return table

    def copy(self) -> "ColumnTable":
        out = type(self)()
        out.ids = self.ids.copy()
        out._cols = {k: v.copy() for k, v in self._cols.items()}
        out._key_of = dict(self._key_of)
        return out

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> np.ndarray:
        """The column ``name`` (treat as read-only; edits go through :meth:`apply`)."""
        return self._cols[name]

    def __contains__(self, row_id: int) -> bool:
        return int(row_id) in self._key_of

    @property
    def keys(self) -> np.ndarray:
        return self._cols[self.KEY]

    def position(self, row_id: int) -> int:
        """Current position of ``row_id`` (raises :class:`AnnotationError` when absent)."""
        key = self._key_of.get(int(row_id))
        if key is None:
            raise AnnotationError(f"no annotation with id {row_id}")
        keys = self._cols[self.KEY]
        lo = int(np.searchsorted(keys, key, "left"))
        hi = int(np.searchsorted(keys, key, "right"))
        return lo + int(np.searchsorted(self.ids[lo:hi], int(row_id)))

    def row(self, row_id: int) -> Row:
        return self.row_at(self.position(row_id))

    def row_at(self, pos: int) -> Row:
        return {c.name: _to_row_value(c, self._cols[c.name][pos]) for c in self.COLUMNS}

    @classmethod
    def make_row(cls, **values) -> Row:
        """A normalised row: defaults filled in, values converted to the JSON-friendly form."""
        unknown = set(values) - {c.name for c in cls.COLUMNS}
        if unknown:
            raise AnnotationError(f"unknown annotation fields: {', '.join(sorted(unknown))}")
        return {c.name: _to_row_value(c, _to_column_value(c, values.get(c.name, c.default))) for c in cls.COLUMNS}

    def window(self, start: int, stop: int) -> slice:
        """Positions of rows whose key lies in ``[start, stop)``."""
        keys = self._cols[self.KEY]
        return slice(int(np.searchsorted(keys, start, "left")), int(np.searchsorted(keys, stop, "left")))

    def select(self, mask: np.ndarray) -> "ColumnTable":
        """A new table of the rows where ``mask`` is True (ids kept)."""
        out = type(self)()
        out.ids = self.ids[mask]
        out._cols = {k: v[mask] for k, v in self._cols.items()}
        out._key_of = dict(zip(out.ids.tolist(), out._cols[self.KEY].tolist()))
        return out

    def equals(self, other: "ColumnTable", *, compare_ids: bool = True) -> bool:
        """Same rows in the same order (NaN equals NaN); ids compared unless ``compare_ids`` is False."""
        if type(self) is not type(other) or len(self) != len(other):
            return False
        if compare_ids and not np.array_equal(self.ids, other.ids):
            return False
        for col in self.COLUMNS:
            a, b = self._cols[col.name], other._cols[col.name]
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
                if row_id in self._key_of:
                    raise AnnotationError(f"annotation id {row_id} already exists")
                inserts.append((row_id, new))
                result.inserted.append(row_id)
            elif new is None:
                removals.append(row_id)
                result.removed.append(row_id)
            else:
                if new[self.KEY] != self._key_of.get(row_id):
                    removals.append(row_id)
                    inserts.append((row_id, new))
                else:
                    in_place.append((row_id, new))
                result.updated.append(row_id)
        self._remove(removals)
        self._insert(inserts)
        for row_id, new in in_place:
            pos = self.position(row_id)
            for col in self.COLUMNS:
                self._cols[col.name][pos] = _to_column_value(col, new.get(col.name, col.default))
        return result

    def _remove(self, row_ids: list[int]) -> None:
        if not row_ids:
            return
        positions = np.fromiter((self.position(i) for i in row_ids), np.int64, len(row_ids))
        keep = np.ones(len(self.ids), bool)
        keep[positions] = False
        self.ids = self.ids[keep]
        self._cols = {k: v[keep] for k, v in self._cols.items()}
        for i in row_ids:
            del self._key_of[i]

    def _insert(self, rows: list[tuple[int, Row]]) -> None:
        if not rows:
            return
        if len(rows) <= _BULK_INSERT:
            for row_id, row in rows:
                key = int(row[self.KEY])
                keys = self._cols[self.KEY]
                lo = int(np.searchsorted(keys, key, "left"))
                hi = int(np.searchsorted(keys, key, "right"))
                pos = lo + int(np.searchsorted(self.ids[lo:hi], row_id))
                self.ids = np.insert(self.ids, pos, row_id)
                for col in self.COLUMNS:
                    arr = self._cols[col.name]
                    value = _to_column_value(col, row.get(col.name, col.default))
                    grown = np.empty(len(arr) + 1, arr.dtype)
                    grown[:pos] = arr[:pos]
                    grown[pos] = value
                    grown[pos + 1:] = arr[pos:]
                    self._cols[col.name] = grown
                self._key_of[row_id] = key
            return
        extra = type(self).from_columns(
            [i for i, _ in rows],
            **{c.name: [r.get(c.name, c.default) for _, r in rows] for c in self.COLUMNS},
        )
        ids = np.concatenate([self.ids, extra.ids])
        cols = {k: np.concatenate([v, extra._cols[k]]) for k, v in self._cols.items()}
        order = np.lexsort((ids, cols[self.KEY]))
        self.ids = ids[order]
        self._cols = {k: v[order] for k, v in cols.items()}
        self._key_of.update(extra._key_of)


class BeatTable(ColumnTable):
    """Point annotations (beats and non-beat marks), sorted by ``sample`` (base-rate samples)."""

    COLUMNS = BEAT_COLUMNS
    KEY = "sample"


class EpisodeTable(ColumnTable):
    """Rhythm episodes ``[start, stop)`` in base-rate samples, sorted by ``start``."""

    COLUMNS = EPISODE_COLUMNS
    KEY = "start"

