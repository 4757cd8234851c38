"""Atrial fibrillation at beat resolution: RR irregularity with ectopic beats excluded, atrial activity and the
model's vote.

AF is an irregularly irregular ventricular rhythm. Per RR interval whose two beats are normal (N: ectopic
beats and their compensatory pauses are left out, so trigeminy or frequent PVCs are not "irregular"), the
normalised successive difference |ΔRR| / RR is averaged over a sliding window of ``window_rr`` kept
intervals centred on it (the normalised RMSSD family of Dash et al. 2009, Tateno & Glass 2001 used 50-beat
windows), together with the turning-point ratio (a random series turns at 2/3 of its points; sinus rhythm
with slow rate changes turns far less). An interval is AF when the window is irregular and either the model
supports AF (its episode head's AF+AFL probability for the 10-s window that holds the interval, at least
``model_support``), or the irregularity is strong and random-like on its own, or (with atrial activity,
:func:`~anyecg_model.signal.atrial.p_wave_consistency`) it is random-like and the window's beats lack a
consistent P wave (median consistency below ``p_absent``); a window whose P waves are consistent (median at
least ``p_present``) is never AF, however irregular (sinus arrhythmia, atrial ectopy). Irregularity alone (the
strong path, without absent P waves or the model's vote) must also be pervasive: the window's median |ΔRR|/RR
at least ``strong_median_step`` (AF is irregularly irregular; sinus bradycardia broken by premature beats and
pauses, MIT-BIH 232, has a high mean over runs of equal RR). With ``pervasive_without_p``, an irregular,
random-like window whose irregularity is pervasive is AF wherever its P waves are not consistent (median below
``p_present``), however low its mean above ``irregular_nsd``: less irregular AF (slower or drug-controlled
response) differs at nearly every beat too. In AF "premature" has no meaning, and a beat classifier calls
many AF beats S (487 of the 3 659 AF beats of MIT-BIH DS1); with ``supraventricular_in_rhythm`` the RR
intervals between beats that are N or S (V and the rest still left out) are judged too, by the strictest rule:
irregular, random-like, pervasive and without a consistent P wave (sinus rhythm with APCs keeps its sinus P
waves; atrial bigeminy alternates, trigeminy repeats). Runs of AF intervals become
episodes from the first beat of the run to the last beat; runs closer than ``merge_gap_s`` merge; with
``trim_sinus_edges`` an episode's edges that do not meet the rule themselves are trimmed while the N beats
around them show consistent P waves (sinus rhythm with ectopy beside AF is not AF); episodes less than
``bridge_gap_s`` apart join when the N beats between them show no consistent P wave (AF the RR rule loses to
PVCs or a stretch of less irregular conduction is still AF); and an
episode shorter than ``min_duration_s`` (30 s, the clinical definition of an AF episode), or one of whose
intervals fewer than ``min_af_share`` meet the AF rule themselves (the rest being its moved edges), is dropped.
Stretches between kept intervals longer than ``max_gap_s`` (unreadable signal, long ectopic runs) end a
run. Vectorised with cumulative sums: 100 000 beats of a 24-h recording take milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..signal.quality import unreadable_share
from ..vocabulary.labels import BEAT_CLASSES


@dataclass(frozen=True)
class AfRules:
    """Thresholds of the AF detector (see the module docstring); chosen on MIT-BIH DS1 (records 201 and 203
    have AF, 208 and the others none): the median normalised successive difference of ectopy-free RR is
    0.23-0.30 in their AF and 0.03-0.13 in their other rhythms; the windowed P-wave consistency 0.16-0.58 in
    their AF, mostly above 0.6 in the other rhythms. On DS1's chunk outputs (no quality gate) these thresholds
    give AF time Se / +P 0.862 / 0.960 and no AF in the records without it (without the P-wave rules: 0.862 /
    0.885, 108 1.7 %); without the episode head's vote (as for an unseen patient) Se 0.848 (0.796).
    ``strong_median_step`` (0.09) was chosen on the CinC 2017 design half (the largest value that keeps its AF
    sensitivity, 0.588; 128 -> 118 false AF records) and DS1 (AF time unchanged up to 0.12); the same value
    with ``pervasive_without_p`` gives CinC design Se 0.647 at 120 false AF records and DS1 AF time Se / +P
    0.867 / 0.961 (0.847 / 0.960 without). ``min_af_share`` 0.5 (most of an episode's intervals meet the rule,
    as a CinC record is AF when most of its windows are) drops no DS1 episode up to 0.7 (their shares 0.8-1.0);
    ``supraventricular_in_rhythm`` (no threshold of its own) raises DS1 AF time Se / +P to 0.934 / 0.963 with
    no AF in DS1's records without it (judging N+S windows by the no-P-wave rule alone, as branch
    h-af-sv-in-af did: 0.934 / 0.946 and 108 2.24 %); see docs/BENCHMARKS.md, "AF third pass".
    ``min_confidence`` 0.5 is a reporting policy, not a tuned threshold: no AF episode is stated at a
    confidence under one half. ``trim_sinus_edges`` (``edge_beats`` 4: the median over the N beats of a
    9-beat neighbourhood, robust to one noisy P wave) moves 201's onset from 11.3 to 6.1 s early and changes
    DS1 AF time Se / +P 0.932 / 0.963 -> 0.930 / 0.969 (BENCHMARKS, "AF confidence policy and sinus edges").
    ``bridge_gap_s`` 60 joins neighbouring episodes across a gap whose N beats show no consistent P wave (the
    smallest of 15 / 30 / 60 / 120 s that gives DS1's whole gain: records analysed one by one, AF time Se / +P
    0.968 / 0.972 -> 0.988 / 0.970, no AF added to a record without it; BENCHMARKS, "AF bridges")."""

    window_rr: int = 32
    irregular_nsd: float = 0.12
    model_support: float = 0.5
    strong_nsd: float = 0.2
    turning_range: tuple[float, float] = (0.5, 0.8)
    min_duration_s: float = 30.0
    merge_gap_s: float = 3.0
    max_gap_s: float = 6.0
    min_rr_s: float = 0.2
    max_rr_s: float = 3.0
    p_absent: float = 0.4
    p_present: float = 0.6
    strong_median_step: float = 0.09
    pervasive_without_p: bool = True
    min_af_share: float = 0.5
    supraventricular_in_rhythm: bool = True
    trim_sinus_edges: bool = True
    edge_beats: int = 4
    min_confidence: float = 0.5
    bridge_gap_s: float = 60.0

    def __post_init__(self) -> None:
        if self.window_rr < 8 or not 0 < self.irregular_nsd <= self.strong_nsd or self.min_duration_s < 0 \
                or self.bridge_gap_s < 0 or not 0 <= self.turning_range[0] < self.turning_range[1] <= 1:
            raise ValueError(f"invalid AF rules {self}")


@dataclass
class RrIrregularity:
    """Per kept RR interval: ``start_s``/``end_s`` (its two beats, s), ``nsd`` (windowed mean |ΔRR|/RR),
    ``turning`` (windowed turning-point ratio), ``step`` (its own |ΔRR|/RR against the previous kept interval,
    0 at a segment start) and ``segment`` (number of the stretch without a long gap it belongs to)."""

    start_s: np.ndarray
    end_s: np.ndarray
    nsd: np.ndarray
    turning: np.ndarray
    step: np.ndarray
    segment: np.ndarray


def rr_irregularity(beat_s: np.ndarray, beat_class: np.ndarray | None, rules: AfRules = AfRules(),
                    rhythm_classes: tuple[str, ...] = ("N",)) -> RrIrregularity:
    """The windowed irregularity of the RR intervals between beats of ``rhythm_classes`` (``beat_class``
    indexes :data:`BEAT_CLASSES`; None counts every beat). Windows do not cross gaps over ``max_gap_s``."""
    t = np.asarray(beat_s, np.float64)
    normal = np.ones(len(t), bool) if beat_class is None else \
        np.isin(np.asarray(beat_class), [BEAT_CLASSES.index(c) for c in rhythm_classes])
    rr = np.diff(t)
    keep = normal[1:] & normal[:-1] & (rr >= rules.min_rr_s) & (rr <= rules.max_rr_s)
    a, b, r = t[:-1][keep], t[1:][keep], rr[keep]
    n = len(r)
    empty = RrIrregularity(a, b, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))
    if n < 3:
        return empty
    d = np.abs(np.diff(r)) / r[1:]  # d[i] pairs r[i] and r[i+1]
    turn = ((r[1:-1] - r[:-2]) * (r[1:-1] - r[2:]) > 0).astype(np.float64)  # at r[i+1]
    # segments of kept intervals without a long gap; successive differences never cross a segment border
    brk = np.concatenate([[True], a[1:] - b[:-1] > rules.max_gap_s])
    seg = np.cumsum(brk) - 1
    seg_first = np.flatnonzero(brk)
    seg_last = np.concatenate([seg_first[1:], [n]]) - 1
    same = seg[1:] == seg[:-1]
    d = np.where(same, d, 0.0)
    tsame = same[1:] & same[:-1]
    turn = np.where(tsame, turn, 0.0)
    cd = np.concatenate([[0.0], np.cumsum(d)])
    cs = np.concatenate([[0], np.cumsum(same)])
    ct = np.concatenate([[0.0], np.cumsum(turn)])
    cts = np.concatenate([[0], np.cumsum(tsame)])
    i = np.arange(n)
    lo = np.maximum(seg_first[seg], i - rules.window_rr // 2)
    hi = np.minimum(seg_last[seg] + 1, lo + rules.window_rr)
    lo = np.maximum(seg_first[seg], np.minimum(lo, hi - rules.window_rr))
    # differences d[j] with lo <= j < hi - 1; turning points at j + 1 for lo <= j < hi - 2
    m_d = np.maximum(hi - 1, lo)
    nd = cs[m_d] - cs[lo]
    nsd = np.where(nd > 0, (cd[m_d] - cd[lo]) / np.maximum(nd, 1), 0.0)
    m_t = np.minimum(np.maximum(hi - 2, lo), n - 2)
    lo_t = np.minimum(lo, m_t)
    nt = cts[m_t] - cts[lo_t]
    turning = np.where(nt > 0, (ct[m_t] - ct[lo_t]) / np.maximum(nt, 1), 0.0)
    short = (hi - lo) < rules.window_rr // 2  # too few intervals to judge
    nsd[short] = 0.0
    return RrIrregularity(a, b, nsd, turning, np.concatenate([[0.0], d]), seg)


def af_episodes(beat_s: np.ndarray, beat_class: np.ndarray | None, model_af: np.ndarray | None,
                rules: AfRules = AfRules(), p_wave: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AF episodes ``(start_s, end_s, confidence)`` at beat resolution. ``model_af`` is, per beat of
    ``beat_s``, the model's probability of AF/AFL there (None: no model vote); ``p_wave`` its P-wave
    consistency (None: no atrial-activity rule).
    Confidence is the share of the episode's intervals that meet the AF rule themselves (its edges, moved out
    to where irregularity starts, may not), raised to the model's mean AF probability over them where that is
    higher: the episode head's vote is a second source when it fires, but its silence is no evidence against
    (it rarely votes AF for patients it has not seen; docs/BENCHMARKS.md). An episode below
    ``min_confidence`` is not reported: no AF is stated at a confidence under one half."""
    irr = rr_irregularity(beat_s, beat_class, rules)
    empty = (np.zeros(0), np.zeros(0), np.zeros(0))
    t = np.asarray(beat_s, np.float64)
    if not len(t):
        return empty
    lo_t, hi_t = rules.turning_range
    random_like = (irr.turning >= lo_t) & (irr.turning <= hi_t)
    strong = _pervasive((irr.nsd >= rules.strong_nsd) & random_like, irr.step, rules)
    at = np.searchsorted(t, irr.start_s).clip(0, len(t) - 1)
    if model_af is None:
        support = np.zeros(len(irr.nsd))
        af = strong
    else:
        support = np.asarray(model_af, np.float64)[at]
        af = ((irr.nsd >= rules.irregular_nsd) & (support >= rules.model_support)) | strong
    if p_wave is not None:
        p_wave = np.nan_to_num(np.asarray(p_wave, np.float64), nan=0.0)
        pmed = _p_median(irr, t, p_wave, rules)
        af = (af | _atrial_rule(irr, pmed, rules)) & (pmed < rules.p_present)
        if rules.supraventricular_in_rhythm and beat_class is not None:
            irr, af, support = _with_supraventricular(irr, af, t, beat_class, p_wave, model_af, rules)
    if not af.any():
        return empty
    edges = np.diff(np.concatenate([[0], af.astype(np.int8), [0]]))
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    first, stop = _to_onset_and_offset(irr, first, stop, rules)
    start, end = irr.start_s[first], irr.end_s[stop]
    join = np.concatenate([[False], start[1:] - end[:-1] < rules.merge_gap_s])
    group_first = np.flatnonzero(~join)
    g_start = start[group_first]
    g_end = np.maximum.reduceat(end, group_first)
    g_first = first[group_first]
    g_stop = stop[np.concatenate([group_first[1:], [len(start)]]) - 1]
    if p_wave is not None and rules.trim_sinus_edges:
        g_first, g_stop = _trim_sinus_edges(irr, af, t, beat_class, p_wave, g_first, g_stop, rules)
        g_start, g_end = irr.start_s[g_first], irr.end_s[g_stop]
    cs_af = np.concatenate([[0.0], np.cumsum(af)])
    if p_wave is not None and rules.bridge_gap_s > 0 and len(g_first) > 1:
        g_first, g_stop = _bridge_gaps_without_sinus(irr, t, beat_class, p_wave, cs_af, g_first, g_stop, rules)
        g_start, g_end = irr.start_s[g_first], irr.end_s[g_stop]
    share = (cs_af[g_stop + 1] - cs_af[g_first]) / (g_stop - g_first + 1)
    keep = (g_end - g_start >= rules.min_duration_s) & (share >= rules.min_af_share)
    g_start, g_end, g_first, g_stop, share = g_start[keep], g_end[keep], g_first[keep], g_stop[keep], share[keep]
    cs_support = np.concatenate([[0.0], np.cumsum(support)])
    n = g_stop - g_first + 1
    conf = share if model_af is None else np.maximum(share, (cs_support[g_stop + 1] - cs_support[g_first]) / n)
    sure = conf >= rules.min_confidence
    return g_start[sure], g_end[sure], conf[sure]


