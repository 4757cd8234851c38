"""Pacemaker stimuli found beat by beat on a recording fast enough to show them (numpy only).

An ECG machine marks a beat paced when a pacing stimulus precedes it: an edge that rises in about one sample
out of quiet signal, far more abruptly than any wave the heart makes. Sampled at 400 Hz or more, as resting
12-lead ECGs and most digital Holters are, the stimulus survives the recorder's filters as such an edge (PTB-XL,
500 Hz: 0.6-1.8 mV within 2 ms after 20 ms of flat line). MIT-BIH's tapes (360 Hz, replayed through 0.1-100 Hz
filters) blunt it to a 10-25 ms wave, so below :data:`MIN_STIMULUS_FS` nothing here applies.

Per beat (:func:`stimulus_offsets`): the first edge on any lead within :data:`BEFORE_S` before to
:data:`AFTER_S` after its R peak whose rise over about 2 ms (one sample at 500 Hz) reaches :data:`MIN_EDGE_MV`
and :data:`ABRUPTNESS` times every such rise over the :data:`QUIET_S` before it (the sample just before the
edge left out: the stimulus' own filter ringing). Where it lies relative to R (ms) or NaN.
A stimulus counts (:func:`paced_by_stimulus`) when at least :data:`MIN_ALIKE` - 1 other beats of the same
stretch carry one at the same delay to their R peak (within :data:`ALIKE_MS`): a pacemaker fires at a fixed
delay before its QRS (or its P wave, for an atrial stimulus), a lone artefact spike at any.

:func:`with_stimulus_evidence` turns that into beat labels: a beat with a counted stimulus is paced; where no beat
of a stretch recorded at :data:`MIN_STIMULUS_FS` or more has one, none is (the beat classifier, trained on
MIT-BIH's blunted stimuli, called 62 beats of 18 non-paced PTB-XL ECGs paced). A recorder that removes the
stimuli from its output, or a bipolar lead too small to show them, leaves its paced beats to the classifier's
other classes.

Designed on PTB-XL's 500 records (6 paced) and then LUDB's 200 (10 paced; the step rule of :func:`_returns`
was added after LUDB's first look), docs/BENCHMARKS.md: a counted stimulus on 49 of PTB-XL's 71 paced beats
and none of its 5 980 others; on 56 of LUDB's 107 paced beats (none on its bipolar and biventricular ones)
and 4 of its 2 147 others.
"""
from __future__ import annotations

import numpy as np

from .labels import BEAT_CLASSES

#: Slowest sampling rate (Hz) at which a pacing stimulus is looked for.
MIN_STIMULUS_FS = 400.0
#: Stretch searched around each R peak (s): an atrial stimulus precedes the P wave, up to ~0.3 s before R.
BEFORE_S, AFTER_S = 0.30, 0.03
#: The edge: its rise (mV over about 2 ms), and how many times every rise over the quiet ``QUIET_S`` before it.
MIN_EDGE_MV, ABRUPTNESS, QUIET_S = 0.3, 8.0, 0.02
#: A stimulus comes back at least halfway within this (s); a step in the signal does not.
RETURN_S = 0.02
#: Beats whose stimuli lie within ``ALIKE_MS`` (ms) of each other's delay to R; ``MIN_ALIKE`` of them count.
ALIKE_MS, MIN_ALIKE = 25.0, 3
#: Below MIN_STIMULUS_FS, consecutive beats called paced that a stretch needs for any of its paced calls to stand
#: (a paced rhythm episode's length, analysis.episodes.MIN_PACED_BEATS).
MIN_PACED_RUN = 5
#: Share of beats carrying a counted stimulus that were paced, on the design records (105 of 109, PTB-XL and
#: LUDB): the probability of ``P`` such a beat gets at least.
STIMULUS_PRECISION = 0.96


