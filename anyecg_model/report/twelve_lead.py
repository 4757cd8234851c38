"""The printed 12-lead ECG: landscape page, 3 × 4 layout, lead II rhythm strip, calibration pulses.

Columns show consecutive quarters of the window (I/II/III, aVR/aVL/aVF, V1–V3, V4–V6) as a
cart prints them; the rhythm strip runs the whole window. Recordings with fewer than
:data:`MIN_STANDARD_LEADS` standard leads (Holter, single-lead) get one full-width strip per lead.
All geometry in mm; see :mod:`anyecg_model.report.paper`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ..io import Recording, RecordingError
from ..timebase import TimeBase
from ..vocabulary.lead_map import is_ecg_lead
from ..vocabulary.leads import STANDARD_LEADS
from .findings import GENERATED_SUFFIX, ReportFindings, with_generated_leads
from .header import LINE_MM, draw_block, draw_fields, draw_footer, findings_lines, recording_fields
from .measurements import Measurements, measure_resting_ecg, measured_lead
from .paper import (EcgScale, beat_label_rgb, PaperStyle, calibration_width_mm, clip_to, draw_calibration, draw_grid,
                    draw_trace, generated_mark, page_size_mm, text)
from .strips import GeneratedSignals, StripSignal, find_lead, read_strip, rhythm_lead

#: Columns of the 3 × 4 layout, top to bottom within a column.
STANDARD_LAYOUT: tuple[tuple[str, str, str], ...] = (
    ("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6"))
#: Below this many standard leads the page shows one strip per lead instead of the 3 × 4 layout.
MIN_STANDARD_LEADS = 8
#: Most full-width strips on one page in the strip layout.
MAX_STRIPS = 6
MARGIN_MM = 8.0
HEADER_MM = 36.0
FOOTER_Y_MM = 4.5
GRID_BOTTOM_MM = 9.0


@dataclass(frozen=True)
class TwelveLeadConfig:
    """Paper ("a4" / "letter"), scale, the window printed (s) and the display high-pass (Hz, None: off).

    The high-pass is zero-phase (forward-backward), which the AHA accepts up to 0.67 Hz without ST
    distortion; 0.5 Hz removes the baseline wander a 0.05 Hz filter leaves on a 10-s page.
    """

    paper: str = "a4"
    scale: EcgScale = field(default_factory=EcgScale)
    start_s: float = 0.0
    window_s: float = 10.0
    highpass_hz: float | None = 0.5
    rhythm_lead: str = "II"
    style: PaperStyle = field(default_factory=PaperStyle)

    def __post_init__(self) -> None:
        page_size_mm(self.paper, True)  # validates the paper name
        if not (self.window_s > 0 and self.start_s >= 0):
            raise ValueError(f"window must start at >= 0 s and last > 0 s, got {self.start_s}, {self.window_s}")


@dataclass(frozen=True)
class PageLayout:
    """Where the grid and the traces sit on the page (mm from the lower-left corner)."""

    page_w: float
    page_h: float
    grid_x: float
    grid_y: float
    grid_w: float
    grid_h: float
    n_rows: int
    trace_x: float
    shown_s: float

    @property
    def row_h(self) -> float:
        return self.grid_h / self.n_rows

    def baseline(self, row: int) -> float:
        """0 mV line of row ``row`` (0 = top row), a little below the row centre."""
        return self.grid_y + self.grid_h - row * self.row_h - 0.58 * self.row_h


def page_layout(config: TwelveLeadConfig, duration_s: float, n_rows: int) -> PageLayout:
    """Layout of a landscape page showing up to ``config.window_s`` s of a ``duration_s`` s recording."""
    page_w, page_h = page_size_mm(config.paper, landscape=True)
    cal_w = calibration_width_mm(config.scale)
    avail_w = 5.0 * math.floor((page_w - 2 * MARGIN_MM) / 5.0)
    speed = config.scale.speed_mm_s
    shown = min(config.window_s, max(0.0, duration_s - config.start_s), (avail_w - cal_w) / speed)
    grid_w = min(avail_w, 5.0 * math.ceil((cal_w + shown * speed) / 5.0 - 1e-9))
    grid_h = 5.0 * math.floor((page_h - MARGIN_MM - HEADER_MM - GRID_BOTTOM_MM) / 5.0)
    grid_x = round((page_w - grid_w) / 2.0)
    return PageLayout(page_w, page_h, grid_x, GRID_BOTTOM_MM, grid_w, grid_h, n_rows, grid_x + cal_w, shown)


def render_12lead(recording: Recording, out: str | Path, config: TwelveLeadConfig = TwelveLeadConfig(),
                  findings: ReportFindings | None = None,
                  generated_signals: GeneratedSignals | None = None) -> Path:
    """Write the 12-lead report of ``recording`` to the PDF ``out`` and return its path.

    ``findings`` default to the file's reference annotations. ``generated_signals`` maps lead names to
    model-generated leads (whole-recording arrays in mV at ``recording.fs``, or segments); they, and any lead the findings list in
    ``generated_leads``, are drawn dashed with a GENERATED mark.
    """
    generated = dict(generated_signals or {})
    findings = findings if findings is not None else ReportFindings.from_annotations(recording)
    findings = with_generated_leads(findings, recording, generated)
    gen_names = frozenset(findings.generated_leads)
    available = [name for name in STANDARD_LEADS if find_lead(recording, name, generated) is not None]
    standard = len(available) >= MIN_STANDARD_LEADS
    strip_leads = [] if standard else [n for n in recording.lead_names
                                       if is_ecg_lead(n.removesuffix(GENERATED_SUFFIX))] or recording.lead_names
    n_rows = 4 if standard else min(MAX_STRIPS, len(strip_leads))
    layout = page_layout(config, recording.duration_s, n_rows)
    if layout.shown_s <= 0:
        raise RecordingError(recording.path, f"nothing to print: window starts at {config.start_s} s but the "
                                             f"recording lasts {recording.duration_s:.1f} s")
    # a single lead longer than a row (an AliveCor / Holter-lead strip) continues on the rows below, as its
    # device prints it, rather than leaving the page empty under its first seconds
    continued = not standard and len(strip_leads) == 1
    if continued:
        n_rows = min(MAX_STRIPS, max(1, math.ceil((recording.duration_s - config.start_s) / layout.shown_s - 1e-6)))
        layout = page_layout(config, recording.duration_s, n_rows)
    t0 = config.start_s
    t1 = min(recording.duration_s, t0 + layout.shown_s * n_rows) if continued else t0 + layout.shown_s

    def strip(lead: str, a: float = t0, b: float = t0 + layout.shown_s) -> StripSignal:
        return read_strip(recording, lead, a, b, highpass_hz=config.highpass_hz,
                          generated=generated, generated_names=gen_names)

    rhythm = rhythm_lead(recording, config.rhythm_lead, generated)
    if rhythm not in generated:  # a recorded rhythm lead buried in noise or off gives way to a cleaner one
        rhythm = measured_lead(recording, rhythm, t0, t1, exclude=gen_names)
    rhythm_strip = strip(rhythm, t0, t1)  # measured over all that is printed
    measured = _measure(recording, rhythm_strip, lambda lead: strip(lead, t0, t1), gen_names)

    out = Path(out)
    c = Canvas(str(out), pagesize=(layout.page_w * mm, layout.page_h * mm))
    c.setTitle(f"12-lead ECG: {Path(recording.path).name}")
    c.setAuthor("AnyECG Workstation")
    _draw_header(c, layout, recording, findings, measured, "12-lead ECG" if standard else "ECG strips")
    draw_grid(c, layout.grid_x, layout.grid_y, layout.grid_w, layout.grid_h, config.style)
    c.saveState()
    clip_to(c, layout.grid_x, layout.grid_y, layout.grid_w, layout.grid_h)
    for row in range(n_rows):
        draw_calibration(c, layout.grid_x, layout.baseline(row), config.scale, config.style)
    if standard:
        _draw_3x4(c, layout, config, {n: strip(find_lead(recording, n, generated)) for n in available})
        _draw_strip(c, layout, config, 3, rhythm_strip, "rhythm")
        _draw_beat_labels(c, layout, config, 3, findings, t0)
    elif continued:
        for row in range(n_rows):
            a = t0 + row * layout.shown_s
            _draw_strip(c, layout, config, row, strip(strip_leads[0], a, min(t1, a + layout.shown_s)), "")
            _draw_beat_labels(c, layout, config, row, findings, a)
    else:
        for row, lead in enumerate(strip_leads[:n_rows]):
            _draw_strip(c, layout, config, row, strip(lead), "")
        _draw_beat_labels(c, layout, config, 0, findings, t0)
    c.restoreState()
    hidden = 0 if continued else len(strip_leads) - n_rows
    omitted = f" · {hidden} more leads not shown" if hidden > 0 else ""
    hp = f"high-pass {config.highpass_hz:g} Hz" if config.highpass_hz else "no display filter"
    draw_footer(c, layout.grid_x, layout.grid_x + layout.grid_w, FOOTER_Y_MM,
                f"{config.scale.label} · {hp} · {TimeBase.of(recording).span(t0, t1)} ({t1 - t0:.1f} s of "
                f"{recording.duration_s:.1f} s){omitted}", 1, 1)
    c.showPage()
    c.save()
    return out


def _measure(recording: Recording, rhythm: StripSignal, strip, generated_names: frozenset[str]) -> Measurements:
    """Heart rate and intervals on the rhythm lead, or on the first recorded lead when that one is generated:
    a generated waveform is never measured."""
    if not rhythm.generated:
        return measure_resting_ecg(rhythm.signal_mv, rhythm.fs, rhythm.lead)
    recorded = [n for n in recording.lead_names if n not in generated_names and is_ecg_lead(n)]
    if not recorded:
        return Measurements(rhythm.lead, 0)
    s = strip(recorded[0])
    return measure_resting_ecg(s.signal_mv, s.fs, s.lead)


def _draw_header(c: Canvas, layout: PageLayout, recording: Recording, findings: ReportFindings,
                 m: Measurements, title: str) -> None:
    top = layout.page_h - MARGIN_MM
    x0 = layout.grid_x
    text(c, x0, top - 1.0, title, 13.0, bold=True)
    col_top = top - 7.5
    room = int((col_top - LINE_MM - (layout.grid_y + layout.grid_h) - 1.0) // LINE_MM)
    draw_fields(c, x0, col_top, recording_fields(recording), 70.0)
    draw_block(c, x0 + 75.0, col_top, "Measurements", measurement_lines(m), 52.0, max_lines=room)
    right = layout.grid_x + layout.grid_w
    draw_block(c, x0 + 132.0, col_top, "Findings", findings_lines(findings, TimeBase.of(recording)), right - x0 - 132.0 - 48.0,
               max_lines=room)
    text(c, right, top - 1.0, "Reviewed by: ____________________", 8.0, align="right")
    text(c, right, top - 7.5, "Date: ______________", 8.0, align="right")


def measurement_lines(m: Measurements) -> list[str]:
    """Header lines for heart rate and intervals; intervals that were not measured say so."""
    if m.heart_rate_bpm is None:
        return [f"Heart rate: not measured ({m.n_beats} beats found on {m.lead})"]
    lines = [f"Heart rate: {m.heart_rate_bpm:.0f} bpm", f"RR: {m.rr_ms:.0f} ms"]
    lines.append(f"PR: {m.pr_ms:.0f} ms" if m.pr_ms is not None else "PR: not measured")
    if m.qt_ms is not None and m.qtc_ms is not None:
        lines.append(f"QT / QTc (Bazett): {m.qt_ms:.0f} / {m.qtc_ms:.0f} ms")
    else:
        lines.append("QT / QTc: not measured")
    lines.append(f"Automated, lead {m.lead}, {m.n_beats} beats")
    return lines


def _draw_label(c: Canvas, x: float, y: float, lead: str, generated: bool, style: PaperStyle,
                suffix: str = "") -> None:
    label = f"{lead} {suffix}".strip()
    text(c, x, y, label, 8.0, bold=True, color=style.generated if generated else (0, 0, 0))
    if generated:
        generated_mark(c, x + c.stringWidth(label, "Helvetica-Bold", 8.0) / mm + 1.0, y - 0.7, style)


def _draw_3x4(c: Canvas, layout: PageLayout, config: TwelveLeadConfig, strips: dict[str, StripSignal]) -> None:
    col_w = layout.shown_s * config.scale.speed_mm_s / 4.0
    for col, leads in enumerate(STANDARD_LAYOUT):
        x = layout.trace_x + col * col_w
        for row, lead in enumerate(leads):
            base = layout.baseline(row)
            label_y = base + 0.58 * layout.row_h - 4.0
            if lead not in strips:
                text(c, x + 1.0, label_y, f"{lead}: not recorded", 8.0, color=(0.4, 0.4, 0.4))
                continue
            s = strips[lead]
            n = s.signal_mv.size
            a, b = n * col // 4, n * (col + 1) // 4
            draw_trace(c, x, base, s.signal_mv[a:b], s.fs, config.scale, config.style, s.generated)
            _draw_label(c, x + 1.0, label_y, lead, s.generated, config.style)
            if col:
                c.setLineWidth(0.3 * mm)
                c.setStrokeColorRGB(0, 0, 0)
                c.line(x * mm, (base - 2.5) * mm, x * mm, (base + 2.5) * mm)


def _draw_strip(c: Canvas, layout: PageLayout, config: TwelveLeadConfig, row: int, s: StripSignal,
                suffix: str) -> None:
    base = layout.baseline(row)
    draw_trace(c, layout.trace_x, base, s.signal_mv, s.fs, config.scale, config.style, s.generated)
    _draw_label(c, layout.trace_x + 1.0, base + 0.58 * layout.row_h - 4.0, s.lead, s.generated, config.style, suffix)


def _draw_beat_labels(c: Canvas, layout: PageLayout, config: TwelveLeadConfig, row: int,
                      findings: ReportFindings, t0: float) -> None:
    """Beat classes printed just under the top of a row (:func:`~.paper.beat_label_rgb`, ectopic beats bold)."""
    times, labels, _ = findings.beats_between(t0, t0 + layout.shown_s)
    y = layout.baseline(row) + 0.58 * layout.row_h - 8.0
    for t, lab in zip(times, labels):
        x = layout.trace_x + (t - t0) * config.scale.speed_mm_s
        text(c, x, y, str(lab), 6.5, bold=lab != "N", color=beat_label_rgb(str(lab)),
             align="centre")