def readable_long_enough(starts_s: np.ndarray, ends_s: np.ndarray, unreadable_s: np.ndarray,
                         rules: AfRules = AfRules()) -> np.ndarray:
    """Mask of the AF episodes ``[starts_s, ends_s)`` with at least ``rules.min_duration_s`` of readable signal
    outside the ``unreadable_s`` spans (K, 2): AF lasting 30 s is 30 s of AF seen, not pieces joined across noise
    (MIT-BIH 105 resampled to 250 Hz had "AF" of 30.3 s of which 23 s were readable, between noisy stretches)."""
    length = np.asarray(ends_s, float) - np.asarray(starts_s, float)
    return length * (1 - unreadable_share(np.asarray(starts_s, float), np.asarray(ends_s, float), unreadable_s)) \
        >= rules.min_duration_s


def _trim_sinus_edges(irr: RrIrregularity, af: np.ndarray, t: np.ndarray, beat_class: np.ndarray | None,
                      p_wave: np.ndarray, first: np.ndarray, stop: np.ndarray,
                      rules: AfRules) -> tuple[np.ndarray, np.ndarray]:
    """Episodes (intervals ``first``..``stop`` of ``irr``) trimmed inwards over their edge intervals that do not
    meet the AF rule themselves (``af`` false: the outward move of :func:`_to_onset_and_offset`, or a window
    that reaches into the rhythm beside) while that rhythm shows P waves: the median consistency of the
    N beats among the interval's first beat and its ``edge_beats`` neighbours on each side is at least
    ``p_present``. Premature (S) beats there neither stop nor count (an APC's P wave differs from the sinus
    one): sinus rhythm with atrial ectopy before an onset or after an offset is not AF, however irregular its
    steps. Inner gaps stay bridged; the 30-s minimum applies to the trimmed episode."""
    from numpy.lib.stride_tricks import sliding_window_view

    at = np.searchsorted(t, irr.start_s).clip(0, len(t) - 1)
    n_beat = np.ones(len(t), bool) if beat_class is None else np.asarray(beat_class) == BEAT_CLASSES.index("N")
    h = rules.edge_beats
    # the median over the N beats of each neighbourhood (the other beats NaN)
    p = np.pad(np.where(n_beat, p_wave, np.nan), (h, h), constant_values=np.nan)
    windows = sliding_window_view(p, 2 * h + 1)[at]
    has_n = ~np.isnan(windows).all(axis=1)
    med = np.zeros(len(at))
    if has_n.any():
        med[has_n] = np.nanmedian(windows[has_n], axis=1)
    sinus = has_n & (med >= rules.p_present)
    trim = sinus & ~af
    first, stop = first.copy(), stop.copy()
    for k in range(len(first)):
        while first[k] < stop[k] and trim[first[k]]:
            first[k] += 1
        while stop[k] > first[k] and trim[stop[k]]:
            stop[k] -= 1
    return first, stop


