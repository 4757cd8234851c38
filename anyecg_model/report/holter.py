"""The Holter summary PDF a cardiologist reads and signs.

Page 1 is the summary: the recording, analysed time, heart rate (min / mean / max with their times),
beats by class, ectopy, pauses, AF burden, rhythm events by type and the heart-rate trend. Then the
rhythm events (episodes merged into clinical events, :mod:`.holter_events`; the longest of each rhythm,
counts for the rest), the hourly table, and one strip per notable event at 25 mm/s, sized so that no
QRS is cut (:mod:`.holter_strips`). Every time is written by the recording's
:class:`~anyecg_model.timebase.TimeBase`: clock time when the file has a start time, else elapsed.
Portrait pages; numbers from :mod:`.holter_stats`; geometry in mm.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..io import Recording
from ..timebase import TimeBase
from ..vocabulary.labels import beat_class_text
from .detected_beats import UNCLASSIFIED, detected_beats
from .ectopy import Ectopy
from .findings import ReportFindings, with_generated_leads
from .header import LINE_MM, anomaly_line, draw_block, draw_fields, recording_fields
from .holter_pages import MARGIN_MM, Pages
from .holter_stats import HolterRules, HolterSummary, format_duration, summarise
from .holter_strips import draw_event_strip, fit_strip, strip_height_mm
from .holter_tables import event_types_table, events_table, hourly_table, hr_chart
from .paper import EcgScale, PaperStyle, calibration_width_mm, page_size_mm, text
from .strips import GeneratedSignals, read_strip, rhythm_lead


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


def render_holter(recording: Recording, out: str | Path, config: HolterConfig = HolterConfig(),
                  findings: ReportFindings | None = None,
                  generated_signals: GeneratedSignals | None = None) -> Path:
    """Write the Holter summary of ``recording`` to the PDF ``out`` and return its path.

    ``findings`` default to the file's reference annotations; when there are no beats or episodes at all,
    beats come from the R-peak detector (unclassified), and the summary says so.
    """
    generated = dict(generated_signals or {})
    findings = findings if findings is not None else ReportFindings.from_annotations(recording)
    if len(findings.beat_time_s) == 0 and not findings.episodes:
        findings = detected_beats(recording, rhythm_lead(recording, config.strip_lead, generated))
    findings = with_generated_leads(findings, recording, generated)
    start = recording.start_time
    offset = 0.0 if start is None else start.minute * 60.0 + start.second + start.microsecond / 1e6
    summary = summarise(findings, recording.duration_s, config.rules, clock_offset_s=offset)
    tb = TimeBase.of(recording)
    page_w, page_h = page_size_mm(config.paper, landscape=False)
    out = Path(out)
    c = Canvas(str(out), pagesize=(page_w * mm, page_h * mm))
    c.setTitle(f"Holter summary: {Path(recording.path).name}")
    c.setAuthor("AnyECG Workstation")
    pages = Pages(c, page_w, page_h, f"Holter summary · {Path(recording.path).name}")

    text(c, MARGIN_MM, pages.y - 4.0, "Holter summary", 14.0, bold=True)
    text(c, page_w - MARGIN_MM, pages.y - 4.0, "Reviewed by: ____________________  Date: __________", 8.0,
         align="right")
    top = pages.y - 12.0
    fields = recording_fields(recording)
    lines = analysis_lines(tb, findings, summary)
    n_fields = draw_fields(c, MARGIN_MM, top, fields, 60.0)
    n_lines = draw_block(c, MARGIN_MM + 64.0, top, "Analysis", lines, pages.width - 64.0)
    pages.y = top - LINE_MM * (max(n_fields, n_lines) + 1) - 4.0  # below both blocks as wrapped
    pages.heading("Summary")
    for key, value in summary_lines(tb, summary, config.rules):
        pages.key_value(key, value)
    pages.y -= 3.0
    event_types_table(pages, summary, tb)
    hr_chart(pages, summary, tb)
    pages.new_page()
    events_table(pages, summary, tb)
    hourly_table(pages, summary, tb)
    _event_strips(pages, recording, findings, summary, config, generated, tb)
    pages.finish_page()
    c.showPage()
    c.save()
    return out


def analysis_lines(tb: TimeBase, findings: ReportFindings, s: HolterSummary) -> list[str]:
    """Span, analysed time, where the findings came from, what the times mean, the anomaly verdict (or why there
    is none), unreadable signal, generated leads."""
    pct = 100.0 * s.analysed_s / s.duration_s if s.duration_s else 0.0
    lines = [f"Span: {tb.span(0.0, s.duration_s)} ({format_duration(s.duration_s)})",
             f"Analysed: {format_duration(s.analysed_s)} ({pct:.0f} % of the recording)",
             findings.source_text, tb.description]
    anomaly = anomaly_line(findings)
    if anomaly:
        lines.append(anomaly)
    if findings.unreadable:
        lines.append(unreadable_text(findings.unreadable))
    if findings.generated_leads:
        lines.append("Generated by the model (not recorded): " + ", ".join(findings.generated_leads))
    return lines


def unreadable_text(spans: tuple[tuple, ...]) -> str:
    """``Unreadable signal on MLII, not analysed: 12 min 30 s in 5 stretches (noisy 10 min 00 s, flat 2 min 30 s)``
    from ``(start_s, end_s, reason[, lead])`` spans (the leads named when known)."""
    by_reason: dict[str, float] = {}
    for start, end, reason, *_ in spans:
        by_reason[reason or "unknown"] = by_reason.get(reason or "unknown", 0.0) + (end - start)
    parts = ", ".join(f"{k} {format_duration(v)}" for k, v in sorted(by_reason.items(), key=lambda kv: -kv[1]))
    leads = sorted({str(s[3]) for s in spans if len(s) > 3 and s[3]})
    n = len(spans)
    return (f"Unreadable signal{' on ' + ', '.join(leads) if leads else ''}, not analysed: "
            f"{format_duration(sum(by_reason.values()))} in {n} stretch{'' if n == 1 else 'es'} ({parts})")


def summary_lines(tb: TimeBase, s: HolterSummary, rules: HolterRules) -> list[tuple[str, str]]:
    """(label, value) lines of the summary: heart rate, beats, ectopy, pauses, AF burden (the longest event of
    each rhythm is in the table of rhythm events by type that follows)."""
    lines: list[tuple[str, str]] = []
    if s.hr_mean is not None:
        parts = [f"minimum {s.hr_min[0]:.0f} bpm at {tb.at(s.hr_min[1])}" if s.hr_min else "minimum –",
                 f"mean {s.hr_mean:.0f} bpm",
                 f"maximum {s.hr_max[0]:.0f} bpm at {tb.at(s.hr_max[1])}" if s.hr_max else "maximum –"]
        lines.append(("Heart rate", "; ".join(parts) + " (min and max of 1-min means)"))
    else:
        lines.append(("Heart rate", "not measured (no beats)"))
    total = max(1, s.n_beats)
    classes = ", ".join(f"{'unclassified' if k == UNCLASSIFIED else beat_class_text(k)} {v} "
                        f"({100.0 * v / total:.1f} %)" for k, v in s.beat_counts.items() if v)
    lines.append(("Beats", f"{s.n_beats}" + (f" — {classes}" if classes else "")))
    for key, name in (("V", "Ventricular ectopy"), ("S", "Supraventricular ectopy")):
        if key in s.ectopy and s.beat_counts.get(key):
            lines.append((name, ectopy_text(s.ectopy[key], tb)))
    if s.pauses:
        onset, dur = max(s.pauses, key=lambda p: p[1])
        lines.append((f"Pauses ≥ {rules.pause_s:g} s", f"{len(s.pauses)}; longest {dur:.1f} s at {tb.at(onset)}"))
    else:
        lines.append((f"Pauses ≥ {rules.pause_s:g} s", "none"))
    if s.af_burden is not None:
        af_s = s.af_burden * s.analysed_s
        lines.append(("AF/AFL burden", f"{100.0 * s.af_burden:.1f} % of analysed time ({format_duration(af_s)})"))
    return lines


def ectopy_text(e: Ectopy, tb: TimeBase) -> str:
    """``2343 (12.5 % of beats): 1800 single, 120 couplets, 35 runs of 3 or more (longest 9 beats at …)``."""
    out = (f"{e.n_beats} ({100.0 * e.burden:.1f} % of beats): {e.singles} single, {e.couplets} couplet"
           f"{'' if e.couplets == 1 else 's'}, {len(e.runs)} run{'' if len(e.runs) == 1 else 's'} of 3 or more")
    if e.runs:
        longest, fastest = e.longest_run, e.fastest_run
        out += (f" (longest {longest.n_beats} beats at {tb.at(longest.start_s)}; fastest {fastest.rate_bpm:.0f} bpm"
                f" at {tb.at(fastest.start_s)})")
    return out


def _event_strips(pages: Pages, recording: Recording, findings: ReportFindings, s: HolterSummary,
                  config: HolterConfig, generated: dict, tb: TimeBase) -> None:
    """One strip per notable event at the configured speed, sized so that its QRS complexes are never cut."""
    if not s.events:
        return
    pages.new_page()
    c = pages.c
    text(c, MARGIN_MM, pages.y - 3.0, f"Event strips ({config.scale.speed_mm_s:g} mm/s; gain "
                                      f"{config.scale.gain_mm_mv:g} mm/mV unless a strip says otherwise)", 11.0,
         bold=True)
    pages.y -= 9.0
    lead = rhythm_lead(recording, config.strip_lead, generated)
    grid_w = 5.0 * math.floor(pages.width / 5.0)
    span = (grid_w - calibration_width_mm(config.scale)) / config.scale.speed_mm_s
    gen_names = frozenset(findings.generated_leads)
    for k, event in enumerate(s.events):
        lead_in = span / 2 if event.lead_in_s is None else event.lead_in_s
        t0 = min(max(0.0, event.time_s - lead_in), max(0.0, recording.duration_s - span))
        t1 = min(recording.duration_s, t0 + span)
        strip = read_strip(recording, lead, t0, t1, highpass_hz=config.highpass_hz, generated=generated,
                           generated_names=gen_names)
        fit = fit_strip(strip.signal_mv, config.scale.gain_mm_mv)
        pages.need(strip_height_mm(fit) + 2.0)
        pages.y = draw_event_strip(c, MARGIN_MM, pages.y, grid_w, strip, t0, t1, event.time_s,
                                   f"{k + 1}. {event.title}", findings, config.scale, config.style, tb, fit) - 2.0
