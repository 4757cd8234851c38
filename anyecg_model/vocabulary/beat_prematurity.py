"""RR prematurity against the rhythm that precedes each beat (numpy only).

The clinical features of :mod:`.beat_context` measure each RR interval against windows centred on the beat
(±30 s, ±10 beats) and against the context's median. A premature atrial beat is judged by a reader against the
beats just before it, and a run of premature beats drags a centred mean down with it; the published
inter-patient S-beat features (de Chazal 2004; Mar 2011; Llamedo 2011) include the pre-RR over the mean of the
preceding beats' RR intervals. Per beat:

- ``pre_over_preceding`` and ``post_over_preceding``: pre-RR and post-RR over the mean of the
  :data:`PRECEDING_BEATS` RR intervals that end before the beat (the first beats use what precedes them, the
  very first its own pre-RR);
- ``pre_over_local_median``: pre-RR over the median of the RR intervals of the :data:`PRECEDING_BEATS` beats
  either side (a median: robust to the ectopic beats around it);
- ``pre_over_context_mean``: pre-RR over the context's mean RR (the analysed chunk and its margins).

``peaks`` are sorted sample indices at ``fs`` Hz; RR intervals are clipped to 0.15-3 s.
"""
from __future__ import annotations

import numpy as np

#: Names of the columns of :func:`prematurity_features`, in order.
PREMATURITY_FEATURES: tuple[str, ...] = ("pre_over_preceding", "post_over_preceding", "pre_over_local_median",
                                         "pre_over_context_mean")
#: Beats whose RR intervals form the preceding mean (and, either side, the local median).
PRECEDING_BEATS = 10


def prematurity_features(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(K, len(PREMATURITY_FEATURES)) float32 for the R ``peaks`` (samples, sorted) at ``fs`` Hz; ones for
    fewer than two beats."""
    p = np.asarray(peaks, np.float64)
    k = len(p)
    out = np.ones((k, len(PREMATURITY_FEATURES)), np.float32)
    if k < 2:
        return out
    rr = np.clip(np.diff(p) / fs, 0.15, 3.0)  # rr[i] ends at beat i + 1
    pre = np.concatenate([[rr[0]], rr])
    post = np.concatenate([rr, [rr[-1]]])
    # mean of the RR intervals ending at beats j-N .. j-1, i.e. pre[j-N .. j-1]
    c = np.concatenate([[0.0], np.cumsum(pre)])
    j = np.arange(k)
    lo = np.maximum(j - PRECEDING_BEATS, 0)
    preceding = np.where(j > 0, (c[j] - c[lo]) / np.maximum(j - lo, 1), pre)
    # median of pre[j-N .. j+N] (edge-padded) by a sliding window view
    padded = np.pad(pre, PRECEDING_BEATS, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * PRECEDING_BEATS + 1)
    local_median = np.median(windows, axis=1)
    out[:, 0] = pre / preceding
    out[:, 1] = post / preceding
    out[:, 2] = pre / local_median
    out[:, 3] = pre / rr.mean()
    return out