def _bridge_gaps_without_sinus(irr: RrIrregularity, t: np.ndarray, beat_class: np.ndarray | None, p_wave: np.ndarray,
                               cs_af: np.ndarray, first: np.ndarray, stop: np.ndarray,
                               rules: AfRules) -> tuple[np.ndarray, np.ndarray]:
    """Neighbouring episodes (intervals ``first``..``stop`` of ``irr``, in time order) joined across a gap of at
    most ``bridge_gap_s`` in which sinus rhythm is not shown: the median P-wave consistency of the gap's N beats
    is under ``p_present`` (a gap of ectopic beats alone shows none). A stretch of AF that the RR rule loses to
    ventricular ectopy or a run of less irregular conduction is still AF; sinus rhythm between two episodes, with
    its P waves, keeps them apart. A join is made only while the joined episode keeps a share of intervals meeting
    the AF rule (``cs_af``: their cumulative count) of at least ``min_af_share`` and ``min_confidence``, so a
    bridge never costs an episode that stood on its own."""
    n_beat = np.ones(len(t), bool) if beat_class is None else np.asarray(beat_class) == BEAT_CLASSES.index("N")
    floor = max(rules.min_af_share, rules.min_confidence)
    out_first, out_stop = [int(first[0])], [int(stop[0])]
    for f, s in zip(first[1:].tolist(), stop[1:].tolist()):
        gap_from, gap_to = irr.end_s[out_stop[-1]], irr.start_s[f]
        gap = slice(np.searchsorted(t, gap_from, "right"), np.searchsorted(t, gap_to, "left"))  # beats inside
        p_sinus = p_wave[gap][n_beat[gap]]
        no_sinus = not len(p_sinus) or float(np.median(p_sinus)) < rules.p_present
        share = (cs_af[s + 1] - cs_af[out_first[-1]]) / (s - out_first[-1] + 1)
        if gap_to - gap_from <= rules.bridge_gap_s and no_sinus and share >= floor:
            out_stop[-1] = s
        else:
            out_first.append(f)
            out_stop.append(s)
    return np.array(out_first, first.dtype), np.array(out_stop, stop.dtype)


