"""Rhythm episodes from per-window label probabilities, the findings' summary, and episode scoring.

Episodes: consecutive windows with the same most probable label merge into one episode whose
confidence is the mean probability of that label over its windows. Tachycardias need beats: VT and SVTA
are reported only from runs of ectopic beats (:func:`with_beat_runs`), three or more consecutive V beats
at 100 bpm or faster are VT, three or more S beats at that rate SVTA (outside AF/AFL), the definitions
MIT-BIH's annotators used, with onset and offset at the run's first and last beat; the episode head's
10-s VT/SVTA windows are never an episode on their own, only corroboration that lets a less confident run
through (:class:`RunRules`). :data:`MIN_PACED_BEATS` or more paced (P) beats at any rate are a paced
rhythm, PACED. AF burden (:func:`af_burden`, the one definition every view and report uses) is the share
of the analysed time inside AF or AFL episodes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

import numpy as np

from ..signal.rpeaks import MAX_RR_S, MIN_RR_S
from ..vocabulary.labels import AF_EPISODE_LABELS, BEAT_CLASSES, EPISODE_LABELS, is_af
from .findings import Beats, Findings, RhythmEpisode

#: Ectopic runs laid over the window episodes: beat class → episode label; shortest run (beats), slowest rate (bpm).
RUN_LABELS = {"V": "VT", "S": "SVTA", "P": "PACED"}
MIN_RUN_BEATS = 3
#: Shortest run of paced beats (at any rate) that is a paced-rhythm episode.
MIN_PACED_BEATS = 5
#: Fewest beats of a VT or SVTA run whose onset or end the recording does not show (its first beat is the
#: recording's first, or follows a stretch without beats longer than ``MAX_RR_S``; or unreadable signal lies within
#: ``UNREADABLE_MARGIN_S`` of it).
MIN_ONSETLESS_RUN_BEATS = 8
UNREADABLE_MARGIN_S = 1.0
#: Most beats of another class (a PVC or a couplet, a sinus capture, a fusion the trees did not call paced)
#: between two paced runs that leave them one paced-rhythm episode.
MAX_PACED_INTERRUPTION = 2
MIN_RUN_RATE_BPM = 100.0
#: Episode labels that only beat runs give (the episode head's windows of these labels corroborate a run).
RUN_ONLY_LABELS = ("VT", "SVTA")
#: Window labels that are not a rhythm event (no confidence floor applies to them).
NOT_RHYTHM_EVENTS = frozenset({"NSR", "NOISE", "OTHER"})


@dataclass(frozen=True)
class RunRules:
    """Confidence floors of rhythm events. Lowest mean beat confidence of a VT/SVTA run (and of a bigeminy or
    trigeminy's premature beats, :mod:`.ectopy`; and of a window episode of any other rhythm event) that is
    reported: ``min_confidence`` on its own,
    ``min_confidence_corroborated`` where the episode head calls a 10-s window that overlaps the run the same
    tachycardia; of a paced run ``min_confidence_paced`` (v0.3.0's floor, not re-chosen). For v0.4.0's beat
    trees (docs/BENCHMARKS.md, "VT and SVTA need beats"): ``min_confidence_corroborated`` 0.7 was chosen on the
    MIT-BIH DS1 records (at every lone floor, the highest that keeps the true runs: VT Se / +P 0.231 / 0.500 at
    (0.85, 0.7), 0.205 / 0.381 at (0.85, 0.85)). ``min_confidence`` stays v0.3.0's 0.85: DS1 is the trees'
    training data and its best lone floor, 0.95 (VT 0.205 / 0.812), cost 5 of the 9 true VT episodes of the
    held-out DS2 join, which 0.85 keeps (seen on DS2, so that choice is not a clean held-out result)."""

    min_confidence: float = 0.85
    min_confidence_corroborated: float = 0.7
    min_confidence_paced: float = 0.85

    def __post_init__(self) -> None:
        if not all(0 <= x <= 1 for x in (self.min_confidence, self.min_confidence_corroborated,
                                         self.min_confidence_paced)):
            raise ValueError(f"invalid run rules {self}")


def episodes_from_windows(start_s: np.ndarray, end_s: np.ndarray, prob: np.ndarray) -> list[RhythmEpisode]:
    """Merge windows (sorted by time; ``start_s``/``end_s`` in s, ``prob`` (W, E)) into episodes of their
    argmax label. Vectorised: a 24-hour recording's 8,640 windows take well under a millisecond."""
    n = len(start_s)
    if n == 0:
        return []
    lab = prob.argmax(1)
    cut = np.flatnonzero((lab[1:] != lab[:-1]) | (start_s[1:] - end_s[:-1] > 1e-6)) + 1
    first = np.concatenate([[0], cut])
    last = np.concatenate([cut, [n]]) - 1
    p = prob[np.arange(n), lab].astype(np.float64)
    conf = np.add.reduceat(p, first) / (last - first + 1)
    return [RhythmEpisode(a, b, EPISODE_LABELS[k], c) for a, b, k, c in
            zip(np.asarray(start_s, np.float64)[first].tolist(), np.asarray(end_s, np.float64)[last].tolist(),
                lab[first].tolist(), conf.tolist())]


def beat_runs(time_s: np.ndarray, label: np.ndarray, confidence: np.ndarray, rules: RunRules = RunRules(),
              windows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
              unreadable_s: np.ndarray | None = None):
    """Runs of :data:`MIN_RUN_BEATS` or more consecutive beats of a class in :data:`RUN_LABELS` at
    :data:`MIN_RUN_RATE_BPM` or faster (paced beats: :data:`MIN_PACED_BEATS` or more, any rate, mean
    confidence ``rules.min_confidence_paced``) whose mean confidence reaches ``rules.min_confidence``, or
    ``rules.min_confidence_corroborated`` where one of the episode head's ``windows`` (``start_s``,
    ``end_s``, label) of the run's label overlaps it; from the first
    beat to the last beat (s): arrays ``(start_s, end_s, episode label, mean confidence)``, vectorised
    (100 000 beats: ms). A VT or SVTA run whose onset or end the recording does not show — its first beat is the
    recording's first or comes after more than ``MAX_RR_S`` without a beat (lost signal), or the quality gate's
    ``unreadable_s`` spans ((E, 2) s, sorted) lie within :data:`UNREADABLE_MARGIN_S` of it — needs
    :data:`MIN_ONSETLESS_RUN_BEATS`: its first beat's prematurity cannot be judged, a recorder's first second is
    where the electrodes' contact settles, and noise the gate caught in part reaches the beats beside it (CinC
    2017, every eighth strip: 12 of the 25 VT runs on strips the reference calls normal began at the first beat,
    3-6 "beats" of settling artefact; no MIT-BIH record begins in VT or SVTA; muscle artefact at -6 dB,
    ``bench_noise_stress.py``: 7 of 12 false VT runs on DS2 records lay within 1.3 s of unreadable signal)."""
    label = np.asarray(label)
    empty = (np.zeros(0), np.zeros(0), np.zeros(0, object), np.zeros(0))
    if len(label) < MIN_RUN_BEATS:
        return empty
    first = np.flatnonzero(np.concatenate([[True], label[1:] != label[:-1]]))
    last = np.concatenate([first[1:], [len(label)]]) - 1
    n = last - first + 1
    rr = (time_s[last] - time_s[first]) / np.maximum(n - 1, 1)
    codes = [BEAT_CLASSES.index(c) for c in RUN_LABELS]
    ok = np.isin(label[first], codes) & (n >= MIN_RUN_BEATS) & (rr > 0)
    fast = 60.0 / np.where(rr > 0, rr, np.inf) >= MIN_RUN_RATE_BPM
    ok &= np.where(label[first] == BEAT_CLASSES.index("P"), n >= MIN_PACED_BEATS, fast)
    onset = (first > 0) & (time_s[first] - time_s[np.maximum(first - 1, 0)] <= MAX_RR_S)
    if unreadable_s is not None and len(unreadable_s):
        bad = np.asarray(unreadable_s, np.float64).reshape(-1, 2)
        k = np.searchsorted(bad[:, 0], time_s[last] + UNREADABLE_MARGIN_S, side="right") - 1
        onset &= ~((k >= 0) & (bad[k.clip(0), 1] >= time_s[first] - UNREADABLE_MARGIN_S))
    ok &= onset | (n >= MIN_ONSETLESS_RUN_BEATS) | (label[first] == BEAT_CLASSES.index("P"))
    first, last = first[ok], last[ok]
    if not len(first):
        return empty
    start = time_s[first].astype(np.float64)
    end = time_s[last].astype(np.float64)
    names = np.array([RUN_LABELS.get(c, "") for c in BEAT_CLASSES], dtype=object)[label[first]]
    csum = np.concatenate([[0.0], np.cumsum(np.asarray(confidence, np.float64))])
    mean_conf = (csum[last + 1] - csum[first]) / (last - first + 1)
    paced = names == RUN_LABELS["P"]
    sure = mean_conf >= np.where(paced, rules.min_confidence_paced, rules.min_confidence)
    if windows is not None:
        seen = overlaps_same_label(start, end, names, *windows)
        sure |= seen & ~paced & (mean_conf >= rules.min_confidence_corroborated)
    first, last, names, mean_conf = _join_paced(first[sure], last[sure], names[sure], mean_conf[sure])
    return time_s[first].astype(np.float64), time_s[last].astype(np.float64), names, mean_conf


def _join_paced(first: np.ndarray, last: np.ndarray, names: np.ndarray, conf: np.ndarray):
    """Runs (beat indices ``first``..``last`` in time order, episode ``names``, mean confidences) with paced runs
    at most :data:`MAX_PACED_INTERRUPTION` beats apart joined into one (confidence weighted by their paced
    beats): a paced rhythm interrupted by a PVC or a sinus capture is one episode (MIT-BIH's paced records read
    216 paced-rhythm episodes for the reference's 60, 179 of them less than 5 s apart). A loop over runs, not
    beats: a 24-h recording has hundreds."""
    keep = np.ones(len(first), bool)
    last, conf = last.copy(), conf.astype(np.float64).copy()
    beats = (last - first + 1).astype(np.float64)
    prev = -1
    for k in range(len(first)):
        if names[k] == RUN_LABELS["P"] and prev >= 0 and names[prev] == RUN_LABELS["P"] \
                and first[k] - last[prev] - 1 <= MAX_PACED_INTERRUPTION:
            conf[prev] = (conf[prev] * beats[prev] + conf[k] * beats[k]) / (beats[prev] + beats[k])
            beats[prev] += beats[k]
            last[prev] = last[k]
            keep[k] = False
        else:
            prev = k
    return first[keep], last[keep], names[keep], conf[keep]


def overlaps_same_label(s: np.ndarray, e: np.ndarray, labels: np.ndarray, w_s: np.ndarray, w_e: np.ndarray,
                         w_lab: np.ndarray) -> np.ndarray:
    """Mask of the spans ``[s, e]`` that overlap a window ``[w_s, w_e)`` (sorted, disjoint) of their label."""
    out = np.zeros(len(s), bool)
    for name in set(np.asarray(w_lab).tolist()):
        m = np.asarray(w_lab) == name
        a, b = np.asarray(w_s, np.float64)[m], np.asarray(w_e, np.float64)[m]
        k = np.searchsorted(b, s, side="right")
        hit = (k < len(a)) & (a[np.minimum(k, max(len(a) - 1, 0))] <= e)
        out |= hit & (labels == name)
    return out


def with_beat_runs(episodes: list[RhythmEpisode], time_s: np.ndarray, label: np.ndarray,
                   confidence: np.ndarray, rules: RunRules = RunRules(),
                   windows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                   unreadable_s: np.ndarray | None = None) -> list[RhythmEpisode]:
    """``episodes`` (sorted, disjoint, from windows) with the ectopic runs of :func:`beat_runs` cut into
    them (``windows``: the episode head's VT/SVTA windows that corroborate runs); SVTA runs inside AF/AFL are
    left out (supraventricular runs belong to the fibrillation). Vectorised over elementary segments, so a
    24-h recording costs milliseconds however many runs it has."""
    r_s, r_e, r_lab, r_conf = beat_runs(time_s, label, confidence, rules, windows, unreadable_s)
    if not len(r_s) or not episodes:
        return episodes
    e_s = np.array([e.start_s for e in episodes])
    e_e = np.array([e.end_s for e in episodes])
    is_af = np.array([e.label in AF_EPISODE_LABELS for e in episodes])
    if is_af.any():
        a_s, a_e = e_s[is_af], e_e[is_af]
        k = np.searchsorted(a_e, r_s, side="right")
        in_af = (k < len(a_s)) & (a_s[np.minimum(k, len(a_s) - 1)] < r_e)
        keep = ~((r_lab == "SVTA") & in_af)
        r_s, r_e, r_lab, r_conf = r_s[keep], r_e[keep], r_lab[keep], r_conf[keep]
        if not len(r_s):
            return episodes
    return lay_over(episodes, r_s, r_e, r_lab, r_conf)


def lay_over(episodes: list[RhythmEpisode], s: np.ndarray, e: np.ndarray, labels: np.ndarray,
             confidence: np.ndarray) -> list[RhythmEpisode]:
    """``episodes`` (sorted, disjoint) with the spans ``[s, e)`` (sorted, disjoint; s) cut into them as episodes
    of ``labels`` / ``confidence``; what the spans leave of an episode keeps its label and confidence.
    Vectorised over elementary segments: milliseconds for a 24-h recording however many spans it has."""
    if not len(s):
        return episodes
    e_s = np.array([x.start_s for x in episodes], np.float64)
    e_e = np.array([x.end_s for x in episodes], np.float64)
    points = np.unique(np.concatenate([e_s, e_e, s, e]))
    mid = 0.5 * (points[:-1] + points[1:])
    ei = np.searchsorted(e_s, mid, side="right") - 1
    in_ep = (ei >= 0) & (mid < e_e[ei.clip(0)]) if len(e_s) else np.zeros(len(mid), bool)
    ri = np.searchsorted(s, mid, side="right") - 1
    in_run = (ri >= 0) & (mid < np.asarray(e)[ri.clip(0)])
    key = np.where(in_run, 2 * ri + 1, np.where(in_ep, 2 * ei, -1))
    seg = np.flatnonzero(key >= 0)
    if not len(seg):
        return episodes
    # a new output piece starts where the source changes or segments are not adjacent
    new = np.concatenate([[True], (key[seg[1:]] != key[seg[:-1]]) | (seg[1:] != seg[:-1] + 1)])
    starts = seg[new]
    ends = seg[np.concatenate([np.flatnonzero(new)[1:] - 1, [len(seg) - 1]])]
    out = []
    for a, b in zip(starts, ends):
        k = int(key[a])
        if k % 2:
            j = k // 2
            out.append(RhythmEpisode(float(points[a]), float(points[b + 1]), str(labels[j]), float(confidence[j])))
        else:
            x = episodes[k // 2]
            out.append(RhythmEpisode(float(points[a]), float(points[b + 1]), x.label, x.confidence))
    return out


@dataclass(frozen=True)
class PacedBeats:
    """How many of a recording's ``total`` beats are ``paced`` (P): the rhythm classes know no paced rhythm, so
    the verdict, the CLI line and the model dock say it in these words."""

    paced: int
    total: int

    @property
    def rhythm(self) -> bool:
        """Half the beats or more are paced: a paced rhythm, not paced beats in another rhythm."""
        return 2 * self.paced >= self.total

    def note(self) -> str:
        return f"{'paced rhythm' if self.rhythm else 'paced beats'}: {self.paced} of {self.total} beats paced"


def paced_beats(labels: np.ndarray) -> PacedBeats | None:
    """The paced beats among beat class indices ``labels``, or None under :data:`MIN_PACED_BEATS` of them."""
    paced = int(np.sum(np.asarray(labels) == BEAT_CLASSES.index("P")))
    return PacedBeats(paced, len(labels)) if paced >= MIN_PACED_BEATS else None


def conducted_in_af(beats: Beats, episodes: list[RhythmEpisode]) -> Beats:
    """``beats`` with those called S inside AF/AFL ``episodes`` called N, their confidence kept (a lower bound of
    the beat being supraventricular): in AF every conducted beat comes at an irregular interval, "premature" has
    no meaning, and MIT-BIH's annotators label them N (on its 24-h join, 366 of DS2's 447 S calls inside detected
    AF were reference N beats, 77 S)."""
    af = [(e.start_s, e.end_s) for e in episodes if e.label in AF_EPISODE_LABELS]
    s = np.asarray(beats.label) == BEAT_CLASSES.index("S")
    if not af or not s.any():
        return beats
    a_s, a_e = np.array(af).T
    k = np.searchsorted(a_s, beats.time_s, side="right") - 1
    inside = (k >= 0) & (beats.time_s <= a_e[k.clip(0)])
    label = np.where(s & inside, BEAT_CLASSES.index("N"), beats.label).astype(beats.label.dtype)
    return Beats(beats.time_s, label, beats.confidence)


#: A short strip whose every RR interval (at least ``MIN_REGULAR_RR`` of them) lies within this fraction of their
#: median holds one sustained rhythm.
REGULAR_RR_TOLERANCE = 0.12
MIN_REGULAR_RR = 4


def regular_strip_s_calls(beats: Beats, tolerance: float = REGULAR_RR_TOLERANCE) -> Beats:
    """``beats`` of a short strip with their S calls read N when every RR interval lies within ``tolerance`` of
    the median (at least :data:`MIN_REGULAR_RR` intervals; the confidence kept, as in
    :func:`conducted_in_af`). S is the premature supraventricular beat, and on such a strip no beat comes early:
    the strip shows one sustained rhythm (atrial flutter with fixed block, a sinus or junctional tachycardia, an
    SVT whose onset lies outside the strip), which is the rhythm verdict's to name. PTB-XL's 10-s atrial flutter
    ECGs at 128-173 bpm (RR within 2-4 % of each other) read S and N at random between identical beats, all at
    0.45-0.75."""
    s = np.asarray(beats.label) == BEAT_CLASSES.index("S")
    rr = np.diff(np.asarray(beats.time_s, np.float64))
    if not s.any() or len(rr) < MIN_REGULAR_RR or np.any(np.abs(rr / np.median(rr) - 1.0) > tolerance):
        return beats
    label = np.where(s, BEAT_CLASSES.index("N"), beats.label).astype(beats.label.dtype)
    return Beats(beats.time_s, label, beats.confidence)


#: A short strip's rhythm verdict of normal sinus rhythm at this probability or more outweighs its ectopic calls.
NORMAL_VERDICT_OVER_ECTOPY = 0.8
#: Episode labels that ectopic beats make (runs and patterns of :mod:`.ectopy`).
ECTOPIC_EPISODES = ("VT", "SVTA", "BIGEMINY", "TRIGEMINY", "AB")


def ectopy_under_normal_verdict(beats: Beats, episodes: list[RhythmEpisode] | None,
                                p_normal: float) -> tuple[Beats, list[RhythmEpisode] | None]:
    """A short strip's ``beats`` with their V calls read Q (unclassifiable), their S calls N (confidences kept),
    and its VT, SVTA, bigeminy, trigeminy and atrial bigeminy ``episodes`` NSR (at ``p_normal``), when its rhythm
    verdict calls it normal sinus rhythm at ``p_normal`` ≥ :data:`NORMAL_VERDICT_OVER_ECTOPY`. The verdict's trees
    were trained on 8 528 handheld strips and read the ectopy the beat labels show: where they still call the
    strip normal, its ectopic calls are far more often artefact (V: noisy complexes, finger twitches, the
    electrodes settling) or sinus arrhythmia (S) than ectopic beats. CinC 2017's test split: V calls on 47 % of
    the strips its reference calls normal, 14 % after this rule; S calls on 19 %, 10 % after; on its AF and
    "other" strips 1-2 % of the calls change. PTB-XL's ECGs coded PVC or PAC and LUDB's records with
    extrasystoles read "other" or normal under 0.8, and keep theirs."""
    label = np.asarray(beats.label)
    v, s = label == BEAT_CLASSES.index("V"), label == BEAT_CLASSES.index("S")
    if p_normal < NORMAL_VERDICT_OVER_ECTOPY or not (v.any() or s.any()):
        return beats, episodes
    label = np.where(v, BEAT_CLASSES.index("Q"), np.where(s, BEAT_CLASSES.index("N"), label))
    if episodes is not None:
        episodes = [replace(e, label="NSR", confidence=p_normal) if e.label in ECTOPIC_EPISODES else e
                    for e in episodes]
    return Beats(beats.time_s, label.astype(beats.label.dtype), beats.confidence), episodes


#: Longest stretch (s) before the first beat or after the last that joins the episode next to it.
MAX_BEATLESS_EDGE_S = 2.0


def join_beatless_edges(episodes: list[RhythmEpisode], peaks_s: np.ndarray,
                        max_s: float = MAX_BEATLESS_EDGE_S) -> list[RhythmEpisode]:
    """``episodes`` (sorted, disjoint) with the first and the last joined to their neighbour when no beat
    (``peaks_s``, s) lies in them and they last under ``max_s``: the fraction of a second before a 10-s ECG's
    first beat or after its last says nothing of the rhythm (a paced ECG read "NSR 0-0.7 s, PACED 0.7-9.4 s,
    NSR 9.4-10 s" from the window labels left at its edges)."""
    if len(episodes) < 2 or not len(peaks_s):
        return episodes
    out = list(episodes)
    first, second = out[0], out[1]
    if first.end_s <= peaks_s[0] and first.end_s - first.start_s < max_s and first.end_s == second.start_s:
        out[:2] = [replace(second, start_s=first.start_s)]
    if len(out) >= 2:
        last, before = out[-1], out[-2]
        if last.start_s >= peaks_s[-1] and last.end_s - last.start_s < max_s and before.end_s == last.start_s:
            out[-2:] = [replace(before, end_s=last.end_s)]
    return out


def summarise(f: Findings, peaks_s: np.ndarray) -> None:
    """Fill the summary: heart rate (bpm, from physiologic RR intervals), beat count (AF burden: :func:`af_burden`).

    The mean rate is 60 / mean RR; min and max are the same measure per clock minute of the record (as in the
    Holter report), so min <= mean <= max always holds. A record with beats in fewer than two minutes has no
    minute-to-minute range: min and max are None."""
    rr = np.diff(peaks_s)
    ok = (rr >= MIN_RR_S) & (rr <= MAX_RR_S)
    rr = rr[ok]
    if len(rr):
        minute = (peaks_s[1:][ok] // 60).astype(int)
        _, idx = np.unique(minute, return_inverse=True)
        rates = 60.0 * np.bincount(idx) / np.bincount(idx, weights=rr)
        several = len(rates) >= 2
        f.heart_rate_bpm = {"mean": float(60.0 / rr.mean()), "min": float(rates.min()) if several else None,
                            "max": float(rates.max()) if several else None}
    f.n_beats = int(len(f.beats)) if f.beats is not None else int(len(peaks_s))


def af_burden(episodes: Iterable[tuple[float, float, str]], analysed_s: float | None = None) -> float | None:
    """Share of the analysed time (s; default: the time the episodes cover) inside AF/AFL episodes
    (:func:`~anyecg_model.vocabulary.labels.is_af`: model labels or MIT-BIH codes); None when nothing was analysed."""
    episodes = list(episodes)
    total = sum(b - a for a, b, *_ in episodes) if analysed_s is None else analysed_s
    if total <= 0:
        return None
    return min(1.0, sum(b - a for a, b, lab, *_ in episodes if is_af(lab)) / total)


def episode_scores(ref: list[tuple[float, float, str]], det: list[tuple[float, float, str]],
                   labels: tuple[str, ...]) -> dict[str, float]:
    """Episode sensitivity and positive predictivity by overlap (EC57 style): a reference episode of a
    label in ``labels`` counts as detected when any detected episode of those labels overlaps it, and
    vice versa. Returns counts too."""
    r = [(a, b) for a, b, lab in ref if lab in labels]
    d = [(a, b) for a, b, lab in det if lab in labels]

    def overlaps(x, ys):
        return any(x[0] < y[1] and y[0] < x[1] for y in ys)

    tp_r = sum(overlaps(x, d) for x in r)
    tp_d = sum(overlaps(x, r) for x in d)
    return {"Se": tp_r / len(r) if r else float("nan"), "+P": tp_d / len(d) if d else float("nan"),
            "n_ref": len(r), "n_det": len(d)}
