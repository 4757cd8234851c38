"""Graphics items of the model's findings under the traces. Each is ONE batched item that paints only the
visible time range (binary search), so a 24-hour Holter's 100 000 beats cost what 100 do.

* :class:`ModelBeatLane` — the model's beat classes (N, S, V, F, Q) coloured by class and shaded by
  confidence; hovering shows the class and confidence of the nearest beat.
* :class:`AnomalyHeatLane` — the anomaly probability of every 10-s window as a colour strip.
* :class:`ModelRhythmLane` — the model's rhythm episodes as labelled bands.
* :func:`~app.lanes.heat_colour` — the strip's colour scale (green 0 → yellow → red 1), also the overview
  bar's anomaly strip (:func:`~app.lanes.heat_colormap`).

Each lane carries a small "model" tag at its right edge so it is never taken for the file's reference labels.
Each is an :class:`OverlayLane`, the drawing of one row of :data:`~app.model.overlay_table.OVERLAYS`.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from anyecg_model.vocabulary.labels import BEAT_CLASSES, beat_class_text
from anyecg_model.report.paper import GENERATED_HEX
from anyecg_model.timebase import TimeBase

from ..lanes import CLASS_COLOURS, BandLaneItem, LaneItem, heat_colour, paint_tag  # noqa: F401 (heat_colour: API)
from ..lanes import TEXT_PAD_PX, TICK_FROM, heat_colormap, one_per_column, paint_ticks

#: Beats closer than this to the pointer (px) are reported on hover.
HOVER_PX = 6.0
#: The strip's colour scale as a lookup table (the same as :func:`~app.lanes.heat_colour`).
_HEAT_MAP = heat_colormap(257)


class OverlayLane:
    """What every model overlay drawn under the traces offers its controller (a mixin before the lane's
    :class:`~app.lanes.LaneItem` base): built empty from its lane name alone; ``set_data(*args)`` replaces what it
    draws in place (no re-layout of the view), with the arguments its table row's data function returns;
    ``same_data(*args)`` is True when that would change nothing (an unchanged lane is not repainted);
    ``clear()`` empties it; ``timebase`` is the recording's (hover texts), set by the controller."""

    timebase = TimeBase()

    def set_data(self, *args) -> None:
        raise NotImplementedError

    def same_data(self, *args) -> bool:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


_EMPTY = np.zeros(0)


class ModelBeatLane(OverlayLane, LaneItem):
    """Model beats: ``times_s`` (sorted, s), ``classes`` (index into BEAT_CLASSES), ``confidence`` (0..1)."""

    MAX_TEXT_PER_100PX = 8

    def __init__(self, name: str, times_s: np.ndarray = _EMPTY, classes: np.ndarray = _EMPTY,
                 confidence: np.ndarray = _EMPTY):
        super().__init__(name)
        self.timebase = TimeBase()  # the recording's; the controller sets it
        self.last_drawn = np.zeros(0, np.int64)
        self.hover_text = ""
        self.setAcceptHoverEvents(True)
        self.set_data(times_s, classes, confidence)

    def same_data(self, times_s, classes, confidence) -> bool:
        return (len(times_s) == len(self.times_s) and np.array_equal(times_s, self.times_s)
                and np.array_equal(np.bincount(np.asarray(classes, np.int64), minlength=5),
                                   np.bincount(self.classes, minlength=5)))

    def set_data(self, times_s: np.ndarray, classes: np.ndarray, confidence: np.ndarray) -> None:
        """Replace the beats in place (no re-layout of the view)."""
        order = np.argsort(times_s, kind="stable")
        self.times_s = np.asarray(times_s, np.float64)[order]
        self.classes = np.asarray(classes, np.int64)[order]
        self.confidence = np.asarray(confidence, np.float32)[order]
        self.update()

    def clear(self) -> None:
        self.set_data(_EMPTY, _EMPTY, _EMPTY)

    def visible_indices(self) -> np.ndarray:
        x0, x1 = self.visible_time_range()
        a, b = np.searchsorted(self.times_s, [x0, x1], side="left")
        return np.arange(a, b)

    def beat_near(self, t: float, tolerance_s: float) -> int | None:
        """Index of the beat nearest ``t`` (s) within ``tolerance_s``, else None."""
        if len(self.times_s) == 0:
            return None
        k = int(np.searchsorted(self.times_s, t))
        cands = [i for i in (k - 1, k) if 0 <= i < len(self.times_s)]
        best = min(cands, key=lambda i: abs(self.times_s[i] - t))
        return best if abs(self.times_s[best] - t) <= tolerance_s else None

    def describe(self, i: int) -> str:
        return (f"{beat_class_text(BEAT_CLASSES[self.classes[i]])} beat at {self.timebase.at(self.times_s[i], 2)}, "
                f"confidence {self.confidence[i]:.0%}")

    def hoverEvent(self, ev) -> None:
        if ev.isExit():
            self.hover_text = ""
            self.setToolTip("")
            return
        vb = self.getViewBox()
        s_per_px = vb.viewPixelSize()[0] if vb is not None else 0.01
        i = self.beat_near(ev.pos().x(), HOVER_PX * s_per_px)
        self.hover_text = "" if i is None else self.describe(i)
        self.setToolTip(self.hover_text)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        idx = self.visible_indices()
        self.last_drawn = idx
        if len(idx) == 0:
            return
        tr = painter.transform()
        origin = tr.map(QtCore.QPointF(0.0, self.y_top))
        unit = tr.map(QtCore.QPointF(1.0, self.y_top)).x() - origin.x()
        px = origin.x() + self.times_s[idx] * unit
        top = origin.y()
        bottom = tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        y0, h = min(top, bottom), abs(bottom - top)
        painter.save()
        painter.resetTransform()
        span = max(1.0, abs(px[-1] - px[0]) if len(px) > 1 else 100.0)
        as_text = len(idx) == 1 or len(idx) <= span / 100.0 * self.MAX_TEXT_PER_100PX
        font = painter.font()
        font.setPixelSize(max(9, int(h * 0.7)))
        font.setBold(True)
        painter.setFont(font)
        classes, conf = self.classes[idx], self.confidence[idx]
        # shade by confidence in five steps: one pen per (class, step), one draw call per pen
        steps = np.clip((conf * 5).astype(np.int64), 1, 5)
        for cls in np.unique(classes):
            for step in np.unique(steps[classes == cls]):
                sel = (classes == cls) & (steps == step)
                colour = QtGui.QColor(CLASS_COLOURS.get(BEAT_CLASSES[cls], "#808080"))
                colour.setAlpha(int(55 + 40 * step))
                pen = QtGui.QPen(colour)
                pen.setCosmetic(True)
                pen.setWidthF(2.0)
                painter.setPen(pen)
                if as_text:
                    sym = BEAT_CLASSES[cls]
                    for x in px[sel]:
                        painter.drawText(QtCore.QRectF(x - 15, y0, 30, h), QtCore.Qt.AlignmentFlag.AlignCenter, sym)
                else:  # under the tag's row
                    paint_ticks(painter, one_per_column(px[sel]), y0 + h * TICK_FROM, y0 + h - 2)
        half = QtGui.QFontMetricsF(font).horizontalAdvance("W") / 2 + 2
        paint_tag(painter, tr, self, "model beats", np.stack([px - half, px + half], axis=1) if as_text else None,
                  top_row=not as_text)
        painter.restore()


