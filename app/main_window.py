"""``MainWindow``: composes the trace view, the overview bar, docks, menus and the status bar.

The features (export, model overlay, editing, training, families, …) use the window only through
:class:`~app.window_api.WindowServices`: the views (``trace``, ``overview``, ``twelve_lead``), ``recording``,
``settings``, ``menu(name)``, ``add_dock(title, widget, area)`` (its content in a scroll area, so a tall panel
never sets the window's minimum height; listed in View ▸ Panels), ``add_banner(widget)``, the signals
``recordingOpened(Recording)``, ``recordingClosed()``, ``viewRangeChanged(t0_s, t1_s)``, and each other through
the typed feature attributes that :meth:`MainWindow.register_feature` sets.

Opening a file: ``open_path(path)`` (dialog, drag and drop, recent files and the command line all go
through it) or ``set_recording(recording)`` for a recording built in memory. What the view shows and where
(filter, 3 × 4 layout, theme, calibration, go-to, find) is :class:`~app.view_controls.ViewControls`'s part.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.demo import SYNTHETIC_FORMAT, SYNTHETIC_LABEL
from anyecg_model.io.recording import Recording, RecordingError
from anyecg_model.timebase import TimeBase, hms

from .dialogs import show_message
from .docks import DockLayout, scrolling
from .lanes import BandLaneItem, BeatLaneItem
from .leads_panel import LeadsPanel
from .menus import build_menus, build_toolbar
from .navigation import search_targets
from .overview import OverviewBar
from .paper import PaperScale
from .resting_header import RestingHeader
from .settings import THEMES, ViewerSettings, apply_theme
from .trace_view import TraceView
from .twelve_lead import TwelveLeadView, is_standard_12lead
from .view_controls import ViewControls
from .window_api import FEATURES
from .workers import HeartRateWorker, PyramidBuilder

log = logging.getLogger(__name__)

MENU_NAMES = ("File", "View", "Navigate", "Tools", "Model", "Help")
#: Records at least this long get the overview bar and its heart-rate lane (s).
HR_LANE_MIN_S = 60.0
#: The pyramid and heart-rate workers start after the first paint, or after this many ms when none came (hidden trace).
BACKGROUND_START_MS = 1000
#: A standard 12-lead at most this long (s) opens in the clinical 3 × 4 layout (setting ``display/auto_3x4``).
RESTING_ECG_MAX_S = 12.0
#: The status bar says the traces are decimated only above this many samples per pixel column.
DECIMATION_NOTICE_SPP = 4.0
FILE_FILTER = ("ECG files (*.hea *.dat *.edf *.bdf *.dcm *.xml *.scp *.csv *.mat *.npy *.json);;All files (*)")


class MainWindow(ViewControls, QtWidgets.QMainWindow):
    """The viewer's window; implements :class:`~app.window_api.WindowServices` for its features."""

    recordingOpened = QtCore.Signal(object)
    recordingClosed = QtCore.Signal()
    viewRangeChanged = QtCore.Signal(float, float)

    # the features (app/window_api.py FEATURES), None until installed
    export = model = editing = training = file_notice = families = demo_bar = None

    def __init__(self, settings: ViewerSettings | None = None):
        super().__init__()
        self.settings = settings or ViewerSettings.default()
        self.recording: Recording | None = None
        self._pyramid_builder: PyramidBuilder | None = None
        self._hr_worker: HeartRateWorker | None = None
        self._background_pending: Recording | None = None
        self._read_error_shown = False
        self._page_from_twelve_lead = False
        self.last_message: QtWidgets.QMessageBox | None = None
        s = self.settings
        scale = PaperScale(s.get_float("display/dpi", self._screen_dpi()), s.get_float("display/speed", 25.0),
                           s.get_float("display/gain", 10.0))
        self.theme = s.get_str("display/theme", "light") if s.get_str("display/theme", "light") in THEMES else "light"
        colours = apply_theme(QtWidgets.QApplication.instance(), self.theme)
        self.trace = TraceView(scale=scale, colours=colours)
        self.twelve_lead = TwelveLeadView(scale=scale, colours=colours)
        self.twelve_lead.draw_when_shown = True
        self.twelve_lead.set_fit(s.get_str("display/fit_3x4", "true") == "true")
        self.overview = OverviewBar()
        self.overview.apply_colours(colours.background, colours.text)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.trace)
        self.stack.addWidget(self.twelve_lead)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.header = RestingHeader()
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.overview)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)
        self._menus: dict[str, QtWidgets.QMenu] = {n: self.menuBar().addMenu(f"&{n}") for n in MENU_NAMES}
        self._panels_menu = self._menus["View"].addMenu("Panels")
        self.leads_panel = LeadsPanel(self.trace)
        self.leads_dock = self.add_dock("Leads", self.leads_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self.docks = DockLayout(self, self.leads_dock)
        self._build_status_bar()
        build_toolbar(self)
        build_menus(self)
        self.watcher = QtCore.QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_file_changed)
        self.trace.viewRangeChanged.connect(self._on_view_range)
        self.trace.mouseHovered.connect(self._on_hover)
        self.trace.readFailed.connect(self._on_read_failed)
        self.trace.scaleChanged.connect(self._save_scale)
        self.trace.rendered.connect(self._update_lod_label)
        self.trace.rendered.connect(self._start_background)
        self.trace.calipers.changed.connect(self.caliper_label.setText)
        self.twelve_lead.calipers.changed.connect(self.caliper_label.setText)
        self.twelve_lead.mouseHovered.connect(self._on_hover)
        self.twelve_lead.viewRangeChanged.connect(lambda *_: self.cursor_label.clear())
        self.overview.timeClicked.connect(self.centre_on)
        self.twelve_lead.pageChanged.connect(self._on_twelve_lead_page)
        self.set_display_filter(s.get_str("display/filter", "Raw"), s.get_float("display/notch", 0.0) or None)
        geom = self.settings.qsettings.value("window/geometry")
        if geom is not None:
            self.restoreGeometry(geom)
        else:
            self.resize(1600, 900)
        self._update_title()
        from .export import install_export  # File ▸ Export image…, Copy view, Print reports (app/export)

        install_export(self)
        from .model import install_model  # Model dock, overlays and the analysis worker (app/model)

        install_model(self)
        from .editing import install_editing  # Annotate menu, edit mode, review queue, journal (app/editing)

        install_editing(self)
        from .training import install_training  # Model ▸ Fine-tune on my recordings…, Model version (app/training)

        install_training(self)  # its panel is built on first use (its actions, View ▸ Panels), never before
        from .file_notice import install_file_notice  # a truncated or repaired file says so over the traces

        install_file_notice(self)
        from .families import install_families  # Families dock: beats grouped by shape (app/families)

        install_families(self)
        from .demo_banner import install_demo_bar  # what a built-in demo is, and the other one a click away

        install_demo_bar(self)
        self._panels_menu.aboutToShow.connect(self._install_on_demand)  # lists every panel, the unbuilt too

    # ------------------------------------------------------------------ extension API
    def menu(self, name: str) -> QtWidgets.QMenu:
        """The top-level menu ``name`` (one of :data:`MENU_NAMES`)."""
        return self._menus[name]

    def add_dock(self, title: str, widget: QtWidgets.QWidget,
                 area: QtCore.Qt.DockWidgetArea = QtCore.Qt.DockWidgetArea.RightDockWidgetArea) -> QtWidgets.QDockWidget:
        """Wrap ``widget`` in a dock at ``area``; its toggle appears in View ▸ Panels."""
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{title}")
        dock.setWidget(scrolling(widget))
        self.addDockWidget(area, dock)
        self._panels_menu.addAction(dock.toggleViewAction())
        return dock

    def add_banner(self, widget: QtWidgets.QWidget) -> None:
        """Put ``widget`` as a bar over the traces (the latest on top)."""
        self.centralWidget().layout().insertWidget(0, widget)

    def register_feature(self, name: str, feature):
        """Make ``feature`` the window's ``name`` (one of :data:`~app.window_api.FEATURES`); returns it."""
        if name not in FEATURES:
            raise ValueError(f"unknown window feature {name!r} (one of {', '.join(FEATURES)})")
        setattr(self, name, feature)
        return feature

    def is_compact(self) -> bool:
        """True while the right-hand panels share one tabbed dock (a short window, :mod:`app.docks`)."""
        return self.docks.compact

    # ------------------------------------------------------------------ building
    @staticmethod
    def _screen_dpi() -> float:
        screen = QtGui.QGuiApplication.primaryScreen()
        return float(screen.physicalDotsPerInch()) if screen is not None else 96.0

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.cursor_label = QtWidgets.QLabel("")
        self.caliper_label = QtWidgets.QLabel("")
        self.filter_label = QtWidgets.QLabel("")
        self.lod_label = QtWidgets.QLabel("")
        sb.addWidget(self.cursor_label, 1)
        sb.addWidget(self.caliper_label)
        sb.addPermanentWidget(self.lod_label)
        sb.addPermanentWidget(self.filter_label)

    # ------------------------------------------------------------------ opening and closing
    def open_dialog(self) -> None:
        start = self.settings.get_str("files/last_dir", str(Path.home()))
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open ECG recording", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike) -> bool:
        """Open a file with the registered readers; on failure show the reader's message and keep the window."""
        from anyecg_model.io import open_recording

        path = str(path)
        try:
            recording = open_recording(path)
        except (RecordingError, OSError, ValueError) as exc:
            self._message("Cannot open recording", f"Cannot open {path}:\n\n{exc}")
            self.statusBar().showMessage(f"Cannot open {path}", 10000)
            return False
        self.settings.set("files/last_dir", str(Path(path).parent))
        self.settings.add_recent(path)
        self._refresh_recent()
        self.set_recording(recording)
        return True

    def open_demo(self, which: str) -> None:
        from anyecg_model import demo

        if which != "12lead":
            self.statusBar().showMessage("Opening the synthetic Holter (generated on first use, a few seconds)…")
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            rec = demo.demo_12lead() if which == "12lead" else demo.synthetic_holter()
        except (RecordingError, OSError) as exc:
            self._message("Cannot open demo", str(exc))
            return
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()
        self.set_recording(rec)

    def reload(self) -> None:
        if self.recording is not None and os.path.exists(self.recording.path):
            t0, t1 = self.trace.view_range()
            if self.open_path(self.recording.path):
                self.trace.set_view(t0, t1)

    def set_recording(self, recording: Recording) -> None:
        """Show ``recording``: traces, overview, lanes; build the pyramid and heart-rate lane in the background."""
        self.close_recording()
        self.recording = recording
        self._read_error_shown = False
        self.trace.set_recording(recording)
        self.overview.set_duration(recording.duration_s)
        self.overview.setVisible(recording.duration_s >= HR_LANE_MIN_S)
        self.twelve_lead.set_recording(recording)
        self.layout_action.setEnabled(is_standard_12lead(recording))
        # a resting 12-lead opens the way it is printed: 3 × 4 with a rhythm strip (View ▸ to switch)
        resting = is_standard_12lead(recording) and recording.duration_s <= RESTING_ECG_MAX_S
        self.set_clinical_layout(resting and self.settings.get_str("display/auto_3x4", "true") == "true")
        self.header.set_recording(recording if recording.duration_s <= RESTING_ECG_MAX_S else None)
        self.leads_panel.refresh()
        self._add_annotation_lanes(recording)
        self.search_combo.clear()
        self.search_combo.addItems(search_targets(recording.annotations))
        if os.path.isfile(recording.path):
            self.watcher.addPath(recording.path)
        # the pyramid and the heart-rate lane start once the first window is on screen (or after a second at
        # most): their reads and reductions on other threads would take the GIL and a core from the first paint
        self._background_pending = recording
        QtCore.QTimer.singleShot(BACKGROUND_START_MS, self._start_background)
        for plot in (self.trace.plot, self.overview.plot):  # the trace's and the overview's time axes
            plot.getPlotItem().getAxis("bottom").set_timebase(TimeBase.of(recording))
        self._update_title()
        self.recordingOpened.emit(recording)
        self.trace.setFocus()

    def _start_background(self) -> None:
        """Start building the pyramid and the heart-rate lane of the recording opened last (once)."""
        recording, self._background_pending = self._background_pending, None
        if recording is None or recording is not self.recording:
            return
        self._pyramid_builder = PyramidBuilder(recording, self)
        self._pyramid_builder.progress.connect(lambda f: self.lod_label.setText(f"building overview {f:.0%}"))
        self._pyramid_builder.built.connect(self._on_pyramid)
        self._pyramid_builder.failed.connect(lambda msg: self.statusBar().showMessage(f"Level-of-detail: {msg}", 10000))
        self._pyramid_builder.start()
        if recording.duration_s >= HR_LANE_MIN_S:
            self._hr_worker = HeartRateWorker(recording, 0, self)
            self._hr_worker.result.connect(self._on_heart_rate)
            self._hr_worker.failed.connect(lambda msg: self.statusBar().showMessage(msg, 10000))
            self._hr_worker.start()

    def _install_on_demand(self) -> None:
        """Build the panels that are hidden until used (the training panel), e.g. for View ▸ Panels to list them.

        Not built after the first paint: its ~100 ms of imports and widgets on the GUI thread (or a full
        collection after them) landed in the user's first scroll steps, a Families job or the analysis
        (10-s scroll p95 41 ms, a 50-ms gap while analysing, 120-170 ms while grouping; 2026-12-07)."""
        from .training import training_panel

        training_panel(self)

    def close_recording(self) -> None:
        self._background_pending = None
        if self.recording is None:
            return
        for worker in (self._pyramid_builder, self._hr_worker):
            if worker is not None:
                worker.cancel()
        self._pyramid_builder = self._hr_worker = None
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
        self.trace.set_recording(None)
        self.twelve_lead.set_recording(None)
        self.twelve_lead.calipers.clear()
        self.header.set_recording(None)
        self.cursor_label.clear()
        self.overview.set_duration(1.0)
        self.recording = None
        self.leads_panel.refresh()
        self._update_title()
        self.recordingClosed.emit()

    def _add_annotation_lanes(self, rec: Recording) -> None:
        ann = rec.annotations
        beats = ann.beats()
        self.beat_filter_menu.clear()
        if len(beats):
            lane = BeatLaneItem("beats", beats.sample / rec.fs, beats.symbol)
            self.trace.add_lane("beats", lane)
            codes = sorted(set(beats.symbol))
            actions = []
            for code in codes:
                act = self.beat_filter_menu.addAction(code)
                act.setCheckable(True)
                act.setChecked(True)
                actions.append(act)

            def apply_filter(*_):
                lane.set_filter({a.text() for a in actions if a.isChecked()})

            for act in actions:
                act.toggled.connect(apply_filter)
        episodes = ann.rhythm_episodes(rec.n_samples)
        if episodes:
            starts = np.array([e[0] for e in episodes]) / rec.fs
            stops = np.array([e[1] for e in episodes]) / rec.fs
            labels = [e[2] for e in episodes]
            self.trace.add_lane("rhythm", BandLaneItem("rhythm", starts, stops, labels))
            self.overview.add_lane("rhythm", np.stack([starts, stops], axis=1), labels, kind="bands")

    # ------------------------------------------------------------------ workers' results
    def _on_pyramid(self, pyramid) -> None:
        self.trace.set_pyramid(pyramid)
        self.lod_label.setText("")

    def _on_heart_rate(self, times, bpm, source: str) -> None:
        if self.recording is None or len(times) == 0:
            return
        n_bins = int(min(2000, max(10, self.recording.duration_s // 10)))
        edges = np.linspace(0, self.recording.duration_s, n_bins + 1)
        idx = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, n_bins - 1)
        sums = np.bincount(idx, weights=bpm, minlength=n_bins)
        counts = np.bincount(idx, minlength=n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        self.overview.add_lane("HR bpm", (edges[:-1] + edges[1:]) / 2, mean, kind="line")
        self.overview.setToolTip(f"Heart rate from {source}")

    # ------------------------------------------------------------------ read-outs
    def _on_hover(self, t: float, lead: int, mv: float) -> None:
        if self.recording is None or lead < 0:
            return
        when = TimeBase.of(self.recording).at(t, 3)
        self.cursor_label.setText(f"{when}   {self.recording.leads[lead].name}   {mv:+.3f} mV")

    def _update_lod_label(self) -> None:
        if self.trace.is_waiting_for_pyramid():
            self.lod_label.setText("zoomed out: waiting for the overview to build")
        elif self.stack.currentWidget() is not self.trace:
            self.lod_label.setText("")  # the 3 × 4 page draws every sample
        elif self._pyramid_builder is None or self.trace.has_pyramid():
            # a min/max of a few samples per pixel draws as every sample does: say so only when it compresses
            spp = self.trace.samples_per_px()
            text = f"decimated (min/max of {spp:.0f} samples per pixel)" \
                if self.trace.is_decimated() and spp > DECIMATION_NOTICE_SPP else ""
            if self.trace.is_from_pyramid() and not self.trace.display_filter().is_identity:
                text += ", filter off at this zoom"
            self.lod_label.setText(text)

    def _update_title(self) -> None:
        if self.recording is None:
            self.setWindowTitle("AnyECG Workstation")
            return
        rec = self.recording
        name = f"synthetic Holter demo — {SYNTHETIC_LABEL}" if rec.format == SYNTHETIC_FORMAT else Path(rec.path).name
        self.setWindowTitle(f"{name} — {len(rec.leads)} lead{'' if len(rec.leads) == 1 else 's'}, {hms(rec.duration_s)} — AnyECG Workstation")

    # ------------------------------------------------------------------ bad input and files on disk
    def _message(self, title: str, text: str, error: bool = True) -> None:
        self.last_message = show_message(self, title, text, error=error)

    def _on_read_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        if not self._read_error_shown:
            self._read_error_shown = True
            self._message("Cannot read recording", f"{message}\n\nThe window stays open; reopen the file when it is available.")

    def _on_file_changed(self, path: str) -> None:
        if self.recording is None or path != self.recording.path:
            return
        if not os.path.exists(path):
            text = (f"{path} was deleted or moved on disk.\n\nWhat is on screen stays; parts not yet read "
                    "cannot be shown until the file is back (File ▸ Reload).")
        else:
            # a memory-mapped file rewritten in place must not be read again until it is reopened
            self._background_pending = None
            for worker in (self._pyramid_builder, self._hr_worker):
                if worker is not None:
                    worker.cancel()
            self.trace.detach_source()
            text = (f"{path} changed on disk.\n\nThe view shows the file as it was and stops reading it; "
                    "use File ▸ Reload to see the new contents.")
            self.watcher.addPath(path)
        self.statusBar().showMessage(text.splitlines()[0], 15000)
        self._message("Recording changed on disk", text, error=False)

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files():
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))

    def _show_keys(self) -> None:
        self._message("Keys", "←/→ quarter page (Shift: a page) · PgUp/PgDn page · Home/End\n"
                      "Ctrl+wheel zoom time · wheel scroll · +/- gain · Ctrl+= / Ctrl+- zoom time\n"
                      "Ctrl+T time caliper · Ctrl+Shift+T amplitude caliper · arrows nudge · Esc leaves caliper mode\n"
                      "Ctrl+G go to time · Ctrl+] / Ctrl+[ next/previous annotation of the chosen type\n"
                      "3 × 4 page (Ctrl+L): ←/→ a column, PgUp/PgDn a page; calipers measure on the panel they start in",
                      error=False)

    # ------------------------------------------------------------------ Qt events
    def resizeEvent(self, ev: QtGui.QResizeEvent) -> None:
        super().resizeEvent(ev)
        if self.isVisible():
            self.docks.fit_height(ev.size().height())

    def showEvent(self, ev: QtGui.QShowEvent) -> None:
        super().showEvent(ev)
        self.docks.fit_height(self.height())  # sized before it was shown (restored geometry)

    def dragEnterEvent(self, ev: QtGui.QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls():
            ev.acceptProposedAction()

    def dropEvent(self, ev: QtGui.QDropEvent) -> None:
        urls = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])
            ev.acceptProposedAction()

    def closeEvent(self, ev: QtGui.QCloseEvent) -> None:
        self.settings.set("window/geometry", self.saveGeometry())
        self.close_recording()
        self.header.shutdown()
        self.trace.set_recording(None)
        super().closeEvent(ev)