def stimulus_offsets(signal: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """(K,) float64: per R peak (``peaks``, samples of ``signal`` (S, n) in mV at ``fs`` Hz, the file's own rate
    before any filtering) the delay (ms, negative before R) of the first pacing stimulus edge near it on any lead,
    or NaN. All NaN below :data:`MIN_STIMULUS_FS`."""
    peaks = np.asarray(peaks, np.int64)
    out = np.full(len(peaks), np.nan)
    x = np.atleast_2d(np.nan_to_num(np.asarray(signal, np.float32)))
    step = max(1, int(round(fs / 500.0)))  # a rise over about 2 ms, whatever the rate
    if fs < MIN_STIMULUS_FS or len(peaks) == 0 or x.shape[1] <= step + 2:
        return out
    rise = np.abs(x[:, step:] - x[:, :-step])  # rise[:, i]: from sample i to i + step
    quiet = int(round(QUIET_S * fs))
    span = quiet - step  # the rises starting in [i - quiet, i - step - 1]: the one just before i left out
    before = np.full(rise.shape, np.inf, np.float32)  # before[i]: max(rise[i - quiet : i - step])
    before[:, quiet:] = _running_max(rise, span)[:, : rise.shape[1] - quiet]
    lead, at = np.nonzero((rise >= MIN_EDGE_MV) & (rise > ABRUPTNESS * before))
    keep = _returns(x, lead, at, step, fs)
    at = np.unique(at[keep])
    if at.size == 0:
        return out
    lo = np.searchsorted(at, peaks - int(round(BEFORE_S * fs)))
    hi = np.searchsorted(at, peaks + int(round(AFTER_S * fs)), side="right")
    has = hi > lo
    out[has] = (at[lo[has]] - peaks[has]) * 1000.0 / fs
    return out


def _running_max(a: np.ndarray, span: int) -> np.ndarray:
    """(S, n - span + 1): out[:, j] = max(a[:, j : j + span]), by doubling (log2(span) passes)."""
    width, m = 1, a
    while 2 * width <= span:
        m = np.maximum(m[:, :-width], m[:, width:])  # max over 2 * width samples
        width *= 2
    return np.maximum(m[:, : a.shape[1] - span + 1], m[:, span - width: span - width + a.shape[1] - span + 1])


def _returns(x: np.ndarray, lead: np.ndarray, at: np.ndarray, step: int, fs: float) -> np.ndarray:
    """Per edge (``lead``, sample ``at``, rising over ``step`` samples): whether the signal comes back within
    :data:`RETURN_S` at least halfway to (or past) where it started from its extreme over the edge's first
    4 ms: a stimulus is a pulse; a step that stays (a sample-and-hold plateau dropping at once, as LUDB's QRS
    tops do) is not."""
    n = x.shape[1]
    start = x[lead, at]
    top = np.clip(at[:, None] + step + np.arange(max(1, int(round(0.004 * fs))))[None], 0, n - 1)
    dev = x[lead[:, None], top] - start[:, None]
    peak = dev[np.arange(len(at)), np.abs(dev).argmax(1)]
    later = np.clip(at[:, None] + step + np.arange(max(1, int(round(RETURN_S * fs))))[None], 0, n - 1)
    back = x[lead[:, None], later] - start[:, None]
    return ((np.abs(back) <= 0.5 * np.abs(peak)[:, None]) | (np.sign(back) != np.sign(peak)[:, None])).any(1)


def paced_by_stimulus(offsets_ms: np.ndarray) -> np.ndarray:
    """(K,) bool: beats whose stimulus (:func:`stimulus_offsets`) lies within :data:`ALIKE_MS` of those of at
    least :data:`MIN_ALIKE` - 1 other beats."""
    o = np.asarray(offsets_ms, np.float64)
    seen = np.flatnonzero(np.isfinite(o))
    out = np.zeros(len(o), bool)
    if len(seen) < MIN_ALIKE:
        return out
    v = np.sort(o[seen])
    near = np.searchsorted(v, o[seen] + ALIKE_MS, side="right") - np.searchsorted(v, o[seen] - ALIKE_MS)
    out[seen] = near >= MIN_ALIKE  # each counts itself
    return out


def with_stimulus_evidence(prob: np.ndarray, stimulated: np.ndarray) -> np.ndarray:
    """Beat class probabilities (N, len(BEAT_CLASSES)) of one stretch corrected by its pacing stimuli
    (``stimulated``, (N,) bool, :func:`paced_by_stimulus`): a beat with a stimulus is paced with probability at
    least :data:`STIMULUS_PRECISION`; where no beat of the stretch has one, no beat is paced (the classifier's
    ``P`` share goes to the other classes in proportion). A row with nothing outside ``P`` is left as it is."""
    k = BEAT_CLASSES.index("P")
    prob = np.asarray(prob)
    out = prob.astype(np.float64)
    paced = np.full(len(out), 0.0) if not np.asarray(stimulated, bool).any() else np.where(
        stimulated, np.maximum(out[:, k], STIMULUS_PRECISION), out[:, k])
    rest = out.sum(1) - out[:, k]
    ok = rest > 0
    others = np.arange(out.shape[1]) != k
    out[np.ix_(ok, others)] *= ((1.0 - paced[ok]) / rest[ok])[:, None]
    out[ok, k] = paced[ok]
    return out.astype(prob.dtype)


def without_lone_paced_calls(prob: np.ndarray) -> np.ndarray:
    """Beat class probabilities (N, len(BEAT_CLASSES)) of one stretch of a recording too slow to show a stimulus:
    unless :data:`MIN_PACED_RUN` consecutive beats are called paced somewhere in it, no beat is (the ``P`` share
    goes to the other classes). On MIT-BIH's 24-h join the beat trees called 65 beats of DS1's unpaced records
    paced, none in such a run; the paced records' runs keep 6 068 of their 6 252 paced calls."""
    paced = np.asarray(prob).argmax(1) == BEAT_CLASSES.index("P")
    if paced.any():
        edges = np.diff(np.concatenate([[0], paced.astype(np.int8), [0]]))
        if (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max() >= MIN_PACED_RUN:
            return prob
    return with_stimulus_evidence(prob, np.zeros(len(paced), bool))
