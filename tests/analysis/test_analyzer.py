"""Analyzer on simulated recordings with a tiny random model: structure, physiology, streaming (chunk order
following a moving view)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import AnalysisError, Analyzer
from anyecg_model.analysis.chunks import ChunkScheduler, FocusRange, chunk_spans
from anyecg_model.vocabulary.labels import BEAT_CLASSES, EPISODE_LABELS, RECORD_CLASSES
from anyecg_model.io.recording import Recording


@pytest.fixture(scope="module")
def analyzer(tiny_model_dir):
    return Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)


def test_findings_json_follows_the_schema(analyzer, strip_70bpm):
    d = json.loads(analyzer.analyze(strip_70bpm).to_json())
    assert set(d) == {"record", "duration_s", "fs", "leads", "model", "lead_mapping", "lead_assumed", "lead_inverted",
                      "rhythm_lead",
                      "rhythm_lead_replaced",
                      "anomaly", "beats", "rhythm", "signal_quality", "summary"}
    assert set(d["model"]) == {"name", "version", "sha256", "beat_classifier", "anomaly_classifier",
                              "rhythm_classifier"} \
        and len(d["model"]["sha256"]) == 64
    assert set(d["anomaly"]) == {"score", "label", "reason", "classifier", "windows"} \
        and d["anomaly"]["label"] in ("normal", "abnormal")
    assert d["signal_quality"] == {"unreadable": [], "mains_hz": []}  # a clean simulated strip
    assert 0.0 <= d["anomaly"]["score"] <= 1.0
    assert all(set(w) == {"start_s", "end_s", "score"} for w in d["anomaly"]["windows"])
    assert d["anomaly"]["windows"][0]["start_s"] == 0.0 and d["anomaly"]["windows"][-1]["end_s"] == pytest.approx(95)
    assert all(set(b) == {"time_s", "label", "confidence"} and b["label"] in BEAT_CLASSES for b in d["beats"])
    rc = d["rhythm"]["record_class"]
    assert rc["label"] in RECORD_CLASSES and set(rc["probabilities"]) == set(RECORD_CLASSES)
    assert sum(rc["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    for e in d["rhythm"]["episodes"]:
        assert set(e) == {"start_s", "end_s", "label", "confidence"} and e["label"] in EPISODE_LABELS
    assert set(d["summary"]) == {"heart_rate_bpm", "af_burden", "n_beats"}
    assert d["lead_mapping"] == {"MLII": "II", "V1": "V1"} and d["lead_assumed"] == ["MLII"] and d["lead_inverted"] == []
    assert d["rhythm_lead"] == "MLII"
    assert 0.0 <= d["summary"]["af_burden"] <= 1.0


def test_a_70_bpm_strip_has_70_bpm_and_its_beats(analyzer, strip_70bpm):
    f = analyzer.analyze(strip_70bpm, tasks=("arrhythmia",))
    assert f.heart_rate_bpm["mean"] == pytest.approx(70, abs=2)
    assert abs(f.n_beats - 70 * 95 / 60) <= 3
    assert np.all(np.diff(f.beats.time_s) > 0.5)  # one beat per QRS, across chunk borders too
    assert f.anomaly_score is None and f.episodes is None


def test_streaming_puts_the_visible_range_first_and_matches_whole(analyzer, strip_70bpm):
    parts = list(analyzer.iter_analyze(strip_70bpm, ("anomaly",), order=[(65.0, 70.0)]))
    assert parts[0].start_s == 60.0
    assert [p.start_s for p in parts[1:]] == [0.0, 30.0, 90.0] or [p.start_s for p in parts[1:]] == [0.0, 30.0]
    assert parts[-1].progress == pytest.approx(1.0)
    whole = analyzer.analyze(strip_70bpm, ("anomaly",))
    merged = analyzer.collect(strip_70bpm, ("anomaly",), parts)
    assert merged.anomaly_score == pytest.approx(whole.anomaly_score, abs=1e-5)


def test_cancel_stops_between_chunks(analyzer, strip_70bpm):
    calls = []
    parts = list(analyzer.iter_analyze(strip_70bpm, ("anomaly",), cancelled=lambda: calls.append(1) or len(calls) > 1))
    assert len(parts) == 1


def test_single_lead_is_analysed(analyzer, simulate):
    rec = Recording.from_array(simulate(30, 300.0, 80, leads=("I",)), 300.0, ["I"], path="one.hea")
    f = analyzer.analyze(rec)
    assert f.heart_rate_bpm["mean"] == pytest.approx(80, abs=3)


@pytest.mark.parametrize("data,names,fs,message", [
    (np.zeros((2, 720)), ["MLII", "V1"], 360.0, "at least"),
    (np.ones((1, 3000)), ["Resp"], 300.0, "no lead the model knows"),
])
def test_bad_recordings_get_a_clear_error(analyzer, data, names, fs, message):
    rec = Recording.from_array(data, fs, names, path="bad.hea")
    with pytest.raises(AnalysisError, match=message) as err:
        analyzer.analyze(rec)
    assert "bad.hea" in str(err.value)


def test_scheduler_takes_the_chunk_of_the_latest_range_then_time_order():
    sched = ChunkScheduler(chunk_spans(95.0, 30.0))
    assert sched.spans == [(0.0, 30.0), (30.0, 60.0), (60.0, 90.0), (90.0, 95.0)]
    assert sched.take([(65.0, 70.0)]) == (60.0, 90.0)
    assert sched.take([(65.0, 70.0)]) == (0.0, 30.0)  # the range's chunk is done: time order
    assert sched.take([(50.0, 93.0)]) == (30.0, 60.0)  # earliest chunk of the range not yet taken
    assert sched.take() == (90.0, 95.0)
    assert sched.take([(0.0, 95.0)]) is None
    assert chunk_spans(64.0, 30.0) == [(0.0, 30.0), (30.0, 64.0)]  # a 4-s tail joins the last chunk


def test_moving_the_focus_mid_run_makes_the_next_chunk_cover_it(analyzer, strip_70bpm, monkeypatch):
    carried = []
    run_chunk = analyzer._run_chunk

    def spy(rec, start_s, end_s, tasks, state, leads):
        carried.append(state is not None)
        return run_chunk(rec, start_s, end_s, tasks, state, leads)

    monkeypatch.setattr(analyzer, "_run_chunk", spy)
    focus = FocusRange(0.0, 10.0)
    parts, provisional = [], None
    for part in analyzer.iter_analyze(strip_70bpm, ("events",), order=focus):
        parts.append(part)
        if len(parts) == 2:
            focus.set(91.0, 94.0)  # the view jumps while the analysis runs
        if len(parts) == 3:
            provisional = part.episode_prob  # 90-95 s, before the chunk before it: from a fresh GRU state
    assert [p.start_s for p in parts] == [0.0, 30.0, 90.0, 60.0]
    # the GRU state of the time-predecessor: 0 -> 30 and 30 -> 60 yes; 90 before 60: none, revised after 60
    assert carried == [False, True, False, True]
    in_order = list(analyzer.iter_analyze(strip_70bpm, ("events",)))
    assert not np.array_equal(provisional, in_order[3].episode_prob)
    for part, ref in zip(sorted(parts, key=lambda p: p.start_s), in_order):
        np.testing.assert_array_equal(part.episode_prob, ref.episode_prob)  # the CLI's episodes, every chunk


def test_the_checkpoint_sets_its_rules(tmp_path, tiny_model_dir):
    import shutil

    from anyecg_model.analysis.af import AfRules
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.analysis.builder import TWELVE_LEADS
    from anyecg_model.model.checkpoint import load_checkpoint, save_checkpoint

    shutil.copytree(tiny_model_dir, tmp_path / "m")
    save_checkpoint(load_checkpoint(tmp_path / "m"), tmp_path / "m", {"anomaly_threshold": 0.7})
    rules = Analyzer(tmp_path / "m", device="cpu").rules  # none of its own: 12 leads, the default AF rules
    assert rules.anomaly_threshold == 0.7 and rules.anomaly_leads == TWELVE_LEADS and rules.af == AfRules()
    save_checkpoint(load_checkpoint(tmp_path / "m"), tmp_path / "m",
                    {"anomaly_leads": ["I", "II"], "af_rules": {"min_duration_s": 60.0, "turning_range": [0.4, 0.9]}})
    rules = Analyzer(tmp_path / "m", device="cpu").rules
    assert rules.anomaly_leads == ("I", "II") and rules.af.min_duration_s == 60.0
    assert rules.af.turning_range == (0.4, 0.9)
