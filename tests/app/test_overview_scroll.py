"""Scrolling moves the overview's view rectangle over its lanes without repainting their episodes: a 72-h Holter
has ~2 000 rhythm episodes, and painting them all on every scroll step cost ~25 ms of the step."""
from __future__ import annotations

import numpy as np

from app import lanes
from app.overview import OverviewBar


def test_moving_the_view_rectangle_does_not_repaint_the_rhythm_bands(qtbot, monkeypatch):
    paints: list[str] = []  # one entry per paint of a band lane
    original = lanes.BandLaneItem.paint
    monkeypatch.setattr(lanes.BandLaneItem, "paint", lambda self, *a: (paints.append(self.name), original(self, *a)))
    bar = OverviewBar()
    qtbot.addWidget(bar)
    bar.resize(1200, 120)
    duration = 72 * 3600.0
    bar.set_duration(duration)
    edges = np.linspace(0.0, duration, 2001)
    labels = ["N" if k % 2 else "AFIB" for k in range(2000)]
    bar.add_lane("rhythm", np.column_stack([edges[:-1], edges[1:]]), labels, kind="bands")
    bar.show()
    qtbot.waitExposed(bar)
    bar.grab()
    first = len(paints)
    for step in range(20):  # a scroll, half a 10-s page per step
        bar.set_view_rect(step * 5.0, step * 5.0 + 10.0)
        bar.grab()
    assert first >= 1, "the bands were painted"
    assert len(paints) == first, "each step blits the painted bands instead of painting its 2 000 episodes again"
    bar.apply_colours("#000000", "#ffffff")  # a new text colour paints them again
    bar.grab()
    assert len(paints) > first
