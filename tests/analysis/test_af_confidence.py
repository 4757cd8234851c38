"""AF confidence policy: an episode's confidence is the share of its intervals that meet the AF rule, raised to
the episode head's AF probability where that is higher (its silence is no evidence against), and no AF
episode is reported below ``AfRules.min_confidence`` (0.5)."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.af import AfRules, af_episodes


def atrial_fibrillation(duration_s: float, seed: int) -> np.ndarray:
    """Irregularly irregular RR, uniform 0.4-1.1 s."""
    return np.cumsum(np.random.default_rng(seed).uniform(0.4, 1.1, int(duration_s / 0.75)))


def test_af_without_a_model_vote_is_stated_at_the_share_of_it_that_meets_the_rule():
    t = atrial_fibrillation(300.0, 1)
    p_wave = np.full(len(t), 0.2)  # no consistent P wave
    s, e, conf = af_episodes(t, None, np.zeros(len(t)), AfRules(), p_wave)
    assert len(s) and (e - s).sum() >= 0.8 * (t[-1] - t[0])
    # the rule holds over nearly all of it: the head's silence does not halve that (0.5 x share + 0.5 x 0 before)
    assert conf.min() >= 0.9
    s_alone, _, conf_alone = af_episodes(t, None, None, AfRules(), p_wave)
    assert np.allclose(conf, conf_alone) and np.allclose(s, s_alone)


def test_the_model_vote_raises_the_confidence_where_it_is_higher():
    t = atrial_fibrillation(300.0, 2)
    p_wave = np.full(len(t), 0.2)
    _, _, base = af_episodes(t, None, np.zeros(len(t)), AfRules(), p_wave)
    _, _, voted = af_episodes(t, None, np.ones(len(t)), AfRules(), p_wave)
    assert voted.min() == 1.0 and base.max() < 1.0


def test_no_af_episode_is_reported_below_the_confidence_floor():
    # 18 s of AF inside a sinus rhythm whose every third RR is 14 % longer: with the share rule off, the moved
    # edges make a > 30-s episode of which under half meets the rule; the floor still keeps it unreported
    rr_sinus = 0.8 * np.where(np.arange(60) % 3 == 0, 1.14, 1.0)
    t = np.cumsum(np.concatenate([rr_sinus, np.random.default_rng(4).uniform(0.4, 1.1, 24), rr_sinus]))
    p_wave, model = np.full(len(t), 0.2), np.zeros(len(t))
    s, _, conf = af_episodes(t, None, model, AfRules(min_af_share=0.0, min_confidence=0.0), p_wave)
    assert len(s) == 1 and conf[0] < 0.5
    assert len(af_episodes(t, None, model, AfRules(min_af_share=0.0), p_wave)[0]) == 0
