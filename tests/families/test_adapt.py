"""Learn this patient: the beat labels of a recording adapt to the labels confirmed in it."""
from __future__ import annotations

from dataclasses import replace

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
    assert np.mean(res.labels[later & (y == V)] == V) > 0.9
    # premature normal-shaped S beats too, learnt from 6 confirmed ones against a prior that calls them N: the
    # few the patient layer is unsure of (p_S ~ 0.5) stay with the prior, the price of S +P
    assert np.mean(res.labels[later & (y == S)] == S) > 0.8
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
    path = m.save(tmp_path / "adapt" / "nsv.npz")
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
    np.savez(tmp_path / "v1.npz", meta=np.array('{"format": "anyecg-patient-model/1"}'))  # before the P-wave inputs
    with pytest.raises(ValueError, match="earlier version.*learn this patient again"):
        PatientModel.load(tmp_path / "v1.npz")


def _clusters(rng, centre, n, spread=0.3):
    return centre + spread * rng.standard_normal((n, len(centre)))


def test_the_prior_decides_novel_beats_only_where_it_is_sure():
    rng = np.random.default_rng(0)
    feats = np.concatenate([_clusters(rng, np.array([0.0, 0.0]), 200),  # confirmed N
                            _clusters(rng, np.array([4.0, 0.0]), 40),  # confirmed V
                            _clusters(rng, np.array([0.0, 6.0]), 20),  # unlike any confirmed beat, nearer N
                            _clusters(rng, np.array([0.0, 6.0]), 20)]).astype(np.float32)
    confirmed = np.arange(240)
    y = np.array([N] * 200 + [V] * 40)
    labels = np.array([N] * 200 + [V] * 40 + [S] * 40)
    conf = np.array([0.99] * 240 + [0.4] * 20 + [0.99] * 20, np.float32)  # unsure, then sure of S
    prior = prior_from_labels(labels, conf)
    model = PatientModel.fit(feats, confirmed, y, prior)
    new = model.predict_proba(feats, prior).argmax(1)
    assert (new[240:260] == N).all()  # the prior doubts its S call: the patient's own beats decide
    assert (new[260:] == S).all()  # the prior is sure: a class the annotator never confirmed stays reachable
    assert (new[:200] == N).all() and (new[200:240] == V).all()


def test_a_prior_that_hid_ectopy_under_n_on_this_patient_no_longer_outweighs_it():
    """MIT-BIH 232: the inter-patient classifier called its APCs N at 0.99; the annotator's first beats say S.
    Beats somewhat unlike the confirmed ones (a new prematurity) used to keep the prior's N; its N calls are now
    held to how often they were right on the confirmed beats (here 121 of 201 → 0.60), and the patient layer decides.
    A patient whose N calls were all right keeps them at full confidence."""
    rng = np.random.default_rng(1)
    feats = np.concatenate([_clusters(rng, np.array([0.0, 0.0]), 120),  # confirmed N
                            _clusters(rng, np.array([4.0, 0.0]), 80),  # confirmed S, all called N by the prior
                            _clusters(rng, np.array([5.2, 0.0]), 40)]).astype(np.float32)  # unconfirmed, S-like
    confirmed = np.arange(200)
    y = np.array([N] * 120 + [S] * 80)
    prior = prior_from_labels(np.full(240, N), np.full(240, 0.99, np.float32))
    model = PatientModel.fit(feats, confirmed, y, prior)
    assert model.prior_n_cap == pytest.approx(121 / 202)
    assert (model.predict_proba(feats[200:], prior[200:]).argmax(1) == S).mean() > 0.9
    uncapped = replace(model, prior_n_cap=1.0)  # as before: the sure prior wins the moderately novel beats
    assert (uncapped.predict_proba(feats[200:], prior[200:]).argmax(1) == S).mean() < 0.5
    assert PatientModel.fit(feats[:120], np.arange(120), y[:120], prior[:120]).prior_n_cap == pytest.approx(121 / 122)


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


def test_the_adaptation_lives_with_the_annotation_journal_never_beside_the_file(nsv_record, tmp_path, monkeypatch):
    """Same rule as the autosave journal (content hash folder), so a copy opened elsewhere finds it and nothing is
    written beside the recording (a shared data folder); a recording with no file has no place on disk."""
    import shutil

    from anyecg_model.annotations.journal import Journal

    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(tmp_path / "journal"))
    rec = nsv_record[0]
    path = adaptation_path(rec)
    assert path.parent == Journal.for_recording(rec.provenance.content_hash).directory
    assert tmp_path / "journal" in path.parents and path.parent != tmp_path
    (tmp_path / "copy").mkdir()
    for ext in ("hea", "dat", "atr"):
        shutil.copy(tmp_path / f"nsv.{ext}", tmp_path / "copy" / f"nsv.{ext}")
    assert adaptation_path(open_recording(tmp_path / "copy" / "nsv.hea")) == path
    memory = type(rec).from_array(np.zeros((1, 1000), np.float32), 250.0, ["II"], path="<sinus>")
    assert adaptation_path(memory) is None


def test_nearest_confirmed_beat_distances_work_in_small_blocks():
    """Distances to the nearest confirmed beat are exact and their temporaries stay small: 8192-row blocks
    against ~7,000 confirmed beats made ~230-MB temporaries on a 24-h Holter (the GUI thread stalled)."""
    import tracemalloc

    from anyecg_model.families.adapt import _nearest, _nearest_loo

    rng = np.random.default_rng(0)
    x, ref = rng.standard_normal((20_000, 8), np.float32), rng.standard_normal((3_000, 8), np.float32)
    tracemalloc.start()
    d, loo = _nearest(x, ref), _nearest_loo(ref)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    exact = np.sqrt(((x[:40, None, :] - ref[None]) ** 2).sum(2).min(1))
    assert np.allclose(d[:40], exact, rtol=1e-3, atol=1e-3)
    own = ((ref[:40, None, :] - ref[None]) ** 2).sum(2)
    own[np.arange(40), np.arange(40)] = np.inf
    assert np.allclose(loo[:40], np.sqrt(own.min(1)), rtol=1e-3, atol=1e-3)
    assert peak < 40e6  # bytes: 8192 × 3,000 float32 blocks alone were 98 MB each
