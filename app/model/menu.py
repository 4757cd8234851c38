"""The Model menu and the model's settings (:class:`ModelMenu`, a part of
:class:`~app.model.controller.ModelController`): analyze, cancel, analyze on open, device, model folder and one
checkable action per row of the overlay table (:mod:`.overlay_table`) with its shortcut, kept in step with the
panel's toggle; the status-bar text with the model's name, version and device. Settings: ``model/dir``,
``model/device`` (auto|cpu|cuda|mps), ``model/auto_analyze``.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.analysis.findings import ModelInfo
from anyecg_model.model.anomaly_trees import ANOMALY_HEAD
from anyecg_model.model.rhythm_trees import NO_RHYTHM_TREES

from .worker import DEVICES


class ModelMenu:
    """The menu-and-settings half of :class:`~app.model.controller.ModelController` (a mixin before its
    ``QObject`` base, sharing its state: ``window``, ``settings``, ``panel``, ``overlays``, ``process``)."""

    @property
    def model_dir(self) -> Path:
        if self._model_dir_override is not None:
            return self._model_dir_override
        return Path(self.settings.get_str("model/dir", str(SHIPPED_MODEL_DIR)))

    @property
    def device_setting(self) -> str:
        d = self.settings.get_str("model/device", "auto")
        return d if d in DEVICES else "auto"

    def _build_menu(self) -> None:
        m = self.window.menu("Model")
        m.addAction("&Analyze recording", self.analyze, QtGui.QKeySequence("Ctrl+Alt+Return"))
        m.addAction("&Cancel analysis", self.cancel, QtGui.QKeySequence("Ctrl+Alt+Backspace"))
        self.auto_action = m.addAction("Analyze on &open", lambda on: self.set_auto_analyze(on))
        self.auto_action.setCheckable(True)
        self.auto_action.setChecked(self.auto_analyze)
        dev = m.addMenu("&Device")
        group = QtGui.QActionGroup(dev)
        for name in DEVICES:
            act = dev.addAction(name.upper() if name != "auto" else "Automatic (CUDA, MPS, else CPU)",
                                lambda name=name: self.set_device(name))
            act.setCheckable(True)
            act.setChecked(name == self.device_setting)
            group.addAction(act)
        m.addAction("Choose model &folder…", self._choose_model_dir)
        m.addSeparator()
        self.overlay_actions: dict[str, QtGui.QAction] = {}
        for row in self.overlays:
            act = m.addAction(row.label)
            act.setCheckable(True)
            act.setChecked(True)
            act.setShortcut(QtGui.QKeySequence(row.shortcut))
            act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            box = self.panel.toggles[row.key]
            act.toggled.connect(box.setChecked)
            box.toggled.connect(act.setChecked)
            act.toggled.connect(lambda on, key=row.key: self._on_overlay_toggled(key, on))
            self.overlay_actions[row.key] = act

    def _on_overlay_toggled(self, key: str, on: bool) -> None:
        self.apply_overlays()
        self.overlayToggled.emit(key, on)

    def set_auto_analyze(self, on: bool, remember: bool = True) -> None:
        """Analyse every recording when it opens (``remember`` stores the choice)."""
        self.auto_analyze = bool(on)
        self.auto_action.setChecked(self.auto_analyze)
        if remember:
            self.settings.set("model/auto_analyze", "true" if on else "false")
        if on:
            self.warm_up()
        idle = self.worker is None or self.worker.job.cache_only
        if on and self.window.recording is not None and idle and self.data is None:
            self._start_timer.start()

    def set_device(self, name: str) -> None:
        self.settings.set("model/device", name)
        self._show_model_text()

    def set_model_dir(self, path: str | Path, remember: bool = True) -> None:
        """Use the checkpoint in ``path`` (``remember`` stores it; otherwise for this session only)."""
        self.process.forget(self.model_dir)
        if remember:
            self._model_dir_override = None
            self.settings.set("model/dir", str(path))
        else:
            self._model_dir_override = Path(path)
        self._show_model_text()

    def _choose_model_dir(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self.window, "Model checkpoint folder", str(self.model_dir))
        if path:
            self.set_model_dir(path)

    def overlay_on(self, key: str) -> bool:
        return self.overlay_actions[key].isChecked()

    def _show_model_text(self, info: ModelInfo | None = None, device: str | None = None) -> None:
        if info is None:
            text = f"Model: {self.model_dir.name} · device {self.device_setting}"
        elif device == "cache":
            text = f"Model: {info.name} v{info.version} · cached findings"
        else:
            text = f"Model: {info.name} v{info.version} · {device.upper()}"
        self.status_label.setText(text)
        if info is not None:  # who labelled the beats and scored the rest, as the reports and the JSON say it
            text += f"\nBeat labels: {info.beat_classifier.split(' (sha256')[0]}"
            if info.anomaly_classifier != ANOMALY_HEAD:
                text += f"\n12-lead anomaly: {info.anomaly_classifier.split(' (sha256')[0]}"
            if info.rhythm_classifier != NO_RHYTHM_TREES:
                text += f"\nRhythm verdict of short strips: {info.rhythm_classifier.split(' (sha256')[0]}"
        self.panel.set_model(text)