def _p_median(irr: RrIrregularity, t: np.ndarray, p_wave: np.ndarray, rules: AfRules) -> np.ndarray:
    """Per interval of ``irr``: the median P-wave consistency of the window of beats around its first beat."""
    return _sliding_median(p_wave[np.searchsorted(t, irr.start_s).clip(0, len(t) - 1)], rules.window_rr)


def _atrial_rule(irr: RrIrregularity, pmed: np.ndarray, rules: AfRules) -> np.ndarray:
    """Per interval of ``irr``: irregular and random-like, and either without a consistent P wave (windowed
    median ``pmed`` below ``p_absent``) or (``pervasive_without_p``) pervasively irregular; the ``p_present``
    veto is the caller's."""
    lo_t, hi_t = rules.turning_range
    irregular = (irr.nsd >= rules.irregular_nsd) & (irr.turning >= lo_t) & (irr.turning <= hi_t)
    out = irregular & (pmed < rules.p_absent)
    if rules.pervasive_without_p:
        out |= _pervasive(irregular, irr.step, rules)
    return out


def _with_supraventricular(irr: RrIrregularity, af: np.ndarray, t: np.ndarray, beat_class: np.ndarray,
                           p_wave: np.ndarray, model_af: np.ndarray | None,
                           rules: AfRules) -> tuple[RrIrregularity, np.ndarray, np.ndarray]:
    """The AF intervals of the N-beat view ``irr`` (flags ``af``) carried over to the view of N and S beats, or'ed
    with that view's own, strictest rule: irregular, random-like, pervasive and without a consistent P wave
    (median below ``p_absent``); sinus rhythm with APCs keeps its sinus P waves, atrial bigeminy alternates.
    Every N-N interval is also an interval of the N+S view; one that is not (an S beat at one end) takes the AF
    flag when the N-N intervals on both sides have it. Returns the N+S view, its flags and the model's support
    per interval."""
    wide = rr_irregularity(t, beat_class, rules, ("N", "S"))
    at = np.searchsorted(t, wide.start_s).clip(0, len(t) - 1)
    wide_support = np.zeros(len(wide.nsd)) if model_af is None else np.asarray(model_af, np.float64)[at]
    carried = np.zeros(len(wide.nsd), bool)
    if len(irr.nsd):
        k = np.searchsorted(irr.start_s, wide.start_s, side="right") - 1
        exact = (k >= 0) & (irr.start_s[k.clip(0)] == wide.start_s)
        before = af[k.clip(0)] & (k >= 0)
        after = af[(k + 1).clip(0, len(af) - 1)] & (k + 1 < len(af))
        carried = np.where(exact, before, before & after)
    lo_t, hi_t = rules.turning_range
    irregular = (wide.nsd >= rules.irregular_nsd) & (wide.turning >= lo_t) & (wide.turning <= hi_t)
    own = _pervasive(irregular & (_p_median(wide, t, p_wave, rules) < rules.p_absent), wide.step, rules)
    return wide, carried | own, wide_support


