"""`AnnotationStore`: the editable beats and rhythm episodes of one recording, with unlimited undo/redo.

Times are base-rate samples (``fs`` Hz); :meth:`AnnotationStore.seconds` converts. Every edit goes
through :meth:`AnnotationStore.commit`, which applies row changes to the columnar tables, appends an
:class:`~.edits.Edit` to the append-only log and emits ``events.changed`` (for views) and
``events.logged`` (for the autosave journal). Model suggestions and their review live in
:mod:`.suggestions`; this module holds the human edits LightWAVE users know.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from ..io.annotations import Annotations
from ..vocabulary.labels import BEAT_SYMBOLS
from .codes import LABEL_SOURCES, AnnotationError, check_point_code, check_rhythm_code, check_source
from .edits import Edit, EditLog
from .events import Event
from .rows import Bulk, Change, Rows
from .table import BeatTable, ColumnTable, EpisodeTable, TableChange

#: Deleting or relabelling at least this many beats makes one columnar change (arrays, not a dict per row: a
#: family relabel on a 24-h Holter touches tens of thousands, and row dicts kept in the undo log would make
#: every later full garbage collection traverse them, see :mod:`app.gc_policy`).
BULK_ROWS = 64


@dataclass
class StoreChange:
    """What one commit, undo or redo changed: ``action`` is ``edit``, ``undo``, ``redo`` or ``replay``."""

    action: str
    edit: Edit
    beats: TableChange
    episodes: TableChange


def annotators(annotations: Annotations) -> list[str]:
    """Annotator names (``source``) present in read-only annotations, in order of first appearance."""
    names: list[str] = []
    rest = np.asarray(annotations.source, dtype=object)
    while len(rest):  # one vectorised pass per annotator (a file has one to a few): 100 000 beats in ~2 ms
        first = rest[0]
        names.append(str(first))
        rest = rest[rest != first]
    return names


def repr_joined(values: list) -> str:
    """``"\\x1f".join(map(repr, values))``, the fingerprint's text of an object column, without a ``repr`` per
    value when every value is a plain ``str`` that ``repr`` only wraps in single quotes (codes, sources, empty aux
    texts) or an empty tuple (top classes): 100 000 labelled beats in ~25 ms instead of ~75."""
    types = set(map(type, values))
    if types == {tuple} and not any(values):  # the model's top classes, empty on every labelled beat
        return "\x1f".join(["()"] * len(values))
    if types != {str}:
        return "\x1f".join(map(repr, values))
    joined = "\x1f".join(values)
    if ("'" in joined or "\\" in joined or joined.count("\x1f") != len(values) - 1
            or not joined.replace("\x1f", "").isprintable()):
        return "\x1f".join(map(repr, values))
    return "'" + joined.replace("\x1f", "'\x1f'") + "'"


class StoreEvents:
    """``changed`` (payload :class:`StoreChange`) and ``logged`` (payload: the appended log entry dict)."""

    def __init__(self) -> None:
        self.changed: Event[StoreChange] = Event("changed")
        self.logged: Event[dict] = Event("logged")


class AnnotationStore:
    """Beats (:class:`BeatTable`) and rhythm episodes (:class:`EpisodeTable`) of one recording.

    ``fs`` is the base rate (Hz) and ``n_samples`` the record length; ``author`` is stamped on edited
    rows with the time from ``clock`` (Unix s).
    """

    def __init__(self, fs: float, n_samples: int, beats: BeatTable | None = None,
                 episodes: EpisodeTable | None = None, *, author: str = "",
                 clock: Callable[[], float] = time.time, content_hash: str = ""):
        if not np.isfinite(fs) or fs <= 0:
            raise AnnotationError(f"sampling rate {fs!r} Hz is not positive")
        self.fs = float(fs)
        self.n_samples = int(n_samples)
        self.beats = beats if beats is not None else BeatTable()
        self.episodes = episodes if episodes is not None else EpisodeTable()
        self.author = author
        self.clock = clock
        self.content_hash = content_hash
        self.log = EditLog()
        self.events = StoreEvents()
        #: Counts table changes, twice per edit, undo or redo: odd while one is being applied. A reader on another
        #: thread (suggestions prepared in a worker) reads it before and compares after.
        self.revision = 0
        self._next_id = 1 + max(int(self.beats.ids.max(initial=-1)), int(self.episodes.ids.max(initial=-1)))
        self.base_fingerprint = self.fingerprint()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_annotations(cls, annotations: Annotations, fs: float, n_samples: int, **kwargs) -> "AnnotationStore":
        """The reference labels of a file: ``+`` rhythm changes with ``(LABEL`` aux become episodes that run
        to the next rhythm change (or the record end); every other annotation becomes a point row."""
        aux = np.array(annotations.aux, dtype=object)  # a copy; most of a Holter's 100 000 are "" (no Python loop)
        texted = np.flatnonzero(aux != "")
        aux[texted] = [str(a).rstrip("\x00") for a in aux[texted]]
        plus = np.flatnonzero(annotations.symbol == "+")
        rhythm = np.zeros(len(aux), dtype=bool)
        rhythm[plus] = [a.startswith("(") for a in aux[plus]]
        point = ~rhythm
        n_points = int(point.sum())
        beats = BeatTable.from_columns(
            np.arange(n_points),
            sample=annotations.sample[point], code=annotations.symbol[point], subtype=annotations.subtype[point],
            channel=annotations.channel[point], aux=aux[point], source=["reference"] * n_points,
            author=annotations.source[point])
        starts = annotations.sample[rhythm]
        stops = np.append(starts[1:], n_samples) if len(starts) else starts
        keep = stops > starts
        labels = np.array([a.lstrip("(").strip() for a in aux[rhythm]], dtype=object)
        keep &= labels != ""  # an empty ``(`` label ends an episode without starting one
        episodes = EpisodeTable.from_columns(
            n_points + np.arange(int(keep.sum())),
            start=starts[keep], stop=stops[keep], code=labels[keep],
            channel=annotations.channel[rhythm][keep], source=["reference"] * int(keep.sum()),
            author=annotations.source[rhythm][keep])
        return cls(fs, n_samples, beats, episodes, **kwargs)

    @classmethod
    def from_recording(cls, recording, annotator: str | None = None, **kwargs) -> "AnnotationStore":
        """The store of one annotator of a :class:`~anyecg_model.io.Recording`'s read-only annotations.

        Readers concatenate every annotator file of a record (``atr``, ``qrs``, a saved ``corr`` …), each
        row's ``source`` naming it; the store edits one: ``annotator``, else ``atr`` when present, else the
        first one found.
        """
        kwargs.setdefault("content_hash", recording.provenance.content_hash)
        ann = recording.annotations
        names = annotators(ann)
        if annotator is None:
            annotator = "atr" if "atr" in names else (names[0] if names else None)
        elif annotator not in names:
            raise AnnotationError(f"{recording.path}: no annotator {annotator!r} (found: {', '.join(names) or 'none'})")
        if annotator is not None and len(names) > 1:
            ann = ann.select(ann.source == annotator)
        return cls.from_annotations(ann, recording.fs, recording.n_samples, **kwargs)

    def fingerprint(self) -> str:
        """SHA-256 of every row of both tables (ids included): equal fingerprints, equal stores."""
        h = hashlib.sha256(f"{self.fs}:{self.n_samples}".encode())
        for table in (self.beats, self.episodes):
            h.update(table.ids.tobytes())
            for col in table.COLUMNS:
                arr = table[col.name]
                h.update(repr_joined(arr.tolist()).encode() if arr.dtype == object else arr.tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ time and queries
    def seconds(self, sample):
        """Samples → seconds from the start of the recording."""
        return np.asarray(sample) / self.fs

    def label_mask(self) -> np.ndarray:
        """Beat rows that are current labels (reference, manual, accepted)."""
        return np.isin(self.beats["source"], LABEL_SOURCES)

    def nearest_beat(self, sample: int, max_distance: int | None = None,
                     sources: Sequence[str] | None = None) -> int | None:
        """Id of the point annotation closest to ``sample`` (optionally of ``sources``, within ``max_distance``)."""
        samples = self.beats["sample"]
        ids = self.beats.ids
        if sources is not None:
            mask = np.isin(self.beats["source"], list(sources))
            samples, ids = samples[mask], ids[mask]
        if not len(samples):
            return None
        k = int(np.searchsorted(samples, sample))
        cands = [c for c in (k - 1, k) if 0 <= c < len(samples)]
        best = min(cands, key=lambda c: abs(int(samples[c]) - sample))
        if max_distance is not None and abs(int(samples[best]) - sample) > max_distance:
            return None
        return int(ids[best])

    def step(self, sample: int, direction: int, *, code: str | None = None,
             sources: Sequence[str] | None = None) -> int | None:
        """Id of the next (``direction`` > 0) or previous point annotation strictly after/before ``sample``,
        optionally only of ``code`` (LightWAVE's "search for the next V") or of ``sources``."""
        mask = np.ones(len(self.beats), bool)
        if code is not None:
            mask &= self.beats["code"] == code
        if sources is not None:
            mask &= np.isin(self.beats["source"], list(sources))
        samples = self.beats["sample"]
        if direction > 0:
            hits = np.flatnonzero(mask[int(np.searchsorted(samples, sample, "right")):])
            return None if not len(hits) else int(self.beats.ids[int(np.searchsorted(samples, sample, "right")) + hits[0]])
        hits = np.flatnonzero(mask[:int(np.searchsorted(samples, sample, "left"))])
        return None if not len(hits) else int(self.beats.ids[hits[-1]])

    def episode_at(self, sample: int, sources: Sequence[str] = LABEL_SOURCES) -> int | None:
        """Id of the labelled rhythm episode covering ``sample``."""
        e = self.episodes
        hit = (e["start"] <= sample) & (e["stop"] > sample) & np.isin(e["source"], list(sources))
        idx = np.flatnonzero(hit)
        return int(e.ids[idx[-1]]) if len(idx) else None

    # ------------------------------------------------------------------ commit, undo, redo, replay
    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def new_ids(self, n: int) -> np.ndarray:
        """``n`` fresh row ids."""
        self._next_id += n
        return np.arange(self._next_id - n, self._next_id, dtype=np.int64)

    def stamp(self, row: dict, **changes) -> dict:
        """A copy of ``row`` with ``changes`` and this store's author and time."""
        return {**row, **changes, "author": self.author, "timestamp": float(self.clock())}

    def commit(self, label: str, beats: Sequence[Change] = (), episodes: Sequence[Change] = (),
               beat_bulk: Bulk | None = None, episode_bulk: Bulk | None = None, *,
               by_model: bool = False) -> Edit | None:
        """Apply and log one edit made of row changes and columnar :class:`~.rows.Bulk` changes of beats and
        episodes (``by_model``: the model's suggestions, see :class:`Edit`); None (nothing logged) when it
        changes nothing. Listeners of ``changed`` find the edit already in the log."""
        beats = [c for c in beats if c[1] != c[2]]
        episodes = [c for c in episodes if c[1] != c[2]]
        beat_bulk, episode_bulk = (b if b is not None and (len(b.added) or len(b.dropped)) else None
                                   for b in (beat_bulk, episode_bulk))
        if not beats and not episodes and beat_bulk is None and episode_bulk is None:
            return None
        edit = Edit(self.log.next_seq, label, self.author, float(self.clock()), list(beats), list(episodes),
                    beat_bulk, episode_bulk, by_model)
        self.events.logged.emit(self._apply(edit, True, "edit", lambda: self.log.record(edit)))
        return edit

    def undo(self) -> Edit | None:
        """Revert the last done edit (unlimited); None when there is none."""
        popped = self.log.undo()
        if popped is None:
            return None
        self._apply(popped[0], False, "undo")
        self.events.logged.emit(popped[1])
        return popped[0]

    def redo(self) -> Edit | None:
        """Re-apply the last undone edit; None when there is none."""
        popped = self.log.redo()
        if popped is None:
            return None
        self._apply(popped[0], True, "redo")
        self.events.logged.emit(popped[1])
        return popped[0]

    def replay(self, entries: Iterable[dict]) -> int:
        """Re-run log entries (from a journal) on this store; returns how many were replayed.

        Each edit's ``before`` rows are checked against the store, so entries made on other base labels
        are refused with :class:`AnnotationError` instead of corrupting the labels.
        """
        count = 0
        for entry in entries:
            kind = entry.get("type")
            if kind == "edit":
                edit = Edit.from_json(entry)
                self._check_before(edit)
                self._next_id = max(self._next_id, edit.max_id() + 1)
                self.events.logged.emit(self._apply(edit, True, "replay", lambda: self.log.record(edit)))
            elif kind in ("undo", "redo"):
                stack = self.log.done if kind == "undo" else self.log.undone
                if not stack or stack[-1].seq != entry.get("seq"):
                    raise AnnotationError(f"{kind} of edit {entry.get('seq')} does not match the log")
                (self.undo if kind == "undo" else self.redo)()
            else:
                continue
            count += 1
        return count

    def _check_before(self, edit: Edit) -> None:
        for table, changes in ((self.beats, edit.beats), (self.episodes, edit.episodes)):
            for row_id, before, _ in changes:
                current = table.row(row_id) if row_id in table else None
                if current != before:
                    raise AnnotationError(f"edit {edit.seq} ({edit.label}) expects annotation {row_id} = {before}, "
                                          f"found {current}")
        for table, bulk in ((self.beats, edit.beat_bulk), (self.episodes, edit.episode_bulk)):
            if bulk is None:
                continue
            try:
                found = table.gather(bulk.dropped.ids)
            except AnnotationError:
                found = None
            if found is None or not found.equals(bulk.dropped):
                raise AnnotationError(f"edit {edit.seq} ({edit.label}) expects {len(bulk.dropped)} annotations "
                                      "that differ from the ones found")

    def _apply(self, edit: Edit, forward: bool, action: str,
               record: Callable[[], dict] | None = None) -> dict | None:
        """Change the tables, then ``record()`` the edit in the log (returns its entry), then tell the listeners."""
        self.revision += 1
        try:
            beats = self.beats.apply(edit.beats, forward, edit.beat_bulk)
            episodes = self.episodes.apply(edit.episodes, forward, edit.episode_bulk)
        finally:
            self.revision += 1
        entry = record() if record is not None else None
        self.events.changed.emit(StoreChange(action, edit, beats, episodes))
        return entry

    # ------------------------------------------------------------------ beat edits
    def _check_sample(self, sample: int) -> int:
        if not 0 <= int(sample) < max(self.n_samples, 1):
            raise AnnotationError(f"sample {sample} is outside the recording (0..{self.n_samples - 1})")
        return int(sample)

    def insert_beat(self, sample: int, code: str = "N", *, channel: int = -1, aux: str = "",
                    subtype: int = 0, source: str = "manual") -> int:
        """Insert a point annotation (``code``, MIT-BIH) at ``sample``; returns its id. Snap first with
        :func:`~.snap.snap_to_r_peak` if the click should land on the R peak."""
        row = BeatTable.make_row(sample=self._check_sample(sample), code=check_point_code(code), channel=channel,
                                 aux=aux, subtype=subtype, source=check_source(source))
        row_id = self.new_id()
        self.commit(f"insert {code}", beats=[(row_id, None, self.stamp(row))])
        return row_id

    def delete(self, ids: Iterable[int]) -> Edit | None:
        """Remove point annotations; from :data:`BULK_ROWS` on, as one columnar change."""
        ids = list(dict.fromkeys(int(i) for i in ids))
        if len(ids) >= BULK_ROWS:
            gone = self.beats.gather(ids)
            empty = self.beats.gather(np.zeros(0, np.int64))
            return self.commit(f"delete {len(ids)} annotation(s)", beat_bulk=Bulk(empty, gone))
        changes = [(i, self.beats.row(i), None) for i in ids]
        return self.commit(f"delete {len(changes)} annotation(s)", beats=changes)

    def _relabel_bulk(self, ids: list[int], code: str) -> Bulk:
        """:meth:`relabel` of labelled beats (no suggestions) as one columnar change."""
        rows = self.beats.gather(ids)
        keep = rows.columns["code"] != code
        before = Rows(rows.ids[keep], {k: v[keep] for k, v in rows.columns.items()})
        columns = {k: v.copy() for k, v in before.columns.items()}
        columns["source"][np.isin(columns["source"], ("reference", "rejected"))] = "manual"
        for name, value in (("code", code), ("author", self.author), ("timestamp", float(self.clock()))):
            columns[name] = np.full(len(before), value, dtype=columns[name].dtype)
        return Bulk(Rows(before.ids.copy(), columns), before)

    def relabel(self, ids: Iterable[int], code: str) -> Edit | None:
        """Set the code of beats. Reference rows become ``manual`` corrections; a model suggestion relabelled
        is accepted with that code (see :func:`~.suggestions.accept`). From :data:`BULK_ROWS` labelled beats on
        (a family of a 24-h Holter), the change is columnar."""
        from .suggestions import accept_changes

        check_point_code(code)
        ids = list(dict.fromkeys(int(i) for i in ids))
        if len(ids) >= BULK_ROWS and not (self.beats.values(ids, "source") == "model").any():
            return self.commit(f"relabel {len(ids)} → {code}", beat_bulk=self._relabel_bulk(ids, code))
        rows = {i: self.beats.row(i) for i in ids}
        suggested = [i for i in ids if rows[i]["source"] == "model"]
        changes = accept_changes(self, suggested, code) if suggested else []
        for i in ids:
            row = rows[i]
            if row["source"] == "model" or row["code"] == code:
                continue
            source = "manual" if row["source"] in ("reference", "rejected") else row["source"]
            changes.append((i, row, self.stamp(row, code=code, source=source)))
        return self.commit(f"relabel {len(ids)} → {code}", beats=changes)

    def relabel_span(self, start: int, stop: int, code: str) -> Edit | None:
        """Relabel every labelled beat (beat codes only, not marks like ``~``) with sample in ``[start, stop)``."""
        window = self.beats.window(start, stop)
        sel = (np.isin(self.beats["source"][window], LABEL_SOURCES)
               & np.isin(self.beats["code"][window], list(BEAT_SYMBOLS)))
        return self.relabel(self.beats.ids[window][sel].tolist(), code)

    def move(self, row_id: int, sample: int) -> Edit | None:
        """Move a point annotation to ``sample`` (a moved reference beat becomes a ``manual`` one)."""
        row = self.beats.row(row_id)
        source = "manual" if row["source"] == "reference" else row["source"]
        after = self.stamp(row, sample=self._check_sample(sample), source=source)
        return self.commit(f"move {row['code']}", beats=[(int(row_id), row, after)])

    # ------------------------------------------------------------------ rhythm episodes
    def _trim_labels(self, start: int, stop: int, skip: int | None = None) -> list[Change]:
        """Changes that clear ``[start, stop)`` of labelled episodes: covered ones deleted, overlapping ones
        trimmed, one that spans the whole interval split in two."""
        e = self.episodes
        hit = (e["start"] < stop) & (e["stop"] > start) & np.isin(e["source"], LABEL_SOURCES)
        changes: list[Change] = []
        for row_id in e.ids[hit].tolist():
            if row_id == skip:
                continue
            row = e.row(row_id)
            left = row["start"] < start
            right = row["stop"] > stop
            if left and right:
                changes.append((row_id, row, {**row, "stop": start}))
                changes.append((self.new_id(), None, {**row, "start": stop}))
            elif left:
                changes.append((row_id, row, {**row, "stop": start}))
            elif right:
                changes.append((row_id, row, {**row, "start": stop}))
            else:
                changes.append((row_id, row, None))
        return changes

    def set_rhythm(self, start: int, stop: int, code: str, *, channel: int = -1, aux: str = "") -> int:
        """Label ``[start, stop)`` (samples) as rhythm ``code`` (``AFIB``…); labelled episodes it overlaps are
        trimmed or split so the rhythm lane stays one label per instant. Returns the new episode id."""
        start, stop = max(0, int(min(start, stop))), min(self.n_samples, int(max(start, stop)))
        if stop <= start:
            raise AnnotationError(f"rhythm span {start}..{stop} is empty")
        label = check_rhythm_code(code)
        row = self.stamp(EpisodeTable.make_row(start=start, stop=stop, code=label, channel=channel, aux=aux,
                                               source="manual"))
        changes = self._trim_labels(start, stop)
        row_id = self.new_id()
        changes.append((row_id, None, row))
        self.commit(f"rhythm {label} {start / self.fs:.2f}–{stop / self.fs:.2f} s", episodes=changes)
        return row_id

    def relabel_episode(self, row_id: int, code: str) -> Edit | None:
        row = self.episodes.row(row_id)
        source = "manual" if row["source"] in ("reference", "rejected") else row["source"]
        after = self.stamp(row, code=check_rhythm_code(code), source=source)
        return self.commit(f"rhythm → {after['code']}", episodes=[(int(row_id), row, after)])

    def delete_episodes(self, ids: Iterable[int]) -> Edit | None:
        changes = [(int(i), self.episodes.row(i), None) for i in ids]
        return self.commit(f"delete {len(changes)} episode(s)", episodes=changes)

    # ------------------------------------------------------------------ views for writers
    def labels(self) -> tuple[ColumnTable, ColumnTable]:
        """Copies of the beats and episodes that are current labels (what an annotator file holds)."""
        return (self.beats.select(self.label_mask()),
                self.episodes.select(np.isin(self.episodes["source"], LABEL_SOURCES)))
