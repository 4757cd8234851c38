"""RR prematurity against the preceding rhythm: a premature beat is measured against the beats before it."""
from __future__ import annotations

import numpy as np

from anyecg_model.vocabulary.beat_prematurity import PREMATURITY_FEATURES, prematurity_features


def test_a_premature_beat_after_a_steady_rhythm():
    fs = 360.0
    rr = np.full(30, 1.0)
    rr[20], rr[21] = 0.6, 1.4  # beat 21 comes 40 % early, then a compensatory pause
    peaks = np.round(np.concatenate([[0.0], np.cumsum(rr)]) * fs).astype(np.int64)
    f = prematurity_features(peaks, fs)
    assert f.shape == (31, len(PREMATURITY_FEATURES))
    pre_prec, post_prec, pre_median, pre_mean = f[21]
    assert abs(pre_prec - 0.6) < 0.01 and abs(post_prec - 1.4) < 0.01  # the 10 preceding RRs are all 1 s
    assert abs(pre_median - 0.6) < 0.01  # the local median ignores the premature and the pause
    assert abs(pre_mean - 0.6) < 0.01
    np.testing.assert_allclose(f[5, :3], 1.0, atol=1e-6)  # a beat of the steady rhythm


def test_a_centred_mean_is_dragged_by_a_run_the_preceding_mean_is_not():
    fs = 250.0
    rr = np.concatenate([np.full(20, 1.0), np.full(8, 0.5), np.full(10, 1.0)])  # a run of 8 early beats
    peaks = np.round(np.concatenate([[0.0], np.cumsum(rr)]) * fs).astype(np.int64)
    f = prematurity_features(peaks, fs)
    assert abs(f[21, 0] - 0.5) < 0.01  # the run's first beat: half the preceding rhythm


def test_fewer_than_two_beats_give_ones():
    assert prematurity_features(np.array([100]), 360.0).tolist() == [[1.0] * 4]
    assert prematurity_features(np.zeros(0, np.int64), 360.0).shape == (0, 4)