def _to_onset_and_offset(irr: RrIrregularity, first: np.ndarray, stop: np.ndarray,
                         rules: AfRules) -> tuple[np.ndarray, np.ndarray]:
    """Runs of AF intervals (indices ``first``..``stop``) moved out to the beats where the irregularity starts
    and ends: a centred window turns irregular only once about half of it is, so a run found by windows starts
    up to half a window late and ends as early. Each edge moves outwards (at most half a window, never across a
    gap) while one of the next three intervals differs from its predecessor by ``irregular_nsd`` or more."""
    half = rules.window_rr // 2
    irregular = irr.step >= rules.irregular_nsd
    n = len(irregular)
    first, stop = first.copy(), stop.copy()
    for k in range(len(first)):
        i, seg = first[k], irr.segment[first[k]]
        floor = max(i - half, stop[k - 1] + 1 if k else 0)
        while i - 1 >= floor and irr.segment[i - 1] == seg and irregular[max(i - 3, 0):i].any():
            i -= 1
        first[k] = i
        j, seg = stop[k], irr.segment[stop[k]]
        ceil = min(j + half, first[k + 1] - 1 if k + 1 < len(first) else n - 1)
        while j + 1 <= ceil and irr.segment[j + 1] == seg and irregular[j + 1:j + 4].any():
            j += 1
        stop[k] = j
    return first, stop


