"""Issue 15: a printed S beat is not drawn in the red of a V beat; beat classes have the viewer's colours on paper."""
from __future__ import annotations

import pytest

from anyecg_model.report.paper import beat_label_rgb, hex_rgb
from anyecg_model.vocabulary.labels import BEAT_CLASSES


def test_ectopic_classes_have_distinct_printed_colours():
    ectopic = [c for c in BEAT_CLASSES if c not in ("N", "Q")]
    colours = {beat_label_rgb(c) for c in ectopic}
    assert len(colours) == len(ectopic)
    assert beat_label_rgb("S") != beat_label_rgb("V")


def test_printed_beat_colours_are_the_viewers():
    pytest.importorskip("PySide6")
    from app.lanes import CLASS_COLOURS

    for c in BEAT_CLASSES:
        if c != "N":  # N is muted grey on paper so that ectopic beats stand out
            assert beat_label_rgb(c) == hex_rgb(CLASS_COLOURS[c])
