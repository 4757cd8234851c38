"""Features, splits, metrics and episode logic: fast checks with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.episodes import af_burden, episode_scores, episodes_from_windows, with_beat_runs
from anyecg_model.analysis.findings import RhythmEpisode
from anyecg_model.vocabulary.beat_inputs import beat_segments, rhythm_features, rr_features, template_features
from anyecg_model.vocabulary.labels import EPISODE_LABELS, episode_label
from anyecg_model.vocabulary.model_input import MORPH_AFTER, MORPH_BEFORE
from anyecg_model.train.data.corpus import MITDB_DS1, MITDB_DS2, MITDB_PACED, _seeded_split
from anyecg_model.train.tasks.beats import beat_metrics
from anyecg_model.train.tasks.leadgen import leadgen_metrics
from anyecg_model.train.tasks.rhythm import rhythm_metrics


def test_premature_beat_has_short_pre_and_long_post_rr():
    fs = 300.0
    peaks = np.arange(20) * 240  # 75 bpm
    peaks[10] -= 90  # premature by 0.3 s
    f = rr_features(peaks, fs)
    assert f[10, 3] < 0.7 and f[10, 4] > 1.2  # pre/local, post/local
    assert f[5, 3] == pytest.approx(1.0, abs=0.05)


def test_irregular_rhythm_scores_higher_irregularity_than_sinus():
    fs, rng = 300.0, np.random.default_rng(0)
    regular = np.cumsum(np.full(15, 240))
    irregular = np.cumsum(rng.integers(120, 330, 15))
    a, b = rhythm_features(regular, fs), rhythm_features(irregular, fs)
    assert b[2] > 10 * max(a[2], 1e-3) and b[4] > a[4]  # RMSSD, share of successive changes > 15 %
    assert a[5] == pytest.approx(1.25, abs=0.05)  # beats per second at 75 bpm


def test_beat_segments_are_centred_on_the_peak():
    sig = np.zeros((2, 3000), np.float32)
    sig[0, 1500] = 1.0
    seg = beat_segments(sig, np.array([1500, 10]))
    assert seg.shape == (2, 2, MORPH_BEFORE + MORPH_AFTER)
    assert np.argmax(seg[0, 0]) == MORPH_BEFORE


def test_a_wide_ectopic_beat_departs_from_the_window_template():
    t = np.arange(MORPH_BEFORE + MORPH_AFTER) - MORPH_BEFORE
    normal = np.exp(-0.5 * (t / 4.0) ** 2)  # narrow upright QRS
    ectopic = -1.8 * np.exp(-0.5 * (t / 14.0) ** 2)  # wide, inverted, taller
    rng = np.random.default_rng(0)
    beats = [normal + 0.02 * rng.standard_normal(len(t)) for _ in range(8)] + [ectopic]
    seg = np.stack(beats)[:, None, :].repeat(2, axis=1)  # (K, S=2, T)
    seg[:, 1] = 0.0  # an absent slot is ignored
    f = template_features(seg.astype(np.float32))
    assert f.shape == (9, 3)
    assert f[:8, 0].min() > 0.95 and f[8, 0] < 0.0  # correlation with the dominant beat
    assert abs(f[:8, 1]).max() < 0.1 and f[8, 1] > 0.4  # log amplitude ratio
    assert f[8, 2] > 5 * f[:8, 2].max()  # residual energy
    assert not template_features(np.zeros((0, 2, len(t)), np.float32)).any()


def test_seeded_split_is_reproducible_stratified_and_disjoint():
    keys = [f"r{i}" for i in range(200)]
    strata = ["A" if i % 4 == 0 else "N" for i in range(200)]
    a, b = _seeded_split(keys, strata), _seeded_split(keys, strata)
    assert a == b
    test_a = [k for k in keys if a[k] == "test" and strata[int(k[1:])] == "A"]
    assert len(test_a) == 5  # 10 % of the 50 A records


def test_mitdb_inter_patient_sets_do_not_overlap():
    assert not set(MITDB_DS1) & set(MITDB_DS2)
    assert not set(MITDB_PACED) & (set(MITDB_DS1) | set(MITDB_DS2))
    assert len(MITDB_DS1) == len(MITDB_DS2) == 22


def test_rhythm_codes_map_to_episode_labels():
    assert episode_label("(AFIB\x00") == "AF" and episode_label("(VT") == "VT"
    assert episode_label("(B") == "BIGEMINY" and episode_label("(XYZ") == "OTHER"


def test_perfect_beat_predictions_score_one():
    y = np.array([0, 0, 1, 2, 3, 0, 1, 2])
    m = beat_metrics(y, y)
    assert m["Se_S"] == m["+P_V"] == m["accuracy"] == 1.0
    assert m["jkappa"] == pytest.approx(1.0)


def test_rhythm_f1_mean_uses_n_a_o():
    y = np.array([0, 1, 2, 3])
    m = rhythm_metrics(y, np.eye(4)[[0, 1, 2, 0]])
    assert m["F1_mean_NAO"] == pytest.approx((2 / 3 + 1 + 1) / 3)


def test_lead_generation_metrics_of_a_perfect_copy():
    t = np.sin(np.linspace(0, 20, 3000))
    m = leadgen_metrics([(t, t.copy())])
    assert m["SSIM"] == pytest.approx(1.0) and m["r"] == pytest.approx(1.0) and m["MAE"] == 0.0
    worse = leadgen_metrics([(t, t + 0.2)])
    assert worse["PSNR_dB"] < m["PSNR_dB"]


def test_windows_merge_into_episodes_and_score_by_overlap():
    prob = np.zeros((6, len(EPISODE_LABELS)))
    prob[[0, 1, 4, 5], EPISODE_LABELS.index("NSR")] = 0.9
    prob[[2, 3], EPISODE_LABELS.index("AF")] = 0.8
    ws = np.arange(6) * 10.0
    eps = episodes_from_windows(ws, ws + 10, prob)
    assert [(e.start_s, e.end_s, e.label) for e in eps] == [(0, 20, "NSR"), (20, 40, "AF"), (40, 60, "NSR")]
    det = [(e.start_s, e.end_s, e.label) for e in eps]
    s = episode_scores([(25.0, 35.0, "AF"), (100.0, 110.0, "AF")], det, ("AF",))
    assert s["Se"] == 0.5 and s["+P"] == 1.0
    assert af_burden(det) == pytest.approx(1 / 3)
    assert af_burden(det, analysed_s=40.0) == pytest.approx(0.5) and af_burden([]) is None


def test_a_fast_run_of_ventricular_beats_becomes_a_vt_episode_inside_the_window_episode():
    t = np.concatenate([np.arange(0, 10, 0.8), 10 + 0.4 * np.arange(4), np.arange(12, 30, 0.8)])
    lab = np.zeros(len(t), np.int8)
    run = (t >= 10) & (t < 12)
    lab[run] = 2  # V
    lab[0:3] = 2  # three slow V beats (75 bpm): not VT
    base = [RhythmEpisode(0.0, 30.0, "NSR", 0.9)]
    eps = with_beat_runs(base, t, lab, np.full(len(t), 0.99, np.float32))
    assert [e.label for e in eps] == ["NSR", "VT", "NSR"]
    vt = eps[1]
    assert vt.start_s == 10.0 and abs(vt.end_s - 11.2) < 1e-9  # first to last V beat
    assert eps[0].end_s == vt.start_s and eps[2].start_s == vt.end_s
    # a run the beat head is unsure of is not reported
    unsure = np.where(run, 0.6, 0.99).astype(np.float32)
    assert [e.label for e in with_beat_runs(base, t, lab, unsure)] == ["NSR"]
    # supraventricular runs inside atrial fibrillation stay AF
    s_lab = np.where(run, 1, 0).astype(np.int8)
    af = [RhythmEpisode(0.0, 30.0, "AF", 0.9)]
    assert with_beat_runs(af, t, s_lab, np.ones(len(t), np.float32)) == af
