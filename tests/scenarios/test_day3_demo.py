"""USERS.md day 3, someone demoing the model on a workstation, with the built-in demos only (no data folder) and
the shipped model on the CPU: the 12-lead demo opens in 3 × 4 with the other demo one click away; the model's
anomaly strip, beat and rhythm labels appear; a lead switched off comes back as a dashed generated trace; the
synthetic Holter is marked SYNTHETIC DEMO DATA and gets its event timeline on the overview bar; the status bar
names the device; a PNG of the view is exported at the chosen resolution, with and without the grid."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui

from anyecg_model import demo
from anyecg_model.demo import SYNTHETIC_LABEL, SyntheticHolterConfig

from scenario_helpers import CTRL, LEFT, K, analyse, menu_action

pytestmark = pytest.mark.slow


@pytest.fixture
def short_holter(monkeypatch, tmp_path):
    """The demo's synthetic Holter shortened to 20 min, so its analysis fits a test run."""
    real = demo.synthetic_holter
    monkeypatch.setattr(demo, "synthetic_holter", lambda: real(SyntheticHolterConfig(hours=1 / 3), cache_dir=tmp_path))


def test_demo_day(qtbot, window, short_holter, tmp_path):
    from app.export.view_image import ImageOptions

    # 1. `anyecg-viewer --demo`: the real 12-lead in 3 × 4, the long synthetic recording one click away
    window.open_demo("12lead")
    assert window.stack.currentWidget() is window.twelve_lead
    bar = window.demo_bar
    assert bar.isVisible() and "real" in bar.label.text()

    # 2. the model's four tasks: anomaly strip, beat and rhythm labels …
    analyse(qtbot, window)
    assert "CPU" in window.model.status_label.text(), "the status bar says where the model runs"
    qtbot.keyClick(window.twelve_lead, K.Key_L, CTRL)
    assert window.stack.currentWidget() is window.trace
    assert {"model anomaly", "model beats", "model rhythm"} <= set(window.trace.lanes())
    # … a lead switched off and regenerated as a dashed ghost trace
    gen = window.model.generated
    v2 = window.recording.lead_names.index("V2")
    gen.lead_combo.setCurrentIndex(v2)
    qtbot.mouseClick(gen.mark_button, LEFT)
    qtbot.waitUntil(lambda: v2 in gen.ghosts.items, timeout=120_000)
    curve, label = gen.ghosts.items[v2]
    assert label.toPlainText() == "V2 generated" and curve.isVisible()
    assert curve.opts["pen"].style() == QtCore.Qt.PenStyle.DashLine

    # 4. a PNG of the view for a slide, at the chosen resolution, with or without the grid
    for grid in (True, False):
        out = window.export.export_view(tmp_path / f"view-{grid}.png", ImageOptions(dpi=150, grid=grid))
        image = QtGui.QImage(str(out))
        assert image.width() > 1000 and image.dotsPerMeterX() == pytest.approx(150 / 0.0254, rel=1e-3)

    # … and the event timeline of a long recording, marked as synthetic everywhere
    qtbot.mouseClick(bar.button, LEFT)
    assert window.recording.format == demo.SYNTHETIC_FORMAT
    assert bar.isVisible() and bar.label.text().startswith(SYNTHETIC_LABEL)
    assert SYNTHETIC_LABEL in window.windowTitle() and SYNTHETIC_LABEL in window.export.caption()
    before = set(window.overview.lane_names())
    analyse(qtbot, window)
    qtbot.waitUntil(lambda: len(set(window.overview.lane_names()) - before) > 0, timeout=60_000)
    assert any(e.label in ("AF", "AFL") for e in window.model.findings.episodes), "the demo's AF is found"
    menu_action(window, "File/Open demo/12-lead").trigger()  # and back through the menu
    assert demo.demo_kind(window.recording) == "12lead"
