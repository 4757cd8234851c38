"""Model suggestions in the store: add them, accept (Enter), reject (Backspace), pick a top class (1–3), bulk accept.

Suggestions are beat and episode rows with source ``model``, a ``confidence`` (probability of the
suggested code, 0..1) and up to three ``top`` classes. Accepting one makes it a label (source
``accepted``) and removes the labelled beat it supersedes, i.e. the reference or manual beat within
the AAMI EC57 matching window (150 ms) of it, so one QRS keeps one label. Rejected rows stay in the
store with source ``rejected`` (they are not saved to annotator files).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from ..vocabulary.labels import BEAT_SYMBOLS
from .codes import AnnotationError, check_point_code, check_rhythm_code
from .edits import MODEL_LABEL
from .store import AnnotationStore
from .rows import Bulk, Change, Rows
from .table import BeatTable, EpisodeTable

#: Beat matching window (s) between a suggestion and an existing label (AAMI EC57 uses 150 ms).
MATCH_TOLERANCE_S = 0.15
#: Accepting at least this many beat suggestions at once makes one columnar edit instead of a row per beat.
BULK_ACCEPT = 64


@dataclass
class PreparedSuggestions:
    """Model suggestions ready to commit (:func:`prepare_suggestions`): the edit's parts, and the store's
    :attr:`~.store.AnnotationStore.revision` when they were made (:func:`commit_suggestions` prepares them again
    if it has changed since)."""

    label: str
    bulk: Bulk
    episode_bulk: Bulk
    revision: int
    again: Callable[[], "PreparedSuggestions"]

    @property
    def n_beats(self) -> int:
        return len(self.bulk.added)


def prepare_suggestions(store: AnnotationStore, sample: Sequence[int], code: Sequence[str],
                        confidence: Sequence[float], top: Sequence[Sequence[tuple[str, float]]] | None = None,
                        episodes: Iterable[tuple[int, int, str, float]] = ()) -> PreparedSuggestions:
    """The edit that replaces the pending (``model``) suggestions with new ones, not yet applied (a viewer
    prepares it in one event-loop turn, or in a worker thread, and commits it in a later turn).

    ``sample`` in base-rate samples, ``code`` MIT-BIH beat codes, ``confidence`` in 0..1, ``top`` the
    model's best classes per beat as ``(code, probability)``; ``episodes`` as ``(start, stop, label, confidence)``.
    Beats within 150 ms of one already accepted or rejected are not suggested again.
    """
    revision = store.revision  # read first: prepared off the GUI thread, an edit applied meanwhile is seen
    episodes = list(episodes)
    n = len(sample)
    if not (len(code) == len(confidence) == n) or (top is not None and len(top) != n):
        raise AnnotationError("suggestion columns have different lengths")
    code = np.asarray(code, object).reshape(n)
    if not all(type(c) is str for c in set(code.tolist())):
        code = np.array([str(c) for c in code], object)
    for c in set(code.tolist()):
        check_point_code(c)
    b = store.beats
    now = float(store.clock())
    reviewed = np.sort(b["sample"][np.isin(b["source"], ("accepted", "rejected"))])
    sample = np.asarray(sample, np.int64)
    keep = np.ones(n, bool)
    if len(reviewed):
        k = np.clip(np.searchsorted(reviewed, sample), 1, len(reviewed)) - 1
        near = np.minimum(np.abs(reviewed[k] - sample), np.abs(reviewed[np.minimum(k + 1, len(reviewed) - 1)] - sample))
        keep = near > MATCH_TOLERANCE_S * store.fs
    kept = np.flatnonzero(keep)
    added = BeatTable.make_rows(
        store.new_ids(len(kept)), sample=sample[kept], code=code[kept], source="model", author="model",
        timestamp=now, confidence=np.asarray(confidence, float)[kept],
        top=None if top is None else [top[k] for k in kept.tolist()])
    dropped = b.gather(b.ids[b["source"] == "model"])
    e = store.episodes
    spans = np.array([(int(a), int(b)) for a, b, _, _ in episodes], np.int64).reshape(-1, 2)
    new_episodes = EpisodeTable.make_rows(
        store.new_ids(len(episodes)), start=spans[:, 0], stop=spans[:, 1],
        code=np.array([check_rhythm_code(label) for _, _, label, _ in episodes], object), source="model",
        author="model", timestamp=now, confidence=np.array([float(c) for *_, c in episodes], float))
    episode_bulk = Bulk(new_episodes, e.gather(e.ids[e["source"] == "model"]))
    return PreparedSuggestions(f"{MODEL_LABEL}: {n} beats", Bulk(added, dropped), episode_bulk, revision,
                               lambda: prepare_suggestions(store, sample, code, confidence, top, episodes))


def commit_suggestions(store: AnnotationStore, prepared: PreparedSuggestions):
    """Apply prepared suggestions as one undoable edit (columnar: a 24-h recording's ~100,000 beats take tens
    of milliseconds, see ``bench/bench_gui_responsiveness.py``); prepared again first if the store was edited
    since, or was being edited when they were prepared (call it on the thread that edits the store)."""
    if store.revision != prepared.revision or prepared.revision % 2:
        prepared = prepared.again()
    return store.commit(prepared.label, beat_bulk=prepared.bulk, episode_bulk=prepared.episode_bulk, by_model=True)


def set_suggestions(store: AnnotationStore, sample: Sequence[int], code: Sequence[str],
                    confidence: Sequence[float], top: Sequence[Sequence[tuple[str, float]]] | None = None,
                    episodes: Iterable[tuple[int, int, str, float]] = ()):
    """Replace the pending (``model``) suggestions with new ones, in one undoable edit (arguments as for
    :func:`prepare_suggestions`)."""
    return commit_suggestions(store, prepare_suggestions(store, sample, code, confidence, top, episodes))


def matched_labels(store: AnnotationStore, sample: np.ndarray, tolerance_s: float = MATCH_TOLERANCE_S) -> np.ndarray:
    """For each sample, the id of the nearest labelled beat within ``tolerance_s`` (−1 when none)."""
    b = store.beats
    mask = store.label_mask() & np.isin(b["code"], list(BEAT_SYMBOLS))
    ls, lid = b["sample"][mask], b.ids[mask]
    sample = np.asarray(sample, np.int64)
    out = np.full(len(sample), -1, np.int64)
    if not len(ls):
        return out
    k = np.searchsorted(ls, sample)
    left, right = np.clip(k - 1, 0, len(ls) - 1), np.clip(k, 0, len(ls) - 1)
    nearest = np.where(np.abs(ls[left] - sample) <= np.abs(ls[right] - sample), left, right)
    near = np.abs(ls[nearest] - sample) <= tolerance_s * store.fs
    out[near] = lid[nearest[near]]
    return out


def _suggestion(store: AnnotationStore, row_id: int) -> dict:
    row = store.beats.row(row_id)
    if row["source"] != "model":
        raise AnnotationError(f"annotation {row_id} is not a pending model suggestion (source {row['source']})")
    return row


def accept_changes(store: AnnotationStore, ids: Sequence[int], code: str | None = None,
                   tolerance_s: float = MATCH_TOLERANCE_S) -> list[Change]:
    """Row changes that accept beat suggestions ``ids`` (optionally as ``code``) and drop the labels they replace."""
    rows = {int(i): _suggestion(store, i) for i in ids}
    if code is not None:
        check_point_code(code)
    changes: list[Change] = [(i, r, store.stamp(r, source="accepted", code=code or r["code"])) for i, r in rows.items()]
    superseded = set(matched_labels(store, np.array([r["sample"] for r in rows.values()]), tolerance_s).tolist())
    superseded.discard(-1)
    changes += [(i, store.beats.row(i), None) for i in sorted(superseded)]
    return changes


def accept_bulk(store: AnnotationStore, ids: Sequence[int], code: str | None = None,
                tolerance_s: float = MATCH_TOLERANCE_S) -> Bulk:
    """:func:`accept_changes` as one columnar :class:`~.rows.Bulk`, for many suggestions at once ("Accept all
    ≥" on a 24-h recording accepts tens of thousands)."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    rows = store.beats.gather(ids)
    source = rows.columns["source"]
    if len(ids) and not (source == "model").all():
        k = int(np.argmax(source != "model"))
        raise AnnotationError(f"annotation {ids[k]} is not a pending model suggestion (source {source[k]})")
    if code is not None:
        check_point_code(code)
    superseded = np.unique(matched_labels(store, rows.columns["sample"], tolerance_s))
    n, columns = len(ids), dict(rows.columns)
    for name, value in (("source", "accepted"), ("author", store.author), ("timestamp", float(store.clock())),
                        *((("code", code),) if code is not None else ())):
        columns[name] = np.full(n, value, dtype=columns[name].dtype)
    return Bulk(Rows(ids, columns), store.beats.gather(np.concatenate([ids, superseded[superseded >= 0]])))


def _accept_episode_changes(store: AnnotationStore, ids: Sequence[int]) -> list[Change]:
    changes: list[Change] = []
    for row_id in ids:
        row = store.episodes.row(row_id)
        if row["source"] != "model":
            raise AnnotationError(f"episode {row_id} is not a pending model suggestion")
        changes += store._trim_labels(row["start"], row["stop"])
        changes.append((int(row_id), row, store.stamp(row, source="accepted")))
    return changes


def accept(store: AnnotationStore, beat_ids: Sequence[int] = (), episode_ids: Sequence[int] = (),
           code: str | None = None):
    """Accept suggestions (Enter): they become labels; beats they match and episodes they overlap are replaced.
    From :data:`BULK_ACCEPT` beats on, the edit is columnar (:func:`accept_bulk`)."""
    many = len(beat_ids) >= BULK_ACCEPT
    beats = accept_changes(store, beat_ids, code) if len(beat_ids) and not many else []
    episodes = _accept_episode_changes(store, episode_ids)
    return store.commit(f"accept {len(beat_ids) + len(episode_ids)} suggestion(s)", beats=beats, episodes=episodes,
                        beat_bulk=accept_bulk(store, beat_ids, code) if many else None)


def reject(store: AnnotationStore, beat_ids: Sequence[int] = (), episode_ids: Sequence[int] = ()):
    """Reject suggestions (Backspace): they stay in the store as ``rejected`` and are never saved as labels."""
    beats = [(int(i), r, store.stamp(r, source="rejected")) for i, r in ((i, _suggestion(store, i)) for i in beat_ids)]
    episodes = []
    for row_id in episode_ids:
        row = store.episodes.row(row_id)
        if row["source"] != "model":
            raise AnnotationError(f"episode {row_id} is not a pending model suggestion")
        episodes.append((int(row_id), row, store.stamp(row, source="rejected")))
    return store.commit(f"reject {len(beats) + len(episodes)} suggestion(s)", beats=beats, episodes=episodes)


def pick_class(store: AnnotationStore, row_id: int, rank: int):
    """Accept suggestion ``row_id`` as the model's ``rank``-th class (1 = best), the 1–3 keys."""
    row = _suggestion(store, row_id)
    if not 1 <= rank <= len(row["top"]):
        raise AnnotationError(f"suggestion {row_id} has {len(row['top'])} top classes, not {rank}")
    return accept(store, [row_id], code=row["top"][rank - 1][0])


def bulk_accept(store: AnnotationStore, threshold: float):
    """Accept every pending beat suggestion whose confidence is at least ``threshold`` (0..1), in one edit."""
    if not 0.0 <= threshold <= 1.0:
        raise AnnotationError(f"confidence threshold {threshold} is not within 0..1")
    b = store.beats
    sel = (b["source"] == "model") & (np.nan_to_num(b["confidence"], nan=-1.0) >= threshold)
    return accept(store, b.ids[sel].tolist())
