"""Holter summary: numbers that follow from the reference labels of a generated 3-hour recording, pauses found
where the beats stop, and a PDF with the trend, tables and one strip per event."""
from __future__ import annotations

import re

import numpy as np
import pytest
from report_helpers import pdf_text

from anyecg_model.io import Recording
from anyecg_model.report import Episode, HolterRules, ReportFindings, render_holter, summarise
from anyecg_model.report.header import LINE_MM


def test_summary_matches_the_reference_labels(holter_3h):
    findings = ReportFindings.from_annotations(holter_3h)
    s = summarise(findings, holter_3h.duration_s)
    beats = holter_3h.annotations.beats()
    assert s.n_beats == len(beats)
    assert sum(h.n_beats for h in s.hours) == s.n_beats
    assert len(s.hours) == 3
    assert s.beat_counts["V"] == int(np.sum(beats.symbol == "V"))
    assert s.beat_counts["S"] == int(np.sum(beats.symbol == "A"))
    # the generator puts atrial fibrillation from 25 % to 40 % of the record
    assert s.af_burden == pytest.approx(0.15, abs=0.005)
    assert s.longest_af.duration_s == pytest.approx(0.15 * holter_3h.duration_s, rel=0.01)
    assert [e.label for e in s.episodes] == ["AFIB", "SVTA", "B"]
    assert s.analysed_s == pytest.approx(holter_3h.duration_s, rel=0.01)
    assert not s.pauses
    # the SVT run at ~155 bpm sets the maximum 1-min rate; sinus stays within 60–110 bpm
    assert 140 <= s.hr_max[0] <= 160
    assert 0.55 * holter_3h.duration_s <= s.hr_max[1] <= 0.57 * holter_3h.duration_s
    assert 60 <= s.hr_min[0] <= 80 and 0.0 <= s.hr_min[1] <= holter_3h.duration_s
    assert all(h.hr_min <= h.hr_mean <= h.hr_max for h in s.hours)


def _beats_with_pause(pause_at_s: float, pause_s: float) -> ReportFindings:
    t = np.arange(0.5, 600.0, 1.0)  # 60 bpm for 10 minutes
    t = np.where(t > pause_at_s, t + pause_s - 1.0, t)
    return ReportFindings("annotations", "test", t, np.array(["N"] * t.size, dtype=object), np.full(t.size, np.nan))


def test_hours_follow_the_clock(holter_3h):
    findings = ReportFindings.from_annotations(holter_3h)
    s = summarise(findings, holter_3h.duration_s, clock_offset_s=15 * 60.0)  # started at hh:15
    assert [h.start_s for h in s.hours] == [0.0, 2700.0, 6300.0, 9900.0]  # 45 min, then whole clock hours
    assert sum(h.n_beats for h in s.hours) == s.n_beats
    with pytest.raises(ValueError):
        summarise(findings, holter_3h.duration_s, clock_offset_s=4000.0)


def test_pauses_and_signal_loss():
    s = summarise(_beats_with_pause(300.0, 3.2), 605.0)
    assert len(s.pauses) == 1
    onset, dur = s.pauses[0]
    assert onset == pytest.approx(299.5) and dur == pytest.approx(3.2)
    assert s.hr_mean == pytest.approx(60.0, abs=0.1)  # the pause is not a heart rate
    lost = summarise(_beats_with_pause(300.0, 40.0), 645.0)
    assert not lost.pauses  # 40 s without beats is signal loss, not asystole
    assert lost.analysed_s == pytest.approx(638.0 - 40.0)  # first to last beat, minus the gap
    with pytest.raises(ValueError):
        HolterRules(pause_s=20.0)


def test_a_gap_in_unreadable_signal_is_not_a_pause():
    """MIT-BIH 208 had a "longest pause 5.3 s" that was a baseline jump after an artefact: a gap between beats
    that overlaps a stretch the signal-quality gate marked unreadable is lost signal, not a pause."""
    from dataclasses import replace

    beats = _beats_with_pause(300.0, 5.3)
    gated = replace(beats, unreadable=((300.2, 302.0, "baseline"),))
    assert len(summarise(beats, 610.0).pauses) == 1
    s = summarise(gated, 610.0)
    assert not s.pauses and s.analysed_s == pytest.approx(summarise(beats, 610.0).analysed_s - 5.3)
    back = ReportFindings.from_analysis({"model": {}, "beats": None, "rhythm": None, "anomaly": None,
                                         "signal_quality": {"unreadable": [{"start_s": 1.0, "end_s": 2.5,
                                                                            "reason": "flat"}]}})
    assert back.unreadable == ((1.0, 2.5, "flat", ""),)  # an older findings file names no lead


