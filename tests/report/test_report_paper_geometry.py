"""The printed paper is true to scale: at 100 % the small squares are 1 mm and the large ones 5 mm (within 2 %),
the calibration pulse is 10 mm tall at 10 mm/mV, and a 70 bpm strip has R waves 60/70 s × 25 mm/s apart."""
from __future__ import annotations

import numpy as np
import pytest
from report_helpers import DPI, page_size_mm, rasterise

from anyecg_model.report import EcgScale, TwelveLeadConfig, render_12lead
from anyecg_model.report.twelve_lead import page_layout

PX_PER_MM = DPI / 25.4


def _region(img: np.ndarray, layout, inset_mm: float = 0.5) -> np.ndarray:
    """The pixels of the grid rectangle (image rows run top-down, PDF y runs bottom-up)."""
    x0 = int(round((layout.grid_x + inset_mm) * PX_PER_MM))
    x1 = int(round((layout.grid_x + layout.grid_w - inset_mm) * PX_PER_MM))
    y0 = int(round((layout.page_h - layout.grid_y - layout.grid_h + inset_mm) * PX_PER_MM))
    y1 = int(round((layout.page_h - layout.grid_y - inset_mm) * PX_PER_MM))
    return img[y0:y1, x0:x1].astype(np.int32)


def _line_centres(mask: np.ndarray, axis: int) -> np.ndarray:
    """Centres (px) of the lines that run across ``axis``: columns/rows where most pixels are grid ink."""
    frac = mask.mean(axis=axis)
    on = frac > 0.5
    centres, k = [], 0
    while k < on.size:
        if on[k]:
            j = k
            while j < on.size and on[j]:
                j += 1
            w = frac[k:j]
            centres.append(float(np.sum(np.arange(k, j) * w) / np.sum(w)))
            k = j
        else:
            k += 1
    return np.asarray(centres)


def _spacing_mm(centres: np.ndarray) -> tuple[float, float]:
    """(mean spacing over the whole run, worst single spacing) in mm."""
    d = np.diff(centres) / PX_PER_MM
    return (centres[-1] - centres[0]) / (centres.size - 1) / PX_PER_MM, float(d[np.argmax(np.abs(d - np.median(d)))])


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_grid_is_1mm_and_5mm_at_100_percent(demo_12lead, tmp_path, paper):
    cfg = TwelveLeadConfig(paper=paper)
    pdf = render_12lead(demo_12lead, tmp_path / f"{paper}.pdf", cfg)
    expected_size = {"a4": (297.0, 210.0), "letter": (279.4, 215.9)}[paper]
    assert page_size_mm(pdf) == pytest.approx(expected_size, abs=0.1)

    layout = page_layout(cfg, demo_12lead.duration_s, 4)
    region = _region(rasterise(pdf), layout)
    r, g = region[..., 0], region[..., 1]
    ink = (r > 150) & (r - g > 25)  # pink or red, not the black trace nor the pale background
    major = (r > 150) & (g < 140)
    for axis in (0, 1):  # vertical lines (spacing along x), then horizontal lines (along y)
        minor_c = _line_centres(ink, axis)
        major_c = _line_centres(major, axis)
        assert minor_c.size > 100 if axis == 0 else minor_c.size > 80
        mean_minor, worst_minor = _spacing_mm(minor_c)
        mean_major, worst_major = _spacing_mm(major_c)
        assert mean_minor == pytest.approx(1.0, rel=0.02)
        assert worst_minor == pytest.approx(1.0, rel=0.2)  # one pixel of rounding at 10 px/mm
        assert mean_major == pytest.approx(5.0, rel=0.02)
        assert worst_major == pytest.approx(5.0, rel=0.04)


def _black(img: np.ndarray) -> np.ndarray:
    return img.max(axis=2) < 90


def test_calibration_pulse_is_one_millivolt_tall(demo_12lead, tmp_path):
    for gain in (10.0, 20.0):
        cfg = TwelveLeadConfig(scale=EcgScale(25.0, gain))
        pdf = render_12lead(demo_12lead, tmp_path / f"g{gain:g}.pdf", cfg)
        layout = page_layout(cfg, demo_12lead.duration_s, 4)
        img = rasterise(pdf)
        # the pulse's rising edge is 2 mm after the grid's left edge; look at the top row's pulse
        x = int(round((layout.grid_x + 2.0) * PX_PER_MM))
        base_px = (layout.page_h - layout.baseline(0)) * PX_PER_MM
        col = _black(img[:, x - 2:x + 3]).any(axis=1)
        rows = np.flatnonzero(col[int(base_px - 25 * PX_PER_MM):int(base_px + 3 * PX_PER_MM)])
        height_mm = (rows[-1] - rows[0]) / PX_PER_MM
        assert height_mm == pytest.approx(gain, abs=0.4)


@pytest.mark.parametrize("speed", [25.0, 50.0])
def test_r_waves_of_a_70_bpm_strip_are_spaced_by_paper_speed(sim_12lead, tmp_path, speed):
    cfg = TwelveLeadConfig(scale=EcgScale(speed, 10.0))
    pdf = render_12lead(sim_12lead, tmp_path / "sim.pdf", cfg)
    layout = page_layout(cfg, sim_12lead.duration_s, 4)
    img = rasterise(pdf)
    # rhythm strip (lead II): the highest black pixel in each column traces the R waves
    base_px = int(round((layout.page_h - layout.baseline(3)) * PX_PER_MM))
    x0 = int(round(layout.trace_x * PX_PER_MM)) + 5
    x1 = int(round((layout.grid_x + layout.grid_w) * PX_PER_MM)) - 5
    band = _black(img[base_px - int(18 * PX_PER_MM):base_px - int(4 * PX_PER_MM), x0:x1])
    tall = band.any(axis=0)  # columns where the trace rises more than 4 mm (0.4 mV): the R waves
    starts = np.flatnonzero(np.diff(tall.astype(int)) == 1)
    spacing_mm = np.median(np.diff(starts)) / PX_PER_MM
    assert spacing_mm == pytest.approx(60.0 / 70.0 * speed, rel=0.03)
