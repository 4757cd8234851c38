"""The autosave journal: restore after close, after a torn last line, and after a real SIGKILL of the editor."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from anyecg_model.annotations import AnnotationError, AnnotationStore, Journal, journal_root

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def edit_some(store: AnnotationStore) -> None:
    s = store.beats["sample"]
    a = store.insert_beat(int(s[2]) + 50, "V")
    store.relabel([a], "A")
    store.set_rhythm(int(5 * store.fs), int(9 * store.fs), "AFL")
    store.undo()
    store.redo()
    store.delete([int(store.beats.ids[0])])
    store.undo()


def test_journal_is_keyed_by_content_hash_and_restores_every_edit(recording, journal_dir):
    store = AnnotationStore.from_recording(recording, author="a")
    journal = Journal.for_recording(recording.provenance.content_hash)
    assert journal.path.parent == journal_root() / recording.provenance.content_hash
    assert journal_root() == journal_dir
    assert journal.inspect() is None
    journal.attach(store)
    edit_some(store)
    journal.close()

    info = Journal.for_recording(recording.provenance.content_hash).inspect()
    assert (info.n_edits, info.n_entries, info.saved_to) == (3, 7, None)
    fresh = AnnotationStore.from_recording(recording)
    assert Journal.for_recording(recording.provenance.content_hash).restore(fresh) == 7
    assert fresh.fingerprint() == store.fingerprint()
    assert fresh.redo() is not None  # the undone delete can still be redone after restore
    fresh.undo()
    assert fresh.fingerprint() == store.fingerprint()


def test_restored_session_keeps_journalling(recording):
    key = recording.provenance.content_hash
    first = AnnotationStore.from_recording(recording)
    Journal.for_recording(key).attach(first)
    first.insert_beat(1234, "V")
    second = AnnotationStore.from_recording(recording)
    journal = Journal.for_recording(key)
    journal.restore(second)
    journal.attach(second)
    second.insert_beat(2345, "F")
    journal.note_saved("/tmp/x.corr", "wfdb")
    third = AnnotationStore.from_recording(recording)
    Journal.for_recording(key).restore(third)
    assert {"V", "F"} <= set(third.beats["code"])
    info = Journal.for_recording(key).inspect()
    assert (info.n_edits, info.saved_to, info.edits_since_save) == (2, "/tmp/x.corr", 0)


def test_torn_last_line_loses_only_that_line(recording):
    key = recording.provenance.content_hash
    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_recording(key)
    journal.attach(store)
    store.insert_beat(1000, "V")
    store.insert_beat(2000, "A")
    journal.close()
    with open(journal.path, "ab") as fh:
        fh.write(b'{"type":"edit","seq":2,"label":"insert')
    fresh = AnnotationStore.from_recording(recording)
    assert Journal.for_recording(key).restore(fresh) == 2
    assert {"V", "A"} <= set(fresh.beats["code"])


def test_journal_of_other_labels_is_refused_and_can_be_set_aside(recording):
    key = recording.provenance.content_hash
    store = AnnotationStore.from_recording(recording)
    Journal.for_recording(key).attach(store)
    store.insert_beat(1000, "V")
    other = AnnotationStore.from_recording(recording)
    other.beats.apply([(int(other.beats.ids[0]), other.beats.row_at(0), None)])
    other.base_fingerprint = other.fingerprint()
    with pytest.raises(AnnotationError, match="different labels"):
        Journal.for_recording(key).restore(other)
    moved = Journal.for_recording(key).discard()
    assert moved.exists() and moved.name.endswith(".discarded.jsonl")
    assert Journal.for_recording(key).inspect() is None


def test_each_set_of_base_labels_has_its_own_journal(recording):
    atr = AnnotationStore.from_recording(recording)
    Journal.for_store(atr).attach(atr)
    atr.insert_beat(1000, "V")
    corrected = AnnotationStore.from_recording(recording)
    corrected.delete([int(corrected.beats.ids[0])])
    reopened = AnnotationStore(corrected.fs, corrected.n_samples, corrected.beats, corrected.episodes,
                               content_hash=corrected.content_hash)
    assert Journal.for_store(reopened).inspect() is None  # other labels: no journal offered
    assert Journal.for_store(reopened).path.parent == Journal.for_store(atr).path.parent
    fresh = AnnotationStore.from_recording(recording)
    assert Journal.for_store(fresh).inspect().n_edits == 1


def test_editor_killed_mid_session_loses_nothing(tmp_path):
    """A subprocess edits as fast as it can and is SIGKILLed; every edit it reported done is restored."""
    sys.path.insert(0, str(HERE))
    import crash_session

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)])}
    proc = subprocess.Popen([sys.executable, str(HERE / "crash_session.py"), str(tmp_path)],
                            stdout=subprocess.PIPE, env=env, text=True)
    reported = -1
    try:
        for line in proc.stdout:
            reported = int(line)
            if reported >= 150:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and reported >= 150

    restored = crash_session.base_store()
    journal = Journal.for_recording(crash_session.CONTENT_HASH, tmp_path)
    n = journal.restore(restored)
    assert n >= reported + 1  # every reported edit (0..reported) is there; the killed one may be too
    expected = crash_session.base_store()
    for k in range(n):
        crash_session.step(expected, k)
    assert restored.fingerprint() == expected.fingerprint()


@pytest.mark.parametrize("mode", ["background", "inline"])
def test_every_entry_is_fsynced_by_close(recording, mode):
    store = AnnotationStore.from_recording(recording)
    journal = Journal(Journal.for_store(store).directory, Journal.for_store(store).path.name, fsync=mode)
    journal.attach(store)
    for k in range(5):
        store.insert_beat(1000 + 100 * k, "V")
    journal.close()
    assert journal.error is None and journal._syncer is None
    assert 1 <= journal.fsyncs <= 6 if mode == "background" else journal.fsyncs == 6  # header + 5 edits
    fresh = AnnotationStore.from_recording(recording)
    assert Journal.for_store(fresh).restore(fresh) == 5
    with pytest.raises(AnnotationError, match="fsync mode"):
        Journal(journal.directory, fsync="sometimes")


def test_inspect_reads_the_heads_of_long_entries_only(recording, monkeypatch):
    """A journal of bulk model suggestions is summarised without parsing its rows (one ~20-MB line for a
    24-h recording); the summary matches the full read, a long line cut short is dropped, and attach
    reads the header alone."""
    import json

    from anyecg_model.annotations import journal as journal_mod
    from anyecg_model.annotations.suggestions import set_suggestions

    key = recording.provenance.content_hash
    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_recording(key)
    journal.attach(store)
    n = 500
    set_suggestions(store, list(range(100, 100 + 20 * n, 20)), ["N"] * n, [0.9] * n)
    store.insert_beat(int(30 * store.fs), "V")
    store.undo()
    journal.note_saved("/tmp/x.corr", "wfdb")
    journal.close()
    lines = journal.path.read_bytes().splitlines()
    assert len(lines[1]) >= journal_mod.HEAD_ONLY_MIN_BYTES  # the suggestions: summarised from the head
    parsed = []
    real_loads = json.loads
    monkeypatch.setattr(journal_mod.json, "loads", lambda s, *a, **k: parsed.append(len(s)) or real_loads(s, *a, **k))
    info = Journal.for_recording(key).inspect()
    assert max(parsed) < 1000  # no line was parsed whole
    # the suggestions are the model's, not an edit: the user's insert and its undo are the changes
    assert (info.n_edits, info.n_entries, info.saved_to, info.edits_since_save) == (0, 2, "/tmp/x.corr", 0)
    _, heads = Journal.for_recording(key)._read(heads_only=True)
    _, full = Journal.for_recording(key).read()
    assert heads[0] == {k: v for k, v in full[0].items() if k not in ("beats", "episodes", "beat_bulk")}
    assert heads[1:] == full[1:]
    parsed.clear()
    again = AnnotationStore.from_recording(recording)
    Journal.for_recording(key).restore(again)
    appending = Journal.for_recording(key)
    appending.attach(again)  # appends after checking the header only
    appending.close()
    assert parsed[-1] < 1000  # the header line
    monkeypatch.setattr(journal_mod.json, "loads", real_loads)
    with open(journal.path, "ab") as fh:  # a crash while writing another long entry
        fh.write(lines[1][: len(lines[1]) // 2])
    assert Journal.for_recording(key).inspect().n_entries == 2


def _suggest(store: AnnotationStore, n: int = 200) -> None:
    from anyecg_model.annotations.suggestions import set_suggestions

    set_suggestions(store, list(range(100, 100 + 20 * n, 20)), ["V"] * n, [0.7] * n)


def test_model_suggestions_alone_leave_no_journal(recording):
    """Running the model is not an edit: a clean close after it leaves nothing to restore."""
    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_store(store)
    journal.attach(store)
    _suggest(store)
    store.undo()  # taking the suggestions back is not the user's change either
    store.redo()
    journal.note_saved("/tmp/x.corr", "wfdb")
    assert store.log.n_user_edits == 0
    journal.close()
    assert not journal.path.exists() and Journal.for_store(store).inspect() is None


def test_edits_on_suggestions_survive_without_a_close(recording):
    """The user's first change writes the held suggestions before itself; nothing is closed (a crash)."""
    import time

    from anyecg_model.annotations import accept, reject

    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_store(store)
    journal.attach(store)
    _suggest(store)
    model = store.beats.ids[store.beats["source"] == "model"]
    accept(store, [int(model[3])])
    reject(store, [int(model[4])])
    deadline = time.monotonic() + 30
    while journal._spooled and time.monotonic() < deadline:  # entries queued behind the suggestions' bulk
        time.sleep(0.01)
    info = Journal.for_store(store).inspect()
    assert (info.n_edits, info.n_entries) == (2, 2)
    fresh = AnnotationStore.from_recording(recording)
    assert Journal.for_store(fresh).restore(fresh) == 3
    assert fresh.fingerprint() == store.fingerprint()
    assert fresh.log.n_user_edits == 2
    journal.close()


