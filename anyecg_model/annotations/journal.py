"""Autosave journal: every log entry of a store appended as one JSON line before the edit returns.

The journal of a recording lives in ``<root>/<content hash>/edits-<base labels>.jsonl`` (root: ``$ANYECG_JOURNAL_DIR``,
else ``$XDG_DATA_HOME/anyecg/journal``, else ``~/.local/share/anyecg/journal``), so it is found again
whatever path the file is opened from. The first line is a header with the fingerprint of the labels
the edits were made on.

Each entry is handed to the operating system (``write`` + ``flush``) before the edit call returns, so a
killed or crashed process loses nothing; each is then fsynced to the disk, by default on a background
thread right after (``fsync="background"``, so the editor never waits for the disk, and power loss can
cost at most the last few milliseconds), or inside the edit call (``fsync="inline"``). After a crash,
:meth:`Journal.restore` replays every entry up to the last complete line; a line cut short is the only
thing that can be missing, and it belongs to an edit whose call had not returned.

The model's suggestions are not the user's edits: until the user's first change (edit, undo or redo of an
edit of theirs) they are held in memory, encoded but not written, so a session that only ran the model leaves
no journal (nothing to restore, and ~5 MB not written for a 24-h recording); the user's first change writes
the header, the held entries and itself, in order, since replaying the user's edits needs the suggestions
they were made on. A journal without any edit of the user's in effect, or saved with no change of the user's
since, is never offered for restore (:meth:`Journal.retire_unneeded`).

One exception keeps the GUI responsive: an edit carrying a columnar bulk (a recording's model suggestions,
~100,000 beats; a relabel or deletion of 64 beats or more, such as a family's) is encoded and written by a
spooler thread, and entries that follow it while it is being written queue behind it, in order. Such an entry
reaches the operating system 0.3–0.5 s after its call returned (the spooler pauses so as not to compete with
the GUI thread); what a crash in that window can lose is that edit (the model's suggestions: run the model
again) and edits made within it.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .codes import AnnotationError
from .edits import is_model_entry
from .events import Event
from .store import AnnotationStore
from .rows import Base64Text, Bulk, Rows, encode_column

log = logging.getLogger(__name__)

JOURNAL_NAME = "edits.jsonl"
VERSION = 1


def journal_root() -> Path:
    """Directory holding one journal folder per recording content hash."""
    if os.environ.get("ANYECG_JOURNAL_DIR"):
        return Path(os.environ["ANYECG_JOURNAL_DIR"])
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "anyecg" / "journal"


@dataclass(frozen=True)
class JournalInfo:
    """What a journal holds of the user's work (the model's suggestions are not counted): edits in effect after
    replay (``n_edits``), changes (``n_entries``: edits, undos, redos), time of the last one (Unix s), and the
    last file saved from it (None when never saved)."""

    path: Path
    n_edits: int
    n_entries: int
    last_time: float | None
    saved_to: str | None
    edits_since_save: int


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Entries at least this long (bytes) are summarised from their head by :func:`_entry_head`.
HEAD_ONLY_MIN_BYTES = 4096
_PAYLOAD = b',"beats":['


def _entry_head(line: bytes) -> dict:
    """One journal line as a dict, without the row changes of a long edit entry.

    An edit is written as ``{"type":…,"seq":…,"label":…,"author":…,"timestamp":…,"beats":[…],
    "episodes":[…]}``. Accepting a 24-h recording's model suggestions makes one such line of ~20 MB, which
    ``json.loads`` turns into about a million small dicts and lists; the viewer read it on the GUI thread
    each time that recording was opened, only to count entries, and their allocation set off full garbage
    collections (see ``docs/BENCHMARKS.md``, issue 6, garbage-collector pauses).

    A line of :data:`HEAD_ONLY_MIN_BYTES` or more that holds ``,"beats":[`` is parsed up to there (the
    first occurrence is the top-level key: inside a JSON string a quote is always escaped, and the fields
    before it are scalars). A line not ending in ``}`` is not a complete entry (a crash cut it short) and
    raises :class:`json.JSONDecodeError` like ``json.loads``; a long line damaged in its middle but
    complete at both ends is taken for an entry here, and found damaged by :meth:`Journal.restore`, which
    reads everything."""
    if len(line) < HEAD_ONLY_MIN_BYTES:
        return json.loads(line)
    body = line.rstrip()
    if not body.endswith(b"}"):
        raise json.JSONDecodeError("journal entry cut short", body[-40:].decode("utf-8", "replace"), len(body))
    cut = body.find(_PAYLOAD)
    if cut < 0:
        return json.loads(body)
    return json.loads(body[:cut] + b"}")


#: Pauses (s) of the spooler thread before a bulk entry and after each of its columns, so the GUI thread,
#: busy with the same edit for the next few event-loop turns, runs without waiting for the interpreter lock.
SPOOL_START_S = 0.1
SPOOL_PAUSE_S = 0.01


def _json_pieces(obj) -> Iterator[bytes]:
    """``obj`` as compact JSON, in pieces each made by a few short calls: a bulk is encoded one column at a
    time and its base64 text (megabytes) is copied, not scanned, so the spooler thread never holds the
    interpreter lock for long while the GUI waits."""
    if isinstance(obj, Bulk):
        obj = {"added": obj.added, "dropped": obj.dropped}
    elif isinstance(obj, Rows):
        obj = {"ids": obj.ids, "columns": obj.columns}
    elif isinstance(obj, np.ndarray):
        obj = encode_column(obj)
    if isinstance(obj, Base64Text):
        yield b'"' + obj.encode("ascii") + b'"'
    elif isinstance(obj, dict):
        yield b"{"
        for k, (key, value) in enumerate(obj.items()):
            yield (b"," if k else b"") + json.dumps(str(key)).encode() + b":"
            yield from _json_pieces(value)
        yield b"}"
    else:
        yield json.dumps(obj, separators=(",", ":")).encode()


class Journal:
    """The append-only journal of one recording (see module docstring)."""

    def __init__(self, directory: str | os.PathLike, name: str = JOURNAL_NAME, fsync: str = "background"):
        if fsync not in ("background", "inline"):
            raise AnnotationError(f"fsync mode {fsync!r} is not 'background' or 'inline'")
        self.directory = Path(directory)
        self.path = self.directory / name
        self.fsync = fsync
        self.error: str | None = None
        #: emitted with the message when writing fails (possibly from the fsync thread)
        self.failed: Event[str] = Event("journal failed")
        self.fsyncs = 0  # completed fsync calls (each covers every entry written before it)
        self._fh = None
        self._store: AnnotationStore | None = None
        self._dirty = threading.Event()
        self._stop = False
        self._syncer: threading.Thread | None = None
        self._spool: queue.SimpleQueue[dict | None] = queue.SimpleQueue()
        self._spooled = 0  # entries handed to the spooler and not yet written (guarded by _spool_lock)
        self._spool_lock = threading.Lock()
        self._spooler: threading.Thread | None = None
        self._header: dict | None = None  # written with the user's first change (a fresh journal)
        self._held: list[bytes] = []  # encoded entries of the model's, waiting for the user's first change
        self._model_seqs: set[int] = set()  # edits of the model's seen (their undo and redo are not the user's)

    @classmethod
    def for_recording(cls, content_hash: str, root: str | os.PathLike | None = None) -> "Journal":
        """The journal of the recording with this content hash, under ``root`` (default :func:`journal_root`)."""
        if not content_hash or any(c in content_hash for c in "/\\.:"):
            raise AnnotationError(f"content hash {content_hash!r} cannot key a journal")
        return cls((Path(root) if root is not None else journal_root()) / content_hash)

    @classmethod
    def for_store(cls, store: AnnotationStore, root: str | os.PathLike | None = None) -> "Journal":
        """The journal of edits made on exactly the labels ``store`` was opened with: in the folder of its
        recording's content hash, one file per set of base labels (``.atr``, a saved annotator …)."""
        folder = cls.for_recording(store.content_hash, root).directory
        return cls(folder, f"edits-{store.base_fingerprint[:16]}.jsonl")

    # ------------------------------------------------------------------ reading
    def read(self) -> tuple[dict, list[dict]]:
        """Header and entries. A last line cut short by a crash is dropped with a warning; a damaged line in
        the middle stops the read there (entries before it are kept) and is logged."""
        return self._read(heads_only=False)

    def read_header(self) -> dict:
        """The header alone, read from the first line without reading the entries."""
        if not self.path.exists():
            raise AnnotationError(f"{self.path}: no journal")
        with open(self.path, "rb") as fh:
            line = fh.readline()
            while line and not line.strip():
                line = fh.readline()
        try:
            header = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict):
            raise AnnotationError(f"{self.path}: journal has no header")
        if header.get("type") != "header":
            raise AnnotationError(f"{self.path}: first line is not a journal header")
        return header

    def _read(self, heads_only: bool) -> tuple[dict, list[dict]]:
        """:meth:`read`; with ``heads_only`` each long edit entry comes without its row changes (see
        :func:`_entry_head`)."""
        if not self.path.exists():
            raise AnnotationError(f"{self.path}: no journal")
        lines = self.path.read_bytes().split(b"\n")
        header, entries = None, []
        for k, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                obj = _entry_head(line) if heads_only and header is not None else json.loads(line)
            except json.JSONDecodeError:
                where = "last line (cut short by a crash)" if k >= len(lines) - 2 else f"line {k + 1}"
                log.warning("%s: ignoring damaged %s and what follows", self.path, where)
                break
            if header is None:
                if obj.get("type") != "header":
                    raise AnnotationError(f"{self.path}: first line is not a journal header")
                header = obj
            else:
                entries.append(obj)
        if header is None:
            raise AnnotationError(f"{self.path}: journal has no header")
        return header, entries

    def inspect(self) -> JournalInfo | None:
        """Summary of the journal, or None when there is none (or it is unreadable, which is logged).

        Reads each entry's head only (:func:`_entry_head`): the viewer asks this on the GUI thread whenever
        a recording opens, and a journal holding a 24-h recording's model suggestions is ~20 MB of rows."""
        if not self.path.exists():
            return None
        try:
            _, entries = self._read(heads_only=True)
        except AnnotationError as exc:
            log.warning("%s", exc)
            return None
        done: list[int] = []
        undone: list[int] = []
        model: set[int] = set()
        saved_to, since_save, last_time, n_changes = None, 0, None, 0
        for e in entries:
            kind = e.get("type")
            if kind == "edit":
                if is_model_entry(e):
                    model.add(e["seq"])
                done.append(e["seq"])
                undone.clear()
            elif kind == "undo" and done:
                undone.append(done.pop())
            elif kind == "redo" and undone:
                done.append(undone.pop())
            elif kind == "saved":
                saved_to, since_save = e.get("path"), 0
                last_time = e.get("timestamp", last_time)
            if kind in ("edit", "undo", "redo") and e.get("seq") not in model:  # a change of the user's
                n_changes += 1
                since_save += 1
                last_time = e.get("timestamp", last_time)
        n_edits = sum(seq not in model for seq in done)
        return JournalInfo(self.path, n_edits, n_changes, last_time, saved_to,
                           since_save if saved_to else n_changes)

    def retire_unneeded(self, info: JournalInfo | None = None) -> bool:
        """Remove a journal that holds nothing unsaved of the user's, so it is not offered for restore: one with
        no change of the user's at all (only the model's suggestions, notes of saves, a header) is deleted; one
        whose edits were all undone, or saved with no change of the user's since, is set aside
        (:meth:`discard`). True when it is gone."""
        info = info if info is not None else self.inspect()
        if info is None:
            return False
        all_saved = info.saved_to is not None and info.edits_since_save == 0
        if info.n_edits > 0 and not all_saved:
            return False
        if info.n_entries:
            self.discard()
        else:
            self.close()
            self.path.unlink(missing_ok=True)
        return True

    def restore(self, store: AnnotationStore) -> int:
        """Replay every journalled entry on a fresh ``store`` (built from the same file); returns the count.

        Refuses (AnnotationError naming the journal) when the journal was made on other base labels.
        """
        header, entries = self.read()
        if store.log.entries:
            raise AnnotationError(f"{self.path}: restore needs a store without edits")
        if header.get("base") != store.base_fingerprint:
            raise AnnotationError(f"{self.path}: journal was made on different labels than the ones opened; "
                                  "open the same annotator file to restore")
        try:
            return store.replay(entries)
        except AnnotationError as exc:
            raise AnnotationError(f"{self.path}: {exc}") from exc

    # ------------------------------------------------------------------ writing
    def attach(self, store: AnnotationStore) -> None:
        """Journal every further entry of ``store``. Starts a new journal when none exists; appends otherwise
        (call :meth:`restore` or :meth:`discard` first when one exists)."""
        fresh = not self.path.exists()
        if not fresh:
            header = self.read_header()
            if header.get("base") != store.base_fingerprint:
                raise AnnotationError(f"{self.path}: journal belongs to other base labels; discard it first")
            self._fh = open(self.path, "ab")
        else:  # the file is made by the user's first change (see the module docstring)
            self._header = {"type": "header", "version": VERSION, "content_hash": store.content_hash,
                            "base": store.base_fingerprint, "fs": store.fs, "n_samples": store.n_samples,
                            "created": time.time()}
        self._held, self._model_seqs = [], set()
        if self.fsync == "background":
            self._stop = False
            self._syncer = threading.Thread(target=self._sync_loop, name=f"journal-fsync {self.path.name}", daemon=True)
            self._syncer.start()
        self._store = store
        store.events.logged.connect(self._write)

    def note_saved(self, path: str | os.PathLike, kind: str) -> None:
        """Record that the labels were saved to ``path`` (``wfdb``, ``edf``, ``csv``)."""
        if self._store is not None:
            self._write({"type": "saved", "path": str(path), "kind": kind, "timestamp": time.time()})

    def _write(self, entry: dict) -> None:
        """Write ``entry`` now, or hand it to the spooler when it carries a bulk or others wait there."""
        with self._spool_lock:
            if self._spooled or "beat_bulk" in entry or "episode_bulk" in entry:
                self._spooled += 1
                if self._spooler is None:
                    self._spooler = threading.Thread(target=self._spool_loop, name=f"journal-spool {self.path.name}",
                                                     daemon=True)
                    self._spooler.start()
                self._spool.put(entry)
                return
        self._write_now(entry)

    def _spool_loop(self) -> None:
        while True:
            entry = self._spool.get()
            if entry is None:
                return
            try:
                self._write_now(entry, pieces="beat_bulk" in entry or "episode_bulk" in entry)
            except Exception as exc:  # the thread must live on: later entries wait behind this one
                self._fail(exc)
            finally:
                with self._spool_lock:
                    self._spooled -= 1

    def _users(self, entry: dict) -> bool:
        """True for a change of the user's (an edit not by the model, or the undo or redo of one); called in
        journal order."""
        kind = entry.get("type")
        if kind == "edit" and is_model_entry(entry):
            self._model_seqs.add(entry.get("seq"))
            return False
        return kind in ("edit", "undo", "redo") and entry.get("seq") not in self._model_seqs

    def _begin(self) -> None:
        """Create the journal file: the header, then the held entries (the user's first change follows)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")
        self._fh.write(json.dumps(self._header, separators=(",", ":")).encode() + b"\n")
        self._header = None
        for line in self._held:
            self._fh.write(line)
        self._held = []
        self._fh.flush()
        if self._syncer is None:
            self._sync()
        _fsync_dir(self.directory)

    def _write_now(self, entry: dict, pieces: bool = False) -> None:
        try:
            if pieces:
                time.sleep(SPOOL_START_S)
                parts = []
                for part in _json_pieces(entry):
                    parts.append(part)
                    if len(part) > 4096:  # a column was just encoded
                        time.sleep(SPOOL_PAUSE_S)
                line = b"".join(parts)
            else:
                line = json.dumps(entry, separators=(",", ":")).encode()
            users = self._users(entry)
            if self._fh is None and not users:
                self._held.append(line + b"\n")  # the model's: kept until the user's first change
                return
            if self._fh is None:
                self._begin()
            self._fh.write(line + b"\n")
            self._fh.flush()  # in the OS now: survives the process being killed
            if self._syncer is None:
                self._sync()
            else:
                self._dirty.set()
        except (OSError, ValueError, TypeError) as exc:
            self._fail(exc)

    def _sync(self) -> None:
        os.fsync(self._fh.fileno())
        self.fsyncs += 1

    def _fail(self, exc: Exception) -> None:
        self.error = f"{self.path}: autosave failed: {exc}"
        log.error("%s", self.error)
        self.failed.emit(self.error)

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            if self._fh is not None:
                try:
                    self._sync()
                except (OSError, ValueError) as exc:
                    self._fail(exc)
            if self._stop:
                return

    def close(self) -> None:
        """Stop journalling; everything written is fsynced before the file is closed."""
        if self._store is not None:
            self._store.events.logged.disconnect(self._write)
            self._store = None
        if self._spooler is not None:  # everything spooled is written first
            self._spool.put(None)
            self._spooler.join()
            self._spooler = None
        if self._syncer is not None:
            self._stop = True
            self._dirty.set()
            self._syncer.join()
            self._syncer = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def discard(self) -> Path | None:
        """Set the journal aside (renamed, never deleted) so a new session starts clean; returns the new path."""
        self.close()
        if not self.path.exists():
            return None
        target = self.path.with_name(f"{self.path.stem}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.discarded.jsonl")
        os.replace(self.path, target)
        _fsync_dir(self.directory)
        return target
