"""The model panel's verdicts wrap: a long "not assessed" reason, or the rhythm verdict's note where the AF rule
disagrees, is read whole in a 400-px dock, not clipped."""
from __future__ import annotations

from anyecg_model.analysis.findings import RhythmVerdict
from app.model.panel import ModelPanel
from app.model.stream import OverlayData

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


def test_the_rhythm_verdicts_note_wraps_inside_a_narrow_dock(qtbot):
    """A 30-s AliveCor strip called AF by the record-level classifier, with no AF episode (the rule needs 30 s)."""
    note = ("AF by the record-level classifier; the beat-level AF rule reports no AF episode (it needs at least "
            "30 s of irregular rhythm)")
    verdict = RhythmVerdict("A", {"N": 0.02, "A": 0.95, "O": 0.02, "~": 0.01}, "rhythm trees", 0, note)
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_data(OverlayData(rhythm_verdict=verdict, complete=True), 30.0)
    panel.resize(400, 600)
    panel.show()
    qtbot.waitExposed(panel)
    label = panel.rhythm_label
    assert "p = 0.95" in label.text() and note in label.text()
    assert label.width() <= 400
    assert label.height() >= 3 * label.fontMetrics().height()  # the verdict line and the note over 2+ lines


def test_not_assessed_is_plain_grey_and_a_verdict_bold(qtbot):
    """"Not assessed" is no finding: on a two-lead Holter it filled the dock in large bold type."""
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_data(OverlayData(anomaly_not_assessed=REASON[len("Anomaly: "):], complete=True), 1800.0)
    assert panel.verdict_label.text() == REASON and not panel.verdict_label.font().bold()
    panel.show_data(OverlayData(anomaly_score=0.9, anomaly_threshold=0.5, complete=True), 10.0)
    assert panel.verdict_label.text().startswith("Record: Abnormal") and panel.verdict_label.font().bold()
