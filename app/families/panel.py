"""Families dock: the recording's beats grouped by shape, each family drawn small (median beat and its 10–90 %
band) with its count, share, dominant label and confidence, and RR prematurity.

Keys while the list has the focus: N S V F Q P relabel the whole selected family (one undoable, journalled edit
of the annotation store), ``/`` splits it in two by shape, E splits its premature members off (pre-RR / local RR
below the best cut; the new family is selected, so S then relabels them), M merges it into the family above,
] and [ step through its members from the most atypical (the trace centres on the beat), L learns this patient:
the pending model suggestions adapt to the confirmed labels (one undoable edit; the adaptation is saved with the
recording's annotation journal, :func:`~anyecg_model.families.adapt.adaptation_path`, and applied again to new
suggestions when the file is reopened and analysed; a recording with no file keeps it for the session only).
Grouping runs in a background thread; label edits made anywhere update the families' labels at once, and a beat
added or deleted asks for a regroup.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.annotations.codes import LABEL_SOURCES
from anyecg_model.annotations.suggestions import PreparedSuggestions, prepare_suggestions
from anyecg_model.families.adapt import PatientModel, adaptation_path
from anyecg_model.families.model import BeatFamilies, FamilySummary, group_recording
from anyecg_model.vocabulary.labels import BEAT_CLASS_SYMBOL, BEAT_SYMBOLS

from ..gc_policy import import_frozen
from .learn import Relabelled, apply_saved, class_indices, learn_from_store

log = logging.getLogger(__name__)

#: Store code written for each beat class when a family is relabelled (paced beats: ``/``).
AAMI_TO_CODE = BEAT_CLASS_SYMBOL
ICON_W, ICON_H = 120, 60
#: Delay (ms) between icon batches: a timer, so timers already due (the GUI's own) run between two batches; a
#: 0-ms single shot is a posted event, dispatched ahead of them, and two batches ran back to back (up to 48 ms
#: under load on the 24-h join's 364 families).
ICON_TURN_MS = 1
#: Libraries the jobs import on first use, each with :func:`~app.gc_policy.import_frozen` in the worker before
#: the job (their ~45,000 and ~56,000 objects would otherwise set off full collections, holding the GIL for up
#: to 94 ms on the 24-h join): SciPy's band-pass filter, clustering and distances for grouping and for the beat
#: waves of any learning; scikit-learn's logistic regression (with pandas and scipy.stats) for a new learning.
GROUPING_IMPORTS = ("scipy.signal", "scipy.cluster.hierarchy", "scipy.spatial.distance", "threadpoolctl")
LEARNING_IMPORTS = GROUPING_IMPORTS + ("sklearn.linear_model",)


@contextmanager
def one_core():
    """Run a job with one BLAS and one OpenMP thread. On the 2-core target the job's thread, an OpenBLAS helper
    and scikit-learn's OpenMP team (idle ones spin-waiting) otherwise took both cores while the GUI thread
    waited for one (gaps of 75–150 ms in the logistic fit, none with one thread); the job gives up little,
    its matrices being small."""
    try:
        from threadpoolctl import threadpool_limits  # a scikit-learn dependency
    except ImportError:  # pragma: no cover — without it the libraries keep their defaults
        yield
        return
    with threadpool_limits(limits=1):
        yield


def family_icon(s: FamilySummary, offset: int) -> QtGui.QPixmap:
    """Median beat (line) over its 10–90 % band (shaded), first lead, scaled to the icon."""
    pm = QtGui.QPixmap(ICON_W, ICON_H)
    pm.fill(QtGui.QColor("white"))
    lo, med, hi = s.p10_wave[0], s.median_wave[0], s.p90_wave[0]
    top, bottom = float(max(hi.max(), med.max())), float(min(lo.min(), med.min()))
    span = max(top - bottom, 1e-3)
    n = len(med)

    def pt(i: int, v: float) -> QtCore.QPointF:
        return QtCore.QPointF(2 + (ICON_W - 4) * i / max(n - 1, 1), 3 + (ICON_H - 6) * (top - v) / span)

    p = QtGui.QPainter(pm)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    band = QtGui.QPolygonF([pt(i, hi[i]) for i in range(n)] + [pt(i, lo[i]) for i in reversed(range(n))])
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    p.setBrush(QtGui.QColor(70, 130, 200, 80))
    p.drawPolygon(band)
    p.setPen(QtGui.QPen(QtGui.QColor(200, 200, 200), 1, QtCore.Qt.PenStyle.DotLine))
    p.drawLine(pt(offset, top), pt(offset, bottom))
    p.setPen(QtGui.QPen(QtGui.QColor(20, 40, 90), 1.5))
    p.drawPolyline(QtGui.QPolygonF([pt(i, med[i]) for i in range(n)]))
    p.end()
    return pm


def family_text(rank: int, s: FamilySummary) -> str:
    label = "unlabelled" if s.label is None else f"{s.label} {100 * s.label_share:.0f} %"
    conf = "" if not np.isfinite(s.label_confidence) else f" (conf {s.label_confidence:.2f})"
    return (f"#{rank}  {s.count} beats · {100 * s.share:.1f} %\n{label}{conf}\n"
            f"RR {s.median_prematurity:.2f} · QRS {1000 * s.median_width_s:.0f} ms")


class FamiliesPanel(QtWidgets.QWidget):
    """The Families dock of a window's :class:`~app.editing.controller.EditController`."""

    grouped = QtCore.Signal()  # families are ready (or regrouped)
    learnt = QtCore.Signal(str)  # an adaptation was applied (or failed): the message shown
    _done = QtCore.Signal(object, object)  # (BeatFamilies | None, row ids | error text), from the worker thread
    #: (Relabelled | None, error or save note, saved, (store, PreparedSuggestions) | None), from the worker thread
    _relabelled = QtCore.Signal(object, object, bool, object)

    def __init__(self, window, controller):
        super().__init__()
        self.window, self.controller = window, controller
        self.families: BeatFamilies | None = None
        self.row_ids = np.zeros(0, np.int64)  # store row id of each grouped beat
        self.stale = False
        self._cursor: dict[int, int] = {}  # family → position in its atypical order
        self._icons: dict[int, tuple] = {}  # family → (the median wave it was drawn from, QIcon)
        self._pending: dict[int, tuple] = {}  # family → (summary, list item) still to draw
        self._worker: threading.Thread | None = None
        # (recording, its latest adaptation, whether it was saved): a file-less recording's is its only copy
        self._session_adaptation: tuple[object, PatientModel, bool] | None = None
        self.status = QtWidgets.QLabel("Group the beats of the open recording by shape.")
        self.status.setWordWrap(True)
        self.group_button = QtWidgets.QPushButton("Group beats")
        self.group_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.group_button.clicked.connect(self.group)
        self.learn_button = QtWidgets.QPushButton("Learn this patient (L)")
        self.learn_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.learn_button.clicked.connect(self.learn)
        self.learn_status = QtWidgets.QLabel("")
        self.learn_status.setWordWrap(True)
        self.list = QtWidgets.QListWidget()
        self.list.setIconSize(QtCore.QSize(ICON_W, ICON_H))
        self.list.setSpacing(2)
        self.list.installEventFilter(self)
        help_ = QtWidgets.QLabel("N S V F Q P relabel family · / split · E split off premature · M merge up · "
                                 "] [ atypical members · L learn this patient")
        help_.setWordWrap(True)
        help_.setStyleSheet("color: gray")
        layout = QtWidgets.QVBoxLayout(self)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.group_button)
        buttons.addWidget(self.learn_button)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.learn_status)
        layout.addWidget(self.list, 1)
        layout.addWidget(help_)
        self._done.connect(self._on_done, QtCore.Qt.ConnectionType.QueuedConnection)
        self._relabelled.connect(self._on_relabelled, QtCore.Qt.ConnectionType.QueuedConnection)
        self._store = None
        self._from_labels = True  # the families were grouped from labels (else from model suggestions)
        controller.storeChanged.connect(self._attach_store)
        self._attach_store()

    # ------------------------------------------------------------------ grouping
    def _beats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(row ids, times s, AAMI label index or −1, confidence) of the store's labelled beats (suggestions
        when nothing is labelled)."""
        b = self.controller.store.beats
        sel = self._selection()
        labels = class_indices(b["code"][sel])
        conf = b["confidence"][sel].astype(np.float32)  # NaN: no confidence
        return b.ids[sel].astype(np.int64), b["sample"][sel] / self.controller.store.fs, labels, conf

    def _selection(self) -> np.ndarray:
        """Mask of the store's beat rows that are grouped: current labels, else the model's suggestions."""
        store = self.controller.store
        is_beat = np.isin(store.beats["code"], list(BEAT_SYMBOLS))
        sel = is_beat & store.label_mask()
        self._from_labels = bool(sel.any())
        return sel if self._from_labels else is_beat & (store.beats["source"] == "model")

    def group(self) -> bool:
        """Start grouping in a background thread; False when no recording is open or a job is running."""
        rec, store = self.window.recording, self.controller.store
        if rec is None or store is None or (self._worker is not None and self._worker.is_alive()):
            return False
        self.status.setText("Grouping the beats…")
        self.group_button.setEnabled(False)

        def work() -> None:
            try:
                import_frozen(*GROUPING_IMPORTS)
                ids, times, labels, conf = self._beats()
                if len(ids) < 2:
                    raise ValueError("no beats to group: label or analyse the recording first")
                order = np.argsort(times, kind="stable")
                ids, times, labels, conf = ids[order], times[order], labels[order], conf[order]
                with one_core():
                    fam = group_recording(rec, times, labels, conf)
                fam.summaries()  # the members' percentile waves, cached off the GUI thread
                self._done.emit(fam, ids)
            except ValueError as exc:
                self._done.emit(None, str(exc))
            except Exception as exc:  # noqa: BLE001 — shown in the dock, the GUI stays up
                log.exception("grouping failed")
                self._done.emit(None, f"{type(exc).__name__}: {exc}")

        self._worker = threading.Thread(target=work, name="families", daemon=True)
        self._worker.start()
        return True

    def _on_done(self, fam, ids) -> None:
        self.group_button.setEnabled(True)
        if fam is None:
            self.status.setText(f"Grouping failed: {ids}")
            return
        self.families, self.row_ids, self.stale = fam, ids, False
        self._cursor.clear()
        self._icons.clear()
        self._pending.clear()
        self.refresh()
        self.grouped.emit()

    def _clear(self) -> None:
        self.families, self.row_ids, self.stale = None, np.zeros(0, np.int64), False
        self._icons.clear()
        self._pending.clear()
        self.list.clear()
        self.status.setText("Group the beats of the open recording by shape.")

    # ------------------------------------------------------------------ display
    def refresh(self) -> None:
        """Rebuild the list from the families, keeping the selected family selected. Icons already drawn are
        reused; new ones are drawn a few per event-loop turn (:meth:`_draw_icons`), so the GUI never stalls."""
        keep = self.selected_family()
        self.list.clear()
        self._pending.clear()
        if self.families is None:
            return
        for rank, s in enumerate(self.families.summaries(), 1):
            item = QtWidgets.QListWidgetItem(family_text(rank, s))
            item.setData(QtCore.Qt.ItemDataRole.UserRole, s.family)
            cached = self._icons.get(s.family)
            if cached is not None and cached[0] is s.median_wave:
                item.setIcon(cached[1])
            else:
                self._pending[s.family] = (s, item)
            self.list.addItem(item)
            if s.family == keep:
                self.list.setCurrentItem(item)
        if self.list.currentRow() < 0 and self.list.count():
            self.list.setCurrentRow(0)
        n = len(self.families.ids())
        extra = " — beats were added or deleted: Group beats again" if self.stale else ""
        self.status.setText(f"{len(self.families)} beats in {n} families{extra}")
        if self._pending:
            QtCore.QTimer.singleShot(ICON_TURN_MS, self._draw_icons)

    def update_texts(self) -> None:
        """Refresh the items' texts and the status in place (labels changed, members did not)."""
        if self.families is None:
            return
        by_family = {s.family: s for s in self.families.summaries()}
        for row in range(self.list.count()):
            item = self.list.item(row)
            s = by_family.get(int(item.data(QtCore.Qt.ItemDataRole.UserRole)))
            if s is not None:
                item.setText(family_text(row + 1, s))
        extra = " — beats were added or deleted: Group beats again" if self.stale else ""
        self.status.setText(f"{len(self.families)} beats in {len(self.families.ids())} families{extra}")

    def _draw_icons(self, per_turn: int = 2) -> None:
        """Draw ``per_turn`` pending icons (2-6 ms each under load), then wait for the next turn."""
        if self.families is None:
            self._pending.clear()
            return
        for f in list(self._pending)[:per_turn]:
            s, item = self._pending.pop(f)
            icon = QtGui.QIcon(family_icon(s, self.families.waves.offset))
            self._icons[f] = (s.median_wave, icon)
            try:
                item.setIcon(icon)
            except RuntimeError:  # the list was rebuilt meanwhile; the next refresh uses the cached icon
                pass
        if self._pending:
            QtCore.QTimer.singleShot(ICON_TURN_MS, self._draw_icons)

    def selected_family(self) -> int | None:
        item = self.list.currentItem()
        return None if item is None else int(item.data(QtCore.Qt.ItemDataRole.UserRole))

    # ------------------------------------------------------------------ operations
    def relabel_selected(self, label: str) -> int:
        """Relabel every member of the selected family (one store edit); returns the beats changed."""
        f = self.selected_family()
        if f is None or self.families is None:
            return 0
        members = self.families.members(f)
        edit = self.controller.store.relabel(self.row_ids[members].tolist(), AAMI_TO_CODE[label])
        return 0 if edit is None else len(members)  # the store's change event updates the families

    def split_selected(self) -> int | None:
        f = self.selected_family()
        if f is None or self.families is None:
            return None
        new = self.families.split(f)
        self._cursor.pop(f, None)
        self.refresh()
        return new

    def split_premature_selected(self) -> int | None:
        """Split the selected family's premature members off (:meth:`BeatFamilies.split_by_prematurity`) and
        select them; returns the new family (None when the members are all equally timed)."""
        f = self.selected_family()
        if f is None or self.families is None:
            return None
        new = self.families.split_by_prematurity(f)
        if new is None:
            self.status.setText("This family's beats are all equally timed: nothing premature to split off.")
            return None
        self._cursor.pop(f, None)
        self.refresh()
        self.list.setCurrentRow(next(i for i in range(self.list.count())
                                     if self.list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) == new))
        return new

    def merge_selected_up(self) -> bool:
        row = self.list.currentRow()
        if row <= 0 or self.families is None:
            return False
        into = int(self.list.item(row - 1).data(QtCore.Qt.ItemDataRole.UserRole))
        self.families.merge(into, self.selected_family())
        self._cursor.pop(into, None)
        self.refresh()
        self.list.setCurrentRow(next(i for i in range(self.list.count())
                                     if self.list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) == into))
        return True

    def step_member(self, direction: int) -> int | None:
        """Select the next (``+1``) or previous (``−1``) member of the family, most atypical first; returns the
        store row id selected."""
        f = self.selected_family()
        if f is None or self.families is None:
            return None
        order = self.families.atypical_members(f)
        pos = self._cursor.get(f, -1) + direction
        pos = int(np.clip(pos, 0, len(order) - 1))
        self._cursor[f] = pos
        row_id = int(self.row_ids[order[pos]])
        self.controller.select_beat(row_id, centre=True)
        return row_id

    # ------------------------------------------------------------------ learn this patient
    def _run_learning(self, job, save: bool, imports: tuple[str, ...], source: str = "") -> bool:
        """Run ``job(recording, store)`` in a worker thread; ``save``: learning (save the adaptation), else
        re-applying the adaptation ``source`` names ("Saved adaptation", or this session's)."""
        rec, store = self.window.recording, self.controller.store
        if rec is None or store is None or (self._worker is not None and self._worker.is_alive()):
            return False
        self.learn_button.setEnabled(False)
        self.learn_status.setText("Learning this patient…")

        def work() -> None:
            try:
                import_frozen(*imports)
                with one_core():
                    res = job(rec, store)
                note = source
                if save:  # written here, off the GUI thread
                    path, saved = adaptation_path(rec), False
                    try:
                        if path is None:
                            note = " Adaptation not saved: the recording has no file (kept for this session)."
                        else:
                            note = f" Adaptation saved with the annotation journal ({res.model.save(path).name})."
                            saved = True
                    except OSError as exc:
                        note = f" Adaptation not saved: {exc}"
                    self._session_adaptation = (rec, res.model, saved)
                self._relabelled.emit(res, note, save, self._prepare(store, res))
            except ValueError as exc:
                self._relabelled.emit(None, str(exc), save, None)
            except Exception as exc:  # noqa: BLE001 — shown in the dock, the GUI stays up
                log.exception("adaptation failed")
                self._relabelled.emit(None, f"{type(exc).__name__}: {exc}", save, None)

        self._worker = threading.Thread(target=work, name="learn-patient", daemon=True)
        self._worker.start()
        return True

    def learn(self) -> bool:
        """Adapt the pending suggestions to the confirmed labels in a background thread."""
        return self._run_learning(learn_from_store, save=True, imports=LEARNING_IMPORTS)

    def apply_saved_adaptation(self, *_) -> bool:
        """New suggestions arrived: re-label them with this recording's adaptation, if any: the one learnt in this
        session (a file-less recording's only copy, said to be unsaved) or the one saved with its journal."""
        rec = self.window.recording
        path = adaptation_path(rec) if rec is not None else None
        held, source = self._session_adaptation, "Saved adaptation"
        if held is not None and held[0] is rec:  # learnt in this session (the only copy of a file-less one)
            model = held[1]
            if not held[2]:
                source = "This session's adaptation (not saved)"
        elif path is None or not path.exists():
            return False
        else:
            try:
                model = PatientModel.load(path)
            except (OSError, ValueError) as exc:
                self.learn_status.setText(f"Saved adaptation not used: {exc}")
                return False
        return self._run_learning(lambda r, s: apply_saved(r, s, model), save=False, imports=GROUPING_IMPORTS,
                                  source=source)

    @staticmethod
    def _prepare(store, res: Relabelled) -> tuple | None:
        """``(store, the edit writing res)``, prepared in the worker (None: prepare it on the GUI thread). The
        store may be edited meanwhile: the commit then prepares it again (:func:`commit_suggestions`)."""
        try:
            return store, prepare_suggestions(store, res.sample, res.code, res.confidence)
        except Exception:  # noqa: BLE001 — read while the GUI thread edited: the GUI thread prepares it instead
            log.debug("suggestions not prepared in the worker", exc_info=True)
            return None

    def _on_relabelled(self, res: Relabelled | None, error: str, save: bool,
                       prepared: tuple[object, PreparedSuggestions] | None = None) -> None:
        """Write the new suggestions (one edit), prepared in the worker, in the next event-loop turn and order the
        review queue in the one after (:meth:`EditController.commit_suggestions`), so no turn holds the GUI for
        the whole 24-h recording's ~100,000 suggestions; ``error`` is the failure, or after success the save
        note (learning) or the applied adaptation's source (re-applying)."""
        if res is None:
            self.learn_button.setEnabled(True)
            self.learn_status.setText(f"Learn this patient: {error}")
            self.learnt.emit(self.learn_status.text())
            return
        if prepared is None:
            self.controller.set_suggestions(res.sample, res.code, res.confidence)
            self._learnt(res, error, save)
            return
        self.controller.commit_suggestions(*prepared, lambda: self._learnt(res, error, save))

    def _learnt(self, res: Relabelled, error: str, save: bool) -> None:
        """The new suggestions are in the store: say what changed."""
        self.learn_button.setEnabled(True)
        changes = ", ".join(f"{k} {v}" for k, v in sorted(res.changed.items(), key=lambda kv: -kv[1])) or "none"
        n = sum(res.changed.values())
        text = f"{n} suggestions changed ({changes}); Ctrl+Z undoes."
        text = text + error if save else f"{error} applied: {text}"  # error: the save note, or whose adaptation
        self.learn_status.setText(text)
        self.learnt.emit(text)

    # ------------------------------------------------------------------ store edits elsewhere
    def _attach_store(self) -> None:
        """Follow the controller's (new) store: its change events keep the families' labels current."""
        if self._store is not None:
            self._store.events.changed.disconnect(self._on_store_change)
        self._store = self.controller.store
        if self._store is not None:
            self._store.events.changed.connect(self._on_store_change)
        self.learn_button.setEnabled(True)  # suggestions learnt for the previous store are dropped
        self._clear()

    def _codes_of(self, ids: np.ndarray) -> np.ndarray:
        """Beat class index of store rows ``ids`` (−1: not a beat code), by distinct code (a family relabel on
        a 24-h Holter updates tens of thousands of rows)."""
        return class_indices(self._store.beats.values(ids, "code", ""))

    def _on_store_change(self, change) -> None:
        """An edit, undo or redo: labels of grouped beats follow it (cost: the rows it touched); a grouped beat
        removed, or a labelled beat added, marks the families stale (Group beats again)."""
        if self.families is None:
            return
        t = change.beats
        order = np.argsort(self.row_ids, kind="stable")
        sorted_ids = self.row_ids[order]

        def find(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pos = np.searchsorted(sorted_ids, ids).clip(max=max(len(sorted_ids) - 1, 0))
            hit = sorted_ids[pos] == ids if len(sorted_ids) else np.zeros(len(ids), bool)
            return ids[hit], order[pos[hit]]

        stale = self.stale or len(find(np.asarray(t.removed, np.int64))[0]) > 0
        inserted = np.asarray(t.inserted, np.int64)
        if len(inserted) and not stale:
            b = self._store.beats
            stale = bool(np.any(np.isin(b.values(inserted, "source", ""), LABEL_SOURCES)
                                & np.isin(b.values(inserted, "code", ""), list(BEAT_SYMBOLS))))
        ids, at = find(np.asarray(t.updated, np.int64))
        changed = False
        if len(ids):
            new = self._codes_of(ids)
            changed = not np.array_equal(new, self.families.labels[at])
            self.families.labels[at] = new
        if changed or stale != self.stale:
            self.stale = stale
            self.update_texts()

    def eventFilter(self, obj, ev) -> bool:
        if obj is self.list and ev.type() == QtCore.QEvent.Type.KeyPress:
            text = ev.text().upper()
            if text in AAMI_TO_CODE:
                self.relabel_selected(text)
                return True
            if text == "/":
                self.split_selected()
                return True
            if text == "E":
                self.split_premature_selected()
                return True
            if text == "M":
                self.merge_selected_up()
                return True
            if text == "L":
                self.learn()
                return True
            if text in ("]", "["):
                self.step_member(1 if text == "]" else -1)
                return True
        return super().eventFilter(obj, ev)
