"""The model's lanes under the traces, one per drawing row of the overlay table
(:mod:`app.model.overlay_table`): each is added when its overlay is on and the findings hold something for it,
updated in place while results stream in (an unchanged lane is not repainted) and removed otherwise, so an
overlay toggled off gives its row back to the traces."""
from __future__ import annotations

from typing import Callable

from anyecg_model.timebase import TimeBase

from .overlay_table import OverlayRow, lane_rows
from .stream import OverlayData


class TraceOverlays:
    """The lanes of ``rows`` (those with a drawing) in the trace view ``trace``
    (:class:`~app.trace_view.TraceView`)."""

    def __init__(self, trace, rows: tuple[OverlayRow, ...]):
        self.trace = trace
        self.rows = lane_rows(rows)

    def apply(self, data: OverlayData | None, live: bool, overlay_on: Callable[[str], bool],
              timebase: TimeBase) -> None:
        """Show the findings ``data`` (None: none yet). ``live``: an analysis runs or has results, so the lanes
        of the overlays that are on exist, empty until their first result (results then fill them without
        re-laying out the view)."""
        for row in self.rows:
            args = row.data(data) if data is not None else None
            wanted = live and overlay_on(row.key) and (data is None or args is not None)
            self._show(row, wanted, args, timebase)

    def _show(self, row: OverlayRow, wanted: bool, args: tuple | None, timebase: TimeBase) -> None:
        lane = self.trace.lanes().get(row.lane)
        if not wanted:
            if lane is not None:
                self.trace.remove_lane(row.lane)
            return
        if not isinstance(lane, row.drawing):
            lane = row.drawing(row.lane)
            if args is not None:
                lane.set_data(*args)
            self.trace.add_lane(row.lane, lane)
        elif args is None:
            lane.clear()
        elif not lane.same_data(*args):  # an unchanged lane is not repainted
            lane.set_data(*args)
        lane.timebase = timebase

    def clear(self) -> None:
        """Remove every lane (another file opened, or none)."""
        for row in self.rows:
            if row.lane in self.trace.lanes():
                self.trace.remove_lane(row.lane)
