"""The stretch before a recording's first beat and after its last says nothing of the rhythm: a short episode
there joins its neighbour; one holding a beat, or a long one, stays."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.episodes import join_beatless_edges
from anyecg_model.analysis.findings import RhythmEpisode


def test_beatless_edges_join_their_neighbour():
    eps = [RhythmEpisode(0.0, 0.7, "NSR", 0.9), RhythmEpisode(0.7, 9.4, "PACED", 0.96),
           RhythmEpisode(9.4, 10.0, "NSR", 0.9)]
    beats = np.arange(0.7, 9.5, 0.86)
    assert [(e.start_s, e.end_s, e.label) for e in join_beatless_edges(eps, beats)] == [(0.0, 10.0, "PACED")]


def test_edges_holding_a_beat_or_long_ones_stay():
    eps = [RhythmEpisode(0.0, 0.7, "NSR", 0.9), RhythmEpisode(0.7, 9.4, "PACED", 0.96),
           RhythmEpisode(9.4, 10.0, "OTHER", 0.6)]
    beats = np.array([0.5, 1.0, 2.0, 9.0, 9.8])  # a beat in each edge episode
    assert join_beatless_edges(eps, beats) == eps
    long = [RhythmEpisode(0.0, 3.0, "NSR", 0.9), RhythmEpisode(3.0, 10.0, "AF", 0.8)]
    assert join_beatless_edges(long, np.array([3.2, 4.0, 5.0])) == long  # 3 s without a beat: a pause, not an edge
    single = [RhythmEpisode(0.0, 10.0, "NSR", 0.9)]
    assert join_beatless_edges(single, np.array([1.0])) == single
    assert join_beatless_edges(eps, np.zeros(0)) == eps


def test_beats_called_s_inside_af_are_conducted_beats():
    """In AF "premature" has no meaning: S calls inside an AF or AFL episode are N (MIT-BIH's convention); S
    outside it, and V inside it, stay."""
    from anyecg_model.analysis.episodes import conducted_in_af
    from anyecg_model.analysis.findings import Beats
    from anyecg_model.vocabulary.labels import BEAT_CLASSES

    N, S, V = (BEAT_CLASSES.index(c) for c in "NSV")
    beats = Beats(np.array([1.0, 5.0, 40.0, 41.0, 80.0, 95.0]), np.array([S, S, S, V, S, S], np.int8),
                  np.array([0.9, 0.8, 0.7, 0.95, 0.6, 0.5], np.float32))
    eps = [RhythmEpisode(0.0, 30.0, "NSR", 0.9), RhythmEpisode(30.0, 70.0, "AF", 0.9),
           RhythmEpisode(70.0, 90.0, "AFL", 0.8), RhythmEpisode(90.0, 100.0, "NSR", 0.9)]
    out = conducted_in_af(beats, eps)
    assert out.label.tolist() == [S, S, N, V, N, S]
    np.testing.assert_array_equal(out.confidence, beats.confidence)
    assert conducted_in_af(beats, eps[:1]) is beats


def test_s_calls_on_a_strip_with_no_early_beat_are_read_n():
    """S is the premature supraventricular beat: on a strip whose RR intervals all lie within 12 % of their median
    no beat comes early, and its S calls (a flutter at 140 bpm read S and N at random) read N; a strip with one
    APC at 75 % of the RR, or too few intervals to judge, keeps them."""
    from anyecg_model.analysis.episodes import regular_strip_s_calls
    from anyecg_model.analysis.findings import Beats
    from anyecg_model.vocabulary.labels import BEAT_CLASSES

    N, S, V = (BEAT_CLASSES.index(c) for c in "NSV")
    rng = np.random.default_rng(0)
    t = 0.3 + np.cumsum(0.43 * (1 + rng.uniform(-0.04, 0.04, 22)))
    labels = rng.choice([N, S], 22).astype(np.int8)
    labels[5] = V
    beats = Beats(t, labels, np.full(22, 0.55, np.float32))
    out = regular_strip_s_calls(beats)
    assert (labels == S).sum() > 5 and not (out.label == S).any() and out.label[5] == V
    np.testing.assert_array_equal(out.confidence, beats.confidence)
    apc = t.copy()
    apc[10:] -= 0.25 * 0.43  # beat 10 comes at 75 % of the RR, the rhythm goes on from it
    assert (regular_strip_s_calls(Beats(apc, labels, beats.confidence)).label == labels).all()
    assert (regular_strip_s_calls(Beats(t[:4], labels[:4], beats.confidence[:4])).label == labels[:4]).all()


def test_ectopic_calls_on_a_strip_the_verdict_calls_normal_are_set_aside():
    """A short strip whose rhythm verdict is normal sinus rhythm at ≥ 0.8: its V calls read Q, its S calls N,
    and a VT run or bigeminy made of them reads NSR; under 0.8 (or another verdict) they stay."""
    from anyecg_model.analysis.episodes import ectopy_under_normal_verdict
    from anyecg_model.analysis.findings import Beats
    from anyecg_model.vocabulary.labels import BEAT_CLASSES

    N, S, V, Q = (BEAT_CLASSES.index(c) for c in "NSVQ")
    beats = Beats(np.arange(0.5, 10.0, 0.5), np.array([N] * 5 + [V] * 3 + [S] + [N] * 10, np.int8),
                  np.full(19, 0.9, np.float32))
    eps = [RhythmEpisode(0.0, 2.4, "NSR", 0.9), RhythmEpisode(2.5, 3.5, "VT", 0.9), RhythmEpisode(3.6, 10.0, "NSR", 0.9)]
    out, out_eps = ectopy_under_normal_verdict(beats, eps, 0.86)
    assert out.label.tolist() == [N] * 5 + [Q] * 3 + [N] + [N] * 10
    np.testing.assert_array_equal(out.confidence, beats.confidence)
    assert [e.label for e in out_eps] == ["NSR", "NSR", "NSR"] and out_eps[1].confidence == 0.86
    assert ectopy_under_normal_verdict(beats, eps, 0.79) == (beats, eps)
