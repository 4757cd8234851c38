"""Tables and the chart of the Holter summary: rhythm events by type, the events themselves (the longest
of each type, counts for the rest), the hourly table and the heart-rate trend. Times are written by the
recording's :class:`~anyecg_model.timebase.TimeBase`; heart rates in bpm; geometry in mm."""
from __future__ import annotations

import math

import numpy as np
from reportlab.lib.units import mm

from ..timebase import TimeBase
from .holter_events import ClinicalEvent, EventType
from .holter_pages import MARGIN_MM, Pages, table
from .holter_stats import HolterSummary, format_duration
from .paper import text

CHART_H_MM = 45.0
#: Events listed per rhythm type in the events table (the longest); the rest are counted.
EVENTS_PER_TYPE = 5


def _bpm(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def _conf(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _short(t: EventType) -> str:
    if not t.short_runs:
        return "–"
    return f"{len(t.short_runs)} ({format_duration(sum(e.duration_s for e in t.short_runs))})"


def event_types_table(pages: Pages, s: HolterSummary, tb: TimeBase) -> None:
    """One row per rhythm type: events, short runs, total time, longest event and fastest rate."""
    if not s.event_types:
        pages.need(2 * 4.0)
        text(pages.c, MARGIN_MM, pages.y, "Rhythm events: none other than normal rhythm.", 9.0, bold=True)
        pages.y -= 8.0
        return
    cols = [("Rhythm", 52.0), ("Events", 14.0), ("Shorter runs", 24.0), ("Total", 22.0),
            (f"Longest (onset, {tb.column})", 52.0), ("Max HR", 16.0)]
    rows = []
    for t in s.event_types:
        longest = t.longest
        rows.append([f"{t.label} ({t.name})" if t.name != t.label else t.label, str(len(t.events)), _short(t),
                     format_duration(t.total_s),
                     f"{format_duration(longest.duration_s)} at {tb.at(longest.start_s, label=False)}",
                     _bpm(t.fastest.max_hr_bpm if t.fastest else None)])
    table(pages, "Rhythm events by type (episodes of one rhythm closer than its merge gap are one event)", cols,
          rows)


def events_table(pages: Pages, s: HolterSummary, tb: TimeBase, per_type: int = EVENTS_PER_TYPE) -> None:
    """The longest ``per_type`` events of each rhythm type, then a note counting the others."""
    if not s.event_types:
        return
    cols = [("Rhythm", 52.0), (f"Onset ({tb.column})", 30.0), ("Offset", 30.0), ("Duration", 24.0),
            ("Max HR", 16.0), ("Episodes", 16.0), ("Confidence", 18.0)]
    if not any(e.confidence is not None for t in s.event_types for e in t.events):
        cols = cols[:-1]  # reference labels carry no confidence: no column of dashes
    rows: list[list[str]] = []
    grey: set[int] = set()
    for t in s.event_types:
        listed = sorted(t.events, key=lambda e: -e.duration_s)[:per_type]
        for e in sorted(listed, key=lambda e: e.start_s):
            rows.append(_event_row(e, tb))
        rest = len(t.events) - len(listed)
        notes = []
        if rest:
            others = sorted(t.events, key=lambda e: -e.duration_s)[per_type:]
            notes.append(f"{rest} more {t.label} event{'s' if rest > 1 else ''} "
                         f"({format_duration(sum(e.duration_s for e in others))})")
        if t.short_runs:
            notes.append(f"{len(t.short_runs)} {t.label} run{'s' if len(t.short_runs) > 1 else ''} shorter than "
                         f"{t.min_duration_s:g} s "
                         f"({format_duration(sum(e.duration_s for e in t.short_runs))}) counted, not listed")
        if notes:
            grey.add(len(rows))
            rows.append(["… " + "; ".join(notes)])
    table(pages, f"Rhythm events (the {per_type} longest of each rhythm)", cols, rows, frozenset(grey))


def _event_row(e: ClinicalEvent, tb: TimeBase) -> list[str]:
    return [f"{e.label} ({e.name})" if e.name != e.label else e.label, tb.at(e.start_s, label=False),
            tb.at(e.end_s, label=False), format_duration(e.duration_s), _bpm(e.max_hr_bpm), str(e.n_episodes),
            _conf(e.confidence)]


def hourly_table(pages: Pages, s: HolterSummary, tb: TimeBase) -> None:
    cols = [(f"Hour from ({tb.column})", 32.0), ("Beats", 18.0), ("HR min", 16.0), ("HR mean", 16.0),
            ("HR max", 16.0), ("V beats", 16.0), ("S beats", 16.0), ("Pauses", 16.0)]
    rows = [[tb.at(h.start_s, label=False), str(h.n_beats), _bpm(h.hr_min), _bpm(h.hr_mean), _bpm(h.hr_max),
             str(h.n_v), str(h.n_s), str(h.n_pauses)] for h in s.hours]
    table(pages, "Hourly table (heart rate in bpm, from 1-min means)", cols, rows)


def hr_chart(pages: Pages, s: HolterSummary, tb: TimeBase) -> None:
    """Heart-rate trend: per hour a bar from the minimum to the maximum 1-min rate, the mean as a dot and line."""
    c = pages.c
    pages.need(CHART_H_MM + 12.0)
    text(c, MARGIN_MM, pages.y, "Heart-rate trend (bpm per hour: bar = min–max of 1-min means, dot = mean)", 9.0,
         bold=True)
    x0, y0 = MARGIN_MM + 10.0, pages.y - CHART_H_MM - 4.0
    w, h = pages.width - 12.0, CHART_H_MM
    top_bpm = max([180.0] + [hr.hr_max for hr in s.hours if hr.hr_max is not None])
    top_bpm = 20.0 * math.ceil(top_bpm / 20.0)
    lo_bpm = 20.0

    def y_of(bpm: float) -> float:
        return y0 + (bpm - lo_bpm) / (top_bpm - lo_bpm) * h

    c.setLineWidth(0.15 * mm)
    for bpm in np.arange(lo_bpm, top_bpm + 1, 20.0):
        c.setStrokeColorRGB(0.85, 0.85, 0.85)
        c.line(x0 * mm, y_of(bpm) * mm, (x0 + w) * mm, y_of(bpm) * mm)
        text(c, x0 - 1.5, y_of(bpm) - 1.0, f"{bpm:.0f}", 6.5, align="right")
    n = len(s.hours)
    slot = w / n
    label_every = max(1, math.ceil(n / 12))
    means = []
    for k, hr in enumerate(s.hours):
        xc = x0 + (k + 0.5) * slot
        if k % label_every == 0:
            label = tb.at(hr.start_s, label=False)
            text(c, xc, y0 - 3.5, label[:5] if tb.is_clock else label, 6.0, align="centre")
        if hr.hr_min is not None and hr.hr_max is not None:
            c.setFillColorRGB(0.95, 0.70, 0.70)
            c.setStrokeColorRGB(0.85, 0.22, 0.22)
            bw = min(6.0, 0.6 * slot)
            c.rect((xc - bw / 2) * mm, y_of(hr.hr_min) * mm, bw * mm, (y_of(hr.hr_max) - y_of(hr.hr_min)) * mm,
                   stroke=1, fill=1)
        if hr.hr_mean is not None:
            means.append((xc, y_of(hr.hr_mean)))
    c.setStrokeColorRGB(0, 0, 0)
    c.setFillColorRGB(0, 0, 0)
    c.setLineWidth(0.3 * mm)
    for (xa, ya), (xb, yb) in zip(means, means[1:]):
        c.line(xa * mm, ya * mm, xb * mm, yb * mm)
    for xc, yc in means:
        c.circle(xc * mm, yc * mm, 0.7 * mm, stroke=0, fill=1)
    c.setStrokeColorRGB(0, 0, 0)
    c.rect(x0 * mm, y0 * mm, w * mm, h * mm, stroke=1, fill=0)
    text(c, x0 + w, y0 - 7.0, f"hour ({tb.column})", 6.0, align="right")
    pages.y = y0 - 10.0
