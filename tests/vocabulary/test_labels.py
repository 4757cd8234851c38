"""The label vocabularies agree with one another: every label has its readable name and its MIT-BIH code."""
from __future__ import annotations

from anyecg_model.vocabulary.labels import (AAMI_BEAT_CLASSES, AAMI_CLASS, BEAT_CLASS, BEAT_CLASS_SYMBOL, BEAT_CLASSES,
                                            BEAT_SYMBOLS, EPISODE_LABELS, EPISODE_TO_MITDB, RECORD_CLASS_NAMES,
                                            RECORD_CLASS_TO_EPISODE, RECORD_CLASSES, RHYTHM_NAMES, episode_label,
                                            is_af, label_vocabularies)


def test_every_label_has_a_readable_name():
    assert set(RECORD_CLASS_NAMES) == set(RECORD_CLASSES)
    assert set(EPISODE_LABELS) <= set(RHYTHM_NAMES)
    assert set(EPISODE_TO_MITDB.values()) - {"NOISE", "OTHER"} <= set(RHYTHM_NAMES)


def test_beat_codes_map_into_the_beat_classes_and_back():
    assert set(AAMI_CLASS.values()) == set(AAMI_BEAT_CLASSES)
    assert set(BEAT_CLASS.values()) == set(BEAT_CLASSES) and set(BEAT_CLASS) <= BEAT_SYMBOLS
    for cls, symbol in BEAT_CLASS_SYMBOL.items():
        assert BEAT_CLASS[symbol] == cls, (cls, symbol)


def test_episode_labels_written_as_mitdb_codes_read_back_as_themselves():
    """``anyecg analyze`` writes episode labels as MIT-BIH rhythm codes; reading them back gives the label
    (NOISE and OTHER have no MIT-BIH rhythm code of their own; PACED and AB, atrial bigeminy, come from beat
    labels, not from the episode head, whose vocabulary reads their codes as OTHER)."""
    for label, code in EPISODE_TO_MITDB.items():
        expected = "OTHER" if label in ("NOISE", "OTHER", "PACED", "AB") else label
        assert episode_label("(" + code) == expected, (label, code)
    assert all(RECORD_CLASS_TO_EPISODE[c] in EPISODE_LABELS for c in RECORD_CLASSES)


def test_af_is_named_the_same_whatever_the_source():
    assert is_af("AF") and is_af("AFL") and is_af("(AFIB") and is_af("AFIB") and is_af("(AFL")
    assert not is_af("SVTA") and not is_af("(N")


def test_the_checkpoint_vocabularies_are_the_head_label_sets():
    v = label_vocabularies()
    assert v["beats"] == list(AAMI_BEAT_CLASSES) and v["rhythm"] == list(RECORD_CLASSES)
    assert v["episodes"] == list(EPISODE_LABELS)
    v["beats"].append("X")
    assert label_vocabularies()["beats"] == list(AAMI_BEAT_CLASSES), "a fresh copy each call"


def test_paced_beats_are_named_paced_for_readers():
    from anyecg_model.vocabulary.labels import BEAT_CLASSES, beat_class_text

    assert beat_class_text("P") == "P (paced)"
    assert [beat_class_text(c) for c in BEAT_CLASSES[:5]] == ["N", "S", "V", "F", "Q"]
