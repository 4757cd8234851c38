"""Columns of the annotation tables and many rows at once: the column schema of beats and episodes, a row as a
plain dict of JSON-friendly values (``None`` for a missing float, ``[[code, p], …]`` for the top classes), and
:class:`Rows` / :class:`Bulk`, one array per column, with a compact JSON form (a 24-h recording's model
suggestions, ~100,000 beats, encode in milliseconds).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .codes import AnnotationError

Row = dict
#: One row change: ``(id, before, after)``; ``before`` None inserts, ``after`` None deletes.
Change = tuple[int, "Row | None", "Row | None"]


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
class Rows:
    """Rows of one table held as columns: ``ids`` (int64) and one array per column, in the column's dtype
    (``top`` as tuples of ``(code, p)``). Their JSON form stores numbers as base64 of little-endian bytes and
    text as a list of distinct values plus an index per row, so 100,000 rows encode in milliseconds."""

    ids: np.ndarray
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    def equals(self, other: "Rows") -> bool:
        """Same ids and values in the same order (NaN equals NaN)."""
        if not np.array_equal(self.ids, other.ids) or self.columns.keys() != other.columns.keys():
            return False
        return all(np.array_equal(a, other.columns[k], equal_nan=a.dtype == np.float64)
                   for k, a in self.columns.items())

    def to_json(self) -> dict:
        return {"ids": _encode_array(self.ids), "columns": {k: encode_column(a) for k, a in self.columns.items()}}

    @classmethod
    def from_json(cls, obj: dict, columns: Sequence[Column]) -> "Rows":
        """Rows from :meth:`to_json`'s form, checked against the table's ``columns``."""
        try:
            ids = _decode_array(obj["ids"], np.int64)
            cols = {c.name: _decode_column(c, obj["columns"][c.name], len(ids)) for c in columns}
        except (KeyError, TypeError, ValueError) as exc:
            raise AnnotationError(f"malformed bulk rows: {exc!r}") from exc
        ordered = np.sort(ids)
        if np.any(ordered[1:] == ordered[:-1]):
            raise AnnotationError("malformed bulk rows: repeated ids")
        return cls(ids, cols)


@dataclass
class Bulk:
    """A change of many rows at once: applied, ``dropped`` rows go and ``added`` rows come (a row in both is
    updated); reverted, the other way round."""

    added: Rows
    dropped: Rows

    def to_json(self) -> dict:
        return {"added": self.added.to_json(), "dropped": self.dropped.to_json()}

    @classmethod
    def from_json(cls, obj: dict, columns: Sequence[Column]) -> "Bulk":
        if not isinstance(obj, dict):
            raise AnnotationError("malformed bulk change")
        return cls(Rows.from_json(obj.get("added"), columns), Rows.from_json(obj.get("dropped"), columns))


class Base64Text(str):
    """Base64 text: only JSON-safe characters, so a journal writer may copy it without escaping."""


def _encode_array(arr: np.ndarray) -> dict:
    little = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
    return {"dtype": little.dtype.str, "b64": Base64Text(base64.b64encode(little).decode("ascii"))}


def _decode_array(obj: dict, dtype) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(obj["b64"], validate=True), np.dtype(obj["dtype"]))
    return raw.astype(dtype)


def encode_column(arr: np.ndarray) -> dict:
    """A column's JSON form: numbers as base64; text and top classes as distinct ``values`` and, when there
    is more than one, an ``index`` into them per row."""
    if arr.dtype != object:
        return _encode_array(arr)
    items = arr.tolist()
    if items and items.count(items[0]) == len(items):
        distinct, index = [items[0]], None  # one value for every row: the usual case of a bulk's source, author
    elif all(isinstance(v, str) for v in items):
        distinct, index = np.unique(arr.astype(str), return_inverse=True)
        distinct = distinct.tolist()
    else:
        seen: dict = {}
        index = np.fromiter((seen.setdefault(v, len(seen)) for v in items), np.int64, len(items))
        distinct = list(seen)
    values = [[list(pair) for pair in v] if isinstance(v, tuple) else v for v in distinct]
    if index is None:
        return {"values": values}
    small = np.uint8 if len(values) <= 256 else np.int32
    return {"values": values, "index": _encode_array(np.asarray(index).astype(small))}


def _decode_column(col: Column, obj: dict, n: int) -> np.ndarray:
    if col.dtype is not object:
        arr = _decode_array(obj, col.dtype)
    else:
        values = np.empty(len(obj["values"]), object)
        for k, v in enumerate(obj["values"]):
            values[k] = to_column_value(col, v)
        if "index" in obj:
            arr = values[_decode_array(obj["index"], np.int64)]
        elif len(values) == 1:
            arr = np.empty(n, object)
            arr.fill(values[0])
        else:
            arr = np.empty(0, object)
    if len(arr) != n:
        raise ValueError(f"column {col.name} has {len(arr)} values for {n} rows")
    return arr


def to_column_value(col: Column, value):
    """A row's JSON-friendly ``value`` as stored in column ``col`` (NaN for a missing float, tuples for ``top``)."""
    if col.name == "top":
        return tuple((str(c), float(p)) for c, p in (value or ()))
    if col.dtype is object:
        return "" if value is None else str(value)
    if col.dtype is np.float64:
        return np.nan if value is None else float(value)
    return int(value)


def to_row_value(col: Column, value):
    """A value of column ``col`` as a row carries it: JSON-friendly (None for NaN, ``[[code, p], …]``)."""
    if col.name == "top":
        return [[c, p] for c, p in value]
    if col.dtype is object:
        return value
    if col.dtype is np.float64:
        return None if np.isnan(value) else float(value)
    return int(value)
