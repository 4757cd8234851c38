"""RR irregularity alone makes AF only when it is pervasive: sinus bradycardia broken by premature beats and
pauses (MIT-BIH 232) has a high mean |ΔRR|/RR but runs of equal RR between the interruptions; AF differs at
nearly every beat."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.af import AfRules, af_episodes


def sinus_with_premature_beats_and_pauses(duration_s: float, rng) -> np.ndarray:
    """Sinus bradycardia (RR 1.1 s, 2 % jitter) in runs of 5-9 beats, each run ended by a premature beat
    (RR 0.7 s) and a pause (1.6-2.6 s)."""
    rr = []
    while sum(rr) < duration_s:
        rr += list(1.1 * (1 + 0.02 * rng.standard_normal(rng.integers(5, 10))))
        rr += [0.7, rng.uniform(1.6, 2.6)]
    return np.cumsum(rr)


def atrial_fibrillation(duration_s: float, rng) -> np.ndarray:
    """Irregularly irregular RR, uniform 0.4-1.1 s (mean |ΔRR|/RR about 0.3, as in MIT-BIH 201 and 203)."""
    return np.cumsum(rng.uniform(0.4, 1.1, int(duration_s / 0.75)))


def test_sinus_rhythm_with_pauses_and_premature_beats_is_not_af_when_its_p_waves_are_half_consistent():
    t = sinus_with_premature_beats_and_pauses(600.0, np.random.default_rng(0))
    p_wave = np.full(len(t), 0.55)  # P waves present, their shape changing with the ectopic beats
    model = np.zeros(len(t))  # the model does not vote AF
    assert len(af_episodes(t, None, model, AfRules(strong_median_step=0.0), p_wave)[0]) > 0  # the old rule
    assert len(af_episodes(t, None, model, AfRules(), p_wave)[0]) == 0


def test_atrial_fibrillation_with_the_same_p_wave_consistency_is_still_af():
    t = atrial_fibrillation(300.0, np.random.default_rng(1))
    p_wave = np.full(len(t), 0.55)
    s, e, _ = af_episodes(t, None, np.zeros(len(t)), AfRules(), p_wave)
    assert (e - s).max() >= 30.0 and (e - s).sum() >= 0.8 * (t[-1] - t[0])
    # and without any atrial-activity measure, irregularity alone still finds it
    s, e, _ = af_episodes(t, None, None, AfRules())
    assert (e - s).max() >= 30.0 and (e - s).sum() >= 0.8 * (t[-1] - t[0])


def test_less_irregular_af_without_consistent_p_waves_is_af_when_its_irregularity_is_pervasive():
    # mean |dRR|/RR about 0.15 (DS2's 210 and 219, below the 0.2 of irregularity alone), P waves neither
    # consistent nor absent, no model vote: found because nearly every RR differs from the one before
    t = np.cumsum(np.random.default_rng(3).uniform(0.6, 0.9, 400))
    p_wave = np.full(len(t), 0.5)
    model = np.zeros(len(t))
    assert len(af_episodes(t, None, model, AfRules(pervasive_without_p=False), p_wave)[0]) == 0
    s, e, _ = af_episodes(t, None, model, AfRules(), p_wave)
    assert (e - s).max() >= 30.0 and (e - s).sum() >= 0.8 * (t[-1] - t[0])
    # with consistent P waves (sinus arrhythmia, atrial ectopy) the same RR series is not AF
    assert len(af_episodes(t, None, model, AfRules(), np.full(len(t), 0.8))[0]) == 0


def test_an_episode_needs_most_of_its_intervals_to_meet_the_rule_not_only_its_moved_edges():
    # 18 s of irregular rhythm without P waves inside a sinus rhythm whose every third RR is 14 % longer: the
    # edges move out over the sinus steps to a 53-s "episode" of which under half is AF by the rule
    rr_sinus = 0.8 * np.where(np.arange(60) % 3 == 0, 1.14, 1.0)
    t = np.cumsum(np.concatenate([rr_sinus, np.random.default_rng(4).uniform(0.4, 1.1, 24), rr_sinus]))
    p_wave, model = np.full(len(t), 0.2), np.zeros(len(t))
    s, e, _ = af_episodes(t, None, model, AfRules(min_af_share=0.0, min_confidence=0.0), p_wave)
    assert len(s) == 1 and e[0] - s[0] > 30.0
    assert len(af_episodes(t, None, model, AfRules(), p_wave)[0]) == 0
