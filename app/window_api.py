"""What a viewer feature may use of the main window: :class:`WindowServices`, the small documented API that
:class:`~app.main_window.MainWindow` offers the packages it installs (export, model, editing, training,
families, the file notice and the demo bar). A feature is given the window, reads only what is listed here and
adds itself with :meth:`WindowServices.register_feature`; a feature that works with another one reads that
one's typed attribute (``window.model``, ``window.editing``, …), which is None until it is installed — never
an attribute probe. Features reach the trace view only through :class:`~app.trace_view.TraceView`'s public
methods (``tests/app/test_window_api.py`` keeps it so).

The main window installs the features in the order of :data:`FEATURES`, so a feature may use those before it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6 import QtCore, QtWidgets

if TYPE_CHECKING:
    from anyecg_model.io.recording import Recording

    from .demo_banner import DemoBar
    from .editing.ui import EditingUI
    from .export.controller import ExportController
    from .families.panel import FamiliesPanel
    from .file_notice import FileNoticeBar
    from .leads_panel import LeadsPanel
    from .model.controller import ModelController
    from .overview import OverviewBar
    from .settings import ViewerSettings
    from .trace_view import TraceView
    from .training.panel import TrainingPanel
    from .twelve_lead import TwelveLeadView

#: The features, in the order the main window installs them (each attribute None until then).
FEATURES = ("export", "model", "editing", "training", "file_notice", "families", "demo_bar")

F = TypeVar("F")


class WindowServices(Protocol):
    """The main window as its features see it.

    Views and state: ``settings`` (:class:`~app.settings.ViewerSettings`), ``recording`` (the open
    :class:`~anyecg_model.io.recording.Recording` or None), ``trace`` (the stacked strips), ``overview`` (the
    bar under them), ``twelve_lead`` (the 3 × 4 page), ``leads_panel``, ``beat_filter_menu`` (View ▸ Show beat
    types: one checkable action per reference beat code of the open recording).

    Signals: ``recordingOpened(Recording)``, ``recordingClosed()``, ``viewRangeChanged(t0_s, t1_s)``.

    Features (None until installed, see :data:`FEATURES`): ``export``, ``model``, ``editing``, ``training``,
    ``file_notice``, ``families``, ``demo_bar``. ``training`` (a dock hidden at start) is built on first use: its
    actions or View ▸ Panels (``app.training.training_panel(window)`` builds it at once when needed).
    """

    settings: "ViewerSettings"
    recording: "Recording | None"
    trace: "TraceView"
    overview: "OverviewBar"
    twelve_lead: "TwelveLeadView"
    leads_panel: "LeadsPanel"
    beat_filter_menu: QtWidgets.QMenu
    recordingOpened: QtCore.SignalInstance
    recordingClosed: QtCore.SignalInstance
    viewRangeChanged: QtCore.SignalInstance

    export: "ExportController | None"
    model: "ModelController | None"
    editing: "EditingUI | None"
    training: "TrainingPanel | None"
    file_notice: "FileNoticeBar | None"
    families: "FamiliesPanel | None"
    demo_bar: "DemoBar | None"

    def menu(self, name: str) -> QtWidgets.QMenu:
        """The top-level menu ``name`` (``File``, ``View``, ``Navigate``, ``Tools``, ``Model`` or ``Help``)."""

    def add_dock(self, title: str, widget: QtWidgets.QWidget,
                 area: QtCore.Qt.DockWidgetArea = ...) -> QtWidgets.QDockWidget:
        """``widget`` in a dock (listed in View ▸ Panels)."""

    def add_banner(self, widget: QtWidgets.QWidget) -> None:
        """``widget`` as a bar over the traces (the file notice, the demo bar)."""

    def statusBar(self) -> QtWidgets.QStatusBar:
        """The status bar (messages, permanent labels)."""

    def menuBar(self) -> QtWidgets.QMenuBar:
        """The menu bar (a feature's own top-level menu, e.g. Annotate, goes before Help)."""

    def tabifyDockWidget(self, first: QtWidgets.QDockWidget, second: QtWidgets.QDockWidget) -> None:
        """Stack ``second`` on ``first`` as tabs (``QMainWindow``'s)."""

    def installEventFilter(self, watcher: QtCore.QObject) -> None:
        """Let ``watcher`` see the window's events, e.g. its closing (``QObject``'s)."""

    def open_path(self, path: str) -> bool:
        """Open a file; False (and a message) when it cannot be read."""

    def open_demo(self, which: str) -> None:
        """Open a built-in demo (``12lead`` or ``holter``)."""

    def centre_on(self, t: float) -> None:
        """Centre the view on ``t`` s, keeping its width."""

    def register_feature(self, name: str, feature: F) -> F:
        """Make ``feature`` the window's ``name`` (one of :data:`FEATURES`); returns it."""
