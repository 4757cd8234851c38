"""The numbers of a Holter summary, computed from beat times and rhythm episodes (no drawing here).

Heart rate is 60 / RR (bpm). Per-minute rates are averaged over the RR intervals ending in each
minute; an hour's min and max are the extremes of its minute rates (so one ectopic beat does not set
the day's maximum), its mean is 60 / mean RR. Gaps between beats longer than ``signal_loss_s`` count
as unanalysed (signal loss, not asystole), and so do intervals that overlap a stretch the signal-quality gate
found unreadable; RR intervals from ``pause_s`` up to that limit are pauses.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..analysis.episodes import af_burden
from ..signal.quality import rr_across_unreadable
from .ectopy import Ectopy, ectopy
from .findings import Episode, ReportFindings
from .holter_events import EventRules, EventType, merge_events, rhythm_key


#: Rhythms in which beats are not labelled (ventricular flutter / fibrillation, noise): no pause inside them.
BEATLESS = frozenset({"VFL", "VF", "VFIB", "NOISE"})
#: Seconds of signal shown before an episode's onset in its strip.
ONSET_LEAD_IN_S = 2.0


@dataclass(frozen=True)
class HolterRules:
    """Thresholds (s) and limits of the summary."""

    pause_s: float = 2.0
    signal_loss_s: float = 10.0
    min_rr_s: float = 0.2
    min_beats_per_minute_bin: int = 5
    #: a minute counts for min/max heart rate only when its RR intervals cover this much of it (s)
    min_minute_coverage_s: float = 30.0
    max_events: int = 12
    events: EventRules = field(default_factory=EventRules)

    def __post_init__(self) -> None:
        if not 0 < self.min_rr_s < self.pause_s < self.signal_loss_s:
            raise ValueError("need 0 < min_rr_s < pause_s < signal_loss_s (s)")


@dataclass(frozen=True)
class HourStats:
    """One clock hour from ``start_s`` (s from the recording start): beats, heart rate (bpm), ectopy, pauses."""

    start_s: float
    n_beats: int
    hr_min: float | None
    hr_mean: float | None
    hr_max: float | None
    n_v: int
    n_s: int
    n_pauses: int


@dataclass(frozen=True)
class Event:
    """A moment worth a printed strip, marked at ``time_s`` (s). The strip starts ``lead_in_s`` before the
    mark (onsets), or is centred on it when ``lead_in_s`` is None."""

    time_s: float
    title: str
    lead_in_s: float | None = None


@dataclass(frozen=True)
class HolterSummary:
    duration_s: float
    analysed_s: float
    n_beats: int
    beat_counts: dict[str, int]
    hr_mean: float | None
    hr_min: tuple[float, float] | None  # (bpm, time s of that minute)
    hr_max: tuple[float, float] | None
    hours: list[HourStats]
    episodes: list[Episode]  # non-normal rhythm episodes, by onset
    af_burden: float | None  # fraction of analysed time in AF/AFL
    longest_af: Episode | None
    pauses: list[tuple[float, float]]  # (onset s, duration s)
    event_types: list[EventType] = field(default_factory=list)  # episodes merged into clinical events
    ectopy: dict[str, Ectopy] = field(default_factory=dict)  # "V", "S"
    events: list[Event] = field(default_factory=list)  # strips to print


def summarise(findings: ReportFindings, duration_s: float, rules: HolterRules = HolterRules(),
              clock_offset_s: float = 0.0) -> HolterSummary:
    """Holter numbers for a recording of ``duration_s`` s whose beats and episodes are in ``findings``.

    ``clock_offset_s`` is how far past the hour the recording started (s): minutes and hours are then
    clock minutes and hours (a recording started at 20:15 has a first "hour" of 45 minutes).
    """
    if not 0.0 <= clock_offset_s < 3600.0:
        raise ValueError(f"clock offset must be in [0, 3600) s, got {clock_offset_s}")
    t = np.asarray(findings.beat_time_s, dtype=np.float64)
    labels = np.asarray(findings.beat_label, dtype=object)
    rr = np.diff(t)
    rr_end = t[1:]
    valid = (rr >= rules.min_rr_s) & (rr < rules.signal_loss_s) & ~touches_unreadable(t, findings.unreadable)
    analysed = float(rr[valid].sum())
    # no beats are labelled in ventricular flutter/fibrillation or noise: a long RR across one is no pause
    beatless = tuple((e.start_s, e.end_s, e.label) for e in findings.episodes if rhythm_key(e.label) in BEATLESS)
    long_rr = valid & (rr >= rules.pause_s)
    pause_mask = long_rr & ~touches_unreadable(t, beatless)
    pauses = [(float(t[i]), float(rr[i])) for i in np.flatnonzero(pause_mask)]
    hr_rr = valid & ~long_rr

    minute = np.floor((rr_end[hr_rr] + clock_offset_s) / 60.0).astype(np.int64)
    rr_ok = rr[hr_rr]
    minute_hr: dict[int, float] = {}
    minute_t: dict[int, float] = {}  # mean time (s) of the beats of each minute
    if minute.size:
        sums = np.bincount(minute, weights=rr_ok)
        counts = np.bincount(minute)
        times = np.bincount(minute, weights=rr_end[hr_rr])
        full = (counts >= rules.min_beats_per_minute_bin) & (sums >= rules.min_minute_coverage_s)
        for m in np.flatnonzero(full):
            minute_hr[int(m)] = 60.0 * counts[m] / sums[m]
            minute_t[int(m)] = times[m] / counts[m]

    hours = []
    n_hours = max(1, int(np.ceil((duration_s + clock_offset_s) / 3600.0)))
    for h in range(n_hours):
        a, b = max(0.0, h * 3600.0 - clock_offset_s), (h + 1) * 3600.0 - clock_offset_s
        in_hour = (t >= a) & (t < b)
        rr_h = rr_ok[(rr_end[hr_rr] >= a) & (rr_end[hr_rr] < b)]
        mins = [v for m, v in minute_hr.items() if h * 60 <= m < (h + 1) * 60]
        hours.append(HourStats(
            start_s=a, n_beats=int(in_hour.sum()),
            hr_min=min(mins) if mins else None,
            hr_mean=60.0 / float(rr_h.mean()) if rr_h.size else None,
            hr_max=max(mins) if mins else None,
            n_v=int(np.sum(labels[in_hour] == "V")), n_s=int(np.sum(labels[in_hour] == "S")),
            n_pauses=sum(1 for p, _ in pauses if a <= p < b),
        ))

    hr_min = hr_max = None
    if minute_hr:
        m_min = min(minute_hr, key=minute_hr.get)
        m_max = max(minute_hr, key=minute_hr.get)
        hr_min = (minute_hr[m_min], minute_t[m_min])
        hr_max = (minute_hr[m_max], minute_t[m_max])
    episodes = sorted((e for e in findings.episodes if not e.is_normal), key=lambda e: e.start_s)
    af = [e for e in episodes if e.is_af]
    summary = HolterSummary(
        duration_s=float(duration_s),
        analysed_s=analysed,
        n_beats=int(t.size),
        beat_counts=findings.beat_counts(),
        hr_mean=60.0 / float(rr_ok.mean()) if rr_ok.size else None,
        hr_min=hr_min,
        hr_max=hr_max,
        hours=hours,
        episodes=episodes,
        af_burden=af_burden(((max(e.start_s, 0.0), min(e.end_s, duration_s), e.label) for e in af), analysed),
        longest_af=max(af, key=lambda e: e.duration_s) if af else None,
        pauses=pauses,
        event_types=merge_events(episodes, t, rules.events),
        ectopy={k: ectopy(t, labels, k, max_rr_s=rules.pause_s) for k in ("V", "S")},
    )
    return HolterSummary(**{**summary.__dict__, "events": notable_events(summary, findings, rules)})


def notable_events(s: HolterSummary, findings: ReportFindings, rules: HolterRules) -> list[Event]:
    """Strips worth printing, most important first: onset of the longest AF (else AFL) event, the fastest VT
    (event, else ventricular run), the longest pause, the heart-rate extremes, the onset of the longest event
    of every other rhythm, the model's most anomalous windows."""
    events: list[Event] = []
    types = {t.label: t for t in s.event_types}
    af = types.get("AF") or types.get("AFL")
    if af is not None and af.longest is not None:
        e = af.longest
        events.append(Event(e.start_s, f"Onset of the longest {e.name} ({format_duration(e.duration_s)}"
                                       f"{_rate(e.max_hr_bpm)})", ONSET_LEAD_IN_S))
    vt = types.get("VT")
    run = s.ectopy["V"].fastest_run if "V" in s.ectopy else None
    if vt is not None and vt.fastest is not None:
        e = vt.fastest
        events.append(Event(e.start_s, f"Fastest ventricular tachycardia ({format_duration(e.duration_s)}"
                                       f"{_rate(e.max_hr_bpm)})", ONSET_LEAD_IN_S))
    elif run is not None:
        events.append(Event((run.start_s + run.end_s) / 2, f"Fastest ventricular run: {run.n_beats} beats at "
                                                          f"{run.rate_bpm:.0f} bpm"))
    if s.pauses:
        onset, dur = max(s.pauses, key=lambda p: p[1])
        events.append(Event(onset + dur / 2, f"Longest pause: {dur:.1f} s"))
    if s.hr_max is not None:
        events.append(Event(s.hr_max[1], f"Maximum heart rate: {s.hr_max[0]:.0f} bpm (1-min mean)"))
    if s.hr_min is not None:
        events.append(Event(s.hr_min[1], f"Minimum heart rate: {s.hr_min[0]:.0f} bpm (1-min mean)"))
    for t in s.event_types:
        if t is af or t is vt or t.longest is None:
            continue
        e = t.longest
        events.append(Event(e.start_s, f"Onset of the longest {e.name} ({format_duration(e.duration_s)}"
                                       f"{_rate(e.max_hr_bpm)})", ONSET_LEAD_IN_S))
    for start, end, score in sorted(findings.anomaly_windows, key=lambda w: -w[2])[:2]:
        events.append(Event((start + end) / 2, f"Model anomaly window, score {score:.2f}"))
    return events[: rules.max_events]


def _rate(bpm: float | None) -> str:
    return "" if bpm is None else f", up to {bpm:.0f} bpm"


def format_duration(seconds: float) -> str:
    """Duration as ``1 h 02 min``, ``3 min 05 s`` or ``12.0 s``."""
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def touches_unreadable(t: np.ndarray, unreadable) -> np.ndarray:
    """Per RR interval of the sorted beat times ``t`` (s): True when it overlaps an unreadable stretch
    ``(start_s, end_s, reason)`` — a gap in unreadable signal is lost signal, not a pause."""
    spans = np.array(sorted((a, b) for a, b, *_ in unreadable), np.float64).reshape(-1, 2)
    return rr_across_unreadable(t, spans)