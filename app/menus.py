"""Menus and toolbar of the main window (the viewer core's entries; other panels add their own)."""
from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from anyecg_model.signal.filters import PRESETS

from .paper import GAINS_MM_MV, SPEEDS_MM_S
from .settings import THEMES


def build_toolbar(win) -> None:
    """The navigation toolbar: go-to-time box, annotation search, display filter."""
    tb = win.addToolBar("Navigation")
    tb.setObjectName("navigation_toolbar")
    tb.addWidget(QtWidgets.QLabel(" Go to "))
    win.goto_box = QtWidgets.QLineEdit()
    win.goto_box.setPlaceholderText("h:mm:ss")
    win.goto_box.setMaximumWidth(110)
    win.goto_box.returnPressed.connect(win._goto_from_box)
    tb.addWidget(win.goto_box)
    tb.addSeparator()
    tb.addWidget(QtWidgets.QLabel(" Find "))
    win.search_combo = QtWidgets.QComboBox()
    win.search_combo.setMinimumWidth(220)
    tb.addWidget(win.search_combo)
    tb.addAction("◀ Previous", lambda: win.find_annotation(False))
    tb.addAction("Next ▶", lambda: win.find_annotation(True))
    tb.addSeparator()
    tb.addWidget(QtWidgets.QLabel(" Filter "))
    win.filter_combo = QtWidgets.QComboBox()
    win.filter_combo.addItems(list(PRESETS))
    win.filter_combo.currentTextChanged.connect(lambda name: win.set_display_filter(name, win.trace.display_filter().notch_hz))
    tb.addWidget(win.filter_combo)

def build_menus(win) -> None:
    """File, View, Navigate, Tools and Help entries of the viewer core."""
    f = win.menu("File")
    f.addAction("&Open…", win.open_dialog, QtGui.QKeySequence.StandardKey.Open)
    win.recent_menu = f.addMenu("Open &recent")
    win._refresh_recent()
    demos = f.addMenu("Open &demo")
    demos.addAction("12-lead resting ECG (real, DICOM)", lambda: win.open_demo("12lead"))
    demos.addAction("6-hour Holter (SYNTHETIC demo data)", lambda: win.open_demo("holter"))
    f.addAction("&Reload", win.reload, QtGui.QKeySequence("Ctrl+R"))
    f.addAction("&Close", win.close_recording, QtGui.QKeySequence.StandardKey.Close)
    f.addSeparator()
    f.addAction("&Quit", win.close, QtGui.QKeySequence.StandardKey.Quit)

    v = win.menu("View")
    speed = v.addMenu("Paper &speed")
    for mm in SPEEDS_MM_S:
        speed.addAction(f"{mm:g} mm/s", lambda mm=mm: win.trace.set_speed(mm))
    gain = v.addMenu("&Gain")
    for g in GAINS_MM_MV:
        gain.addAction(f"{g:g} mm/mV", lambda g=g: win.trace.set_gain(g))
    win.layout_action = v.addAction("Clinical 3 × 4 layout")
    win.layout_action.setCheckable(True)
    # triggered(checked) carries the new check state (a bare callable would be called without it)
    win.layout_action.triggered.connect(lambda checked: win.set_clinical_layout(checked))
    win.layout_action.setShortcut(QtGui.QKeySequence("Ctrl+L"))
    win.fit_action = v.addAction("Fit 3 × 4 to window")
    win.fit_action.setCheckable(True)
    win.fit_action.setChecked(win.twelve_lead.fit)
    win.fit_action.triggered.connect(lambda checked: win.set_fit_3x4(checked))
    rhythm = v.addMenu("3 × 4 rhythm strip lead")
    for name in ("II", "V1", "V5", "I", "aVF"):
        rhythm.addAction(name, lambda name=name: win.twelve_lead.set_rhythm_lead(name))
    filt = v.addMenu("Display &filter")
    for name in PRESETS:
        filt.addAction(PRESETS[name].label(), lambda name=name: win.set_display_filter(name, win.trace.display_filter().notch_hz))
    notch = v.addMenu("Mains &notch")
    for hz in (None, 50.0, 60.0):
        notch.addAction("Off" if hz is None else f"{hz:g} Hz",
                        lambda hz=hz: win.set_display_filter(win.trace.display_filter().name, hz))
    win.beat_filter_menu = v.addMenu("Show beat &types")
    theme = v.addMenu("&Theme")
    for name in THEMES:
        theme.addAction(name.title(), lambda name=name: win.set_theme(name))
    v.addAction("Screen &calibration…", win.calibrate)

    n = win.menu("Navigate")
    n.addAction("Go to time…", lambda: (win.goto_box.setFocus(), win.goto_box.selectAll()), QtGui.QKeySequence("Ctrl+G"))
    n.addAction("Next annotation of type", lambda: win.find_annotation(True), QtGui.QKeySequence("Ctrl+]"))
    n.addAction("Previous annotation of type", lambda: win.find_annotation(False), QtGui.QKeySequence("Ctrl+["))
    n.addAction("Start of recording (Home)", lambda: win.trace.set_view(0.0, win.trace.page_s()))

    t = win.menu("Tools")
    # calipers work on the layout on screen: the stacked strips or the 3 × 4 page
    t.addAction("&Time caliper", lambda: win.calipers().set_mode("time"), QtGui.QKeySequence("Ctrl+T"))
    t.addAction("&Amplitude caliper", lambda: win.calipers().set_mode("amplitude"), QtGui.QKeySequence("Ctrl+Shift+T"))
    march = t.addAction("&March-out")
    march.setCheckable(True)
    march.triggered.connect(lambda on: (win.trace.calipers.set_march_out(on), win.twelve_lead.calipers.set_march_out(on)))
    t.addAction("&Clear calipers", lambda: (win.calipers().clear(), win.calipers().set_mode(None)))

    h = win.menu("Help")
    h.addAction("&Keys", win._show_keys)
