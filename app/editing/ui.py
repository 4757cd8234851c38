"""Wires annotation editing into the main window: the Annotate menu, the review dock, the edit-mode badge,
opening labels (with the journal's restore question) and the save/export dialogs."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets

from anyecg_model.vocabulary.labels import BEAT_CLASS_SYMBOL, BEAT_CLASSES
from anyecg_model.annotations import (AnnotationError, AnnotationStore, Journal, PreparedSuggestions, annotators,
                                      commit_suggestions, open_store, prepare_suggestions, save_csv,
                                      save_edf_annotations, save_wfdb)
from anyecg_model.annotations.codes import check_point_code
from anyecg_model.annotations.wfdb_file import record_base

from ..dialogs import show_message
from .controller import EditController
from .dialogs import SaveAnnotatorDialog, restore_question
from .review_dock import ReviewDock

log = logging.getLogger(__name__)


#: Pause (ms) between the stages of showing a model run's suggestions, so input and paint events run between.
STAGE_MS = 10


class EditingUI(QtCore.QObject):
    """Everything editing adds to a :class:`~app.main_window.MainWindow` (``window.editing``).

    ``suggestionsShown(n)``: a model run's ``n`` beats are in the store as suggestions and the review queue
    is ordered (see :meth:`show_findings`)."""

    suggestionsShown = QtCore.Signal(int)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.controller = EditController(window)
        self._load_preferences()
        self.review = ReviewDock(self.controller)
        self.dock = window.add_dock("Review queue", self.review, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.restore_box: QtWidgets.QMessageBox | None = None
        self._deferred_findings = None  # findings that arrived while the restore question was open
        self._journal_error_shown = False
        self.save_dialog: SaveAnnotatorDialog | None = None
        self.badge = QtWidgets.QLabel("")
        self.badge.setObjectName("editBadge")
        window.statusBar().addPermanentWidget(self.badge)
        self._build_menu()
        self.controller.modeChanged.connect(self._on_mode)
        self.controller.edited.connect(self._update_badge)
        self.controller.episodesEdited.connect(self._update_overview)
        self.controller.journalFailed.connect(self._on_journal_failed)
        window.recordingOpened.connect(self.open_labels)
        window.recordingClosed.connect(lambda: self.controller.set_store(None))
        if window.model is not None:
            window.model.analysisFinished.connect(self.show_findings)

    # ------------------------------------------------------------------ menu
    def _build_menu(self) -> None:
        bar = self.window.menuBar()
        self.menu = QtWidgets.QMenu("&Annotate", bar)
        bar.insertMenu(self.window.menu("Help").menuAction(), self.menu)
        c = self.controller
        self.edit_action = self.menu.addAction("Edit annotations\tF2", lambda on: c.set_editing(on))
        self.edit_action.setCheckable(True)
        self.menu.addAction("Undo\tCtrl+Z", c.undo)
        self.menu.addAction("Redo\tCtrl+Y", c.redo)
        snap = self.menu.addAction("Snap clicks to the R peak", lambda on: setattr(c.settings, "snap", bool(on)))
        snap.setCheckable(True)
        snap.setChecked(c.settings.snap)
        self.menu.addAction("Palette for keys 1–9…", self._ask_palette)
        self.labels_menu = self.menu.addMenu("Labels from annotator")
        self.menu.addSeparator()
        self.menu.addAction("Next suggestion to review", self.review.start)
        self.menu.addAction("Review queue panel", lambda: (self.dock.show(), self.dock.raise_()))
        self.menu.addSeparator()
        self.menu.addAction("Save as WFDB annotator…", self.save_dialog_open)
        self.menu.addAction("Export CSV…", lambda: self._export("CSV files (*.csv)", ".csv", self.export_csv))
        self.menu.addAction("Export EDF+ annotations…", lambda: self._export("EDF+ (*.edf)", ".edf", self.export_edf))

    def _load_preferences(self) -> None:
        text = self.window.settings.get_str("editing/palette", "")
        if text:
            try:
                self.set_palette(text.split())
            except AnnotationError as exc:
                log.warning("ignoring the saved palette: %s", exc)

    def set_palette(self, codes: list[str]) -> None:
        """Codes for keys 1–9 (MIT-BIH point codes, at most 9); remembered in the viewer settings."""
        if not 1 <= len(codes) <= 9:
            raise AnnotationError(f"a palette has 1 to 9 codes, got {len(codes)}")
        for code in codes:
            check_point_code(code)
        self.controller.settings.palette = list(codes)
        self.window.settings.set("editing/palette", " ".join(codes))

    def _ask_palette(self) -> None:
        text, ok = QtWidgets.QInputDialog.getText(self.window, "Palette", "Codes for keys 1–9, separated by spaces:",
                                                  text=" ".join(self.controller.settings.palette))
        if ok:
            try:
                self.set_palette(text.split())
            except AnnotationError as exc:
                self._message("Palette not changed", str(exc))

    def _on_mode(self, on: bool) -> None:
        self.edit_action.setChecked(on)
        self._update_badge()

    def _on_journal_failed(self, error: str) -> None:
        if not self._journal_error_shown:
            self._journal_error_shown = True
            self._message("Autosave failed", f"{error}\n\nSave your annotations now (Annotate ▸ Save as WFDB annotator).")

    def _update_badge(self, *_) -> None:
        store = self.controller.store
        if store is None:
            self.badge.setText("")
            return
        n = store.log.n_user_edits
        state = "EDIT MODE" if self.controller.editing else "view"
        self.badge.setText(f"✎ {state} · {n} edit(s)" if self.controller.editing or n else "")
        self.badge.setStyleSheet("QLabel#editBadge { color: #d06000; font-weight: bold; }"
                                 if self.controller.editing else "")

    def _update_overview(self) -> None:
        """Redraw the overview bar's rhythm bands from the labelled episodes."""
        store = self.controller.store
        overview = self.window.overview
        if store is None:
            return
        e = store.episodes
        keep = np.isin(e["source"], ("reference", "manual", "accepted"))
        if keep.any():
            spans = np.stack([e["start"][keep], e["stop"][keep]], axis=1) / store.fs
            overview.add_lane("rhythm", spans, list(e["code"][keep]), kind="bands")
        else:
            overview.remove_lane("rhythm")

    # ------------------------------------------------------------------ opening
    def open_labels(self, recording, annotator: str | None = None) -> None:
        """Edit ``annotator``'s labels of ``recording``; when a journal of earlier edits exists, ask first."""
        self.controller.set_editing(False)
        self._opened = (recording, annotator)
        try:
            store = open_store(recording, annotator)
        except AnnotationError as exc:
            self._message("Cannot load annotations", str(exc))
            store = AnnotationStore(recording.fs, recording.n_samples, content_hash=recording.provenance.content_hash)
        self.labels_menu.clear()
        for name in annotators(recording.annotations):
            self.labels_menu.addAction(name, lambda name=name: self.open_labels(recording, name))
        try:
            journal = Journal.for_store(store)
        except AnnotationError as exc:
            self._message("Autosave is off", f"{exc}\n\nEdits of this recording are not journalled; save them.")
            self.controller.set_store(store, None)
            return
        self._deferred_findings = None
        info = journal.inspect()
        if info is None or journal.retire_unneeded(info):  # only the model's suggestions, all undone or all saved
            self.controller.set_store(store, journal)
            self._update_badge()
            return
        self.controller.set_store(store, None)
        self.controller.restore_pending = True
        self.restore_box = restore_question(self.window, info)
        self.restore_box.finished.connect(lambda _: self._answer_restore(store, journal))
        self.restore_box.open()

    def _answer_restore(self, store: AnnotationStore, journal: Journal) -> None:
        box, self.restore_box = self.restore_box, None
        c = self.controller
        if c.store is not store:
            return  # another recording was opened meanwhile
        if box is not None and box.clickedButton() is box.restore_button:
            try:
                n = journal.restore(store)
            except AnnotationError as exc:
                journal.discard()
                c.restore_pending = False
                self._message("Cannot restore edits", f"{exc}\n\nThe journal is kept aside; editing starts fresh.")
                self.open_labels(*self._opened)
                return
            self.window.statusBar().showMessage(f"Restored {n} journal entries", 8000)
        else:
            moved = journal.discard()
            if moved is not None:
                self.window.statusBar().showMessage(f"Earlier edits kept aside in {moved}", 8000)
        c.restore_pending = False
        c.attach_journal(journal)
        self._update_badge()
        self.review.rebuild()  # the restored suggestions, reviewed and pending, at once
        findings, self._deferred_findings = self._deferred_findings, None
        if findings is not None and not np.any(store.beats["source"] == "model"):
            self.show_findings(findings)  # started fresh (or restored no suggestions): the model's findings

    # ------------------------------------------------------------------ model suggestions
    def show_findings(self, findings) -> int:
        """Show a model run's beats and rhythm episodes (:class:`~anyecg_model.analysis.findings.Findings`) as
        suggestions beside the labels; returns how many beats will be suggested.

        A 24-h recording brings ~100,000 beats, so the work is spread over three later event-loop turns (the
        one that announced the findings has other panels to serve), none long enough to stall the GUI: the
        edit is prepared, committed in the next turn (prepared again if the labels were edited meanwhile) and
        the review queue ordered in the one after (see ``docs/BENCHMARKS.md``, issue 6)."""
        store = self.controller.store
        if store is None or getattr(findings, "beats", None) is None:
            return 0
        if self.controller.restore_pending:
            self._deferred_findings = findings  # shown once the question is answered, unless restored
            return 0
        beats = findings.beats
        samples = np.clip(np.round(np.asarray(beats.time_s) * store.fs).astype(np.int64), 0, store.n_samples - 1)
        episodes = [(int(round(e.start_s * store.fs)), int(round(e.end_s * store.fs)), e.label, float(e.confidence))
                    for e in (findings.episodes or []) if e.end_s > e.start_s]
        codes = np.asarray([BEAT_CLASS_SYMBOL[c] for c in BEAT_CLASSES], object)[beats.label]
        confidence = np.asarray(beats.confidence, float)
        QtCore.QTimer.singleShot(STAGE_MS, self, lambda: self._prepare_suggestions(
            store, lambda: prepare_suggestions(store, samples, codes, confidence, episodes=episodes)))
        return len(samples)

    def _prepare_suggestions(self, store: AnnotationStore, prepare) -> None:
        if self.controller.store is not store or self.controller.restore_pending:
            return  # another recording (or its restore question) came first
        try:
            prepared = prepare()
        except AnnotationError as exc:
            self._message("Cannot show the model's suggestions", str(exc))
            return
        if prepared.n_beats:
            self.controller.make_room_for_suggestions()
        QtCore.QTimer.singleShot(STAGE_MS, self, lambda: self._commit_suggestions(store, prepared))

    def _commit_suggestions(self, store: AnnotationStore, prepared: PreparedSuggestions) -> None:
        if self.controller.store is not store or self.controller.restore_pending:
            return  # another recording (or its restore question) came first
        try:
            commit_suggestions(store, prepared)
        except AnnotationError as exc:
            self._message("Cannot show the model's suggestions", str(exc))
            return
        QtCore.QTimer.singleShot(STAGE_MS, self, lambda: self._queue_suggestions(store, prepared.n_beats))

    def _queue_suggestions(self, store: AnnotationStore, n_beats: int) -> None:
        if self.controller.store is not store:
            return
        if self.controller.queue is None:
            self.review.rebuild()
        else:
            self.controller.reorder_queue()
            self.review.refresh()
        self.window.statusBar().showMessage(f"{n_beats} model beat suggestions: review them in the "
                                            "Review queue (Enter accepts, Backspace rejects)", 8000)
        self.suggestionsShown.emit(n_beats)

    # ------------------------------------------------------------------ saving
    def _record_path(self) -> str:
        rec = self.window.recording
        return rec.path if rec is not None else ""

    def save_dialog_open(self) -> SaveAnnotatorDialog | None:
        if self.controller.store is None:
            return None
        self.save_dialog = SaveAnnotatorDialog(self._record_path(), parent=self.window)
        self.save_dialog.accepted.connect(lambda: self.save_wfdb(*self.save_dialog.values()))
        self.save_dialog.open()
        return self.save_dialog

    def save_wfdb(self, record: str, annotator: str, replace: bool = False) -> Path | None:
        """Save the labels as ``<record>.<annotator>``; errors are shown, nothing is lost."""
        path = self._save(lambda: save_wfdb(self.controller.store, record, annotator, replace=replace), "wfdb")
        rec = self.window.recording
        if path is not None and rec is not None and path.with_suffix("") == record_base(rec.path) \
                and annotator not in [a.text() for a in self.labels_menu.actions()]:
            self.labels_menu.addAction(annotator, lambda: self.open_labels(rec, annotator))
        return path

    def export_csv(self, path: str) -> Path | None:
        return self._save(lambda: save_csv(self.controller.store, path), "csv")

    def export_edf(self, path: str) -> Path | None:
        rec = self.window.recording
        start = rec.start_time if rec is not None else None
        return self._save(lambda: save_edf_annotations(self.controller.store, path, start_time=start), "edf")

    def _save(self, write, kind: str) -> Path | None:
        if self.controller.store is None:
            return None
        try:
            path = write()
        except (AnnotationError, OSError, ValueError) as exc:
            self._message("Cannot save annotations", str(exc))
            return None
        if self.controller.journal is not None:
            self.controller.journal.note_saved(path, kind)
        self.window.statusBar().showMessage(f"Saved {path}", 8000)
        return path

    def _export(self, filt: str, suffix: str, write) -> None:
        start = str(Path(self._record_path()).with_suffix(suffix)) if self._record_path() else ""
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Export annotations", start, filt)
        if path:
            write(path)

    def _message(self, title: str, text: str) -> None:
        self.last_message = show_message(self.window, title, text)


def install_editing(window) -> EditingUI:
    """Add annotation editing to ``window`` (idempotent); returns the :class:`EditingUI`."""
    if window.editing is not None:
        return window.editing
    return window.register_feature("editing", EditingUI(window))