class AnomalyHeatLane(OverlayLane, LaneItem):
    """Window anomaly probabilities as a colour strip: ``starts_s``/``ends_s`` (s), ``scores`` (0..1)."""

    def __init__(self, name: str, starts_s: np.ndarray = _EMPTY, ends_s: np.ndarray = _EMPTY,
                 scores: np.ndarray = _EMPTY, threshold: float = 0.5):
        super().__init__(name)
        self.last_drawn = np.zeros(0, np.int64)
        #: Highest score per pixel column of the last zoomed-out paint (NaN: no window), else None.
        self.last_strip: np.ndarray | None = None
        self.set_data(starts_s, ends_s, scores, threshold)

    def same_data(self, starts_s, ends_s, scores, threshold: float = 0.5) -> bool:
        return (len(starts_s) == len(self.starts) and threshold == self.threshold
                and np.array_equal(starts_s, self.starts) and np.isclose(np.sum(scores), self.scores.sum()))

    def set_data(self, starts_s: np.ndarray, ends_s: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> None:
        """Replace the windows in place (no re-layout of the view)."""
        order = np.argsort(starts_s, kind="stable")
        self.starts = np.asarray(starts_s, np.float64)[order]
        self.ends = np.asarray(ends_s, np.float64)[order]
        self.scores = np.asarray(scores, np.float64)[order]
        self.threshold = threshold
        self.update()

    def clear(self) -> None:
        self.set_data(_EMPTY, _EMPTY, _EMPTY, self.threshold)

    #: Below this many pixels per window the strip is drawn as one image row (see :meth:`_paint_strip`).
    MIN_PX_PER_WINDOW = 4.0

    def _paint_strip(self, painter: QtGui.QPainter, band: QtCore.QRectF, idx: np.ndarray, x0: float,
                     x1: float) -> None:
        """Zoomed out, one image row of the band's width, each pixel column the highest score among the
        windows it covers (a single abnormal window never vanishes), in one draw: a fill per window was
        8,640 Python-level fills per paint on a 24-h record."""
        w = max(1, int(round(band.width())))
        starts, ends, scores = self.starts[idx], np.maximum.accumulate(self.ends[idx]), self.scores[idx]
        edges = x0 + (x1 - x0) * np.arange(w + 1) / w
        lo = np.searchsorted(ends, edges[:-1], side="right")  # the first window ending after the column starts
        hi = np.searchsorted(starts, edges[1:], side="left")  # the windows starting before it ends
        has = hi > lo
        strip = np.full(w, -1.0)
        if has.any():
            bounds = np.stack([lo[has], hi[has]], axis=1).ravel()
            strip[has] = np.maximum.reduceat(np.append(scores, -1.0), bounds)[0::2]
        self.last_strip = np.where(strip >= 0, strip, np.nan)
        rgba = np.ascontiguousarray(_HEAT_MAP.map(np.clip(strip, 0.0, 1.0), mode="byte")[:, :4], np.uint8)
        rgba[:, 3] = np.where(strip >= 0, 200, 0)
        data = rgba.tobytes()
        image = QtGui.QImage(data, w, 1, 4 * w, QtGui.QImage.Format.Format_RGBA8888)
        painter.drawImage(band, image)

    def visible_indices(self) -> np.ndarray:
        x0, x1 = self.visible_time_range()
        a = np.searchsorted(self.ends, x0, side="right") if np.all(np.diff(self.ends) >= 0) else 0
        b = np.searchsorted(self.starts, x1, side="left")
        idx = np.arange(a, b)
        return idx[self.ends[a:b] > x0]

    def score_at(self, t: float) -> float | None:
        k = int(np.searchsorted(self.starts, t, side="right")) - 1
        if 0 <= k < len(self.starts) and t < self.ends[k]:
            return float(self.scores[k])
        return None

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        idx = self.visible_indices()
        self.last_drawn = idx
        self.last_strip = None
        if len(idx) == 0:
            return
        tr = painter.transform()
        painter.save()
        painter.resetTransform()
        x0, x1 = self.visible_time_range()
        band = QtCore.QRectF(tr.map(QtCore.QPointF(x0, self.y_top)),
                             tr.map(QtCore.QPointF(x1, self.y_bottom))).normalized().adjusted(0, 2, 0, -2)
        if len(idx) * self.MIN_PX_PER_WINDOW > band.width():
            self._paint_strip(painter, band, idx, x0, x1)
            paint_tag(painter, tr, self, "model anomaly", np.zeros((0, 2)), boxed=False)
            painter.restore()
            return
        outline = QtGui.QPen(QtGui.QColor("#202020"))
        outline.setCosmetic(True)
        metrics = QtGui.QFontMetricsF(painter.font())
        texts = []
        for i in idx:
            a = tr.map(QtCore.QPointF(max(self.starts[i], x0), self.y_top))
            b = tr.map(QtCore.QPointF(min(self.ends[i], x1), self.y_bottom))
            rect = QtCore.QRectF(a, b).normalized().adjusted(0, 2, 0, -2)
            painter.fillRect(rect, heat_colour(self.scores[i], 200))
            if rect.width() > 50:
                painter.setPen(outline if self.scores[i] < self.threshold else QtGui.QPen(QtGui.QColor("#ffffff")))
                painter.drawText(rect.adjusted(3, 0, -2, 0), QtCore.Qt.AlignmentFlag.AlignCenter,
                                 f"{self.scores[i]:.2f}")
                half = metrics.horizontalAdvance("0.00") / 2 + 4
                texts.append((rect.center().x() - half, rect.center().x() + half))
        paint_tag(painter, tr, self, "model anomaly", np.array(texts), boxed=False)
        painter.restore()


class ModelRhythmLane(OverlayLane, BandLaneItem):
    """The model's rhythm episodes (labels such as NSR, AF, VT) as labelled bands, tagged "model rhythm"."""

    def __init__(self, name: str, starts_s: np.ndarray = _EMPTY, stops_s: np.ndarray = _EMPTY, labels=()):
        super().__init__(name, starts_s, stops_s, labels)

    def same_data(self, starts_s, stops_s, labels) -> bool:
        return (len(starts_s) == len(self.starts) and np.array_equal(starts_s, self.starts)
                and np.array_equal(np.sort(stops_s), self.stops) and sorted(map(str, labels)) == sorted(self.labels))

    def set_data(self, starts_s: np.ndarray, stops_s: np.ndarray, labels) -> None:
        """Replace the episodes in place (no re-layout of the view)."""
        order = np.argsort(starts_s, kind="stable")
        self.starts = np.asarray(starts_s, np.float64)[order]
        self.stops = np.asarray(stops_s, np.float64)[order]
        self.labels = np.asarray(labels, dtype=object)[order]
        self._max_len = float(np.max(self.stops - self.starts)) if len(self.starts) else 0.0
        self.update()

    def clear(self) -> None:
        self.set_data(_EMPTY, _EMPTY, [])

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        tr = painter.transform()
        self.last_texts = []
        super().paint(painter, *args)
        painter.save()
        painter.resetTransform()
        paint_tag(painter, tr, self, "model rhythm",
                  np.array([(box.left(), box.right() + TEXT_PAD_PX) for _, box, _ in self.last_texts]), boxed=False)
        painter.restore()


def ghost_pen(colour: str = GENERATED_HEX) -> QtGui.QPen:
    """Dashed pen of generated (never measured) traces."""
    pen = pg.mkPen(colour, width=1.5, style=QtCore.Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen
