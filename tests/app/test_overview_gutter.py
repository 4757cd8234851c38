"""The overview bar names its rows in a gutter left of the data: no name covers the start of the recording
(the "model rhythm" / "model anomaly" tags used to sit on white boxes over the first minutes, the heart-rate
range over the trend)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.model.timeline import OVERVIEW_ANOMALY, OVERVIEW_RHYTHM, TimelineLanes
from app.overview import OverviewBar


def test_row_names_sit_in_a_gutter_beside_the_data(qtbot):
    bar = OverviewBar()
    qtbot.addWidget(bar)
    bar.resize(900, 200)
    bar.set_duration(1800.0)
    bar.add_lane("rhythm", np.array([[0.0, 900.0], [900.0, 1800.0]]), ["N", "AFIB"], kind="bands")
    t = np.arange(0.0, 1800.0, 10.0)
    bar.add_lane("HR bpm", t, 70 + 10 * np.sin(t / 100), kind="line")
    bar.add_lane(OVERVIEW_ANOMALY, np.arange(181) * 10.0, np.linspace(0, 1, 180), kind="heat")
    bar.add_lane(OVERVIEW_RHYTHM, np.array([[0.0, 1800.0]]), ["TRIGEMINY"], kind="bands")
    TimelineLanes(bar, lambda key: True).tag()
    bar.show()
    qtbot.waitExposed(bar)

    assert not [item for item in bar.viewbox.childGroup.childItems() if isinstance(item, pg.TextItem)], "no name over the data"
    assert bar.lane_labels() == ["rhythm", "HR bpm 60–80", "model anomaly", "model rhythm"]
    ticks = dict((text, y) for y, text in bar.gutter._tickLevels[0])
    assert [round(ticks[name] + 0.5) for name in bar.lane_labels()] == [0, -1, -2, -3]  # each at its row's middle
    gutter, data = bar.gutter.sceneBoundingRect(), bar.viewbox.sceneBoundingRect()
    assert gutter.right() <= data.left() + 1 and data.left() >= 60
    assert bar.viewbox.mapViewToScene(pg.Point(0.0, -0.5)).x() >= gutter.right() - 1  # t = 0 is beside it
    bar.remove_lane("HR bpm")  # the rows below move up, their names with them
    assert bar.lane_labels() == ["rhythm", "model anomaly", "model rhythm"]
    assert [y for y, _ in bar.gutter._tickLevels[0]] == [-0.5, -1.5, -2.5]
