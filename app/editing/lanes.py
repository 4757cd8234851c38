"""Lanes that draw an :class:`~anyecg_model.annotations.AnnotationStore` live: one graphics item per lane.

Each lane paints only the rows in the visible time range, found by binary search on the store's sorted
sample column, so an edit costs one ``update()`` of one item, whatever the number of beats. Labels
(reference, manual, accepted) share one lane; pending model suggestions have their own lane, drawn
lighter with their confidence (where the neighbouring labels leave room for it) and tagged "model
suggestions" like the model's other lanes, in a gap the labels leave free; rejected suggestions are not
drawn. In the rhythm lane the labels' episodes are named in the upper half and the model's pending ones,
hatched, in the lower half, so "N" and "AF?" never print on one another; a name is drawn only whole.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6 import QtCore, QtGui

from anyecg_model.annotations import AnnotationStore
from anyecg_model.vocabulary.labels import AAMI_CLASS, BEAT_CLASS

from ..lanes import (CLASS_COLOURS, TEXT_PAD_PX, TICK_FROM, LaneItem, fit_label, free_slot, one_per_column, paint_tag,
                     paint_ticks, rhythm_colour, tag_font, tag_width, text_box)

#: Sources of the rows drawn in the suggestions lane: the model's pending suggestions.
SUGGESTION_SOURCES = ("model",)
#: The tag of the suggestions lane.
SUGGESTIONS_TAG = "model suggestions"

#: Colour of manual and accepted labels' underline, and of the selection box.
EDITED_COLOUR = "#d08000"
#: MIT-BIH codes of the AAMI N class (normal and bundle-branch beats), drawn first in dense views.
NORMAL_CODES = tuple(code for code, cls in AAMI_CLASS.items() if cls == "N")
SELECTION_COLOUR = "#ff8c00"


class StoreBeatLane(LaneItem):
    """Beats of ``store`` whose source is in ``sources``; ``selected()`` gives the highlighted beat id."""

    #: Above this many visible beats per 100 px, codes become ticks.
    MAX_TEXT_PER_100PX = 8

    def __init__(self, name: str, store: AnnotationStore, sources: tuple[str, ...],
                 selected: Callable[[], int | None], suggestions: bool = False):
        super().__init__(name)
        self.store = store
        self.sources = sources
        self.selected = selected
        self.suggestions = suggestions
        self.last_drawn = 0  # rows painted by the last paint (tests and benchmarks read it)
        self.last_with_confidence = False  # whether the last paint wrote suggestions' confidences
        self.last_texts: list[tuple[float, float, str]] = []  # (left px, right px, text) of the last paint
        self.last_px_per_s = 0.0  # the time scale of the last paint
        self.shown_codes: set[str] | None = None  # None: every code
        self._dense_key: tuple | None = None
        self._dense: tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None = None

    def set_filter(self, codes: set[str] | None) -> None:
        """Draw only these MIT-BIH codes (None: all), like the viewer's View ▸ Show beat types."""
        self.shown_codes = None if codes is None else set(codes)
        self.update()

    def visible_rows(self) -> dict[str, np.ndarray]:
        """Columns (``sample``, ``code``, ``source``, ``confidence``, ``id``) of the drawn rows in the visible
        time range; gathered for the window only, so the cost follows what is on screen."""
        b = self.store.beats
        window = self._window()
        cols = {name: b.take(name, window) for name in ("sample", "code", "source", "confidence", "id")}
        keep = np.isin(cols["source"], self.sources)
        if self.shown_codes is not None:
            keep &= np.isin(cols["code"], list(self.shown_codes))
        return {name: col[keep] for name, col in cols.items()}

    def _window(self) -> slice:
        """Sorted positions of the store's beats in the visible time range."""
        x0, x1 = self.visible_time_range()
        return self.store.beats.window(int(np.floor(x0 * self.store.fs)), int(np.ceil(x1 * self.store.fs)) + 1)

    def dense_table(self) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Over the store's whole sorted beat table: whether this lane draws each row (source and code filter),
        its tick class as an index into the returned class names (``N`` first: the AAMI normal codes), built
        once per store revision and filter. A view of hours paints 100 000 beats per step: comparing their
        text codes and sources at every paint cost 14 ms of a 24-h step, the cached columns are sliced."""
        b = self.store.beats
        key = (id(b), self.store.revision, len(b), None if self.shown_codes is None else frozenset(self.shown_codes))
        if self._dense_key != key or self._dense is None:
            codes = b["code"]
            keep = np.isin(b["source"], self.sources)
            if self.shown_codes is not None:
                keep &= np.isin(codes, list(self.shown_codes))
            kinds, inverse = np.unique(codes.astype(str), return_inverse=True)
            kind_class = ["N" if k in NORMAL_CODES else BEAT_CLASS.get(k, "Q") for k in kinds]
            names = ("N",) + tuple(sorted(set(kind_class) - {"N"}))
            classes = np.array([names.index(c) for c in kind_class], np.int8)[inverse.reshape(-1)]
            self._dense_key, self._dense = key, (keep, classes, names)
        return self._dense

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        tr = painter.transform()
        occupied = self._paint_wide(painter)
        if occupied is False:
            occupied = self._paint_rows(painter)
        if self.suggestions:  # the model's lanes all carry a "model …" tag, never over their labels
            painter.save()
            painter.resetTransform()
            ticks = occupied is None  # ticks leave the lane's upper part free
            paint_tag(painter, tr, self, SUGGESTIONS_TAG, None if ticks else occupied, top_row=ticks)
            painter.restore()

    def _layout(self, px: np.ndarray, codes: np.ndarray, conf: np.ndarray, metrics: QtGui.QFontMetricsF,
                lo: float, hi: float, tag_px: float | None) -> tuple[list[str], np.ndarray]:
        """The text of each visible row and its span ``(left, right)`` in px, within the lane's ``[lo, hi]``
        px: a suggestion's confidence is added ("V 0.93") only where it clears the text before it, the code
        after it, the lane's ends and the room kept for a tag ``tag_px`` wide (the rightmost gap between the
        codes), so neighbours never run together ("F 0.66V 0.43") and the tag covers no label."""
        code_w = np.array([metrics.horizontalAdvance(str(c)) for c in codes])
        slot = None if tag_px is None else free_slot(np.stack([px - code_w / 2 - TEXT_PAD_PX,
                                                               px + code_w / 2 + TEXT_PAD_PX], axis=1),
                                                     lo + 2, hi - 2, tag_px)
        keep_free = (np.inf, -np.inf) if slot is None else (slot, slot + tag_px)
        texts, spans = [], np.zeros((len(codes), 2))
        prev_right = lo
        for k in range(len(codes)):
            x, text = float(px[k]), str(codes[k])
            if self.suggestions and not np.isnan(conf[k]):
                full = f"{codes[k]} {conf[k]:.2f}"
                half = metrics.horizontalAdvance(full) / 2
                next_left = px[k + 1] - code_w[k + 1] / 2 if k + 1 < len(codes) else hi
                clear = x + half + TEXT_PAD_PX <= keep_free[0] or x - half - TEXT_PAD_PX >= keep_free[1]
                if x - half >= prev_right + TEXT_PAD_PX and x + half + TEXT_PAD_PX <= next_left and clear:
                    text = full
            half = metrics.horizontalAdvance(text) / 2
            texts.append(text)
            spans[k] = (x - half, x + half)
            prev_right = x + half
        return texts, spans

    def _paint_wide(self, painter: QtGui.QPainter) -> None | bool:
        """More beats in view than two per pixel (hours): one tick per pixel column for normal beats, then one
        per column and class for the others on top, so a lone V among thousands of N stays visible; from
        :meth:`dense_table`, whatever the number of beats. False (nothing drawn) when the view is narrower."""
        b = self.store.beats
        window = self._window()
        if window.stop - window.start < 3:
            return False
        tr = painter.transform()
        origin = tr.map(QtCore.QPointF(0.0, self.y_top))
        unit = tr.map(QtCore.QPointF(1.0, self.y_top)).x() - origin.x()
        samples = b.take("sample", window)
        if window.stop - window.start <= 2 * max(1.0, abs(samples[-1] - samples[0]) / self.store.fs * unit):
            return False
        keep, classes, names = self.dense_table()
        kept = keep[window]
        px = origin.x() + samples[kept] / self.store.fs * unit
        if len(px) <= 2 * max(1.0, abs(px[-1] - px[0]) if len(px) > 1 else 100.0):
            return False
        self.last_drawn, self.last_with_confidence, self.last_texts = len(px), False, []
        self.last_px_per_s = abs(unit)
        top, bottom = origin.y(), tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        y0, h = min(top, bottom), abs(bottom - top)
        painter.save()
        painter.resetTransform()
        cls = classes[window][kept]
        for k, name in enumerate(names):
            sel = cls == k
            if not sel.any():
                continue
            colour = QtGui.QColor(CLASS_COLOURS.get(name, "#808080"))
            if self.suggestions:
                colour.setAlpha(170)
            painter.setPen(colour)
            paint_ticks(painter, one_per_column(px[sel]), y0 + h * TICK_FROM if self.suggestions else y0 + 2,
                        y0 + h - 2)
        painter.restore()
        return None

    def _paint_rows(self, painter: QtGui.QPainter) -> np.ndarray | None:
        """Paint the visible rows; returns the spans ``(left, right)`` (px) of the texts drawn, or None when
        they were ticks (a suggestions lane draws them under its tag's row)."""
        rows = self.visible_rows()
        self.last_drawn = len(rows["id"])
        if not self.last_drawn:
            self.last_with_confidence, self.last_texts = False, []
            return np.zeros((0, 2))
        tr = painter.transform()
        origin = tr.map(QtCore.QPointF(0.0, self.y_top))
        unit = tr.map(QtCore.QPointF(1.0, self.y_top)).x() - origin.x()
        self.last_px_per_s = abs(unit)
        px = origin.x() + rows["sample"] / self.store.fs * unit
        top = origin.y()
        bottom = tr.map(QtCore.QPointF(0.0, self.y_bottom)).y()
        y0, h = min(top, bottom), abs(bottom - top)
        codes, sources, conf, ids = rows["code"], rows["source"], rows["confidence"], rows["id"]
        painter.save()
        painter.resetTransform()
        span = max(1.0, abs(px[-1] - px[0]) if len(px) > 1 else 100.0)
        as_text = len(ids) == 1 or len(ids) <= span / 100.0 * self.MAX_TEXT_PER_100PX
        font = painter.font()
        font.setPixelSize(max(9, int(h * (0.6 if self.suggestions else 0.7))))
        font.setBold(not self.suggestions)
        font.setItalic(self.suggestions)
        painter.setFont(font)
        metrics = QtGui.QFontMetricsF(font)
        texts, spans = [], None
        if as_text:
            x0, x1 = self.visible_time_range()
            lo, hi = tr.map(QtCore.QPointF(x0, 0.0)).x(), tr.map(QtCore.QPointF(x1, 0.0)).x()
            tag_px = tag_width(tag_font(font, h), "model") if self.suggestions else None  # room for the short tag
            texts, spans = self._layout(px, codes, conf, metrics, lo, hi, tag_px)
        self.last_with_confidence = any(" " in t for t in texts)
        self.last_texts = [(float(a), float(b), t) for (a, b), t in zip(spans, texts)] if as_text else []
        tick_top = y0 + h * TICK_FROM if self.suggestions else y0 + 2
        classes = np.array([BEAT_CLASS.get(c, "Q") for c in codes], dtype=object)
        for cls in np.unique(classes):
            colour = QtGui.QColor(CLASS_COLOURS.get(cls, "#808080"))
            if self.suggestions:
                colour.setAlpha(170)
            painter.setPen(colour)
            ks = np.flatnonzero(classes == cls)
            if not as_text:
                paint_ticks(painter, px[ks], tick_top, y0 + h - 2)  # no Python object per beat
                continue
            for k in ks:
                w = spans[k, 1] - spans[k, 0] + 4
                painter.drawText(QtCore.QRectF(float(px[k]) - w / 2, y0, w, h), QtCore.Qt.AlignmentFlag.AlignCenter,
                                 texts[k])
        if as_text:
            edited = np.flatnonzero(np.isin(sources, ("manual", "accepted")))
            painter.setPen(QtGui.QPen(QtGui.QColor(EDITED_COLOUR), 2))
            painter.drawLines([QtCore.QLineF(float(px[k]) - 5, y0 + h - 2, float(px[k]) + 5, y0 + h - 2)
                               for k in edited])
        sel = self.selected()
        if sel is not None and sel in set(ids.tolist()):
            x = float(px[int(np.flatnonzero(ids == sel)[0])])
            pen = QtGui.QPen(QtGui.QColor(SELECTION_COLOUR), 2)
            painter.setPen(pen)
            painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            painter.drawRect(QtCore.QRectF(x - 14, y0 + 1, 28, h - 2))
        painter.restore()
        return spans


class StoreRhythmLane(LaneItem):
    """Rhythm episodes of ``store``: labels as solid bands, pending model episodes as hatched bands."""

    def __init__(self, name: str, store: AnnotationStore, selected: Callable[[], int | None]):
        super().__init__(name)
        self.store = store
        self.selected = selected
        self.last_texts: list[tuple[QtCore.QRectF, QtCore.QRectF, str]] = []  # (band, text box, text) last drawn

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        e = self.store.episodes
        if not len(e):
            return
        x0, x1 = self.visible_time_range()
        fs = self.store.fs
        start, stop = e["start"] / fs, e["stop"] / fs
        show = (stop > x0) & (start < x1) & (e["source"] != "rejected")
        idx = np.flatnonzero(show)
        tr = painter.transform()
        painter.save()
        painter.resetTransform()
        sel = self.selected()
        halves = bool(np.any(e["source"][idx] == "model"))  # labels named above, the model's below
        font = painter.font()
        if halves:
            lane_px = abs(tr.map(QtCore.QPointF(0, self.y_top)).y() - tr.map(QtCore.QPointF(0, self.y_bottom)).y())
            font.setPixelSize(max(8, int(lane_px / 2 * 0.85)))
        painter.setFont(font)
        metrics = QtGui.QFontMetricsF(font)
        self.last_texts = []
        for i in idx:
            a = tr.map(QtCore.QPointF(max(start[i], x0), self.y_top))
            b = tr.map(QtCore.QPointF(min(stop[i], x1), self.y_bottom))
            rect = QtCore.QRectF(a, b).normalized()
            label = str(e["code"][i])
            fill = rhythm_colour(label)
            model = e["source"][i] == "model"
            if model:
                rect = rect.adjusted(0, rect.height() / 2, 0, 0)
                fill.setAlpha(90)
                painter.fillRect(rect, QtGui.QBrush(fill, QtCore.Qt.BrushStyle.BDiagPattern))
                text_rect = rect
            else:
                fill.setAlpha(110)
                painter.fillRect(rect, fill)
                text_rect = rect.adjusted(0, 0, 0, -rect.height() / 2) if halves else rect
            if int(e.ids[i]) == sel:
                painter.setPen(QtGui.QPen(QtGui.QColor(SELECTION_COLOUR), 2))
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
            text = fit_label(metrics, label, rect.width(), "?" if model else "")
            if text:
                painter.setPen(self.text_colour)
                painter.drawText(text_rect.adjusted(4, 0, -2, 0), QtCore.Qt.AlignmentFlag.AlignVCenter, text)
                self.last_texts.append((rect, text_box(metrics, text_rect, text), text))
        painter.restore()