def test_a_journal_without_the_users_edits_is_not_offered(recording):
    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_store(store)
    journal.attach(store)
    store.insert_beat(1000, "V")
    store.undo()
    journal.close()
    info = Journal.for_store(store).inspect()
    assert (info.n_edits, info.n_entries) == (0, 2)
    assert Journal.for_store(store).retire_unneeded()  # all undone: set aside, not deleted
    assert Journal.for_store(store).inspect() is None
    assert any(p.name.endswith(".discarded.jsonl") for p in journal.directory.iterdir())
    # a journal of an earlier version that journalled the suggestions as an edit (no "by" field)
    old = Journal.for_store(store)
    old.attach(store)
    store.insert_beat(1000, "V")
    old.close()
    lines = old.path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["label"] = "model suggestions: 1 beats"
    old.path.write_text(lines[0] + "\n" + json.dumps(entry) + "\n")
    assert Journal.for_store(store).inspect().n_edits == 0
    assert Journal.for_store(store).retire_unneeded() and not old.path.exists()


def test_a_journal_saved_with_no_change_since_is_not_offered(recording):
    """A save followed by a clean quit leaves nothing to restore; a change after the save (a crash before the
    next save) is still offered, with the save named."""
    store = AnnotationStore.from_recording(recording)
    journal = Journal.for_store(store)
    journal.attach(store)
    store.insert_beat(1000, "V")
    journal.note_saved("/tmp/x.corr", "wfdb")
    journal.close()
    assert Journal.for_store(store).retire_unneeded()  # everything saved: set aside, not deleted
    assert Journal.for_store(store).inspect() is None
    assert any(p.name.endswith(".discarded.jsonl") for p in journal.directory.iterdir())

    journal = Journal.for_store(store)
    journal.attach(store)
    store.insert_beat(2000, "V")
    journal.note_saved("/tmp/x.corr", "wfdb")
    store.insert_beat(3000, "F")  # made after the save, never saved: the process dies here
    info = Journal.for_store(store).inspect()
    assert (info.n_edits, info.saved_to, info.edits_since_save) == (2, "/tmp/x.corr", 1)
    assert not Journal.for_store(store).retire_unneeded(info)
    assert Journal.for_store(store).inspect() is not None
    journal.close()
