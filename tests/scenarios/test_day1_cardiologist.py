"""USERS.md day 1, a cardiologist reviewing recordings, with the shipped model on the CPU: a 10-s 12-lead from a
cart (PTB-XL 00219, a PVC in V4–V6) opens in the 3 × 4 layout at 25 mm/s and 10 mm/mV; Ctrl+L to the stacked
layout and back; a time caliper dragged with the mouse reads the interval and the rate it implies; Analyze gives
a verdict and beat labels; a 1-hour Holter (MIT-BIH 100 + 201 joined by ``anyecg demo --holter``) replaces it
without the 12-lead's labels; its AF episode is one click in the findings table; go-to-time by keyboard; both
reports print to PDF and read back with pypdfium2."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from scenario_helpers import CTRL, LEFT, K, analyse

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def drag(qtbot, trace, t0: float, t1: float, y: float) -> None:
    """A real left-button drag on the trace from time ``t0`` to ``t1`` (s) at plot height ``y``."""
    vp = trace.plot.viewport()

    def pos(t: float) -> QtCore.QPoint:
        return trace.plot.mapFromScene(trace.viewbox.mapViewToScene(QtCore.QPointF(t, y)))

    qtbot.mousePress(vp, LEFT, pos=pos(t0))
    for k in range(1, 11):
        qtbot.mouseMove(vp, pos(t0 + (t1 - t0) * k / 10))
    qtbot.mouseRelease(vp, LEFT, pos=pos(t1))


def pdf_text(path) -> tuple[int, str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf), "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def print_report(qtbot, window, kind: str, path) -> tuple[int, str]:
    with qtbot.waitSignal(window.export.reportWritten, timeout=180_000):
        window.export.write_report(kind, path)
    return pdf_text(path)


def test_cardiologist_day(qtbot, window, shared_data, tmp_path):
    from anyecg_model.cli import main as cli_main

    # 1. a 10-s 12-lead from a cart appears at once in the 3 × 4 layout on 25 mm/s, 10 mm/mV paper
    ecg = shared_data / "ptbxl500" / "records500" / "00000" / "00219_hr.hea"
    assert window.open_path(ecg)
    assert window.stack.currentWidget() is window.twelve_lead
    scale = window.twelve_lead.scale
    assert (scale.speed_mm_s, scale.gain_mm_mv) == (25.0, 10.0)
    qtbot.keyClick(window.twelve_lead, K.Key_L, CTRL)  # View ▸ Clinical 3 × 4 layout off: stacked leads
    assert window.stack.currentWidget() is window.trace

    # 2. calipers: Ctrl+T, then a drag between two points reads Δt and the rate it implies
    window.trace.set_view(0.0, 5.0)
    assert window.trace.wait_rendered()
    qtbot.keyClick(window.trace, K.Key_T, CTRL)
    assert window.trace.calipers.mode == "time"
    drag(qtbot, window.trace, 1.0, 1.8, window.trace.lead_offset(1))
    a, b = window.trace.calipers.current.values()
    assert abs(a - 1.0) < 0.02 and abs(b - 1.8) < 0.02, "the caliper starts where the mouse was pressed"
    ms = round((b - a) * 1000)
    assert window.caliper_label.text() == f"Δt {ms} ms · {round(60 / (b - a))} bpm"
    qtbot.keyClick(window.trace, K.Key_Escape)

    # 3. the model: a verdict and per-beat labels
    findings = analyse(qtbot, window)
    assert window.model.panel.verdict_label.text().startswith("Record:")
    assert len(findings.beats) >= 8 and "model beats" in window.trace.lanes()
    qtbot.keyClick(window.trace, K.Key_L, CTRL)  # back to 3 × 4: the model's labels are drawn there too
    assert window.stack.currentWidget() is window.twelve_lead
    qtbot.waitUntil(lambda: len(window.twelve_lead.beat_times_s) > 0, timeout=10_000)
    pages, text = print_report(qtbot, window, "12lead", tmp_path / "ecg.pdf")
    assert pages == 1 and "V6" in text and "25 mm/s" in text

    # 4. yesterday's Holter: the 12-lead's labels never show over it; AF is a click away
    holter = tmp_path / "holter.edf"
    assert cli_main(["demo", "--holter", str(holter), "--records", "100", "201",
                     "--data", str(shared_data / "mitdb")]) == 0
    assert window.open_path(holter)
    assert window.stack.currentWidget() is window.trace
    assert not any(name.startswith("model") for name in window.trace.lanes())
    assert len(window.twelve_lead.beat_times_s) == 0
    assert window.overview.isVisible() and "rhythm" in window.overview.lane_names()
    qtbot.waitUntil(lambda: "HR bpm" in window.overview.lane_names(), timeout=60_000)
    findings = analyse(qtbot, window)
    af = [e for e in findings.episodes if e.label in ("AF", "AFL")]
    assert af, "record 201 has atrial fibrillation"
    panel = window.model.panel
    table = panel.table
    rows = [i for i in range(panel.findings_model.rowCount()) if panel.findings_model.row(i)[0].startswith("AF")]
    assert rows
    longest = max(rows, key=lambda i: np.diff(panel.findings_model.span(i))[0])
    t0, t1 = panel.findings_model.span(longest)
    table.scrollTo(panel.findings_model.index(longest, 0))
    rect = table.visualRect(panel.findings_model.index(longest, 0))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())
    v0, v1 = window.trace.view_range()
    assert v0 <= t0 + 1.0 and v1 > t0, "the view shows the episode's onset"
    # go to half past: Ctrl+G, type, Enter
    qtbot.keyClick(window.trace, K.Key_G, CTRL)
    qtbot.keyClicks(window.goto_box, "0:30:00")
    qtbot.keyClick(window.goto_box, K.Key_Return)
    assert window.trace.view_range()[0] == pytest.approx(1800.0)

    # 5. the Holter summary prints with the episodes the model found
    pages, text = print_report(qtbot, window, "holter", tmp_path / "holter.pdf")
    assert 1 <= pages <= 6 and "Holter" in text and "AF" in text
