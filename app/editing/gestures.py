"""``EditGestures``: the mouse and the keys of edit mode, turned into :class:`~.controller.EditController` edits.

A click selects the beat (or episode) under the mouse or inserts a beat; a drag moves a beat or selects a span
(its menu: rhythm of the span, relabel all); the keys are listed in :mod:`.controller`'s docstring. Editing
keys are taken over from the window's shortcuts while edit mode is on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.annotations import LABEL_SOURCES, POINT_CODES, RHYTHM_CODES, AnnotationError
from anyecg_model.io.recording import RecordingError
from anyecg_model.vocabulary.labels import BEAT_SYMBOLS

from .lanes import SUGGESTION_SOURCES

if TYPE_CHECKING:
    from .controller import EditController

#: Codes not taken from typing because the trace view uses the key (``+``/``=`` gain up) or they are rhythms.
NOT_TYPED = frozenset("+=")
K = QtCore.Qt.Key


class EditGestures(QtCore.QObject):
    """Clicks, drags and key presses on ``controller.trace`` in edit mode, as calls of the controller."""

    def __init__(self, controller: EditController):
        super().__init__(controller)
        self.c = controller
        self.trace = controller.trace
        self._drag: dict | None = None
        self.span_menu = self._build_span_menu()
        self.trace.installEventFilter(self)
        self.trace.plot.scene().sigMouseClicked.connect(self._on_scene_click)

    def _say(self, exc: Exception) -> None:
        self.c.window.statusBar().showMessage(str(exc), 5000)

    # ------------------------------------------------------------------ mouse
    def _px_to_samples(self, px: float) -> int:
        return max(1, int(round(px / self.trace.px_per_s() * self.c.store.fs)))

    def _lane_at(self, y: float) -> str | None:
        for name, lane in self.trace.lanes().items():
            if lane.y_bottom <= y <= lane.y_top:
                return name
        return None

    def _pick(self, t_s: float, lane: str | None) -> int | None:
        store = self.c.store
        sources = SUGGESTION_SOURCES if lane == "suggestions" else LABEL_SOURCES
        return store.nearest_beat(int(round(t_s * store.fs)), self._px_to_samples(self.c.settings.pick_px),
                                  sources=sources)

    def _on_scene_click(self, ev) -> None:
        if not self.c.editing or self.c.store is None or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.trace.viewbox
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        self.click(float(p.x()), float(p.y()))

    def click(self, t_s: float, y: float) -> None:
        """A left click at plot ``(t_s, y)`` in edit mode: select what is there or insert a beat."""
        c = self.c
        c.clear_span()
        lane = self._lane_at(y)
        if lane == "rhythm":
            c.select_episode(c.store.episode_at(int(t_s * c.store.fs), LABEL_SOURCES + SUGGESTION_SOURCES))
            return
        hit = self._pick(t_s, lane)
        if hit is not None:
            c.select_beat(hit)
        elif lane != "suggestions":
            try:
                c.insert_at(t_s)
            except (AnnotationError, RecordingError) as exc:
                self._say(exc)

    def drag(self, ev, t_s: float, y: float) -> bool:
        """The trace view's drag handler in edit mode: drag a beat to move it, elsewhere to select a span."""
        c = self.c
        if not c.editing or c.store is None:
            return False
        if ev.isStart():
            start_t = self.trace.viewbox.mapSceneToView(ev.buttonDownScenePos()).x()
            hit = self._pick(start_t, self._lane_at(y))
            self._drag = {"beat": hit, "t0": start_t}
            if hit is not None:
                c.select_beat(hit)
        if self._drag is None:
            return False
        if self._drag["beat"] is not None:
            c.cursor_line.setValue(t_s)
            if ev.isFinish():
                beat, self._drag = self._drag["beat"], None
                try:
                    c.move_to(beat, t_s)
                except (AnnotationError, RecordingError) as exc:
                    self._say(exc)
        else:
            c.set_span(int(self._drag["t0"] * c.store.fs), int(t_s * c.store.fs))
            if ev.isFinish():
                self._drag = None
                self.span_menu.popup(QtGui.QCursor.pos())
        return True

    def _build_span_menu(self) -> QtWidgets.QMenu:
        c = self.c
        menu = QtWidgets.QMenu()
        menu.addSection("Rhythm of the span")
        for code in RHYTHM_CODES:
            menu.addAction(code, lambda code=code: c.set_span_rhythm(code))
        relabel = menu.addMenu("Relabel all beats in the span as")
        for code in sorted(BEAT_SYMBOLS):
            relabel.addAction(code, lambda code=code: (c.set_code(code), c.clear_span()))
        menu.addAction("Clear span", c.clear_span)
        return menu

    # ------------------------------------------------------------------ keys
    def _claims(self, key: int, mods) -> bool:
        """Keys editing takes over from window shortcuts: F2, undo/redo, and every plain key in edit mode."""
        ctrl = bool(mods & QtCore.Qt.KeyboardModifier.ControlModifier)
        if key == K.Key_F2 or (ctrl and key in (K.Key_Z, K.Key_Y)):
            return True
        return self.c.editing and not ctrl

    def eventFilter(self, obj, ev) -> bool:
        if self.c.store is None:
            return False
        if ev.type() == QtCore.QEvent.Type.ShortcutOverride and self._claims(ev.key(), ev.modifiers()):
            ev.accept()  # deliver as a key press to us instead of triggering a window shortcut
            return True
        if ev.type() != QtCore.QEvent.Type.KeyPress:
            return False
        try:
            return self.key(ev.key(), ev.modifiers(), ev.text())
        except (AnnotationError, RecordingError) as exc:
            self._say(exc)
            return True

    def key(self, key: int, mods, text: str) -> bool:
        """Handle one key press; True when it was an editing key."""
        c = self.c
        ctrl = bool(mods & QtCore.Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & QtCore.Qt.KeyboardModifier.ShiftModifier)
        if key == K.Key_F2:
            c.set_editing(not c.editing)
            return True
        if ctrl and (key == K.Key_Y or (key == K.Key_Z and shift)):
            c.redo()
            return True
        if ctrl and key == K.Key_Z:
            c.undo()
            return True
        if not c.editing or ctrl:
            return False
        if key in (K.Key_Left, K.Key_Right) and not shift:
            c.step(+1 if key == K.Key_Right else -1)
        elif key in (K.Key_Return, K.Key_Enter):
            c.review("accept")
        elif key == K.Key_Backspace:
            c.review("reject")
        elif key == K.Key_Delete:
            c.delete_selected()
        elif key == K.Key_Escape:
            c.clear_span()
            c.select_beat(None)
            return False  # the trace also leaves caliper mode
        elif text and text in "123456789" and len(text) == 1:
            rank = int(text)
            if rank <= 3 and c.selected_suggestion()[0]:
                c.review("pick", rank)
            elif rank <= len(c.settings.palette):
                c.set_code(c.settings.palette[rank - 1])
        elif text and len(text) == 1 and text in POINT_CODES and text not in NOT_TYPED:
            c.set_code(text)
        else:
            return False
        return True
