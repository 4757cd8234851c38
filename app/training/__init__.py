"""The training panel: fine-tune the model on the user's own labelled recordings, locally, and compare before
and after. ``install_training(window)`` adds it to a :class:`~app.main_window.MainWindow` as
``window.training`` (a floating ``Training`` dock) with Model-menu actions: ``Fine-tune on my recordings…``
and ``Model version`` (the shipped default or one of the user's versions)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..window_api import WindowServices
    from .panel import TrainingPanel


def install_training(window: "WindowServices") -> "TrainingPanel":
    """Add the training dock and its Model-menu actions to ``window``; returns the panel."""
    from PySide6 import QtCore, QtGui

    from anyecg_model.model import versions

    from .panel import TrainingPanel

    panel = TrainingPanel(window)
    dock = window.add_dock("Training", panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    dock.hide()

    def show() -> None:
        dock.setFloating(True)
        dock.resize(980, 940)
        dock.show()
        dock.raise_()

    menu = window.menu("Model")
    menu.addSeparator()
    menu.addAction("&Fine-tune on my recordings…", show)
    version_menu = menu.addMenu("Model &version")

    def fill() -> None:
        version_menu.clear()
        group = QtGui.QActionGroup(version_menu)
        active = versions.active_version(panel.models_root)
        choices = [("Shipped default", "")] + [(v.label, v.label) for v in versions.list_versions(panel.models_root)]
        for text, label in choices:
            act = version_menu.addAction(text, lambda label=label: panel.use_version(label))
            act.setCheckable(True)
            act.setChecked(label == (active.label if active else ""))
            group.addAction(act)

    version_menu.aboutToShow.connect(fill)
    panel.dock = dock
    return window.register_feature("training", panel)
