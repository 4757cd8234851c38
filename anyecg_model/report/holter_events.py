"""Rhythm episodes merged into the clinical events a Holter report lists.

An analysis (or an annotator) cuts a recording into many short rhythm episodes; a cardiologist reads
events: one atrial fibrillation from its onset to its offset even when the labelling flickered for a
few seconds inside it. Episodes of the same rhythm separated by less than the rhythm's merge gap become
one event; events shorter than the rhythm's minimum duration (AF under 30 s, the usual threshold of
an AF episode) are counted as short runs rather than listed. Heart rates are in bpm, times in s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..vocabulary.labels import RHYTHM_NAMES
from .findings import Episode

#: Labels that name the same rhythm (MIT-BIH aux codes and the model's episode labels).
SAME_RHYTHM: dict[str, str] = {"AFIB": "AF", "B": "BIGEMINY", "T": "TRIGEMINY"}
#: Labels that are not a rhythm event (signal too poor to read, or "other").
NOT_EVENTS = frozenset({"NOISE", "OTHER", "~"})
#: Report order of the rhythm types (others follow alphabetically).
EVENT_ORDER = ("AF", "AFL", "VT", "VFL", "SVTA", "IVR", "NOD", "BIGEMINY", "TRIGEMINY", "AB", "BII", "SBR", "PREX", "P")


@dataclass(frozen=True)
class EventRule:
    """Episodes of one rhythm closer than ``merge_gap_s`` s are one event; events shorter than
    ``min_duration_s`` s are counted as short runs, not listed."""

    merge_gap_s: float
    min_duration_s: float


def _default_rules() -> dict[str, EventRule]:
    return {"AF": EventRule(30.0, 30.0), "AFL": EventRule(30.0, 30.0), "VT": EventRule(1.0, 0.0),
            "VFL": EventRule(1.0, 0.0), "SVTA": EventRule(2.0, 0.0)}


@dataclass(frozen=True)
class EventRules:
    """Merge gap and minimum duration per rhythm label; ``default`` for labels not in ``by_label``."""

    default: EventRule = EventRule(10.0, 0.0)
    by_label: Mapping[str, EventRule] = field(default_factory=_default_rules)
    #: RR intervals (s) over which an event's maximum heart rate is averaged
    rate_window_beats: int = 8
    min_rr_s: float = 0.2
    max_rr_s: float = 2.0

    def rule(self, label: str) -> EventRule:
        return self.by_label.get(label, self.default)


@dataclass(frozen=True)
class ClinicalEvent:
    """One rhythm event from ``start_s`` to ``end_s`` (s), made of ``n_episodes`` merged episodes."""

    label: str
    start_s: float
    end_s: float
    n_episodes: int
    max_hr_bpm: float | None
    confidence: float | None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def name(self) -> str:
        return RHYTHM_NAMES.get(self.label, self.label)


@dataclass(frozen=True)
class EventType:
    """All events of one rhythm: ``events`` (at least the minimum duration, by onset) and the short runs."""

    label: str
    events: tuple[ClinicalEvent, ...]
    short_runs: tuple[ClinicalEvent, ...]
    min_duration_s: float

    @property
    def name(self) -> str:
        return RHYTHM_NAMES.get(self.label, self.label)

    @property
    def total_s(self) -> float:
        return sum(e.duration_s for e in self.events) + sum(e.duration_s for e in self.short_runs)

    @property
    def longest(self) -> ClinicalEvent | None:
        every = self.events or self.short_runs
        return max(every, key=lambda e: e.duration_s) if every else None

    @property
    def fastest(self) -> ClinicalEvent | None:
        rated = [e for e in (*self.events, *self.short_runs) if e.max_hr_bpm is not None]
        return max(rated, key=lambda e: e.max_hr_bpm) if rated else None


def rhythm_key(label: str) -> str:
    """The label an episode is merged under (AFIB and AF are one rhythm)."""
    up = label.upper()
    return SAME_RHYTHM.get(up, up)


def merge_events(episodes: Sequence[Episode], beat_time_s: np.ndarray, rules: EventRules = EventRules()
                 ) -> list[EventType]:
    """Events per rhythm type in report order, from non-normal ``episodes`` and the beat times (s)."""
    by_key: dict[str, list[Episode]] = {}
    for e in episodes:
        key = rhythm_key(e.label)
        if e.is_normal or key in NOT_EVENTS or e.end_s <= e.start_s:
            continue
        by_key.setdefault(key, []).append(e)
    beats = np.asarray(beat_time_s, dtype=np.float64)
    types = []
    for key in sorted(by_key, key=_order):
        rule = rules.rule(key)
        merged = [_event(key, group, beats, rules) for group in _groups(by_key[key], rule.merge_gap_s)]
        types.append(EventType(key, tuple(e for e in merged if e.duration_s >= rule.min_duration_s),
                               tuple(e for e in merged if e.duration_s < rule.min_duration_s), rule.min_duration_s))
    return types


def _order(key: str) -> tuple[int, str]:
    return (EVENT_ORDER.index(key) if key in EVENT_ORDER else len(EVENT_ORDER), key)


def _groups(episodes: list[Episode], gap_s: float) -> list[list[Episode]]:
    ordered = sorted(episodes, key=lambda e: e.start_s)
    groups: list[list[Episode]] = [[ordered[0]]]
    end = ordered[0].end_s
    for e in ordered[1:]:
        if e.start_s - end < gap_s:
            groups[-1].append(e)
            end = max(end, e.end_s)
        else:
            groups.append([e])
            end = e.end_s
    return groups


def _event(key: str, group: list[Episode], beats: np.ndarray, rules: EventRules) -> ClinicalEvent:
    start, end = min(e.start_s for e in group), max(e.end_s for e in group)
    weighted = [(e.confidence, e.duration_s) for e in group if e.confidence is not None]
    total = sum(w for _, w in weighted)
    confidence = sum(c * w for c, w in weighted) / total if weighted and total > 0 else None
    return ClinicalEvent(key, start, end, len(group), max_rate_bpm(beats, start, end, rules), confidence)


def max_rate_bpm(beat_time_s: np.ndarray, start_s: float, end_s: float, rules: EventRules = EventRules()
                 ) -> float | None:
    """Fastest heart rate (bpm) in ``[start_s, end_s]``: 60 / mean RR over ``rules.rate_window_beats``
    consecutive intervals (fewer in a short run); intervals outside the plausible range break the window.
    None with fewer than two beats."""
    a, b = np.searchsorted(beat_time_s, [start_s, end_s], side="left")
    t = beat_time_s[a:b + 1] if b < len(beat_time_s) and beat_time_s[b] <= end_s else beat_time_s[a:b]
    rr = np.diff(t)
    best = None
    for seg in np.split(rr, np.flatnonzero((rr < rules.min_rr_s) | (rr > rules.max_rr_s))):
        seg = seg[(seg >= rules.min_rr_s) & (seg <= rules.max_rr_s)]
        if seg.size == 0:
            continue
        k = min(rules.rate_window_beats, seg.size)
        sums = np.convolve(seg, np.ones(k), mode="valid")
        rate = 60.0 * k / float(sums.min())
        best = rate if best is None else max(best, rate)
    return best
