"""Learn this patient: the beat labels of a recording adapt to the labels confirmed in it."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.families.adapt import (PatientModel, adapt_recording, adaptation_path, beat_features,
                                         match_beats, prior_from_labels)
from anyecg_model.families.waves import beat_waves
from anyecg_model.io import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASSES
from fam_synth import family_record

N, S, V = (BEAT_CLASSES.index(c) for c in "NSV")


@pytest.fixture
def nsv_record(tmp_path):
    samples, symbols = family_record(tmp_path / "nsv", seed=3, duration_s=180.0, p_v=0.12, p_s=0.12)
    rec = open_recording(tmp_path / "nsv.hea")
    y = np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in symbols], np.int8)
    return rec, samples / rec.fs, y


def test_adaptation_learns_the_confirmed_classes_and_reports_what_changed(nsv_record):
    rec, t, y = nsv_record
    given = t < 45.0
    assert {N, S, V} <= set(y[given].tolist())
    model_labels = np.full(len(t), N, np.int8)  # an inter-patient model that calls everything N
    res = adapt_recording(rec, t, model_labels, np.full(len(t), 0.6, np.float32), t[given], y[given])
    assert (res.labels[given] == y[given]).all() and (res.confidence[given] == 1.0).all()
    later = ~given
    for c in (S, V):
        assert np.mean(res.labels[later & (y == c)] == c) > 0.9  # premature normal-shaped S beats too
    assert np.mean(res.labels[later] == y[later]) > 0.97
    assert set(res.changed) == set(np.flatnonzero(res.labels != model_labels))
    assert sorted(res.confirmed) == list(np.flatnonzero(given))


def test_beats_unlike_any_confirmed_beat_keep_the_model_label(nsv_record):
    rec, t, y = nsv_record
    conf_n = (t < 45.0) & (y == N)  # the annotator confirmed normal beats only
    model_labels = y.copy()  # the model is right about the ectopic beats
    res = adapt_recording(rec, t, model_labels, np.full(len(t), 0.8, np.float32), t[conf_n], y[conf_n])
    assert np.mean(res.labels[y == V] == V) > 0.9
    assert np.mean(res.labels[(t >= 45) & (y == N)] == N) > 0.97


def test_adaptation_without_a_prior_and_its_saved_form(nsv_record, tmp_path):
    rec, t, y = nsv_record
    feats = beat_features(beat_waves(rec, t), t)
    given = np.flatnonzero(t < 45.0)
    m = PatientModel.fit(feats, given, y[given])
    p = m.predict_proba(feats)
    assert p.shape == (len(t), len(BEAT_CLASSES)) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert np.mean(p.argmax(1) == y) > 0.95
    path = m.save(adaptation_path(tmp_path / "nsv.hea"))
    assert path.name == "nsv.anyecg-adapt.npz"
    with np.load(path, allow_pickle=False) as z:  # plain arrays only
        assert z["coef"].dtype == np.float32
    back = PatientModel.load(path)
    assert np.allclose(back.predict_proba(feats), p, atol=1e-6)
    prior = prior_from_labels(y, np.full(len(t), 0.9, np.float32))
    with_prior = PatientModel.fit(feats, given, y[given], prior)
    with pytest.raises(ValueError, match="prior"):
        with_prior.predict_proba(feats)
    np.savez(tmp_path / "other.npz", meta=np.array('{"format": "something-else"}'))
    with pytest.raises(ValueError, match="not an AnyECG patient adaptation"):
        PatientModel.load(tmp_path / "other.npz")


def test_confirmed_labels_must_fall_on_beats(nsv_record):
    rec, t, y = nsv_record
    with pytest.raises(ValueError, match="none of the confirmed labels"):
        adapt_recording(rec, t, None, None, np.array([1000.0]), np.array([N]))


def test_match_beats_pairs_each_reference_with_one_beat_within_tolerance():
    beats = np.array([1.0, 2.0, 3.0, 4.0])
    ref = np.array([0.5, 1.05, 1.1, 2.9, 3.2, 9.0])
    bi, ri = match_beats(beats, ref)
    assert list(zip(bi.tolist(), ri.tolist())) == [(0, 1), (2, 3)]
    assert prior_from_labels(np.array([-1, 2]), np.array([0.5, 0.7]))[1, 2] == pytest.approx(0.7)
