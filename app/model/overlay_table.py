"""The model's overlays as a table, as napari maps each layer type to its visual: one :class:`OverlayRow` per
overlay names its menu text and shortcut, the pure function that turns the findings
(:class:`~app.model.stream.OverlayData`) into what it draws, and its drawing class (an
:class:`~app.model.overlays.OverlayLane` under the traces). The Model menu, the panel's toggles, the lanes
drawn on every refresh and the clearing on a file switch all iterate :func:`overlay_rows`.

Adding an overlay drawn under the traces is one row here plus one drawing class (see docs/ARCHITECTURE.md,
"Where to add ▸ An overlay"). Rows without a drawing are toggles whose picture is drawn elsewhere and reads
``controller.overlay_on(key)``: the generated leads (:class:`~app.model.ghosts.GhostTraces`) and the
overview's timeline lanes (:class:`~app.model.timeline.TimelineLanes`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .overlays import AnomalyHeatLane, ModelBeatLane, ModelRhythmLane, OverlayLane
from .stream import OverlayData, anomaly_lane_data, beat_lane_data, rhythm_lane_data


@dataclass(frozen=True)
class OverlayRow:
    """One overlay: ``key`` (the toggles' and ``overlay_on``'s name), ``label`` (menu and panel text),
    ``shortcut`` (a ``QKeySequence`` string); for a lane under the traces its ``lane`` name, its ``drawing``
    class (built as ``drawing(lane)``) and ``data``: findings → the drawing's ``set_data`` arguments, or None
    when the findings hold nothing for it (the lane is then not shown)."""

    key: str
    label: str
    shortcut: str
    lane: str = ""
    drawing: type[OverlayLane] | None = None
    data: Callable[[OverlayData], tuple | None] | None = None

    @property
    def draws_lane(self) -> bool:
        return self.drawing is not None and self.data is not None and bool(self.lane)


#: The overlays, in menu order; the lanes stack under the traces in this order.
OVERLAYS: list[OverlayRow] = [
    OverlayRow("anomaly", "Anomaly heat strip", "Ctrl+Alt+A", "model anomaly", AnomalyHeatLane, anomaly_lane_data),
    OverlayRow("beats", "Beat classes", "Ctrl+Alt+B", "model beats", ModelBeatLane, beat_lane_data),
    OverlayRow("rhythm", "Rhythm episodes", "Ctrl+Alt+R", "model rhythm", ModelRhythmLane, rhythm_lane_data),
    OverlayRow("generated", "Generated leads", "Ctrl+Alt+G"),
    OverlayRow("timeline", "Timeline lanes (overview)", "Ctrl+Alt+T"),
]


def overlay_rows() -> tuple[OverlayRow, ...]:
    """The overlays of windows built from now on (read when a window's model controller is built)."""
    return tuple(OVERLAYS)


def lane_rows(rows: tuple[OverlayRow, ...]) -> tuple[OverlayRow, ...]:
    """The rows of ``rows`` drawn as lanes under the traces."""
    return tuple(r for r in rows if r.draws_lane)
