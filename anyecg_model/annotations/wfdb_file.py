"""Save the labels to a new WFDB annotator file (``wfdb.wrann``) and read them back exactly.

The annotator file holds what WFDB can: sample, MIT-BIH code, subtype, channel, aux text, and a ``+``
rhythm change with aux ``(AFIB`` at each episode start; other WFDB tools read it as usual. A sidecar
``<record>.<annotator>.anyecg.json`` keeps what WFDB cannot (source, author, time of edit, model
confidence and top classes, unset channels, episode ends before a gap); it carries the SHA-256 of the
annotator file and is ignored (with a warning) when the two no longer match.

Nothing is overwritten unless the caller passes ``replace=True`` after the user named an existing
annotator (``atr`` included) on purpose; both files are written atomically.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..io.annotations import Annotations
from .atomic import atomic_target
from .codes import AnnotationError
from .store import AnnotationStore, annotators
from .table import BeatTable, EpisodeTable

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".anyecg.json"
#: Extensions that are signal or header files, never annotator names.
_NOT_ANNOTATORS = {"hea", "dat", "mat", "edf", "json", "csv", "xml", "txt", "tmp"}
_META = ("source", "author", "timestamp", "confidence", "top", "channel")
#: Labels named in an error message before "… and N more".
_SHOWN = 3
_KEPT = ("Nothing was written and your labels are unchanged; Annotate ▸ Export CSV keeps every field.")


@lru_cache(maxsize=1)
def _wfdb_symbols() -> frozenset[str]:
    """Symbols a WFDB annotator file can hold (the MIT code table; a space is no symbol). wfdb (with pandas,
    ~0.4 s) is imported on the first save, not when the viewer starts (issue 19)."""
    from wfdb.io.annotation import ann_label_table
    return frozenset(ann_label_table["symbol"]) - {" "}


def record_base(record: str | os.PathLike) -> Path:
    """``/data/100``, ``/data/100.hea`` or ``/data/100.dat`` → ``/data/100`` (the WFDB record name with folder)."""
    p = Path(record)
    return p.with_suffix("") if p.suffix in (".hea", ".dat", ".mat") else p


def check_annotator(annotator: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", annotator or "") or annotator.lower() in _NOT_ANNOTATORS:
        raise AnnotationError(f"annotator name {annotator!r} must be 1–32 letters, digits or _ and not a signal "
                              f"or header extension (e.g. 'corr', 'qrs_ed')")
    return annotator


def annotator_path(record: str | os.PathLike, annotator: str) -> Path:
    base = record_base(record)
    return base.with_name(f"{base.name}.{check_annotator(annotator)}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_wfdb(store: AnnotationStore, record: str | os.PathLike, annotator: str, *, replace: bool = False) -> Path:
    """Write the store's labels (reference, manual, accepted) to ``<record>.<annotator>``; returns its path.

    Raises :class:`AnnotationError` when the file exists and ``replace`` is False, so the original ``.atr``
    and every other annotator stay untouched unless the user named that very annotator.
    """
    import wfdb  # ~0.4 s with pandas: imported when a file is saved, not when the viewer starts

    target = annotator_path(record, annotator)
    sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
    if target.exists() and not replace:
        raise AnnotationError(f"{target} exists; choose a new annotator name (or confirm replacing {annotator!r})")
    beats, episodes = store.labels()
    if not len(beats) and not len(episodes):
        raise AnnotationError(f"{target}: there are no labels to save")
    samples = np.concatenate([beats["sample"], episodes["start"]])
    symbols = np.concatenate([beats["code"], np.full(len(episodes), "+", object)])
    aux = np.concatenate([beats["aux"], np.array(["(" + c for c in episodes["code"]], dtype=object)])
    subtype = np.concatenate([beats["subtype"], np.zeros(len(episodes), np.int16)]).astype(int)
    chan = np.clip(np.concatenate([beats["channel"], episodes["channel"]]), 0, 255)
    check_wfdb_fields(target, samples, symbols, subtype, aux, store.fs)
    order = np.argsort(samples, kind="stable")
    with atomic_target(target) as tmp:
        try:
            wfdb.wrann(tmp.name.rsplit(".", 1)[0], annotator, samples[order].astype(np.int64),
                       symbol=list(symbols[order]), subtype=subtype[order], chan=chan[order].astype(int),
                       num=np.zeros(len(order), int), aux_note=list(aux[order]), fs=store.fs,
                       write_dir=str(tmp.parent))
        except (ValueError, TypeError) as exc:  # wfdb's field checks: anything check_wfdb_fields did not foresee
            raise AnnotationError(f"{target}: a WFDB annotator file cannot hold these labels ({exc}). {_KEPT}") from exc
    meta = {
        "format": "anyecg-annotations", "version": 1, "annotation_file": target.name, "sha256": _sha256(target),
        "fs": store.fs, "n_samples": store.n_samples,
        "beats": {name: [beats.row_at(k)[name] for k in range(len(beats))] for name in _META},
        "episodes": [episodes.row_at(k) for k in range(len(episodes))],
    }
    with atomic_target(sidecar) as tmp:
        tmp.write_text(json.dumps(meta, separators=(",", ":")))
    return target


def check_wfdb_fields(target: Path, samples: np.ndarray, symbols: np.ndarray, subtype: np.ndarray,
                      aux: np.ndarray, fs: float) -> None:
    """Raise :class:`AnnotationError` naming the labels (time and code) a WFDB annotator file cannot hold:
    a symbol outside the MIT code table, a subtype outside -128..127 (a C ``signed char``), a negative
    sample, or a tab or line break in the aux text."""
    text = aux.astype(str)
    problems = [
        (samples < 0, "before the record start"),
        (~np.isin(symbols.astype(str), list(_wfdb_symbols())), "not a WFDB annotation code"),
        ((subtype < -128) | (subtype > 127), "subtype outside -128..127"),
        (np.isin(text, [a for a in set(text.tolist()) if any(c in a for c in "\t\n\r\f\v")]),
         "aux text with a tab or line break"),
    ]
    for bad, why in problems:
        rows = np.flatnonzero(bad)
        if not len(rows):
            continue
        named = ", ".join(f"{symbols[k]} at {_elapsed(samples[k] / fs)}"
                          + (f" (subtype {subtype[k]})" if why.startswith("subtype") else "") for k in rows[:_SHOWN])
        more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
        raise AnnotationError(f"{target.name}: {len(rows)} label(s) {why}: {named}{more}. Fix or delete them "
                              f"and save again. {_KEPT}")


def _elapsed(t_s: float) -> str:
    """``h:mm:ss.sss`` from the record start."""
    h, rest = divmod(max(float(t_s), 0.0), 3600.0)
    m, s = divmod(rest, 60.0)
    return f"{int(h)}:{int(m):02d}:{s:06.3f}"


def read_wfdb(record: str | os.PathLike, annotator: str, fs: float, n_samples: int, **store_kwargs) -> AnnotationStore:
    """A store whose reference labels are ``<record>.<annotator>`` (plus its sidecar when it still matches)."""
    import wfdb

    path = annotator_path(record, annotator)
    if not path.exists():
        raise AnnotationError(f"{path}: no such annotator file")
    try:
        ann = wfdb.rdann(str(record_base(record)), annotator)
    except Exception as exc:  # wfdb raises bare ValueError/IndexError on damaged files
        raise AnnotationError(f"{path}: cannot read WFDB annotations: {exc}") from exc
    n = len(ann.sample)
    annotations = Annotations.from_lists(
        ann.sample, ann.symbol, ann.subtype, ann.chan, [a or "" for a in (ann.aux_note or [""] * n)], annotator)
    store = AnnotationStore.from_annotations(annotations, fs, n_samples, **store_kwargs)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return store
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("%s: unreadable sidecar ignored: %s", sidecar, exc)
        return store
    if meta.get("sha256") != _sha256(path) or len(meta.get("beats", {}).get("source", ())) != len(store.beats):
        log.warning("%s: sidecar does not match %s (edited by another tool?); using the WFDB fields only", sidecar, path)
        return store
    b = store.beats
    beats = BeatTable.from_columns(b.ids, **{c.name: b[c.name] for c in BeatTable.COLUMNS if c.name not in _META},
                                   **{name: meta["beats"][name] for name in _META})
    episodes = EpisodeTable.from_columns(len(beats) + np.arange(len(meta["episodes"])),
                                         **{c.name: [e[c.name] for e in meta["episodes"]] for c in EpisodeTable.COLUMNS})
    return AnnotationStore(fs, n_samples, beats, episodes, **store_kwargs)


def open_store(recording, annotator: str | None = None, **store_kwargs) -> AnnotationStore:
    """The editable labels of ``recording`` from one annotator (default ``atr``, see
    :meth:`AnnotationStore.from_recording`); an annotator saved by :func:`save_wfdb` beside a WFDB record is
    read with its sidecar, so every field comes back exactly as saved."""
    store_kwargs.setdefault("content_hash", recording.provenance.content_hash)
    names = annotators(recording.annotations)
    chosen = annotator or ("atr" if "atr" in names else (names[0] if names else None))
    path = Path(recording.path)
    if chosen and path.suffix in (".hea", ".dat", ".mat", ""):
        target = record_base(path).with_name(f"{record_base(path).name}.{chosen}")
        if target.with_name(target.name + SIDECAR_SUFFIX).exists():
            return read_wfdb(path, chosen, recording.fs, recording.n_samples, **store_kwargs)
    return AnnotationStore.from_recording(recording, annotator, **store_kwargs)
