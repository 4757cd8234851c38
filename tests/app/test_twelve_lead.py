"""The 3 × 4 layout places each lead's 2.5 s where a printed ECG does, with a lead II rhythm strip."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.io.recording import Recording
from app.twelve_lead import LAYOUT_3X4, TwelveLeadView

STANDARD = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
FS = 500.0


@pytest.fixture
def twelve():
    # each lead carries its own index as a DC level plus a ramp in time, so any misplacement shows
    n = int(12 * FS)
    t = np.arange(n) / FS
    data = np.stack([0.01 * k + 0.001 * t for k in range(12)]).astype(np.float32)
    return Recording.from_array(data, FS, STANDARD)


def test_cells_follow_the_printed_layout(qtbot, twelve):
    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.set_recording(twelve, t0=1.0)
    for row, names in enumerate(LAYOUT_3X4):
        for col, name in enumerate(names):
            x0, x1, r = view.cells[name]
            assert (x0, x1, r) == (2.5 * col, 2.5 * col + 2.5, row)
            x, y = view.curves[name].getData()
            assert x[0] == pytest.approx(2.5 * col) and x[-1] == pytest.approx(2.5 * col + 2.5 - 1 / FS)
            base = -(row + 0.6) * 3.0
            # the samples drawn are this lead's, from page-relative time x (page starts at t0 = 1 s)
            k = STANDARD.index(name)
            np.testing.assert_allclose(y - base, 0.01 * k + 0.001 * (1.0 + x), atol=1e-5)
    x0, x1, r = view.cells["II rhythm"]
    assert (x0, x1, r) == (0.0, 10.0, 3)
    x, _ = view.curves["II rhythm"].getData()
    assert x[-1] - x[0] == pytest.approx(10.0 - 1 / FS)


def test_calibrated_at_25_mm_s_and_10_mm_mv(qtbot, twelve):
    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitExposed(view)
    view.set_recording(twelve)
    (x0, x1), (y0, y1) = view.viewbox.viewRange()
    mm = view.scale.px_per_mm
    assert view.viewbox.width() / (x1 - x0) == pytest.approx(25 * mm)
    assert view.viewbox.height() / (y1 - y0) == pytest.approx(10 * mm)


def test_non_standard_recording_draws_nothing(qtbot):
    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.set_recording(Recording.from_array(np.zeros((2, 5000), np.float32), FS, ["MLII", "V1"]))
    assert view.cells == {}


def test_keys_page_through_a_long_12_lead(qtbot):
    n = int(60 * FS)
    rec = Recording.from_array(np.zeros((12, n), np.float32), FS, STANDARD)
    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.set_recording(rec)
    from PySide6 import QtCore

    qtbot.keyClick(view, QtCore.Qt.Key.Key_Right)
    assert view.t0 == 2.5
    qtbot.keyClick(view, QtCore.Qt.Key.Key_PageDown)
    assert view.t0 == 12.5
    qtbot.keyClick(view, QtCore.Qt.Key.Key_End)
    assert view.t0 == 50.0
    qtbot.keyClick(view, QtCore.Qt.Key.Key_PageDown)
    assert view.t0 == 50.0, "the page stops at the end of the record"


def test_rhythm_strip_lead_can_be_changed(qtbot, twelve):
    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.set_recording(twelve)
    view.set_rhythm_lead("V1")
    assert view.cells["V1 rhythm"] == (0.0, 10.0, 3) and "II rhythm" not in view.cells


def test_beat_marks_sit_over_the_rhythm_strip_for_the_page_only(qtbot, twelve):
    import pyqtgraph as pg

    view = TwelveLeadView()
    qtbot.addWidget(view)
    view.set_recording(twelve, t0=1.0)
    view.set_beat_marks(np.array([0.5, 2.0, 6.0, 10.9, 11.5]), ["N", "V", "S", "N", "Q"])

    def marks():
        texts = [i for i in view.viewbox.childGroup.childItems() if isinstance(i, pg.TextItem)]
        return sorted((round(i.pos().x(), 3), i.toPlainText()) for i in texts if i.toPlainText() in "NSVFQ")

    # page [1, 11): x is seconds from the page start; the 0.5 s and 11.5 s beats are off the page
    assert marks() == [(1.0, "V"), (5.0, "S"), (9.9, "N")]
    view.set_beat_marks(np.zeros(0), [])
    assert marks() == []