def _pervasive(flagged: np.ndarray, step: np.ndarray, rules: AfRules) -> np.ndarray:
    """``flagged`` kept only where the irregularity is pervasive: the median of the window's own successive
    differences |ΔRR|/RR is at least ``strong_median_step``. AF is irregularly irregular, nearly every RR
    differs from the one before; sinus or atrial rhythm broken by pauses and premature beats has a high mean
    (a few large steps) over a low median (runs of equal RR, organised pacing between the interruptions).
    Computed at the flagged intervals only; a threshold of 0 keeps every flag."""
    idx = np.flatnonzero(flagged)
    if not len(idx) or rules.strong_median_step <= 0:
        return flagged
    from numpy.lib.stride_tricks import sliding_window_view

    h = rules.window_rr // 2
    windows = sliding_window_view(np.pad(step, (h, rules.window_rr - h - 1), mode="edge"), rules.window_rr)
    out = flagged.copy()
    out[idx] = np.median(windows[idx], axis=1) >= rules.strong_median_step
    return out


def _sliding_median(x: np.ndarray, width: int) -> np.ndarray:
    """Median of ``x`` over a centred window of ``width`` values (edges padded with the edge values)."""
    if not len(x):
        return x
    from numpy.lib.stride_tricks import sliding_window_view

    h = width // 2
    return np.median(sliding_window_view(np.pad(x, (h, width - h - 1), mode="edge"), width), axis=1)
