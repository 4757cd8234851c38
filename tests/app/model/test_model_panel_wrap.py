"""The model panel's verdict wraps: a long "not assessed" reason is read whole in a 400-px dock, not clipped."""
from __future__ import annotations

from app.model.panel import ModelPanel

REASON = ("Anomaly: not assessed: the anomaly model was trained on 12-lead ECGs (I, II, III, aVR, aVL, aVF, "
          "V1–V6) and this recording has MLII, V1")


def test_a_long_not_assessed_verdict_wraps_inside_a_narrow_dock(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.verdict_label.setText(REASON)
    assert panel.verdict_label.minimumSizeHint().width() < 400
    panel.resize(400, 600)
    panel.show()
    qtbot.waitExposed(panel)
    label = panel.verdict_label
    assert label.width() <= 400
    assert label.height() >= 2 * label.fontMetrics().height()  # laid out on several lines, every word shown
