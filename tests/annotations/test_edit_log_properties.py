"""Property: any sequence of edits, undos and redos leaves the store equal to replaying its log."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anyecg_model.annotations import (AnnotationStore, BeatTable, EpisodeTable, accept, reject,
                                      set_suggestions)

FS, N = 100.0, 10_000
CODES = ["N", "V", "A", "L", "R", "F", "/", "Q", "~"]
RHYTHMS = ["N", "AFIB", "VT", "B"]


def base_store() -> AnnotationStore:
    samples = np.arange(50, N, 400)
    beats = BeatTable.from_columns(np.arange(len(samples)), sample=samples, code=["N"] * len(samples),
                                   source=["reference"] * len(samples), author=["atr"] * len(samples))
    episodes = EpisodeTable.from_columns([1000], start=[0], stop=[N], code=["N"], source=["reference"])
    ticks = iter(range(10**9))
    return AnnotationStore(FS, N, beats, episodes, author="prop", clock=lambda: 1.7e9 + next(ticks))


sample = st.integers(0, N - 1)
index = st.integers(0, 10**6)
op = st.one_of(
    st.tuples(st.just("insert"), sample, st.sampled_from(CODES)),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("relabel"), index, st.sampled_from(CODES)),
    st.tuples(st.just("move"), index, sample),
    st.tuples(st.just("span"), sample, sample, st.sampled_from(CODES[:8])),
    st.tuples(st.just("rhythm"), sample, st.integers(1, N // 2), st.sampled_from(RHYTHMS)),
    st.tuples(st.just("suggest"), st.lists(sample, max_size=5)),
    st.tuples(st.just("accept"), index),
    st.tuples(st.just("reject"), index),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


def run(store: AnnotationStore, step: tuple) -> None:
    kind, *args = step
    ids = store.beats.ids
    model = ids[store.beats["source"] == "model"]
    if kind == "insert":
        store.insert_beat(args[0], args[1])
    elif kind == "delete" and len(ids):
        store.delete([int(ids[args[0] % len(ids)])])
    elif kind == "relabel" and len(ids):
        store.relabel([int(ids[args[0] % len(ids)])], args[1])
    elif kind == "move" and len(ids):
        store.move(int(ids[args[0] % len(ids)]), args[1])
    elif kind == "span":
        store.relabel_span(min(args[:2]), max(args[:2]), args[2])
    elif kind == "rhythm":
        store.set_rhythm(args[0], min(N, args[0] + args[1]), args[2])
    elif kind == "suggest":
        conf = np.linspace(0.3, 0.9, len(args[0]))
        set_suggestions(store, args[0], ["V"] * len(args[0]), conf, [[("V", c), ("N", 1 - c)] for c in conf])
    elif kind == "accept" and len(model):
        accept(store, [int(model[args[0] % len(model)])])
    elif kind == "reject" and len(model):
        reject(store, [int(model[args[0] % len(model)])])
    elif kind == "undo":
        store.undo()
    elif kind == "redo":
        store.redo()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, max_size=25))
def test_store_equals_replay_of_its_log(steps):
    store = base_store()
    for step in steps:
        run(store, step)

    for table in (store.beats, store.episodes):  # sorted by (time, id); every id found where it is
        keys, ids = table[table.KEY], table.ids
        assert np.all((keys[1:] > keys[:-1]) | ((keys[1:] == keys[:-1]) & (ids[1:] > ids[:-1])))
        assert [table.position(i) for i in ids.tolist()] == list(range(len(table)))

    replayed = base_store()
    replayed.replay(store.log.entries)
    assert replayed.beats.equals(store.beats) and replayed.episodes.equals(store.episodes)
    assert replayed.fingerprint() == store.fingerprint()

    forward = base_store()  # only the edits in effect, applied in order, give the same store
    for edit in store.log.done:
        forward.beats.apply(edit.beats, True, edit.beat_bulk)
        forward.episodes.apply(edit.episodes)
    assert forward.fingerprint() == store.fingerprint()

    while store.undo() is not None:
        pass
    assert store.fingerprint() == base_store().fingerprint()


@settings(max_examples=30, deadline=None)
@given(st.lists(op, max_size=15))
def test_rhythm_lane_never_overlaps(steps):
    store = base_store()
    for step in steps:
        run(store, step)
    e = store.episodes
    labelled = np.isin(e["source"], ["reference", "manual", "accepted"])
    starts, stops = e["start"][labelled], e["stop"][labelled]
    assert np.all(stops > starts)
    assert np.all(starts[1:] >= stops[:-1])
