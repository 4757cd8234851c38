"""Resting ECGs show who and when (record, acquisition, age, sex, device) and the automated measurements (HR, RR,
PR, QT/QTc, frontal axis) above the traces, in the printed report's wording (issue 17)."""
from __future__ import annotations

import numpy as np
import pytest
from resting_ecg import FS, resting_12lead

from anyecg_model.report.measurements import Measurements, frontal_axis_deg
from app.resting_header import measurement_text


def test_measurement_text_uses_the_report_wording():
    m = Measurements("II", 12, heart_rate_bpm=73.3, rr_ms=818.0, pr_ms=149.0, qt_ms=405.0, qtc_ms=448.0)
    assert measurement_text(m, 9.4) == ("HR 73 bpm · RR 818 ms · PR 149 ms · QRS not measured · "
                                        "QT / QTc (Bazett) 405 / 448 ms · axis +9° — automated, lead II, 12 beats")
    assert measurement_text(Measurements("II", 1), None).startswith("Heart rate: not measured")


@pytest.mark.parametrize("axis", [-60.0, 0.0, 45.0, 100.0, 170.0])
def test_frontal_axis_of_a_dipole_at_a_known_angle(axis):
    """Lead I sees the QRS dipole's cos, aVF its sin: the axis comes back within a few degrees."""
    n = int(10 * FS)
    beat = np.zeros(n)
    k = np.arange(-20, 21)
    for s in np.arange(0.5 * FS, n - 40, 0.8 * FS).astype(int):
        beat[s + k] += np.exp(-0.5 * (k / 5.0) ** 2)
    a = np.radians(axis)
    got = frontal_axis_deg(np.cos(a) * beat, np.sin(a) * beat, FS, peaks=np.arange(0.5 * FS, n - 40, 0.8 * FS).astype(int))
    assert got == pytest.approx(axis, abs=3.0)


def test_left_anterior_fascicular_block_has_left_axis_deviation(shared_data):
    """PTB-XL 00041 and 00157 (LAFB) have axes beyond -30°, 00001 (normal) within -30..+90°."""
    from anyecg_model.io import open_recording

    def axis(ecg_id: int) -> float:
        rec = open_recording(shared_data / "ptbxl500" / "records500" / "00000" / f"{ecg_id:05d}_hr.hea")
        x = rec.read(0, rec.n_samples, [rec.lead_index("I"), rec.lead_index("aVF")])
        return frontal_axis_deg(x[0], x[1], rec.fs)

    assert axis(41) < -30 and axis(157) < -30
    assert -30 <= axis(1) <= 90


def test_window_shows_the_header_for_a_resting_ecg_and_hides_it_for_a_holter(qtbot, window, make_sinus):
    window.set_recording(resting_12lead(75, "<r>"))
    assert window.header.isVisible() and "Record" in window.header.patient.text()
    assert "not in the file: acquired, age, sex" in window.header.patient.text()
    assert window.header.wait()
    assert window.header.measures.text().startswith("HR 75 bpm")
    window.set_recording(make_sinus(minutes=2.0))
    assert not window.header.isVisible()


def test_the_header_measures_a_clean_lead_when_lead_ii_is_buried_in_noise(qtbot, window):
    """Lead II with 1 mV of noise read twice the rate (every noise peak a beat); the header measures the cleanest
    other lead and names it."""
    from anyecg_model.io.recording import Recording

    rec = resting_12lead(75, "<r>")
    x = rec.read()
    names = list(rec.lead_names)
    x[names.index("II")] += np.random.default_rng(0).normal(0, 1.0, x.shape[1]).astype(np.float32)
    window.set_recording(Recording.from_array(x, rec.fs, names, path="noisy-ii.hea"))
    assert window.header.wait()
    text = window.header.measures.text()
    assert text.startswith("HR 75 bpm") and "lead II" not in text and "automated, lead " in text
