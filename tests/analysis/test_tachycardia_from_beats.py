"""Issue 15: a VT or SVTA episode needs beats. The episode head's 10-s VT window alone gives none; a run of
three or more V beats at 100 bpm or faster gives VT from its first to its last beat; a couplet gives none; an
S run inside AF stays AF. Small synthetic chunk results through the one FindingsBuilder."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.builder import FindingsBuilder, FindingsRules, RecordInfo
from anyecg_model.analysis.chunks import ChunkResult
from anyecg_model.analysis.episodes import RunRules
from anyecg_model.analysis.findings import Beats, ModelInfo
from anyecg_model.vocabulary.labels import BEAT_CLASSES, EPISODE_LABELS

N, S, V = (BEAT_CLASSES.index(c) for c in "NSV")
DURATION_S = 60.0


def findings(beat_s: np.ndarray, beat_class: np.ndarray, window_label, confidence: float = 0.99,
             rules: FindingsRules = FindingsRules()):
    """Findings of one 60-s chunk: six 10-s windows whose episode head says ``window_label(k)`` for window k."""
    ws = np.arange(0.0, DURATION_S, 10.0)
    prob = np.full((len(ws), len(EPISODE_LABELS)), 0.01)
    for k in range(len(ws)):
        prob[k, EPISODE_LABELS.index(window_label(k))] = 0.9
    t = np.asarray(beat_s, np.float64)
    part = ChunkResult(0.0, DURATION_S, ws, ws + 10.0, r_peaks_s=t,
                       beats=Beats(t, np.asarray(beat_class, np.int8), np.full(len(t), confidence, np.float32)),
                       episode_prob=prob, record_class_prob=np.full((len(ws), 4), 0.25))
    b = FindingsBuilder(RecordInfo("x.hea", DURATION_S, 250.0, ("MLII",)), ModelInfo("m", "0", ""),
                        ("arrhythmia", "events"), rules)
    b.add(part)
    return [(e.start_s, e.end_s, e.label) for e in b.findings().episodes]


def sinus_with(run_start_s: float, n_run: int, run_rr_s: float, run_class: int):
    """Sinus at 75 bpm with ``n_run`` beats of ``run_class`` every ``run_rr_s`` s from ``run_start_s``."""
    before = np.arange(0.4, run_start_s - 0.5, 0.8)
    run = run_start_s + run_rr_s * np.arange(n_run)
    after = np.arange(run[-1] + 0.8, DURATION_S, 0.8)
    t = np.concatenate([before, run, after])
    lab = np.full(len(t), N, np.int8)
    lab[len(before):len(before) + n_run] = run_class
    return t, lab, run


def test_an_episode_head_vt_window_without_a_run_of_v_beats_gives_no_vt():
    t = np.arange(0.4, DURATION_S, 0.8)
    eps = findings(t, np.full(len(t), N), lambda k: "VT" if k == 2 else "NSR")
    assert [lab for *_, lab in eps] == ["NSR"]


def test_four_v_beats_at_150_bpm_are_vt_from_the_first_to_the_last_beat():
    t, lab, run = sinus_with(22.0, 4, 0.4, V)
    for head in (lambda k: "NSR", lambda k: "VT" if k == 2 else "NSR"):
        eps = findings(t, lab, head)
        vt = [e for e in eps if e[2] == "VT"]
        assert vt == [(pytest.approx(run[0]), pytest.approx(run[-1]), "VT")]
        assert {lab for *_, lab in eps} == {"NSR", "VT"}


def test_a_ventricular_couplet_is_not_vt_even_in_a_vt_window():
    t, lab, _ = sinus_with(22.0, 2, 0.4, V)
    eps = findings(t, lab, lambda k: "VT" if k == 2 else "NSR")
    assert "VT" not in {lab for *_, lab in eps}


def test_an_unsure_run_needs_the_episode_heads_vt_window():
    t, lab, run = sinus_with(22.0, 4, 0.4, V)
    rules = FindingsRules(runs=RunRules(min_confidence=0.9, min_confidence_corroborated=0.5))
    assert "VT" not in {x[2] for x in findings(t, lab, lambda k: "NSR", 0.7, rules)}
    eps = findings(t, lab, lambda k: "VT" if k == 2 else "NSR", 0.7, rules)
    assert [e for e in eps if e[2] == "VT"] == [(pytest.approx(run[0]), pytest.approx(run[-1]), "VT")]


def test_an_s_run_is_svta_but_not_inside_atrial_fibrillation():
    t, lab, run = sinus_with(22.0, 5, 0.4, S)
    eps = findings(t, lab, lambda k: "NSR")
    assert [e for e in eps if e[2] == "SVTA"] == [(pytest.approx(run[0]), pytest.approx(run[-1]), "SVTA")]
    rng = np.random.default_rng(3)
    t_af = np.cumsum(rng.uniform(0.45, 1.05, 120))
    t_af = t_af[t_af < DURATION_S - 0.2]
    lab_af = np.full(len(t_af), N, np.int8)
    k = int(np.searchsorted(t_af, 30.0))
    t_af[k:k + 5] = t_af[k] + 0.4 * np.arange(5)  # a fast S run in the middle of the fibrillation
    t_af = np.sort(t_af)
    lab_af[k:k + 5] = S
    eps = findings(t_af, lab_af, lambda k: "AF")
    labels = {lab for *_, lab in eps}
    assert "AF" in labels and "SVTA" not in labels


def test_a_paced_rhythm_interrupted_by_a_pvc_or_a_sinus_capture_is_one_episode():
    """Paced at 70 bpm with a PVC, then two sinus captures, then three sinus beats: the first two interruptions
    leave one paced-rhythm episode (MIT-BIH's paced records read 216 episodes for the reference's 60); three beats
    of another class end it; the PVC stays a beat, not a run."""
    from anyecg_model.analysis.episodes import beat_runs

    P = BEAT_CLASSES.index("P")
    t = np.arange(0.5, DURATION_S, 60 / 70)
    lab = np.full(len(t), P, np.int8)
    lab[10], lab[[20, 21]], lab[[40, 41, 42]] = V, N, N
    start, end, names, conf = beat_runs(t, lab, np.full(len(t), 0.95, np.float32))
    assert list(names) == ["PACED", "PACED"]
    assert (start[0], end[0]) == (pytest.approx(t[0]), pytest.approx(t[39]))
    assert (start[1], end[1]) == (pytest.approx(t[43]), pytest.approx(t[-1]))
    np.testing.assert_allclose(conf, 0.95)
    paced = [e for e in findings(t, lab, lambda k: "OTHER") if e[2] == "PACED"]  # through the builder
    assert len(paced) == 2 and paced[0][1] == pytest.approx(t[39]) and paced[1][0] == pytest.approx(t[43])


def test_a_short_run_whose_onset_the_recording_does_not_show_is_no_vt():
    """Four V beats at 150 bpm as the recording's first beats (a recorder's settling artefact: CinC 2017 strips the
    reference calls normal read VT there), after 4 s without beats (lost signal), or within 1 s of signal the
    quality gate calls unreadable, are no VT; the same run after a sinus beat is, and so is a run of 8 from the
    first beat."""
    from anyecg_model.analysis.episodes import beat_runs

    def vt(t, lab):
        return [(round(a, 2), round(b, 2)) for a, b, name, _ in zip(*beat_runs(t, lab, np.full(len(t), 0.95)))
                if name == "VT"]

    def strip(run_at: float, n_run: int, gap_before: bool = False):
        run = run_at + 0.4 * np.arange(n_run)
        before = np.arange(0.4, run_at - (4.0 if gap_before else 0.5), 0.8) if run_at > 1 else np.zeros(0)
        after = np.arange(run[-1] + 0.8, 30.0, 0.8)
        t = np.concatenate([before, run, after])
        lab = np.full(len(t), N, np.int8)
        lab[len(before):len(before) + n_run] = V
        return t, lab, run

    t, lab, run = strip(0.2, 4)
    assert vt(t, lab) == []
    t, lab, run = strip(12.0, 4, gap_before=True)
    assert vt(t, lab) == []
    t, lab, run = strip(12.0, 4)
    assert vt(t, lab) == [(round(run[0], 2), round(run[-1], 2))]
    t, lab, run = strip(0.2, 8)
    assert vt(t, lab) == [(round(run[0], 2), round(run[-1], 2))]
    t, lab, run = strip(12.0, 4)  # noise the quality gate caught ends 0.5 s before the run, or begins just after it
    for bad in ([[9.0, run[0] - 0.5]], [[run[-1] + 0.8, 20.0]]):
        kept = beat_runs(t, lab, np.full(len(t), 0.95), unreadable_s=np.array(bad))
        assert "VT" not in list(kept[2])
    far = beat_runs(t, lab, np.full(len(t), 0.95), unreadable_s=np.array([[2.0, run[0] - 1.5]]))
    assert list(far[2]) == ["VT"]

