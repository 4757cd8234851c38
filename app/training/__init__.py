"""The training panel: fine-tune the model on the user's own labelled recordings, locally, and compare before
and after. ``install_training(window)`` adds the Model-menu actions to a :class:`~app.main_window.MainWindow`
(``Fine-tune on my recordings…`` and ``Model version``: the shipped default or one of the user's versions);
the panel itself (``window.training``, a floating ``Training`` dock, hidden at start) is built by
:func:`training_panel` when first needed (its actions, View ▸ Panels), so neither opening a file nor the first
scroll steps wait for the training modules (issue 19: first paint ≤ 1 s, 16 ms per step)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..window_api import WindowServices
    from .panel import TrainingPanel


def install_training(window: "WindowServices") -> None:
    """Add the Model-menu actions of fine-tuning to ``window``; each builds the panel on first use."""
    from PySide6 import QtGui

    menu = window.menu("Model")
    menu.addSeparator()
    menu.addAction("&Fine-tune on my recordings…", lambda: show_training(window))
    version_menu = menu.addMenu("Model &version")

    def fill() -> None:
        from anyecg_model.model import versions

        panel = training_panel(window)
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


def training_panel(window: "WindowServices") -> "TrainingPanel":
    """``window.training``, built (in a hidden dock) the first time it is asked for; idempotent."""
    if window.training is not None:
        return window.training
    from PySide6 import QtCore

    from .panel import TrainingPanel

    panel = TrainingPanel(window)
    panel.dock = window.add_dock("Training", panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
    panel.dock.hide()
    return window.register_feature("training", panel)


def show_training(window: "WindowServices") -> "TrainingPanel":
    """Show the training panel as a floating dock (building it first if needed); returns the panel."""
    panel = training_panel(window)
    panel.dock.setFloating(True)
    panel.dock.resize(980, 940)
    panel.dock.show()
    panel.dock.raise_()
    return panel
