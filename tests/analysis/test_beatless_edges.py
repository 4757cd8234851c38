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
