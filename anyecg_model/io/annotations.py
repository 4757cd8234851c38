"""Annotations read from a file: columnar arrays of sample, symbol, subtype, channel, aux text, source.

Samples are at the record's base rate. Symbols are MIT-BIH codes (``N``, ``V``, ``+`` rhythm change with
aux ``(AFIB`` …). This is the read-only view a reader produces; the editable store with history lives
in :mod:`anyecg_model.annotations`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..vocabulary.labels import BEAT_SYMBOLS



@dataclass
class Annotations:
    """Columnar annotations. All arrays have the same length and are sorted by ``sample``."""

    sample: np.ndarray  # int64, base-rate samples
    symbol: np.ndarray  # object (str)
    subtype: np.ndarray  # int16
    channel: np.ndarray  # int16, -1 when not lead-specific
    aux: np.ndarray  # object (str)
    source: np.ndarray  # object (str): annotator name, e.g. "atr", "edf+", "model"

    @classmethod
    def empty(cls) -> "Annotations":
        return cls.from_lists([], [])

    @classmethod
    def from_lists(cls, sample, symbol, subtype=None, channel=None, aux=None, source="file") -> "Annotations":
        n = len(sample)
        s = np.asarray(sample, dtype=np.int64).reshape(n)
        order = np.argsort(s, kind="stable")

        def col(values, default, dtype):
            if values is None:
                return np.full(n, default, dtype=dtype)
            arr = np.empty(n, dtype=dtype)
            arr[:] = list(values) if dtype is object else values
            return arr

        src = np.full(n, source, dtype=object) if isinstance(source, str) else col(source, "file", object)
        return cls(
            sample=s[order],
            symbol=col(symbol, "", object)[order],
            subtype=col(subtype, 0, np.int16)[order],
            channel=col(channel, -1, np.int16)[order],
            aux=col([a or "" for a in aux] if aux is not None else None, "", object)[order],
            source=src[order],
        )

    def __len__(self) -> int:
        return len(self.sample)

    def concat(self, other: "Annotations") -> "Annotations":
        return Annotations.from_lists(
            np.concatenate([self.sample, other.sample]),
            np.concatenate([self.symbol, other.symbol]),
            np.concatenate([self.subtype, other.subtype]),
            np.concatenate([self.channel, other.channel]),
            np.concatenate([self.aux, other.aux]),
            np.concatenate([self.source, other.source]),
        )

    def counts(self) -> dict[str, int]:
        """Symbol → count (rhythm changes counted under their aux label, e.g. ``(AFIB``)."""
        keys = [a.rstrip("\x00") if s == "+" and a else s for s, a in zip(self.symbol, self.aux)]
        return dict(sorted(Counter(keys).items()))

    def beat_mask(self) -> np.ndarray:
        return np.isin(self.symbol, list(BEAT_SYMBOLS))

    def beats(self) -> "Annotations":
        return self.select(self.beat_mask())

    def select(self, mask: np.ndarray) -> "Annotations":
        return Annotations(self.sample[mask], self.symbol[mask], self.subtype[mask], self.channel[mask],
                           self.aux[mask], self.source[mask])

    def rhythm_episodes(self, n_samples: int) -> list[tuple[int, int, str]]:
        """Rhythm episodes ``(start, stop, label)`` from ``+`` annotations whose aux is ``(AFIB`` etc.

        Each episode runs until the next rhythm change or the end of the record; labels keep the
        file's code without the leading parenthesis (``AFIB``, ``N``, ``VT`` …).
        """
        mask = (self.symbol == "+") & np.array([bool(a) and a.startswith("(") for a in self.aux], dtype=bool)
        starts = self.sample[mask]
        labels = [a.strip("\x00").lstrip("(").strip() for a in self.aux[mask]]
        out = []
        for k, (s, lab) in enumerate(zip(starts, labels)):
            stop = int(starts[k + 1]) if k + 1 < len(starts) else int(n_samples)
            if stop > s:
                out.append((int(s), stop, lab))
        return out
