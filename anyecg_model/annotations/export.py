"""Export the store to CSV (every field, readable back exactly) and to EDF+ annotations (pyedflib).

CSV: one row per beat (``kind=beat``) or rhythm episode (``kind=episode``), times in samples and
seconds, model top classes as ``V:0.81;N:0.12``. EDF+: an annotation-only EDF+ file whose onsets are
seconds from the start; beats have no duration and carry their MIT-BIH code, episodes carry ``(AFIB``
and their duration in seconds. Both writes are atomic.
"""
from __future__ import annotations

import csv
import datetime as _dt
import os
from pathlib import Path

import numpy as np
import pyedflib

from .atomic import atomic_target
from .codes import AnnotationError
from .store import AnnotationStore
from .table import BeatTable, ColumnTable, EpisodeTable

CSV_FIELDS = ("kind", "sample", "stop", "time_s", "stop_s", "code", "subtype", "channel", "aux", "source", "author",
              "timestamp", "confidence", "top")


def _tables(store: AnnotationStore, labels_only: bool) -> tuple[ColumnTable, ColumnTable]:
    return store.labels() if labels_only else (store.beats, store.episodes)


def _float(value) -> str:
    return "" if value is None else repr(float(value))


def save_csv(store: AnnotationStore, path: str | os.PathLike, *, labels_only: bool = False) -> Path:
    """Write beats and episodes (all sources, or only labels) to ``path``; returns it."""
    beats, episodes = _tables(store, labels_only)
    path = Path(path)
    with atomic_target(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_FIELDS)
        for kind, table in (("beat", beats), ("episode", episodes)):
            for k in range(len(table)):
                r = table.row_at(k)
                start = r["sample"] if kind == "beat" else r["start"]
                stop = "" if kind == "beat" else r["stop"]
                writer.writerow([kind, start, stop, repr(start / store.fs), "" if stop == "" else repr(stop / store.fs),
                                 r["code"], r.get("subtype", 0), r["channel"], r["aux"], r["source"], r["author"],
                                 _float(r["timestamp"]), _float(r["confidence"]),
                                 ";".join(f"{c}:{p!r}" for c, p in r["top"])])
        fh.flush()
        os.fsync(fh.fileno())
    return path


def read_csv(path: str | os.PathLike, fs: float, n_samples: int, **store_kwargs) -> AnnotationStore:
    """A store from a CSV written by :func:`save_csv` (its rows become the store's starting labels)."""
    path = Path(path)
    beats: dict[str, list] = {c.name: [] for c in BeatTable.COLUMNS}
    episodes: dict[str, list] = {c.name: [] for c in EpisodeTable.COLUMNS}
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = set(CSV_FIELDS) - set(reader.fieldnames or ())
            if missing:
                raise AnnotationError(f"{path}: not an annotation CSV (missing columns {', '.join(sorted(missing))})")
            for line, r in enumerate(reader, start=2):
                common = {"code": r["code"], "channel": int(r["channel"]), "aux": r["aux"], "source": r["source"],
                          "author": r["author"], "timestamp": float(r["timestamp"]) if r["timestamp"] else None,
                          "confidence": float(r["confidence"]) if r["confidence"] else None,
                          "top": [(c, float(p)) for c, p in (t.rsplit(":", 1) for t in r["top"].split(";") if t)]}
                if r["kind"] == "beat":
                    row = {**common, "sample": int(r["sample"]), "subtype": int(r["subtype"])}
                    target = beats
                elif r["kind"] == "episode":
                    row = {**common, "start": int(r["sample"]), "stop": int(r["stop"])}
                    target = episodes
                else:
                    raise AnnotationError(f"{path}, line {line}: kind {r['kind']!r} is neither beat nor episode")
                for name, values in target.items():
                    values.append(row[name])
    except (OSError, ValueError, KeyError) as exc:
        raise AnnotationError(f"{path}: cannot read annotation CSV: {exc}") from exc
    n_beats = len(beats["sample"])
    return AnnotationStore(fs, n_samples, BeatTable.from_columns(np.arange(n_beats), **beats),
                           EpisodeTable.from_columns(n_beats + np.arange(len(episodes["start"])), **episodes),
                           **store_kwargs)


def save_edf_annotations(store: AnnotationStore, path: str | os.PathLike, *,
                         start_time: _dt.datetime | None = None, labels_only: bool = True) -> Path:
    """Write an annotation-only EDF+ file: beats as ``code`` at their onset (s), episodes as ``(LABEL`` with a
    duration (s). ``start_time`` is the recording's start; without one the file says "Startdate X" (unknown)."""
    from ..io.writers.edf_writer import UNKNOWN_START, mark_start_unknown  # io.writers imports wfdb: on save only

    beats, episodes = _tables(store, labels_only)
    path = Path(path)
    with atomic_target(path) as tmp:
        writer = pyedflib.EdfWriter(str(tmp), 0, file_type=pyedflib.FILETYPE_EDFPLUS)
        try:
            writer.setStartdatetime(start_time.replace(microsecond=0) if start_time is not None else UNKNOWN_START)
            for s, code in zip(beats["sample"].tolist(), beats["code"].tolist()):
                writer.writeAnnotation(s / store.fs, -1, code)
            for a, b, code in zip(episodes["start"].tolist(), episodes["stop"].tolist(), episodes["code"].tolist()):
                writer.writeAnnotation(a / store.fs, (b - a) / store.fs, "(" + code)
        finally:
            writer.close()
        if start_time is None:
            mark_start_unknown(tmp)
    return path


def read_edf_annotations(path: str | os.PathLike, fs: float) -> list[tuple[int, int | None, str]]:
    """``(sample, stop sample or None, text)`` of every EDF+ annotation, onsets rounded to ``fs`` samples."""
    try:
        reader = pyedflib.EdfReader(str(path))
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read EDF+ annotations: {exc}") from exc
    try:
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    return [(int(round(o * fs)), None if d < 0 else int(round((o + d) * fs)), str(t))
            for o, d, t in zip(onsets, durations, texts)]