def test_holter_pdf_pages(holter_3h, tmp_path):
    pdf = render_holter(holter_3h, tmp_path / "h.pdf")
    pages = pdf_text(pdf)
    assert 3 <= len(pages) <= 5  # summary, events and hourly tables, strips
    first = pages[0]
    assert "Holter summary" in first and "08:00:00–11:00:00 (3 h 00 min)" in first
    assert "Times are clock times; the recording started 2026-11-21 08:00:00." in first
    assert re.search(r"AF/AFL burden\s+15\.0 % of analysed time", first)
    assert re.search(r"Heart rate\s+minimum \d+ bpm at \d\d:\d\d:\d\d; mean \d+ bpm; maximum \d+ bpm at", first)
    assert re.search(r"Ventricular ectopy\s+\d+ \([\d.]+ % of beats\): \d+ single", first)
    assert "Reference annotations from the file" in first
    assert "Rhythm events by type" in first and "Heart-rate trend" in first
    assert "AF (atrial fibrillation)" in first and "SVTA (supraventricular tachyarrhythmia)" in first
    second = pages[1]
    assert "Rhythm events (the 5 longest of each rhythm)" in second and "Hourly table" in second
    strips = "".join(pages[2:])
    assert "Event strips (25 mm/s; gain 10 mm/mV unless a strip says otherwise)" in strips
    assert "Onset of the longest atrial fibrillation" in strips
    assert "Maximum heart rate" in strips and "lead MLII" in strips


def test_holter_without_any_labels_says_so(tmp_path):
    rec = Recording.from_array(np.zeros((1, 250 * 60), np.float32), 250.0, ["MLII"], path="blank.ecg")
    text = pdf_text(render_holter(rec, tmp_path / "h.pdf"))[0]
    assert "No findings" in text and "Heart rate not measured" in text
    assert "Span: +0:00:00–+0:01:00 elapsed" in text  # no start time: elapsed, and said so
    assert "Times are elapsed since the start of the recording" in text


