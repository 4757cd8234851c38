"""Holter events: episodes of one rhythm merged across short gaps, short AF runs counted rather than listed,
the fastest rate inside an event, ectopic singles/couplets/runs, and strips that never cut a QRS and keep
beat labels off the trace."""
from __future__ import annotations

import numpy as np
import pytest
from reportlab.pdfgen.canvas import Canvas
from report_helpers import rasterise

from anyecg_model.report import Episode, ReportFindings
from anyecg_model.report.ectopy import ectopy
from anyecg_model.report.holter_events import EventRules, max_rate_bpm, merge_events
from anyecg_model.report.holter_strips import LABEL_BAND_MM, draw_event_strip, fit_strip
from anyecg_model.report.paper import EcgScale, PaperStyle
from anyecg_model.report.strips import StripSignal
from anyecg_model.timebase import TimeBase


def test_episodes_of_one_rhythm_merge_into_events():
    episodes = [Episode(0.0, 600.0, "NSR"), Episode(600.0, 610.0, "AF", 0.9), Episode(615.0, 700.0, "AFIB", 0.5),
                Episode(800.0, 810.0, "AF"), Episode(900.0, 902.0, "VT"), Episode(902.5, 904.0, "VT"),
                Episode(950.0, 951.0, "VT"), Episode(1000.0, 1010.0, "NOISE")]
    types = {t.label: t for t in merge_events(episodes, np.arange(0.0, 1100.0, 0.8))}
    assert list(types) == ["AF", "VT"]  # normal rhythm and noise are not events; AFIB is AF
    af = types["AF"]
    assert [(e.start_s, e.end_s, e.n_episodes) for e in af.events] == [(600.0, 700.0, 2)]  # a 5-s gap is bridged
    assert [(e.start_s, e.end_s) for e in af.short_runs] == [(800.0, 810.0)]  # under 30 s: counted, not listed
    assert af.events[0].confidence == pytest.approx((0.9 * 10 + 0.5 * 85) / 95)
    assert af.total_s == pytest.approx(110.0) and af.longest.duration_s == 100.0
    vt = types["VT"]
    assert [(e.start_s, e.end_s) for e in vt.events] == [(900.0, 904.0), (950.0, 951.0)]  # VT bridges only 1 s
    assert vt.events[0].max_hr_bpm == pytest.approx(75.0)


def test_merge_gap_and_minimum_duration_follow_the_rules():
    episodes = [Episode(0.0, 20.0, "AF"), Episode(45.0, 60.0, "AF")]
    assert len(merge_events(episodes, np.zeros(0))[0].events) == 1  # 25 s < 30 s gap: one 60-s event
    from anyecg_model.report.holter_events import EventRule

    strict = EventRules(by_label={"AF": EventRule(merge_gap_s=10.0, min_duration_s=30.0)})
    af = merge_events(episodes, np.zeros(0), strict)[0]
    assert not af.events and len(af.short_runs) == 2


def test_max_rate_is_the_fastest_run_of_beats_inside_the_event():
    beats = np.concatenate([np.arange(0.0, 60.0, 1.0), 60.0 + np.arange(1, 11) * 0.4, 64.0 + np.arange(1, 30)])
    assert max_rate_bpm(beats, 0.0, 100.0) == pytest.approx(150.0)  # 8 intervals of 0.4 s
    assert max_rate_bpm(beats, 0.0, 50.0) == pytest.approx(60.0)
    assert max_rate_bpm(beats, 61.0, 61.2) is None  # fewer than two beats
    gap = np.array([0.0, 1.0, 8.0, 9.0])  # a 7-s hole is not a rate
    assert max_rate_bpm(gap, 0.0, 9.0) == pytest.approx(60.0)


def test_ectopy_counts_singles_couplets_and_runs():
    labels = np.array(list("NVNVVNVVVVNNSSS"), dtype=object)
    times = np.arange(labels.size) * 0.5
    v = ectopy(times, labels, "V")
    assert (v.n_beats, v.singles, v.couplets, len(v.runs)) == (7, 1, 1, 1)
    assert v.burden == pytest.approx(7 / 15)
    assert v.longest_run.n_beats == 4 and v.longest_run.rate_bpm == pytest.approx(120.0)
    s = ectopy(times, labels, "S")
    assert (s.singles, s.couplets, len(s.runs)) == (0, 0, 1)


@pytest.mark.parametrize("r_mv, s_mv", [(1.2, -0.3), (4.0, -2.5), (9.0, -6.0)])
def test_strip_fit_shows_every_sample(r_mv, s_mv):
    x = np.zeros(1800)
    x[400], x[410] = r_mv, s_mv
    fit = fit_strip(x, 10.0)
    lo, hi = fit.span_mm(s_mv, r_mv)
    assert 0.0 < lo and hi < fit.height_mm and fit.height_mm <= 50.0
    assert fit.span_mm(0.0, 1.0)[1] < fit.height_mm  # the calibration pulse fits too
    assert fit.reduced == (fit.gain_mm_mv < 10.0)
    if r_mv - s_mv < 2.0:
        assert fit.gain_mm_mv == 10.0 and fit.height_mm == 30.0


def _dark_rows(img: np.ndarray, cols: slice) -> np.ndarray:
    """Rows holding trace pixels (near black) within the columns ``cols``."""
    return np.flatnonzero((img[:, cols].max(axis=2) < 60).any(axis=1))


def test_a_printed_strip_keeps_r_and_s_inside_the_grid_and_labels_above_it(tmp_path):
    """A strip of 6.5-mV QRS complexes: no trace pixel at the grid's edge, beat letters in their own band."""
    fs = 360.0
    t = np.arange(int(7.0 * fs)) / fs
    beats = np.arange(0.5, 7.0, 0.8)
    x = np.zeros_like(t)
    for b in beats:
        x += 4.0 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) - 2.5 * np.exp(-0.5 * ((t - b - 0.03) / 0.012) ** 2)
    findings = ReportFindings("annotations", "test", beats, np.array(["N", "V"] * 5, dtype=object)[:beats.size],
                              np.full(beats.size, np.nan))
    fit = fit_strip(x, 10.0)
    out = tmp_path / "strip.pdf"
    c = Canvas(str(out), pagesize=(200 * 72 / 25.4, 100 * 72 / 25.4))
    strip = StripSignal("MLII", x, fs, False)
    draw_event_strip(c, 10.0, 95.0, 185.0, strip, 0.0, 7.0, 3.0, "test", findings, EcgScale(), PaperStyle(),
                     TimeBase(), fit)
    c.showPage()
    c.save()
    img = rasterise(out).astype(int)  # 10 px per mm, y down from the top of the page
    grid_top = int(round((5.0 + 5.0 + LABEL_BAND_MM) * 10))
    grid_bottom = grid_top + int(round(fit.height_mm * 10))
    rows = _dark_rows(img[grid_top - 3:grid_bottom - 1], slice(300, 1900)) + grid_top - 3  # right of the pulse
    assert rows.size
    assert rows.min() > grid_top + 5 and rows.max() < grid_bottom - 5  # R and S whole, clear of the edges
    band = img[grid_top - int(LABEL_BAND_MM * 10):grid_top - 2, 300:1900]
    red = (band[..., 0] > 150) & (band[..., 1] < 80) & (band[..., 2] < 80)
    grey = (np.abs(band[..., 0] - 102) < 30) & (np.abs(band[..., 0] - band[..., 2]) < 10)
    assert red.sum() > 20 and grey.sum() > 20  # V and N letters printed in the band above the grid
