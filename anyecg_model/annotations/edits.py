"""The edit log: every edit as row changes (before → after), appended, never rewritten.

An :class:`Edit` lists the beat and episode rows it changed, each as ``(id, before, after)``, so it
can be applied forwards (redo) and backwards (undo) exactly; an edit of many beats at once (a recording's
model suggestions) carries them as one columnar :class:`~.rows.Bulk` instead. The :class:`EditLog` is append-only:
an undo or a redo is itself an entry, like LightWAVE's edit log, so replaying the entries from the
start reproduces the store, including what was undone. Undo and redo are unlimited.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .codes import AnnotationError
from .rows import BEAT_COLUMNS, EPISODE_COLUMNS, Bulk, Change


#: Label prefix of the model-suggestion edits journals written before ``by`` marked them.
MODEL_LABEL = "model suggestions"


def is_model_entry(entry: dict) -> bool:
    """True for the log entry of a model-suggestion edit (not an edit of the user's)."""
    by = entry.get("by")
    return by == "model" or (by is None and str(entry.get("label", "")).startswith(MODEL_LABEL))


@dataclass
class Edit:
    """One action: a short ``label`` (``"relabel 3 beats → V"``), who and when (Unix s), row changes.
    ``by_model`` marks the model's suggestions arriving: undoable like an edit, but not the user's work (not
    counted as an edit, not offered for restore on its own)."""

    seq: int
    label: str
    author: str
    timestamp: float
    beats: list[Change] = field(default_factory=list)
    episodes: list[Change] = field(default_factory=list)
    beat_bulk: Bulk | None = None
    episode_bulk: Bulk | None = None
    by_model: bool = False

    def to_entry(self) -> dict:
        """The log entry: JSON-ready, except that a bulk stays a :class:`~.rows.Bulk` until the journal's
        spooler thread encodes it, so a 24-h recording's suggestions are not encoded on the thread that made
        the edit."""
        entry = {"type": "edit", "seq": self.seq, "label": self.label, "author": self.author,
                 "timestamp": self.timestamp, **({"by": "model"} if self.by_model else {}),
                 "beats": [[i, b, a] for i, b, a in self.beats],
                 "episodes": [[i, b, a] for i, b, a in self.episodes]}
        for key, bulk in (("beat_bulk", self.beat_bulk), ("episode_bulk", self.episode_bulk)):
            if bulk is not None:
                entry[key] = bulk
        return entry

    @classmethod
    def from_json(cls, obj: dict) -> "Edit":
        try:
            return cls(int(obj["seq"]), str(obj["label"]), str(obj.get("author", "")), float(obj["timestamp"]),
                       [(int(i), b, a) for i, b, a in obj["beats"]],
                       [(int(i), b, a) for i, b, a in obj["episodes"]],
                       _bulk(obj.get("beat_bulk"), BEAT_COLUMNS), _bulk(obj.get("episode_bulk"), EPISODE_COLUMNS),
                       is_model_entry(obj))
        except (KeyError, TypeError, ValueError) as exc:
            raise AnnotationError(f"malformed edit entry: {exc}") from exc

    def max_id(self) -> int:
        ids = [i for i, _, _ in self.beats] + [i for i, _, _ in self.episodes]
        for bulk in (self.beat_bulk, self.episode_bulk):
            if bulk is not None:
                ids += [int(r.ids.max()) for r in (bulk.added, bulk.dropped) if len(r)]
        return max(ids, default=-1)


def _bulk(obj, columns) -> Bulk | None:
    if obj is None or isinstance(obj, Bulk):
        return obj
    return Bulk.from_json(obj, columns)


class EditLog:
    """Append-only entries (``edit``, ``undo``, ``redo`` dicts, see :meth:`Edit.to_entry`) plus the undo and redo
    stacks."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.done: list[Edit] = []
        self.undone: list[Edit] = []
        self._next_seq = 0

    @property
    def next_seq(self) -> int:
        return self._next_seq

    @property
    def n_user_edits(self) -> int:
        """Done edits of the user's (the model's suggestions are not counted)."""
        return sum(not e.by_model for e in self.done)

    @property
    def can_undo(self) -> bool:
        return bool(self.done)

    @property
    def can_redo(self) -> bool:
        return bool(self.undone)

    def record(self, edit: Edit) -> dict:
        """Append a new edit; it clears the redo stack (the undone edits stay in the entries)."""
        if edit.seq < self._next_seq:
            raise AnnotationError(f"edit {edit.seq} is older than the log (next is {self._next_seq})")
        self._next_seq = edit.seq + 1
        self.done.append(edit)
        self.undone.clear()
        entry = edit.to_entry()
        self.entries.append(entry)
        return entry

    def undo(self) -> tuple[Edit, dict] | None:
        """Pop the last done edit (the caller reverts it); None when there is nothing to undo."""
        if not self.done:
            return None
        edit = self.done.pop()
        self.undone.append(edit)
        entry = {"type": "undo", "seq": edit.seq}
        self.entries.append(entry)
        return edit, entry

    def redo(self) -> tuple[Edit, dict] | None:
        """Pop the last undone edit (the caller re-applies it); None when there is nothing to redo."""
        if not self.undone:
            return None
        edit = self.undone.pop()
        self.done.append(edit)
        entry = {"type": "redo", "seq": edit.seq}
        self.entries.append(entry)
        return edit, entry
