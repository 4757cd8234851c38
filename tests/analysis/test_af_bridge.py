"""Two AF episodes apart by a stretch the RR rule loses, without sinus P waves, are one episode (MIT-BIH 210:
AF broken into pieces by less irregular conduction and PVCs); sinus rhythm with its P waves between them keeps
them apart."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.af import AfRules, af_episodes
from anyecg_model.vocabulary.labels import BEAT_CLASSES

N = BEAT_CLASSES.index("N")


def af_gap_af(gap_p_wave: float, gap_s: float = 40.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AF (RR 0.4-1.1 s at random, no P wave) for 120 s, a gap of regular RR 0.75 s whose beats have P-wave
    consistency ``gap_p_wave``, AF again for 120 s: beat times (s), classes, P-wave consistency."""
    rng = np.random.default_rng(3)
    af1, af2 = rng.uniform(0.4, 1.1, 160), rng.uniform(0.4, 1.1, 160)
    gap = np.full(int(gap_s / 0.75), 0.75)
    rr = np.concatenate([af1, gap, af2])
    p = np.concatenate([rng.uniform(-0.3, 0.3, len(af1)), np.full(len(gap), gap_p_wave),
                        rng.uniform(-0.3, 0.3, len(af2))])
    return np.cumsum(rr), np.full(len(rr), N), p


def test_a_gap_without_p_waves_is_bridged():
    t, cls, p = af_gap_af(gap_p_wave=0.2)
    s, _, _ = af_episodes(t, cls, None, AfRules(bridge_gap_s=0.0), p)
    assert len(s) == 2  # the regular stretch breaks the RR rule
    s, e, conf = af_episodes(t, cls, None, AfRules(), p)
    assert len(s) == 1 and e[0] - s[0] > 250.0
    assert 0.5 <= conf[0] < 1.0  # the bridged stretch does not meet the rule: the confidence says so


def test_sinus_rhythm_with_p_waves_between_episodes_keeps_them_apart():
    t, cls, p = af_gap_af(gap_p_wave=0.9)
    s, _, _ = af_episodes(t, cls, None, AfRules(), p)
    assert len(s) == 2


def test_a_gap_longer_than_the_bridge_is_not_bridged():
    t, cls, p = af_gap_af(gap_p_wave=0.2, gap_s=100.0)
    s, _, _ = af_episodes(t, cls, None, AfRules(), p)
    assert len(s) == 2


def test_a_bridge_never_costs_an_episode_that_stood_on_its_own():
    """Two short episodes across a long stretch without P waves: joined, most of the episode would not meet the
    AF rule (confidence under one half, not reported), so both stay as they were."""
    rng = np.random.default_rng(5)
    af1, af2 = rng.uniform(0.4, 1.1, 50), rng.uniform(0.4, 1.1, 50)
    gap = np.full(78, 0.75)
    rr = np.concatenate([af1, gap, af2])
    p = np.concatenate([rng.uniform(-0.3, 0.3, 50), np.full(78, 0.2), rng.uniform(-0.3, 0.3, 50)])
    t, cls = np.cumsum(rr), np.full(len(rr), N)
    alone = af_episodes(t, cls, None, AfRules(bridge_gap_s=0.0), p)
    bridged = af_episodes(t, cls, None, AfRules(), p)
    assert len(alone[0]) == 2
    np.testing.assert_allclose(np.c_[bridged], np.c_[alone])
