"""Timeline lanes of the model on the overview bar: the anomaly score as a heat strip and the rhythm
episodes as bands over the whole recording, each named "model …" in the bar's gutter, the stretches the analysis
found unreadable hatched across the bar, and the AF burden and longest AF episode in the bar's tooltip. Each
rebuild of the overview costs tens of milliseconds, so lanes are updated one per event-loop turn.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6 import QtCore

from anyecg_model.report.holter_stats import format_duration
from anyecg_model.timebase import TimeBase

from .stream import OverlayData, simplify_episodes
from .unreadable import UnreadableBands

OVERVIEW_ANOMALY, OVERVIEW_RHYTHM = "anomaly score", "model rhythm"
#: Finest resolution of the rhythm lane: the recording's length over this many bands.
OVERVIEW_BANDS = 1500
#: Timeline lanes for recordings at least this long (s), like the viewer's heart-rate lane.
TIMELINE_MIN_S = 60.0
#: Pause between two lane rebuilds (ms), so input and paint events get their turn.
STAGE_MS = 15


class TimelineLanes:
    """Keeps the model's lanes on ``overview`` (an :class:`~app.overview.OverviewBar`) in step with the data;
    ``overlay_on(key)`` tells which overlays are toggled on."""

    def __init__(self, overview, overlay_on: Callable[[str], bool]):
        self.overview = overview
        self.overlay_on = overlay_on
        self._step = 0
        self._pending: tuple | None = None
        self.timebase = TimeBase()
        self.unreadable = UnreadableBands()
        overview.viewbox.addItem(self.unreadable, ignoreBounds=True)

    def update(self, duration_s: float | None, data: OverlayData | None, timebase: TimeBase = TimeBase()) -> None:
        """Redraw for a recording of ``duration_s`` (None: no recording) with ``data`` (None: no findings); the
        bar's tooltip writes times with ``timebase``."""
        self.timebase = timebase
        spans = data.unreadable if data is not None and duration_s is not None else []
        if not self.unreadable.same_data(spans):
            self.unreadable.set_data(spans)
        self.unreadable.timebase = timebase
        self._pending = (duration_s, data)
        self._step = 0
        self._next()

    def clear(self) -> None:
        self.unreadable.set_data([])
        for name in (OVERVIEW_ANOMALY, OVERVIEW_RHYTHM):
            if name in self.overview.lane_names():
                self.overview.remove_lane(name)
        self.tag()

    def _next(self) -> None:
        if self._pending is None:
            return
        duration_s, d = self._pending
        overview, names = self.overview, self.overview.lane_names()
        on = d is not None and duration_s is not None and self.overlay_on("timeline") and duration_s >= TIMELINE_MIN_S
        step, self._step = self._step, self._step + 1
        if step == 0:
            if on and self.overlay_on("anomaly") and len(d.window_score):
                w = float(np.median(d.window_end_s - d.window_start_s)) or 10.0
                n = int(np.ceil(duration_s / w))
                grid = np.full(n, np.nan)
                grid[np.clip((d.window_start_s / w).astype(np.int64), 0, n - 1)] = d.window_score
                overview.add_lane(OVERVIEW_ANOMALY, np.arange(n + 1) * w, grid, kind="heat")
            elif OVERVIEW_ANOMALY in names:
                overview.remove_lane(OVERVIEW_ANOMALY)
            QtCore.QTimer.singleShot(STAGE_MS, self._next)
            return
        shown = simplify_episodes(d.episodes, duration_s / OVERVIEW_BANDS) if on else []
        if on and self.overlay_on("rhythm") and shown:
            se = np.array([[e[0], e[1]] for e in shown])
            overview.add_lane(OVERVIEW_RHYTHM, se, [e[2] for e in shown], kind="bands")
        elif OVERVIEW_RHYTHM in names:
            overview.remove_lane(OVERVIEW_RHYTHM)
        if on and d.episodes:
            burden, longest = d.af_burden(), d.longest_episode()
            overview.setToolTip(f"AF burden {burden:.1%}" + (
                f"; longest AF episode {format_duration(longest[1] - longest[0])} from {self.timebase.at(longest[0])}"
                if longest
                else "; no AF episode"))
        self.tag()
        self._pending = None

    def tag(self) -> None:
        """Name the model's rows "model anomaly" and "model rhythm" in the overview's gutter."""
        for name, text in ((OVERVIEW_ANOMALY, "model anomaly"), (OVERVIEW_RHYTHM, "model rhythm")):
            self.overview.set_lane_label(name, text)
