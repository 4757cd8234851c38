"""An AF episode's onset and offset are not moved over sinus beats with P waves: the windowed irregularity and
the outward move of the edges reach into sinus rhythm with atrial ectopy beside an AF run (MIT-BIH 201: an
onset 11 s early over sinus beats and APCs); edges that do not meet the AF rule themselves are trimmed while
the N beats around them show a consistent P wave."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.af import AfRules, af_episodes
from anyecg_model.vocabulary.labels import BEAT_CLASSES

N, S = BEAT_CLASSES.index("N"), BEAT_CLASSES.index("S")


def sinus_with_apcs(n_cycles: int) -> tuple[list[float], list[int], list[float]]:
    """Sinus rhythm (RR 0.8 s, P consistency 0.9) with an APC every fourth beat (coupling 0.5 s, reset pause
    1.0 s; the APC's P wave differs: consistency 0.1): RR, beat classes, P-wave consistency."""
    rr, cls, p = [], [], []
    for _ in range(n_cycles):
        rr += [0.8, 0.8, 0.5, 1.0]
        cls += [N, N, S, N]
        p += [0.9, 0.9, 0.1, 0.9]
    return rr, cls, p


def test_onset_and_offset_are_not_moved_over_sinus_beats_with_p_waves():
    rng = np.random.default_rng(7)
    rr1, c1, p1 = sinus_with_apcs(25)
    rr_af = list(rng.uniform(0.4, 1.1, 160))
    rr2, c2, p2 = sinus_with_apcs(25)
    rr = np.array(rr1 + rr_af + rr2)
    t = np.cumsum(rr)
    cls = np.array(c1 + [N] * len(rr_af) + c2)
    p = np.array(p1 + list(rng.uniform(-0.5, 0.5, len(rr_af))) + p2)
    onset, offset = t[len(rr1) - 1], t[len(rr1) + len(rr_af) - 1]
    model = np.zeros(len(t))
    s, e, _ = af_episodes(t, cls, model, AfRules(trim_sinus_edges=False), p)
    assert len(s) == 1 and onset - s[0] > 8.0 and e[0] - offset > 8.0  # before: edges reach into the sinus rhythm
    s, e, _ = af_episodes(t, cls, model, AfRules(), p)
    assert len(s) == 1
    # within the 9-beat neighbourhood whose N beats must show P waves (about 5 s here)
    assert abs(s[0] - onset) <= 5.0 and abs(e[0] - offset) <= 5.0
    # AF itself is not shortened: beside AF without P waves the edges stay where the irregularity starts
    assert e[0] - s[0] >= 0.9 * (offset - onset)
