"""Many rows at once (a 24-h recording's model suggestions): columnar edits, their compact journal form, replay."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyecg_model.annotations import AnnotationError, AnnotationStore, BeatTable, Journal, set_suggestions
from anyecg_model.annotations.rows import BEAT_COLUMNS, Bulk, Rows

FS, N = 250.0, 250 * 3600  # one hour at 250 Hz


def reference_store(n_beats: int = 4000) -> AnnotationStore:
    samples = np.linspace(100, N - 100, n_beats).astype(np.int64)
    beats = BeatTable.from_columns(np.arange(n_beats), sample=samples, code=["N"] * n_beats,
                                   source=["reference"] * n_beats, author=["atr"] * n_beats)
    ticks = iter(range(10**9))
    return AnnotationStore(FS, N, beats, author="ann", clock=lambda: 1.7e9 + next(ticks), content_hash="bulk")


def suggest(store: AnnotationStore, shift: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ref = store.beats["sample"][store.beats["source"] == "reference"]
    codes = np.array(list("NSVFQ"), object)[rng.integers(0, 5, len(ref))]
    return set_suggestions(store, ref + shift, codes.tolist(), rng.random(len(ref)))


def test_rows_survive_their_json_form():
    n = 600
    rng = np.random.default_rng(1)
    conf = rng.random(n)
    conf[::7] = np.nan
    top = [[("V", 0.7), ("N", 0.2)] if k % 3 else [] for k in range(n)]
    rows = BeatTable.make_rows(np.arange(n) * 3, sample=np.arange(n) * 100, code=rng.choice(list("NVSF"), n),
                               aux=[f"note {k % 300}" for k in range(n)], confidence=conf, top=top,
                               source="model", channel=2)
    back = Rows.from_json(json.loads(json.dumps(rows.to_json())), BEAT_COLUMNS)
    assert back.equals(rows)
    assert back.columns["top"][1] == (("V", 0.7), ("N", 0.2)) and back.columns["top"][0] == ()
    assert np.isnan(back.columns["confidence"][0]) and set(back.columns["channel"].tolist()) == {2}
    changed = Rows(rows.ids, {**rows.columns, "sample": rows.columns["sample"] + 1})
    assert not changed.equals(rows)


def test_suggestions_are_journalled_compactly_and_restored_with_their_undo(tmp_path):
    store = reference_store()
    journal = Journal.for_store(store, tmp_path)
    journal.attach(store)
    suggest(store, 3)
    suggest(store, 5, seed=1)  # a second run replaces the first run's suggestions
    store.insert_beat(1234, "V")
    journal.close()
    lines = journal.path.read_bytes().splitlines()
    assert len(lines[1]) < 60 * 4000  # columnar: ~40 bytes a beat (a row dict per beat took ~180)
    assert int(np.sum(store.beats["source"] == "model")) == 4000

    again = reference_store()
    assert Journal.for_store(again, tmp_path).restore(again) == 3
    assert again.fingerprint() == store.fingerprint()
    again.undo()
    again.undo()  # back to the first run's suggestions, which came back from the journal
    first = reference_store()
    suggest(first, 3)
    assert again.beats.equals(first.beats)
    again.undo()
    assert again.fingerprint() == reference_store().fingerprint()


def test_replay_refuses_a_bulk_made_on_other_suggestions():
    store = reference_store(200)
    suggest(store, 3)
    suggest(store, 5, seed=1)
    other = reference_store(200)
    suggest(other, 4)
    with pytest.raises(AnnotationError, match="expects 200 annotations"):
        other.replay(store.log.entries[1:])  # drops suggestions `other` does not have


def test_a_refused_bulk_leaves_the_table_as_it_was():
    store = reference_store(100)
    table = store.beats
    before = table.gather(table.ids)
    clash = BeatTable.make_rows([5, 1000], sample=[10, 20], code="V")  # id 5 is a reference beat
    with pytest.raises(AnnotationError, match="id 5 already exists"):
        table.apply([], True, Bulk(clash, table.gather([7])))
    with pytest.raises(AnnotationError, match="no annotation with id 4242"):
        table.apply([], True, Bulk(BeatTable.make_rows([], sample=[]), BeatTable.make_rows([4242], sample=[1])))
    assert table.gather(table.ids).equals(before) and len(table) == 100


def test_suggestions_prepared_before_a_review_are_made_again_at_commit():
    from anyecg_model.annotations import accept, commit_suggestions, prepare_suggestions

    store = reference_store(300)
    suggest(store, 3)
    ref = store.beats["sample"][store.beats["source"] == "reference"]
    prepared = prepare_suggestions(store, ref + 5, ["V"] * len(ref), np.full(len(ref), 0.8))
    first = int(store.beats.ids[store.beats["source"] == "model"][0])
    accept(store, [first])  # the annotator accepts one while the next run waits to be committed
    commit_suggestions(store, prepared)
    accepted = store.beats.row(first)
    assert accepted["source"] == "accepted"  # not dropped with the old run's suggestions
    model = store.beats["sample"][store.beats["source"] == "model"]
    assert len(model) == 299 and np.abs(model - accepted["sample"]).min() > 0.15 * FS


def test_suggestions_prepared_while_an_undo_is_applied_are_made_again_at_commit(monkeypatch):
    """A worker thread prepares suggestions while the GUI thread undoes an edit: the undo's log entry is already
    written when the tables change, so only the store's revision tells that the read was torn."""
    from anyecg_model.annotations import accept, commit_suggestions, prepare_suggestions

    store = reference_store(300)
    suggest(store, 3)
    ref = store.beats["sample"][store.beats["source"] == "reference"]
    first = int(store.beats.ids[store.beats["source"] == "model"][0])
    accept(store, [first])
    prepared = []
    apply = store.beats.apply

    def apply_while_prepared(*args, **kwargs):  # the worker reads just before the undo changes the tables
        prepared.append(prepare_suggestions(store, ref + 5, ["V"] * len(ref), np.full(len(ref), 0.8)))
        return apply(*args, **kwargs)

    monkeypatch.setattr(store.beats, "apply", apply_while_prepared)
    store.undo()  # the accepted suggestion is pending again
    monkeypatch.undo()
    commit_suggestions(store, prepared[0])
    b = store.beats
    assert first not in b and not np.isin(b["source"], ("accepted",)).any()
    assert (b["source"] == "model").sum() == 300 and (b["code"][b["source"] == "model"] == "V").all()


