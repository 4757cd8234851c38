"""Beat families: grouping by shape on synthetic and MIT-BIH records, summaries, relabel / split / merge."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.families.cluster import (FamilyConfig, cluster_beats, max_families, prematurity_split,
                                            split_1d, two_means)
from anyecg_model.families.features import P_WAVE_S, p_wave_likeness, rr_prematurity
from anyecg_model.families.model import group_recording
from anyecg_model.families.waves import BeatWaves
from anyecg_model.io import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASSES
from fam_synth import family_record


def _labels(symbols) -> np.ndarray:
    return np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in symbols], np.int8)


@pytest.fixture
def nv_record(tmp_path):
    samples, symbols = family_record(tmp_path / "nv", seed=1, p_v=0.2)
    rec = open_recording(tmp_path / "nv.hea")
    return rec, samples / rec.fs, _labels(symbols)


def test_two_shapes_make_two_pure_families_with_their_summaries(nv_record):
    rec, t, y = nv_record
    fam = group_recording(rec, t, labels=np.zeros(len(t), np.int8), confidence=np.full(len(t), 0.7, np.float32))
    ids = fam.ids()
    assert len(ids) == 2
    for i in ids:
        assert len(np.unique(y[fam.members(i)])) == 1  # each family holds one kind only
    big, small = fam.summaries()
    assert big.count == int((y == 0).sum()) and small.count == int((y == 2).sum())
    assert big.share + small.share == pytest.approx(1.0)
    assert small.median_prematurity < 0.75 < 0.95 < big.median_prematurity  # V beats come at 60 % of the cycle
    assert small.median_width_s > big.median_width_s
    assert small.median_wave.shape == small.p10_wave.shape == (2, fam.waves.waves.shape[-1])
    assert np.all(small.p10_wave <= small.median_wave + 1e-6) and np.all(small.median_wave <= small.p90_wave + 1e-6)
    r = fam.waves.offset
    assert small.median_wave[0, r] > big.median_wave[0, r] + 0.3  # the V template is taller at R
    assert big.label == "N" and big.label_share == 1.0 and big.label_confidence == pytest.approx(0.7)


def test_relabel_split_merge_and_atypical_order(nv_record):
    rec, t, y = nv_record
    fam = group_recording(rec, t, labels=np.zeros(len(t), np.int8))
    v = next(i for i in fam.ids() if (y[fam.members(i)] == 2).all())
    changed = fam.relabel(v, "V")
    assert set(changed) == set(np.flatnonzero(y == 2))
    assert len(fam.relabel(v, "V")) == 0  # relabelling again changes nothing
    assert (fam.labels == y).all()
    with pytest.raises(ValueError, match="unknown beat label"):
        fam.relabel(v, "X")
    n = fam.ids()[0]
    order = fam.atypical_members(n)
    d = ((fam.features[order] - fam.centre(n)) ** 2).sum(1)
    assert sorted(order) == list(fam.members(n)) and np.all(np.diff(d) <= 1e-9)
    new = fam.split(n)
    assert new is not None and 0 < len(fam.members(new)) <= len(fam.members(n))
    before = len(fam.members(n)) + len(fam.members(new))
    moved = fam.merge(n, new)
    assert len(moved) > 0 and len(fam.members(n)) == before and len(fam.members(new)) == 0
    assert new not in fam.ids()
    assert fam.family_of_time(t[order[0]] + 0.01) == n and fam.family_of_time(-5.0) is None


def test_rare_shape_survives_the_subsample():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 0.02, (5000, 8)).astype(np.float32)
    rare = (rng.normal(0, 0.02, (6, 8)) + 1.0).astype(np.float32)
    x = np.concatenate([common, rare])
    assign, dist = cluster_beats(x, FamilyConfig(sample=500))
    assert len(np.unique(assign[-6:])) == 1 and assign[-1] != assign[0]
    assert np.bincount(assign)[assign[-1]] == 6 and assign[0] == 0  # largest family first
    assert dist.max() < 0.45


def test_two_means_and_prematurity_basics():
    f = np.concatenate([np.zeros((10, 3)), np.ones((4, 3))])
    assert two_means(f).sum() in (4, 10)
    assert not two_means(np.zeros((5, 3))).any()
    t = np.cumsum(np.r_[0.0, np.full(30, 0.8)])
    t[15] -= 0.3  # one premature beat
    rr = rr_prematurity(t)
    assert rr[15, 2] == pytest.approx(0.5 / 0.8, rel=1e-3) and rr[15, 3] == pytest.approx(1.1 / 0.8, rel=1e-3)
    assert np.allclose(rr[np.r_[1:14, 17:31], 2], 1.0)


@pytest.mark.parametrize("record, v_min", [("119", 430), ("208", 900)])
def test_mitdb_ventricular_beats_fall_in_ventricular_families(shared_data, record, v_min):
    rec = open_recording(shared_data / "mitdb" / f"{record}.hea")
    a = rec.annotations
    keep = np.array([s in BEAT_CLASS for s in a.symbol])
    t, y = a.sample[keep] / rec.fs, _labels(a.symbol[keep])
    fam = group_recording(rec, t, labels=y)
    impure = sum(len(m) - np.bincount(y[m]).max() for m in map(fam.members, fam.ids()))
    assert impure / len(t) < 0.03  # few beats fall in a family dominated by another class
    v_fams = [s for s in fam.summaries() if s.label == "V"]
    assert sum(s.count for s in v_fams) >= v_min
    assert len(fam.ids()) <= max_families(len(t)) == 60


def test_premature_normal_shaped_beats_form_their_own_family(tmp_path):
    samples, symbols = family_record(tmp_path / "ns", seed=2, p_v=0.0, p_s=0.15)
    rec = open_recording(tmp_path / "ns.hea")
    y = _labels(symbols)
    fam = group_recording(rec, samples / rec.fs, labels=y)
    s_fams = [s for s in fam.summaries() if s.label == "S"]
    assert sum(s.count for s in s_fams) >= 0.9 * (y == 1).sum()
    assert all(s.label_share == 1.0 and s.median_prematurity < 0.8 for s in s_fams)


def test_split_1d_cuts_at_the_gap_and_prematurity_split_takes_the_early_beats():
    x = np.array([1.0, 1.1, 0.9, 3.0, 3.2, 1.05, 2.9])
    assert split_1d(x).tolist() == [True, True, True, False, False, True, False]
    assert split_1d(np.ones(5)) is None and split_1d(np.ones(1)) is None
    pre_local = np.r_[np.full(40, 1.0), np.full(8, 0.62), np.full(3, 1.4)]  # on time, premature, after pauses
    early = prematurity_split(pre_local)
    assert early is not None and early[40:48].all() and not early[:40].any() and not early[48:].any()


def test_split_by_prematurity_moves_a_shared_shape_family_s_premature_members(tmp_path):
    """Premature normal-shaped beats mixed into one family (no prematurity in the grouping) come out with E."""
    samples, symbols = family_record(tmp_path / "ns", seed=2, p_v=0.0, p_s=0.15)
    rec = open_recording(tmp_path / "ns.hea")
    y = _labels(symbols)
    fam = group_recording(rec, samples / rec.fs, labels=y, cfg=FamilyConfig(prematurity_weight=0.0))
    f = fam.ids()[0]
    before = fam.members(f)
    assert (y[before] == 1).sum() >= 5 and (y[before] == 0).sum() >= 50  # S and N share the family
    new = fam.split_by_prematurity(f)
    assert new is not None and new in fam.ids()
    early = fam.members(new)
    assert set(np.r_[fam.members(f), early]) == set(before)
    assert (y[early] == 1).mean() > 0.95 and (y[fam.members(f)] == 0).mean() > 0.95
    assert fam.summary(new).median_prematurity < 0.8 < fam.summary(f).median_prematurity


def test_p_wave_likeness_singles_out_beats_with_another_or_no_p_wave():
    """Sinus beats share one P wave; an atrial premature beat's is inverted, a junctional beat has none."""
    fs, offset = 125.0, 38
    t = (np.arange(100) - offset) / fs
    rng = np.random.default_rng(0)
    qrs = np.exp(-0.5 * (t / 0.012) ** 2)
    p_wave = 0.15 * np.exp(-0.5 * ((t + 0.16) / 0.025) ** 2)
    waves = np.repeat((qrs + p_wave)[None, None], 40, axis=0).repeat(2, axis=1)
    waves = waves + 0.005 * rng.standard_normal(waves.shape)
    waves[30:35] -= 2 * p_wave  # inverted P (an ectopic atrial focus)
    waves[35:] -= p_wave  # no P (junctional)
    lk = p_wave_likeness(BeatWaves(waves.astype(np.float32), fs, offset, ["MLII", "V1"]))
    assert lk.shape == (40, 4) and -0.28 == P_WAVE_S[0]
    assert (lk[:30, :2] > 0.9).all() and (lk[30:35, :2] < -0.9).all()  # shape: r with the dominant P
    assert (np.abs(lk[:35, 2:]) < 0.2).all() and (lk[35:, 2:] < -1.5).all()  # size: log RMS ratio
