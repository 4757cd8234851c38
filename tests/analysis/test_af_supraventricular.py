"""AF with beats a classifier calls S: part of the rhythm when RR is random-like and P waves are absent; sinus
rhythm with APCs, atrial bigeminy and trigeminy stay not AF."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.af import AfRules, af_episodes
from anyecg_model.vocabulary.labels import BEAT_CLASSES

N, S = BEAT_CLASSES.index("N"), BEAT_CLASSES.index("S")


def af_time(beats: np.ndarray, cls: np.ndarray, p_wave: np.ndarray, rules: AfRules = AfRules()) -> float:
    s, e, _ = af_episodes(beats, cls, np.zeros(len(beats)), rules, p_wave)
    return float(np.sum(e - s))


def test_af_with_many_beats_called_s_is_detected():
    rng = np.random.default_rng(3)
    beats = np.cumsum(rng.uniform(0.45, 1.05, 300))  # irregularly irregular, about 225 s
    cls = np.where(rng.random(len(beats)) < 0.6, S, N)  # the beat head calls 60 % of them S
    p_wave = np.full(len(beats), 0.1)  # no consistent P wave
    found = af_time(beats, cls, p_wave)
    assert found > 0.8 * (beats[-1] - beats[0])
    # left out as ectopic (the rule before), the few N-N intervals are too scattered to judge
    assert af_time(beats, cls, p_wave, AfRules(supraventricular_in_rhythm=False)) < 0.5 * found


def test_sinus_rhythm_with_random_apcs_is_not_af():
    rng = np.random.default_rng(4)
    rr, cls = [], []
    for _ in range(400):
        if rng.random() < 0.2:  # an APC: premature, then a longer pause
            rr += [0.8 * rng.uniform(0.55, 0.7), 0.8 * rng.uniform(1.1, 1.3)]
            cls += [S, N]
        else:
            rr.append(0.8 * rng.uniform(0.97, 1.03))
            cls.append(N)
    beats, cls = np.cumsum(rr), np.array(cls)
    p_wave = np.where(cls == S, 0.2, 0.85)  # the APC's P wave differs; the sinus beats' are consistent
    assert af_time(beats, cls, p_wave) == 0.0


def test_atrial_bigeminy_and_trigeminy_are_not_af():
    rng = np.random.default_rng(5)
    jitter = lambda n: rng.uniform(0.98, 1.02, n)  # noqa: E731
    # bigeminy N S N S: alternating RR turns at every interval (not random-like), even with no P-wave evidence
    beats = np.cumsum(np.tile([0.55, 1.05], 150) * jitter(300))
    cls = np.tile([N, S], 150)
    assert af_time(beats, cls, np.full(len(beats), 0.1)) == 0.0
    # trigeminy N N S: its fixed pattern is as irregular as AF; its sinus P waves keep it out
    beats = np.cumsum(np.tile([0.8, 0.5, 1.1], 120) * jitter(360))
    cls = np.tile([N, N, S], 120)
    assert af_time(beats, cls, np.where(cls == S, 0.3, 0.8)) == 0.0
