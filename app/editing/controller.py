"""``EditController``: keyboard-first annotation editing in the trace view, over the headless store.

The store (:mod:`anyecg_model.annotations`) is the truth; this controller turns clicks, drags and keys
into store edits and repaints the two store lanes (labels, suggestions) and the rhythm lane when the
store says something changed. Keys in edit mode (F2 toggles it):

* click: select the beat under the mouse, or insert one at the nearest R peak (snap is switchable);
* a MIT-BIH code (N V A L R F / Q E …): set the selected beat's type (or every beat in a selected span);
* 1–9: the user palette (1–3 pick the model's ranked classes on a selected suggestion);
* Delete: remove; drag a beat: move it; drag elsewhere: select a span (palette: rhythm or relabel all);
* ←/→: previous/next annotation; Enter accept / Backspace reject a suggestion; Esc clears the selection;
* Ctrl+Z / Ctrl+Y (or Ctrl+Shift+Z): undo / redo, unlimited.

The mouse and the keys are read by :class:`~.gestures.EditGestures` (``controller.gestures``).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from anyecg_model.annotations import (LABEL_SOURCES, POINT_CODES, AnnotationError, AnnotationStore, Journal,
                                      ReviewQueue, accept, bulk_accept, pick_class, reject, set_suggestions,
                                      snap_to_r_peak)
from anyecg_model.annotations.suggestions import PreparedSuggestions, commit_suggestions

from .gestures import EditGestures
from .lanes import SELECTION_COLOUR, SUGGESTION_SOURCES, StoreBeatLane, StoreRhythmLane

log = logging.getLogger(__name__)


@dataclass
class EditSettings:
    """Editing preferences: snap to R peak, the code of a clicked-in beat, the 1–9 palette (MIT-BIH codes),
    the selection radius (px) and the author stamped on edits."""

    snap: bool = True
    insert_code: str = "N"
    palette: list[str] = field(default_factory=lambda: ["N", "V", "A", "L", "R", "F", "/", "Q", "E"])
    pick_px: float = 8.0
    author: str = field(default_factory=lambda: os.environ.get("USER", ""))


class EditController(QtCore.QObject):
    """Edits the open recording's labels in ``window.trace`` (see module docstring for the keys)."""

    modeChanged = QtCore.Signal(bool)
    selectionChanged = QtCore.Signal()
    storeChanged = QtCore.Signal()  # a new store (recording opened, labels reloaded, closed)
    edited = QtCore.Signal()  # the store changed (edit, undo, redo)
    episodesEdited = QtCore.Signal()  # rhythm episodes changed
    journalFailed = QtCore.Signal(str)  # the autosave journal could not write (queued from any thread)

    def __init__(self, window, settings: EditSettings | None = None):
        super().__init__(window)
        self.window = window
        self.trace = window.trace
        self.settings = settings or EditSettings()
        self.store: AnnotationStore | None = None
        self.journal: Journal | None = None
        self.queue: ReviewQueue | None = None
        self.editing = False
        self.restore_pending = False
        self.selected_beat: int | None = None
        self.selected_episode: int | None = None
        self.span: tuple[int, int] | None = None
        self.label_lane: StoreBeatLane | None = None
        self.suggestion_lane: StoreBeatLane | None = None
        self.rhythm_lane: StoreRhythmLane | None = None
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False,
                                           pen=pg.mkPen(SELECTION_COLOUR, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.cursor_line.setZValue(60)
        self.span_item = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(255, 140, 0, 50))
        self.span_item.setZValue(40)
        self.gestures = EditGestures(self)

    # ------------------------------------------------------------------ store lifecycle
    def set_store(self, store: AnnotationStore | None, journal: Journal | None = None) -> None:
        """Edit ``store`` (None: nothing to edit); ``journal`` (already restored or fresh) records every edit."""
        if self.store is not None:
            self.store.events.changed.disconnect(self._on_store_changed)
        if self.queue is not None:
            self.queue.close()
        if self.journal is not None:
            self.journal.close()
        self.store, self.journal, self.queue = store, journal, None
        self.selected_beat = self.selected_episode = None
        self.clear_span()
        was_live = self.label_lane is not None
        for name in ("beats", "suggestions", "rhythm") if was_live else ():
            self.trace.remove_lane(name)
        self.label_lane = self.suggestion_lane = self.rhythm_lane = None
        if store is not None:
            store.author = self.settings.author
            store.events.changed.connect(self._on_store_changed)
            if journal is not None:
                self.attach_journal(journal)
            if was_live:
                self.go_live()
        self._show_cursor()
        self.storeChanged.emit()

    def go_live(self) -> None:
        """Replace the viewer's read-only ``beats`` and ``rhythm`` lanes by lanes drawn from the store (done on
        entering edit mode or at the first change; until then the viewer's own lanes show the same labels)."""
        if self.store is None or self.label_lane is not None:
            return
        self.label_lane = StoreBeatLane("beats", self.store, LABEL_SOURCES, lambda: self.selected_beat)
        self.trace.add_lane("beats", self.label_lane, position=0)  # an existing lane keeps its row
        self._sync_suggestion_lane()
        self.rhythm_lane = StoreRhythmLane("rhythm", self.store, lambda: self.selected_episode)
        self.trace.add_lane("rhythm", self.rhythm_lane, position=self._row_after(
            "suggestions" if self.suggestion_lane is not None else "beats"))
        menu = self.window.beat_filter_menu
        if menu.actions():  # View ▸ Show beat types keeps working on the live lanes
            for action in menu.actions():
                action.toggled.connect(self._apply_beat_filter)
            self._apply_beat_filter()

    def _apply_beat_filter(self, *_) -> None:
        menu = self.window.beat_filter_menu
        hidden = {a.text() for a in menu.actions() if not a.isChecked()}
        codes = None if not hidden else set(POINT_CODES) - hidden
        for lane in (self.label_lane, self.suggestion_lane):
            if lane is not None:
                lane.set_filter(codes)

    def attach_journal(self, journal: Journal) -> None:
        """Start journalling the current store (after a restore question was answered)."""
        journal.attach(self.store)
        journal.failed.connect(self.journalFailed.emit)
        self.journal = journal

    def _row_after(self, name: str) -> int | None:
        """The trace view's row just under lane ``name`` (None: last row, when there is no such lane)."""
        names = list(self.trace.lanes())
        return names.index(name) + 1 if name in names else None

    def _sync_suggestion_lane(self) -> None:
        has = self.label_lane is not None and bool(np.any(self.store.beats["source"] == "model"))
        if has and self.suggestion_lane is None:
            self._add_suggestion_lane()
        elif not has and self.suggestion_lane is not None:
            self.trace.remove_lane("suggestions")
            self.suggestion_lane = None

    def _add_suggestion_lane(self) -> None:
        self.suggestion_lane = StoreBeatLane("suggestions", self.store, SUGGESTION_SOURCES,
                                             lambda: self.selected_beat, suggestions=True)
        # right under the labels, above the rhythm lane and the model's own lanes
        self.trace.add_lane("suggestions", self.suggestion_lane, position=self._row_after("beats"))
        self.suggestion_lane.set_filter(self.label_lane.shown_codes)

    def make_room_for_suggestions(self) -> None:
        """Build the live lanes and the suggestions lane ahead of a large batch of suggestions, so the event-loop
        turn that commits them only redraws lanes instead of laying out the trace again."""
        if self.store is None:
            return
        self.go_live()
        if self.label_lane is not None and self.suggestion_lane is None:
            self._add_suggestion_lane()

    def _on_store_changed(self, change) -> None:
        if self.label_lane is None:
            self.go_live()
        if self.selected_beat is not None and self.selected_beat not in self.store.beats:
            self.selected_beat = None
        if self.selected_episode is not None and self.selected_episode not in self.store.episodes:
            self.selected_episode = None
        if change.edit.by_model and change.action in ("redo", "replay"):
            self.reorder_queue()  # suggestions back (redo) or restored from the journal: queue them
        if (len(change.beats.inserted) or len(change.beats.removed)) and (change.edit.beat_bulk is not None or any(
                (row or {}).get("source") == "model" for _, before, after in change.edit.beats for row in (before, after))):
            self._sync_suggestion_lane()
        for lane in (self.label_lane, self.suggestion_lane, self.rhythm_lane):
            if lane is not None:
                lane.update()
        self._show_cursor()
        self.edited.emit()
        if len(change.episodes.inserted) or len(change.episodes.removed) or len(change.episodes.updated):
            self.episodesEdited.emit()

    # ------------------------------------------------------------------ mode and selection
    def set_editing(self, on: bool) -> bool:
        """Enter or leave edit mode; refused (False) without a store or while a restore question is open."""
        if on and (self.store is None or self.restore_pending):
            return False
        self.editing = bool(on)
        if self.editing:
            self.go_live()
        self.trace.set_drag_handler(self.gestures.drag if self.editing else None)
        if not self.editing:
            self.clear_span()
        self.modeChanged.emit(self.editing)
        return True

    def select_beat(self, row_id: int | None, centre: bool = False) -> None:
        self.selected_beat, self.selected_episode = row_id, None
        if row_id is not None and centre:
            self._ensure_visible(self.store.beats.row(row_id)["sample"] / self.store.fs)
        self._selection_changed()

    def select_episode(self, row_id: int | None) -> None:
        self.selected_beat, self.selected_episode = None, row_id
        self._selection_changed()

    def _selection_changed(self) -> None:
        self._show_cursor()
        for lane in (self.label_lane, self.suggestion_lane, self.rhythm_lane):
            if lane is not None:
                lane.update()
        self.selectionChanged.emit()

    def _show_cursor(self) -> None:
        visible = self.selected_beat is not None and self.store is not None and self.selected_beat in self.store.beats
        if visible:
            self.cursor_line.setValue(self.store.beats.row(self.selected_beat)["sample"] / self.store.fs)
            if self.cursor_line.scene() is None:  # added once (the trace view drops overlays with a recording)
                self.trace.add_overlay(self.cursor_line)
        self.cursor_line.setVisible(visible)

    def _ensure_visible(self, t: float) -> None:
        t0, t1 = self.trace.view_range()
        if not t0 + 0.05 * (t1 - t0) <= t <= t1 - 0.05 * (t1 - t0):
            half = (t1 - t0) / 2
            self.trace.set_view(t - half, t + half)

    def set_span(self, start: int, stop: int) -> None:
        """Select ``[start, stop)`` samples for a rhythm label or relabel-all."""
        a, b = sorted((int(start), int(stop)))
        self.span = (max(0, a), min(self.store.n_samples, b))
        self.span_item.setRegion((self.span[0] / self.store.fs, self.span[1] / self.store.fs))
        if self.span_item.scene() is None:
            self.trace.add_overlay(self.span_item)

    def clear_span(self) -> None:
        self.span = None
        if self.span_item.scene() is not None:
            self.trace.remove_overlay(self.span_item)

    # ------------------------------------------------------------------ edits (also the tests' entry points)
    def insert_at(self, t_s: float, code: str | None = None) -> int:
        """Insert a beat at ``t_s`` (snapped to the R peak when snapping is on) and select it."""
        sample = int(round(t_s * self.store.fs))
        if self.settings.snap:
            leads = self.trace.visible_leads() or None
            sample = snap_to_r_peak(self.trace.recording, sample, leads)
        row_id = self.store.insert_beat(min(max(sample, 0), self.store.n_samples - 1), code or self.settings.insert_code)
        self.select_beat(row_id)
        return row_id

    def set_code(self, code: str) -> None:
        """Type a code: relabel the selected beat (accepting a suggestion) or every labelled beat in the span."""
        if self.span is not None:
            self.store.relabel_span(*self.span, code)
        elif self.selected_beat is not None:
            self.store.relabel([self.selected_beat], code)

    def set_span_rhythm(self, code: str) -> None:
        if self.span is not None:
            self.select_episode(self.store.set_rhythm(*self.span, code))
            self.clear_span()

    def delete_selected(self) -> None:
        if self.selected_beat is not None:
            neighbour = self.store.step(self.store.beats.row(self.selected_beat)["sample"], +1,
                                        sources=LABEL_SOURCES + SUGGESTION_SOURCES)
            self.store.delete([self.selected_beat])
            self.select_beat(neighbour)
        elif self.selected_episode is not None:
            self.store.delete_episodes([self.selected_episode])

    def step(self, direction: int) -> int | None:
        """Select the previous (−1) or next (+1) annotation (labels and suggestions) and bring it into view."""
        if self.selected_beat is not None:
            here = self.store.beats.row(self.selected_beat)["sample"]
        else:
            t0, t1 = self.trace.view_range()
            here = int((t0 + t1) / 2 * self.store.fs)
        hit = self.store.step(here, direction, sources=LABEL_SOURCES + SUGGESTION_SOURCES)
        if hit is not None:
            self.select_beat(hit, centre=True)
        return hit

    def selected_suggestion(self) -> tuple[list[int], list[int]]:
        b, e = self.store.beats, self.store.episodes
        if self.selected_beat is not None and b.row(self.selected_beat)["source"] == "model":
            return [self.selected_beat], []
        if self.selected_episode is not None and e.row(self.selected_episode)["source"] == "model":
            return [], [self.selected_episode]
        return [], []

    def review(self, verdict: str, rank: int = 0) -> bool:
        """``accept`` (Enter), ``reject`` (Backspace) or ``pick`` top class ``rank`` (1–3) of the selected
        suggestion, then move to the next one in the review queue (or the next in time)."""
        beats, episodes = self.selected_suggestion()
        if not beats and not episodes:
            return False
        current = beats[0] if beats else None
        if verdict == "accept":
            accept(self.store, beats, episodes)
        elif verdict == "reject":
            reject(self.store, beats, episodes)
        elif beats:
            pick_class(self.store, beats[0], rank)
        else:
            return False
        if current is not None:
            self.advance(current)
        return True

    def advance(self, after: int | None = None) -> int | None:
        """Select the next pending suggestion: in review-queue order when a queue is open, else in time."""
        if self.queue is not None:
            nxt = self.queue.next(after)
        else:
            here = self.store.beats.row(after)["sample"] if after is not None else 0
            nxt = self.store.step(here, +1, sources=SUGGESTION_SOURCES)
        if nxt is not None:
            self.select_beat(nxt, centre=True)
        return nxt

    def set_suggestions(self, sample, code, confidence, top=None, episodes=()) -> None:
        """Show model suggestions (``sample`` base-rate samples, MIT-BIH ``code``, ``confidence`` 0..1, ``top``
        ranked ``(code, p)``) beside the labels, replacing pending ones; one undoable edit."""
        set_suggestions(self.store, sample, code, confidence, top, episodes)
        self.reorder_queue()

    def commit_suggestions(self, store: AnnotationStore, prepared: PreparedSuggestions,
                           then: Callable[[], None] | None = None) -> None:
        """Commit suggestions prepared elsewhere (a worker thread) in the next event-loop turn (one undoable edit,
        prepared again if the store changed since), order the review queue in the turn after, then call
        ``then``; nothing is written when ``store`` is no longer the one edited (another recording came first).
        Each turn costs a fraction of :meth:`set_suggestions`' one. The order waits for a 1-ms timer, not a 0-ms
        single shot: that is a posted event, dispatched ahead of timers already due, so the two steps had run
        back to back (a 40-ms gap on the 24-h join's 102,000 suggestions)."""
        def commit() -> None:
            if self.store is not store:
                return
            self.make_room_for_suggestions()
            try:
                commit_suggestions(store, prepared)
            except AnnotationError as exc:
                self.window.statusBar().showMessage(f"Suggestions not shown: {exc}", 5000)
                return
            QtCore.QTimer.singleShot(1, self, order)

        def order() -> None:
            if self.store is not store:
                return
            self.reorder_queue()
            if then is not None:
                then()

        QtCore.QTimer.singleShot(0, self, commit)

    def reorder_queue(self) -> None:
        """Order the open review queue afresh (new suggestions arrived)."""
        if self.queue is not None:
            self.queue.rebuild()

    def bulk_accept(self, threshold: float) -> int:
        """Accept every pending suggestion with confidence ≥ ``threshold``; returns how many."""
        before = int(np.sum(self.store.beats["source"] == "model"))
        bulk_accept(self.store, threshold)
        return before - int(np.sum(self.store.beats["source"] == "model"))

    def open_queue(self, order: str) -> ReviewQueue:
        if self.queue is not None:
            self.queue.close()
        self.queue = ReviewQueue(self.store, order)
        # views must hear of a change after the queue has counted it: move our callback behind the queue's
        self.store.events.changed.disconnect(self._on_store_changed)
        self.store.events.changed.connect(self._on_store_changed)
        return self.queue

    def undo(self) -> None:
        if self.store is not None:
            self._say("undo", self.store.undo())

    def redo(self) -> None:
        if self.store is not None:
            self._say("redo", self.store.redo())

    def _say(self, verb: str, edit) -> None:
        """Name the undone or redone edit in the status bar (an undo may take back the model's suggestions)."""
        self.window.statusBar().showMessage(f"{verb.capitalize()}: {edit.label}" if edit is not None
                                            else f"Nothing to {verb}", 4000)

    def move_to(self, row_id: int, t_s: float) -> None:
        sample = int(round(t_s * self.store.fs))
        if self.settings.snap:
            sample = snap_to_r_peak(self.trace.recording, sample, self.trace.visible_leads() or None)
        self.store.move(row_id, min(max(sample, 0), self.store.n_samples - 1))
        self.select_beat(row_id)
