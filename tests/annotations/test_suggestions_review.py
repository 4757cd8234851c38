"""Model suggestions beside the reference: accept, reject, pick a top class, bulk accept, and the review queue."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.annotations import (AnnotationError, AnnotationStore, ReviewQueue, accept, bulk_accept,
                                      pick_class, reject, set_suggestions)


@pytest.fixture
def store(recording) -> AnnotationStore:
    """Reference beats N; the model suggests a label 8 ms after each of the first 10 beats (V for beats 0–4,
    N for 5–9) with confidences 0.95, 0.5, 0.9, 0.6, 0.99, 0.7, 0.55, 0.97, 0.8, 0.65."""
    s = AnnotationStore.from_recording(recording, author="ann")
    ref = s.beats["sample"][:10] + 2
    codes = ["V"] * 5 + ["N"] * 5
    conf = np.array([0.95, 0.5, 0.9, 0.6, 0.99, 0.7, 0.55, 0.97, 0.8, 0.65])
    other = {"V": "N", "N": "V"}
    top = [[(c, p), (other[c], (1 - p) * 0.8), ("A", (1 - p) * 0.2)] for c, p in zip(codes, conf)]
    set_suggestions(s, ref, codes, conf, top, episodes=[(0, int(10 * s.fs), "AFIB", 0.4)])
    return s


def suggestion_ids(store):
    return store.beats.ids[store.beats["source"] == "model"].tolist()


def test_suggestions_sit_beside_the_reference(store):
    assert len(store.beats) == 80
    assert (store.beats["source"] == "model").sum() == 10
    labels, episodes = store.labels()
    assert len(labels) == 70 and set(labels["source"]) == {"reference"}
    assert list(episodes["code"]) == ["N"]  # the model's AFIB episode is not a label yet


def test_accept_replaces_the_matching_reference_beat(store):
    first = suggestion_ids(store)[0]
    ref_sample = int(store.beats["sample"][0])
    accept(store, [first])
    labels, _ = store.labels()
    assert len(labels) == 70  # one label per QRS
    row = store.beats.row(first)
    assert (row["source"], row["code"], row["author"]) == ("accepted", "V", "ann")
    assert ref_sample not in labels["sample"].tolist()
    store.undo()
    assert store.beats.row(first)["source"] == "model" and ref_sample in store.beats["sample"].tolist()


def test_reject_keeps_the_row_but_not_as_a_label(store):
    first = suggestion_ids(store)[0]
    reject(store, [first])
    assert store.beats.row(first)["source"] == "rejected"
    assert len(store.labels()[0]) == 70 and set(store.labels()[0]["code"]) == {"N"}
    with pytest.raises(AnnotationError, match="not a pending model suggestion"):
        accept(store, [first])


def test_number_keys_pick_the_models_ranked_classes(store):
    first, second = suggestion_ids(store)[:2]
    pick_class(store, first, 2)
    pick_class(store, second, 3)
    assert store.beats.row(first)["code"] == "N" and store.beats.row(second)["code"] == "A"
    with pytest.raises(AnnotationError, match="top classes"):
        pick_class(store, suggestion_ids(store)[0], 4)


def test_typing_a_code_on_a_suggestion_accepts_it_with_that_code(store):
    first = suggestion_ids(store)[0]
    store.relabel([first], "F")
    assert store.beats.row(first)["source"] == "accepted" and store.beats.row(first)["code"] == "F"
    assert len(store.labels()[0]) == 70


def test_bulk_accept_takes_only_confident_suggestions(store):
    bulk_accept(store, 0.9)
    accepted = store.beats["source"] == "accepted"
    assert accepted.sum() == 4  # 0.95, 0.9, 0.99, 0.97
    assert np.all(store.beats["confidence"][accepted] >= 0.9)
    assert len(store.labels()[0]) == 70
    assert len(store.log.entries) == 2  # suggestions + one bulk edit: one undo reverts it
    store.undo()
    assert (store.beats["source"] == "model").sum() == 10


def test_accepting_an_episode_trims_the_labelled_rhythm(store):
    (model_ep,) = store.episodes.ids[store.episodes["source"] == "model"].tolist()
    accept(store, episode_ids=[model_ep])
    _, episodes = store.labels()
    assert list(episodes["code"]) == ["AFIB", "N"]
    assert episodes["stop"][0] == episodes["start"][1] == int(10 * store.fs)


def test_review_queue_puts_least_certain_first_and_counts(store):
    queue = ReviewQueue(store, "uncertainty")
    conf = [store.beats.row(i)["confidence"] for i in queue.ids]
    assert conf == sorted(conf) and conf[0] == 0.5
    assert (queue.reviewed, queue.remaining) == (0, 10)
    first = queue.next()
    accept(store, [first])
    second = queue.next(first)
    reject(store, [second])
    assert (queue.reviewed, queue.remaining) == (2, 8)
    assert queue.next() not in (first, second)
    store.undo()
    assert (queue.reviewed, queue.remaining) == (1, 9) and queue.next(first) == second


def test_review_queue_by_disagreement_puts_conflicts_first(store):
    queue = ReviewQueue(store, "disagreement")
    codes = [store.beats.row(i)["code"] for i in queue.ids]
    assert codes[:5] == ["V"] * 5  # the model says V where the reference says N
    assert codes[5:] == ["N"] * 5
    with pytest.raises(AnnotationError):
        ReviewQueue(store, "alphabetical")


def test_undoing_the_suggestions_empties_the_queue(store):
    queue = ReviewQueue(store)
    accept(store, [queue.next()])
    assert (queue.reviewed, queue.total) == (1, 10)
    store.undo()
    store.undo()  # the suggestions themselves
    assert (queue.reviewed, queue.remaining, queue.total) == (0, 0, 0) and queue.next() is None
    store.redo()
    assert (queue.reviewed, queue.remaining, queue.total) == (0, 10, 10)