@pytest.mark.parametrize("code", [None, "V"])
def test_accepting_many_suggestions_at_once_equals_accepting_them_row_by_row(monkeypatch, code):
    from anyecg_model.annotations import accept, suggestions

    def accepted(bulk_from: int) -> AnnotationStore:
        monkeypatch.setattr(suggestions, "BULK_ACCEPT", bulk_from)
        store = reference_store(400)
        store.clock = lambda: 1.7e9  # one time stamp for every row, whichever way they are made
        suggest(store, 3)
        model = store.beats.ids[store.beats["source"] == "model"]
        accept(store, model[::3].tolist(), code=code)
        return store

    rows, bulk = accepted(10**9), accepted(1)
    assert bulk.log.done[-1].beat_bulk is not None and rows.log.done[-1].beat_bulk is None
    assert bulk.beats.equals(rows.beats) and bulk.fingerprint() == rows.fingerprint()
    assert int(np.sum(bulk.beats["source"] == "accepted")) == 134
    assert int(np.sum(bulk.beats["source"] == "reference")) == 400 - 134  # each accepted beat replaced its label
    bulk.undo()
    again = reference_store(400)
    again.clock = lambda: 1.7e9
    suggest(again, 3)
    assert bulk.beats.equals(again.beats)  # the undo brought every suggestion and label back


def test_edits_made_while_suggestions_are_journalled_follow_them_in_order(tmp_path):
    store = reference_store(500)
    journal = Journal.for_store(store, tmp_path)
    journal.attach(store)
    suggest(store, 3)  # handed to the spooler thread
    store.insert_beat(1234, "V")  # queues behind it
    store.undo()
    journal.close()  # writes everything spooled first
    again = reference_store(500)
    assert Journal.for_store(again, tmp_path).restore(again) == 3
    assert again.fingerprint() == store.fingerprint()
    assert [e["type"] for e in Journal.for_store(again, tmp_path).read()[1]] == ["edit", "edit", "undo"]


def test_relabelling_and_deleting_many_beats_are_columnar_and_equal_row_by_row(tmp_path, monkeypatch):
    """A family relabel (hundreds of beats) and a large deletion are one columnar edit each, with the effect,
    the undo and the journal replay of the row-by-row edits, and no row dict kept in the log."""
    import anyecg_model.annotations.store as store_module

    def edits(store):
        store.clock = lambda: 1.7e9  # row by row stamps each row at its own tick
        ids = store.beats.ids
        store.relabel(ids[::3].tolist() + ids[:5].tolist(), "V")  # repeated ids count once
        store.relabel(ids[::2].tolist(), "A")  # some are V already (manual), some reference
        store.delete(ids[1::5].tolist())
        store.relabel(ids[2::5][:10].tolist(), "N")  # few: row by row, as before

    row_wise = reference_store(1000)
    monkeypatch.setattr(store_module, "BULK_ROWS", 10**9, raising=False)
    edits(row_wise)
    monkeypatch.undo()
    store = reference_store(1000)
    journal = Journal.for_store(store, tmp_path)
    journal.attach(store)
    edits(store)
    journal.close()
    assert store.beats.equals(row_wise.beats)
    assert [e.beat_bulk is not None for e in store.log.done] == [True, True, True, False]
    assert all(not e.beats for e in store.log.done[:3])  # no row dicts in the log
    again = reference_store(1000)
    assert Journal.for_store(again, tmp_path).restore(again) == 4
    assert again.beats.equals(store.beats)
    for _ in range(4):
        store.undo()
    assert store.fingerprint() == reference_store(1000).fingerprint()