def test_a_holter_of_many_short_episodes_stays_short(holter_3h, tmp_path):
    """Hundreds of 10-s rhythm fragments (as an analysis cuts them) become a few events, not pages of rows."""
    d = holter_3h.duration_s
    frags = [Episode(t, t + 10.0, "AF" if (t // 10) % 7 else "NSR") for t in np.arange(0.25 * d, 0.40 * d, 10.0)]
    frags += [Episode(t, t + 10.0, "TRIGEMINY") for t in np.arange(0.6 * d, 0.6 * d + 3000.0, 60.0)]
    base = ReportFindings.from_annotations(holter_3h)
    findings = ReportFindings("model", "Model findings: test", base.beat_time_s, base.beat_label,
                              base.beat_confidence, tuple(frags))
    pages = pdf_text(render_holter(holter_3h, tmp_path / "h.pdf", findings=findings))
    assert len(pages) <= 5
    assert len(frags) > 200
    text = "".join(pages)
    assert "more TRIGEMINY events" in text  # 50 separate trigeminy events: the longest listed, the rest counted
    af_rows = re.findall(r"AF \(atrial fibrillation\)", pages[1])
    assert len(af_rows) == 1  # one AF from 25 % to 40 %: the NSR fragments inside it are shorter than 30 s


def test_unlabelled_holter_gets_detected_beats(holter_3h, tmp_path):
    n = int(1200 * holter_3h.fs)  # the first 20 minutes, without its annotations
    rec = Recording.from_array(holter_3h.read(0, n), holter_3h.fs, holter_3h.lead_names, path="unlabelled.ecg")
    text = pdf_text(render_holter(rec, tmp_path / "h.pdf"))[0]
    assert "Beats detected on lead MLII (R-peak detector" in text
    detected = int(re.search(r"Beats (\d+) — unclassified", text).group(1))
    reference = int(np.sum(holter_3h.annotations.beats().sample < n))
    assert abs(detected - reference) <= 0.01 * reference


def test_the_summary_states_the_unreadable_signal(tmp_path):
    """Stretches the analysis could not read are named on page 1 with their total and reasons."""
    base = _beats_with_pause(300.0, 4.0)
    findings = ReportFindings("model", "Model findings: test", base.beat_time_s, base.beat_label,
                              base.beat_confidence, unreadable=((300.0, 303.0, "noisy"), (400.0, 460.0, "flat"),
                                                                (500.0, 502.0, "noisy")))
    rec = Recording.from_array(np.zeros((1, int(250 * 605)), np.float32), 250.0, ["MLII"], path="noisy.ecg")
    text = pdf_text(render_holter(rec, tmp_path / "h.pdf", findings=findings))[0]
    assert "Unreadable signal, not analysed: 1 min 05 s in 3 stretches (flat 1 min 00 s, noisy 5.0 s)" in text
    named = ReportFindings("model", "Model findings: test", base.beat_time_s, base.beat_label, base.beat_confidence,
                           unreadable=((300.0, 303.0, "noisy", "MLII"), (400.0, 460.0, "flat", "MLII")))
    text = pdf_text(render_holter(rec, tmp_path / "named.pdf", findings=named))[0]
    assert "Unreadable signal on MLII, not analysed: 1 min 03 s in 2 stretches" in text


def test_events_of_reference_labels_have_no_confidence_column(holter_3h, tmp_path):
    pages = pdf_text(render_holter(holter_3h, tmp_path / "h.pdf"))
    assert "Rhythm events (the 5 longest of each rhythm)" in pages[1] and "Confidence" not in pages[1]


def test_a_gap_in_ventricular_flutter_is_not_a_pause():
    """Reference labels carry no beats in ventricular flutter (MIT-BIH 207): the RR across it is no pause."""
    base = _beats_with_pause(300.0, 7.0)
    flutter = ReportFindings("annotations", "test", base.beat_time_s, base.beat_label, base.beat_confidence,
                             (Episode(300.5, 306.0, "VFL"),))
    assert len(summarise(base, 610.0).pauses) == 1
    assert not summarise(flutter, 610.0).pauses


def _top_mm(pdf, needle: str, last: bool = False) -> float:
    """Height (mm from the page's foot) of the top of the first (or last) character of ``needle`` on page 1."""
    from report_helpers import pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[0].get_textpage()
        found = page.search(needle, match_case=True, match_whole_word=False).get_next()
        assert found is not None, needle
        index, count = found
        return page.get_charbox(index + count - 1 if last else index)[3 if not last else 1] / 72.0 * 25.4
    finally:
        doc.close()


def test_a_wrapped_analysis_block_pushes_the_summary_down(tmp_path):
    """Long analysis lines (a 'not assessed' reason, the unreadable signal) wrap to more lines than the
    recording column: the Summary heading starts below the last of them, never over it."""
    base = _beats_with_pause(300.0, 4.0)
    reason = ("the anomaly model was trained on 12-lead ECGs (I, II, III, aVR, aVL, aVF, V1, V2, V3, V4, V5, V6); "
              "this recording lacks I, III, aVR, aVL, aVF, V2, V3, V4, V5, V6")
    findings = ReportFindings("model", "Model findings: test", base.beat_time_s, base.beat_label,
                              base.beat_confidence, anomaly_not_assessed=reason,
                              unreadable=((300.0, 303.0, "noisy"), (400.0, 460.0, "flat"), (500.0, 502.0, "baseline"),
                                          (520.0, 531.0, "saturated")))
    rec = Recording.from_array(np.zeros((1, int(250 * 605)), np.float32), 250.0, ["MLII"], path="short.ecg")
    pdf = render_holter(rec, tmp_path / "h.pdf", findings=findings)
    bottom_of_analysis = _top_mm(pdf, "baseline 2.0 s)", last=True)  # the end of the last, wrapped line
    assert _top_mm(pdf, "Summary") < bottom_of_analysis - LINE_MM  # at least a line of white between them
