"""One road for a finding: chunk results in any order give the findings of `analyze`; AF at beat resolution;
nothing reported inside unreadable signal; an anomaly head outside its lead set says "not assessed"."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyecg_model.analysis.af import AfRules, af_episodes, readable_long_enough
from anyecg_model.analysis.analyzer import TASKS, Analyzer
from anyecg_model.analysis.builder import FindingsBuilder, FindingsRules
from anyecg_model.vocabulary.labels import is_af
from anyecg_model.io.recording import Recording

FS = 250.0


def beats_ecg(beat_s: np.ndarray, duration_s: float, leads=("MLII", "V1")) -> np.ndarray:
    """A two-lead ECG (mV) with a QRS-like spike and a T wave at each beat time (s)."""
    t = np.arange(int(duration_s * FS)) / FS
    x = np.zeros_like(t)
    for b in beat_s:
        x += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2)
    x += 0.01 * np.random.default_rng(0).standard_normal(len(t))
    return np.stack([x, -0.5 * x][: len(leads)]).astype(np.float32)


def irregular_beats(t0: float, t1: float, rng, mean_rr=0.75, spread=0.35) -> np.ndarray:
    rr = rng.uniform(mean_rr * (1 - spread), mean_rr * (1 + spread), int((t1 - t0) / mean_rr) + 10)
    b = t0 + np.cumsum(rr)
    return b[b < t1]


@pytest.fixture(scope="module")
def af_recording():
    """240 s: sinus 70 bpm, 100 s of irregularly irregular rhythm (60-160 s), sinus again."""
    rng = np.random.default_rng(5)
    beats = np.concatenate([np.arange(0.5, 60.0, 60 / 70), irregular_beats(60.0, 160.0, rng),
                            np.arange(160.4, 240.0, 60 / 70)])
    return Recording.from_array(beats_ecg(beats, 240.0), FS, ["MLII", "V1"], path="af.hea"), beats


@pytest.fixture(scope="module")
def analyzer(tiny_model_dir):
    return Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)


def test_chunks_in_a_shuffled_order_give_the_findings_of_analyze(analyzer, af_recording):
    rec, _ = af_recording
    whole = analyzer.analyze(rec)
    parts = list(analyzer.iter_analyze(rec))
    order = np.random.default_rng(1).permutation(len(parts))
    builder = analyzer.builder(rec)
    for k in order:
        builder.add(parts[k])
        builder.findings()  # read while streaming, as the viewer does
    builder.add(parts[order[0]])  # a chunk computed twice replaces itself
    assert builder.covers(0.0, rec.duration_s)
    assert json.dumps(builder.findings().to_dict()) == json.dumps(whole.to_dict())


def test_af_comes_at_beat_resolution_from_rr_irregularity(analyzer, af_recording):
    rec, beats = af_recording
    parts = list(analyzer.iter_analyze(rec))
    for p in parts:  # the beat path is pluggable: here a classifier that calls every beat normal
        p.beats.label[:] = 0
    f = analyzer.collect(rec, TASKS, parts)
    af = [e for e in f.episodes if is_af(e.label)]  # AF, or AFL where the episode head favours flutter
    assert len(af) == 1  # the random tiny model's episode head does not matter: the RR series decides
    first_irregular = beats[beats > 60.0][0]
    assert abs(af[0].start_s - first_irregular) < 6.0 and abs(af[0].end_s - 160.0) < 6.0
    assert f.af_burden == pytest.approx((af[0].end_s - af[0].start_s) / rec.duration_s, abs=1e-6)


def test_af_rules_minimum_duration_merging_and_ectopy():
    rng = np.random.default_rng(2)
    sinus = lambda a, b: np.arange(a, b, 0.8)  # noqa: E731
    # 20 s of irregular rhythm is shorter than an AF episode (30 s)
    t = np.concatenate([sinus(0, 60), irregular_beats(60, 80, rng), sinus(80.5, 140)])
    assert len(af_episodes(t, None, None)[0]) == 0
    # two irregular stretches 2 s apart are one episode
    t = np.concatenate([sinus(0, 60), irregular_beats(60, 100, rng), sinus(100.3, 101.9), irregular_beats(102, 150, rng),
                        sinus(150.5, 210)])
    s, e, c = af_episodes(t, None, None, AfRules(merge_gap_s=3.0))
    assert len(s) == 1 and s[0] < 65 and e[0] > 145 and 0 < c[0] <= 1
    # ventricular trigeminy (N N V ...) is irregular only through its ectopic beats: not AF once they are left out
    t = np.cumsum(np.tile([0.8, 0.8, 0.5, 1.1], 100))
    cls = np.tile(np.array([0, 0, 2, 0], np.int8), 100)  # the V beat (index 2) comes after the short interval
    cls = np.roll(cls, 0)
    assert len(af_episodes(t, cls, np.full(len(t), 0.9))[0]) == 0
    assert len(af_episodes(t, None, np.full(len(t), 0.9))[0]) == 1  # counted as normal beats it would be AF


def test_no_finding_inside_unreadable_signal_and_the_spans_are_reported(analyzer):
    beats = np.arange(0.5, 120.0, 0.8)
    x = beats_ecg(beats, 120.0)
    x[:, int(40 * FS):int(50 * FS)] = 0.3  # a lead off: flat line
    x[:, int(80 * FS):int(86 * FS)] = np.where(np.arange(int(6 * FS)) % 50 < 25, 5.0, -5.0)  # on the rails
    rec = Recording.from_array(x, FS, ["MLII", "V1"], path="gaps.hea")
    f = analyzer.analyze(rec)
    spans = [(u.start_s, u.end_s, u.reason) for u in f.unreadable]
    assert [r for *_, r in spans] == ["flat", "saturated"]
    assert spans[0][0] == pytest.approx(40, abs=1.01) and spans[0][1] == pytest.approx(50, abs=1.01)
    assert spans[1][0] == pytest.approx(80, abs=1.01) and spans[1][1] == pytest.approx(86, abs=1.01)
    for a, b, _ in spans:
        assert not np.any((f.beats.time_s >= a) & (f.beats.time_s < b))
        assert all(e.end_s <= a + 1e-9 or e.start_s >= b - 1e-9 for e in f.episodes)
        assert all(w.end_s <= a + 5 or w.start_s >= b - 5 for w in f.anomaly_windows)  # half-covered windows go
    assert json.loads(f.to_json())["signal_quality"]["unreadable"][0]["reason"] == "flat"


def test_the_anomaly_head_outside_its_lead_set_is_not_assessed(tiny_model_dir, tmp_path, af_recording):
    rules = FindingsRules()  # a checkpoint that names no lead set: the 12 leads of PTB-XL
    assert rules.anomaly_domain_problem(["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5",
                                         "V6"]) is None
    problem = rules.anomaly_domain_problem(["MLII", "V1"])
    assert problem.startswith("not assessed") and "V6" in problem
    rec, _ = af_recording
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    builder = FindingsBuilder.for_recording(rec, analyzer.info, ("anomaly",), rules)
    for part in analyzer.iter_analyze(rec, ("anomaly",)):
        builder.add(part)
    f = builder.findings()
    assert f.anomaly_score is None and f.anomaly_windows is None and f.anomaly_label == "not assessed"
    d = f.to_dict()["anomaly"]
    assert d["score"] is None and d["label"] == "not assessed" and d["reason"] == problem and d["windows"] == []


def test_a_window_partly_unreadable_is_not_judged_for_anomaly(analyzer):
    """A 10-s ECG with 4 s lost on every lead: the anomaly model learnt from clean windows and a flat stretch
    moves its logit (a normal PTB-XL ECG read abnormal, p 0.05 -> 0.34), so it says "not assessed" and why;
    the same ECG whole is judged."""
    beats = np.arange(0.4, 10.0, 0.8)
    whole = Recording.from_array(beats_ecg(beats, 10.0), FS, ["MLII", "V1"], path="whole.hea")
    assert analyzer.analyze(whole, ("anomaly",)).anomaly_score is not None
    x = beats_ecg(beats, 10.0)
    x[:, int(2 * FS):int(6 * FS)] = 0.3  # a lead-off on every lead
    f = analyzer.analyze(Recording.from_array(x, FS, ["MLII", "V1"], path="lost.hea"), ("anomaly",))
    assert [u.reason for u in f.unreadable] == ["flat"]
    assert f.anomaly_score is None and f.anomaly_label == "not assessed"
    assert "unreadable" in f.anomaly_not_assessed and f.anomaly_windows == []


def test_a_flat_lead_the_anomaly_model_needs_makes_it_not_assessed(analyzer):
    """An electrode off for the whole recording: the preprocessing masks the flat lead, so the model never saw it;
    the anomaly model (here trained on II and V1) says "not assessed" and names the lead."""
    beats = np.arange(0.4, 20.0, 0.8)
    x = beats_ecg(beats, 20.0)
    x[1] = 0.0  # V1 off
    f = analyzer.analyze(Recording.from_array(x, FS, ["MLII", "V1"], path="v1off.hea"), ("anomaly",))
    assert f.anomaly_score is None and f.anomaly_label == "not assessed"
    assert "V1" in f.anomaly_not_assessed and "flat" in f.anomaly_not_assessed



def test_af_pieces_stitched_across_unreadable_signal_are_not_30_s_of_af():
    """The clinical minimum (AF ≥ 30 s) counts readable signal: MIT-BIH 105 resampled to 250 Hz had 30.3 s of "AF"
    of which 23 s were readable, between noisy stretches."""
    starts, ends = np.array([100.0, 500.0, 900.0]), np.array([130.3, 540.0, 925.0])
    bad = np.array([[105.0, 107.0], [110.0, 112.0], [118.0, 121.0], [510.0, 515.0]])
    np.testing.assert_array_equal(readable_long_enough(starts, ends, bad), [False, True, False])
    np.testing.assert_array_equal(readable_long_enough(starts, ends, np.zeros((0, 2))), [True, True, False])
    assert readable_long_enough(np.zeros(0), np.zeros(0), bad).shape == (0,)
