"""The Holter summary PDF: span and analysed time, heart-rate trend per hour, beat counts by class,
rhythm episodes, AF burden, pauses, and one strip per notable event at 25 mm/s with clock times.

Portrait pages; numbers from :mod:`anyecg_model.report.holter_stats`; geometry in mm.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..io import Recording
from .detected_beats import UNCLASSIFIED, detected_beats
from .findings import ReportFindings, with_generated_leads
from .header import LINE_MM, draw_block, draw_fields, draw_footer, recording_fields
from .holter_stats import HolterRules, HolterSummary, format_duration, summarise
from .paper import (EcgScale, PaperStyle, calibration_width_mm, clip_to, draw_calibration, draw_grid, draw_trace,
                    generated_mark, page_size_mm, text)
from .strips import read_strip, rhythm_lead

MARGIN_MM = 12.0
ROW_MM = 4.0
STRIP_H_MM = 30.0
STRIPS_PER_PAGE = 7
CHART_H_MM = 55.0


@dataclass(frozen=True)
class HolterConfig:
    """Paper, strip scale (25 mm/s, 10 mm/mV by default), strip lead and display high-pass (Hz)."""

    paper: str = "a4"
    scale: EcgScale = field(default_factory=EcgScale)
    strip_lead: str | None = None
    highpass_hz: float | None = 0.5
    rules: HolterRules = field(default_factory=HolterRules)
    style: PaperStyle = field(default_factory=PaperStyle)

    def __post_init__(self) -> None:
        page_size_mm(self.paper, False)


class _Pages:
    """A canvas that knows where the next line goes and starts a new page (with footer) when full."""

    def __init__(self, c: Canvas, page_w: float, page_h: float, footer: str):
        self.c, self.w, self.h, self.footer = c, page_w, page_h, footer
        self.page = 1
        self.y = page_h - MARGIN_MM

    def need(self, height: float) -> bool:
        """Make room for ``height`` mm; returns True when a new page was started."""
        if self.y - height >= MARGIN_MM + 4.0:
            return False
        self.new_page()
        return True

    def new_page(self) -> None:
        self.finish_page()
        self.c.showPage()
        self.page += 1
        self.y = self.h - MARGIN_MM

    def finish_page(self) -> None:
        draw_footer(self.c, MARGIN_MM, self.w - MARGIN_MM, 6.0, self.footer, self.page)


def clock(recording: Recording, t_s: float) -> str:
    """Time ``t_s`` s into the recording as wall-clock time (with day after the first) or elapsed hh:mm:ss."""
    if recording.start_time is not None:
        when = recording.start_time + _dt.timedelta(seconds=float(t_s))
        day = (when.date() - recording.start_time.date()).days
        return when.strftime("%H:%M:%S") + (f" (day {day + 1})" if day else "")
    t = int(t_s)
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


def render_holter(recording: Recording, out: str | Path, config: HolterConfig = HolterConfig(),
                  findings: ReportFindings | None = None,
                  generated_signals: Mapping[str, np.ndarray] | None = None) -> Path:
    """Write the Holter summary of ``recording`` to the PDF ``out`` and return its path.

    ``findings`` default to the file's reference annotations; when there are no beats or episodes at all,
    beats come from the R-peak detector (unclassified), and the summary says so.
    """
    findings = findings if findings is not None else ReportFindings.from_annotations(recording)
    if len(findings.beat_time_s) == 0 and not findings.episodes:
        findings = detected_beats(recording, rhythm_lead(recording, config.strip_lead, generated_signals or {}))
    findings = with_generated_leads(findings, recording, generated_signals or {})
    start = recording.start_time
    offset = 0.0 if start is None else start.minute * 60.0 + start.second + start.microsecond / 1e6
    summary = summarise(findings, recording.duration_s, config.rules, clock_offset_s=offset)
    page_w, page_h = page_size_mm(config.paper, landscape=False)
    out = Path(out)
    c = Canvas(str(out), pagesize=(page_w * mm, page_h * mm))
    c.setTitle(f"Holter summary: {Path(recording.path).name}")
    c.setAuthor("AnyECG Workstation")
    pages = _Pages(c, page_w, page_h, f"Holter summary · {Path(recording.path).name}")
    width = page_w - 2 * MARGIN_MM

    text(c, MARGIN_MM, pages.y - 4.0, "Holter summary", 14.0, bold=True)
    text(c, page_w - MARGIN_MM, pages.y - 4.0, "Reviewed by: ____________________  Date: __________", 8.0,
         align="right")
    top = pages.y - 12.0
    fields = recording_fields(recording)
    lines = summary_lines(recording, findings, summary, config.rules)
    draw_fields(c, MARGIN_MM, top, fields, 60.0)
    draw_block(c, MARGIN_MM + 64.0, top, "Summary", lines, width - 64.0)
    pages.y = top - LINE_MM * (max(len(fields), len(lines)) + 1) - 8.0
    _hr_chart(pages, recording, summary, width)
    _hour_table(pages, recording, summary)
    _episode_table(pages, recording, summary)
    _event_strips(pages, recording, findings, summary, config, dict(generated_signals or {}))
    pages.finish_page()
    c.showPage()
    c.save()
    return out


def summary_lines(recording: Recording, findings: ReportFindings, s: HolterSummary, rules: HolterRules) -> list[str]:
    """The summary block: span, analysed time, heart rate, beat classes, AF burden, pauses, source."""
    lines = [f"Span: {clock(recording, 0)} – {clock(recording, s.duration_s)} ({format_duration(s.duration_s)})"]
    pct = 100.0 * s.analysed_s / s.duration_s if s.duration_s else 0.0
    lines.append(f"Analysed: {format_duration(s.analysed_s)} ({pct:.0f} % of the recording)")
    lines.append(findings.source_text)
    if s.hr_mean is not None:
        lines.append(f"Heart rate: mean {s.hr_mean:.0f} bpm" +
                     (f", min {s.hr_min[0]:.0f} at {clock(recording, s.hr_min[1])}" if s.hr_min else "") +
                     (f", max {s.hr_max[0]:.0f} at {clock(recording, s.hr_max[1])}" if s.hr_max else "") +
                     " (1-min means)")
    else:
        lines.append("Heart rate: not measured (no beats)")
    total = max(1, s.n_beats)
    classes = ", ".join(f"{'unclassified' if k == UNCLASSIFIED else k} {v} ({100.0 * v / total:.1f} %)"
                        for k, v in s.beat_counts.items() if v)
    lines.append(f"Beats: {s.n_beats}" + (f" — {classes}" if classes else ""))
    if s.af_burden is not None:
        longest = (f"; longest {s.longest_af.label} {format_duration(s.longest_af.duration_s)} from "
                   f"{clock(recording, s.longest_af.start_s)}") if s.longest_af else ""
        lines.append(f"AF/AFL burden: {100.0 * s.af_burden:.1f} % of analysed time{longest}")
    lines.append(f"Other rhythm episodes: {sum(1 for e in s.episodes if not e.is_af)}")
    if s.pauses:
        onset, dur = max(s.pauses, key=lambda p: p[1])
        lines.append(f"Pauses ≥ {rules.pause_s:g} s: {len(s.pauses)}; "
                     f"longest {dur:.1f} s at {clock(recording, onset)}")
    else:
        lines.append(f"Pauses ≥ {rules.pause_s:g} s: none")
    if findings.generated_leads:
        lines.append("Generated by the model (not recorded): " + ", ".join(findings.generated_leads))
    return lines


def _hr_chart(pages: _Pages, recording: Recording, s: HolterSummary, width: float) -> None:
    """Heart-rate trend: per hour a bar from the minimum to the maximum 1-min rate, the mean as a dot and line."""
    c = pages.c
    pages.need(CHART_H_MM + 12.0)
    text(c, MARGIN_MM, pages.y, "Heart-rate trend (bpm per hour: bar = min–max of 1-min means, dot = mean)", 9.0,
         bold=True)
    x0, y0 = MARGIN_MM + 10.0, pages.y - CHART_H_MM - 4.0
    w, h = width - 12.0, CHART_H_MM
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
    label_every = max(1, math.ceil(n / 24))
    means = []
    for k, hr in enumerate(s.hours):
        xc = x0 + (k + 0.5) * slot
        if k % label_every == 0:
            text(c, xc, y0 - 3.5, clock(recording, hr.start_s)[:5], 6.0, align="centre")
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
    pages.y = y0 - 9.0


def _table(pages: _Pages, title: str, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[str]]) -> None:
    """A ruled table; columns are (heading, width mm); the heading repeats on each new page."""
    c = pages.c

    def heading(suffix: str = "") -> None:
        text(c, MARGIN_MM, pages.y, title + suffix, 9.0, bold=True)
        pages.y -= ROW_MM + 0.5
        x = MARGIN_MM
        for name, w in columns:
            text(c, x + 1.0, pages.y, name, 7.0, bold=True)
            x += w
        c.setLineWidth(0.2 * mm)
        c.setStrokeColorRGB(0, 0, 0)
        c.line(MARGIN_MM * mm, (pages.y - 1.2) * mm, x * mm, (pages.y - 1.2) * mm)
        pages.y -= ROW_MM

    pages.need(3 * ROW_MM + 2.0)
    heading()
    for row in rows:
        if pages.need(ROW_MM):
            heading(" (continued)")
        x = MARGIN_MM
        for value, (_, w) in zip(row, columns):
            text(c, x + 1.0, pages.y, value, 7.0)
            x += w
        pages.y -= ROW_MM
    pages.y -= 4.0


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}"


def _hour_table(pages: _Pages, recording: Recording, s: HolterSummary) -> None:
    cols = [("Hour from", 30.0), ("Beats", 20.0), ("HR min", 18.0), ("HR mean", 18.0), ("HR max", 18.0),
            ("V beats", 18.0), ("S beats", 18.0), ("Pauses", 18.0)]
    rows = [[clock(recording, h.start_s), str(h.n_beats), _fmt(h.hr_min), _fmt(h.hr_mean), _fmt(h.hr_max),
             str(h.n_v), str(h.n_s), str(h.n_pauses)] for h in s.hours]
    _table(pages, "Hourly table (heart rate in bpm)", cols, rows)


def _episode_table(pages: _Pages, recording: Recording, s: HolterSummary) -> None:
    if not s.episodes:
        pages.need(ROW_MM * 2)
        text(pages.c, MARGIN_MM, pages.y, "Rhythm episodes: none other than normal rhythm.", 9.0, bold=True)
        pages.y -= 2 * ROW_MM
        return
    cols = [("#", 10.0), ("Rhythm", 64.0), ("Onset", 30.0), ("Offset", 30.0), ("Duration", 30.0),
            ("Confidence", 22.0)]
    rows = [[str(k + 1), f"{e.label} ({e.name})" if e.name != e.label else e.label,
             clock(recording, e.start_s), clock(recording, e.end_s),
             format_duration(e.duration_s), "–" if e.confidence is None else f"{e.confidence:.2f}"]
            for k, e in enumerate(s.episodes)]
    _table(pages, "Rhythm episodes (other than normal rhythm)", cols, rows)


def _event_strips(pages: _Pages, recording: Recording, findings: ReportFindings, s: HolterSummary,
                  config: HolterConfig, generated: dict[str, np.ndarray]) -> None:
    """One strip per notable event, centred on it, at the configured scale, with clock times and beat labels."""
    if not s.events:
        return
    pages.new_page()
    c = pages.c
    text(c, MARGIN_MM, pages.y - 3.0, f"Event strips ({config.scale.label})", 11.0, bold=True)
    pages.y -= 10.0
    lead = rhythm_lead(recording, config.strip_lead, generated)
    grid_w = 5.0 * math.floor((page_size_mm(config.paper, False)[0] - 2 * MARGIN_MM) / 5.0)
    cal_w = calibration_width_mm(config.scale)
    span = (grid_w - cal_w) / config.scale.speed_mm_s
    gen_names = frozenset(findings.generated_leads)
    for k, event in enumerate(s.events):
        pages.need(STRIP_H_MM + 9.0)
        lead_in = span / 2 if event.lead_in_s is None else event.lead_in_s
        t0 = min(max(0.0, event.time_s - lead_in), max(0.0, recording.duration_s - span))
        t1 = min(recording.duration_s, t0 + span)
        strip = read_strip(recording, lead, t0, t1, highpass_hz=config.highpass_hz, generated=generated,
                           generated_names=gen_names)
        text(c, MARGIN_MM, pages.y - 3.0, f"{k + 1}. {event.title}", 8.5, bold=True)
        text(c, MARGIN_MM + grid_w, pages.y - 3.0,
             f"{clock(recording, t0)} – {clock(recording, t1)} · lead {lead}", 7.5, align="right")
        gy = pages.y - 5.0 - STRIP_H_MM
        draw_grid(c, MARGIN_MM, gy, grid_w, STRIP_H_MM, config.style)
        base = gy + 0.4 * STRIP_H_MM
        c.saveState()
        clip_to(c, MARGIN_MM, gy, grid_w, STRIP_H_MM)
        draw_calibration(c, MARGIN_MM, base, config.scale, config.style)
        x0 = MARGIN_MM + cal_w
        draw_trace(c, x0, base, strip.signal_mv, strip.fs, config.scale, config.style, strip.generated)
        times, labels, _ = findings.beats_between(t0, t1)
        for t, lab in zip(times, labels):
            if lab == UNCLASSIFIED:
                continue
            text(c, x0 + (t - t0) * config.scale.speed_mm_s, gy + STRIP_H_MM - 4.5, str(lab), 6.5,
                 bold=lab != "N", color=(0.45, 0.45, 0.45) if lab == "N" else (0.8, 0.0, 0.0), align="centre")
        if strip.generated:
            generated_mark(c, x0 + 1.0, gy + 1.0, config.style)
        _event_marker(c, x0 + (event.time_s - t0) * config.scale.speed_mm_s, gy + STRIP_H_MM)
        c.restoreState()
        _time_ticks(c, x0, gy, t0, t1, config.scale, lambda t: clock(recording, t))
        pages.y = gy - 6.0


def _event_marker(c: Canvas, x: float, top: float) -> None:
    """A small downward triangle on the top edge of a strip at the event time."""
    c.setFillColorRGB(0.05, 0.25, 0.75)
    path = c.beginPath()
    path.moveTo((x - 1.2) * mm, top * mm)
    path.lineTo((x + 1.2) * mm, top * mm)
    path.lineTo(x * mm, (top - 2.0) * mm)
    path.close()
    c.drawPath(path, stroke=0, fill=1)


def _time_ticks(c: Canvas, x0: float, gy: float, t0: float, t1: float, scale: EcgScale,
                label: Callable[[float], str]) -> None:
    """Clock time under the strip every whole second (labels every 2 s at 25 mm/s)."""
    step = 1.0 if scale.speed_mm_s >= 50 else 2.0
    t = math.ceil(t0)
    while t <= t1:
        x = x0 + (t - t0) * scale.speed_mm_s
        c.setLineWidth(0.2 * mm)
        c.setStrokeColorRGB(0, 0, 0)
        c.line(x * mm, gy * mm, x * mm, (gy - 1.2) * mm)
        if (t - math.ceil(t0)) % step == 0:
            text(c, x, gy - 3.6, label(t), 6.0, align="centre")
        t += 1
