"""A paced recording longer than a strip is not "normal sinus rhythm" in the model dock: the rhythm head's classes
know no paced rhythm, so where most beats are paced the dock says paced rhythm and counts the paced beats."""
from __future__ import annotations

import numpy as np

from anyecg_model.vocabulary.labels import BEAT_CLASSES
from app.model.panel import ModelPanel
from app.model.stream import OverlayData


def overlay(labels: list[str]) -> OverlayData:
    d = OverlayData(record_class={"N": 0.79, "A": 0.01, "O": 0.19, "~": 0.01}, complete=True)
    d.beat_time_s = np.arange(len(labels)) * 0.85
    d.beat_class = np.array([BEAT_CLASSES.index(c) for c in labels], np.int8)
    d.beat_confidence = np.ones(len(labels), np.float32)
    return d


def test_a_paced_holter_reads_paced_rhythm_not_normal_sinus_rhythm(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_data(overlay(["P"] * 139 + ["N"] * 2), 120.0)
    text = panel.rhythm_label.text()
    assert text.startswith("Rhythm (record): paced rhythm — 139 of 141 beats paced")
    assert "know no paced rhythm" in text and "p = 0.79" in text


def test_a_few_paced_beats_are_counted_and_an_unpaced_recording_reads_as_before(qtbot):
    panel = ModelPanel()
    qtbot.addWidget(panel)
    panel.show_data(overlay(["P"] * 6 + ["N"] * 100), 600.0)
    assert panel.rhythm_label.text() == ("Rhythm (mean over windows): N — normal sinus rhythm, p = 0.79\n"
                                         "paced beats: 6 of 106 beats paced")
    panel.show_data(overlay(["P"] * 4 + ["N"] * 100), 600.0)  # under 5 paced beats: no note
    assert panel.rhythm_label.text() == "Rhythm (mean over windows): N — normal sinus rhythm, p = 0.79"
