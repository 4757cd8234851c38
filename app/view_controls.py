"""What the main window shows and where (:class:`ViewControls`, a part of :class:`~app.main_window.MainWindow`):
the view range kept in step between the strips, the overview bar and the 3 × 4 page; going to a time or to the
next annotation of a type; the display filter, the clinical 3 × 4 layout and its fit, the colour theme and
the screen calibration, each remembered in the viewer settings.
"""
from __future__ import annotations

from PySide6 import QtWidgets

from anyecg_model.signal.filters import PRESETS, RAW
from anyecg_model.timebase import TimeBase

from .dialogs import CalibrationDialog
from .navigation import find_annotation
from .settings import apply_theme
from .twelve_lead import is_standard_12lead


class ViewControls:
    """The view half of :class:`~app.main_window.MainWindow` (a mixin before its ``QMainWindow`` base, sharing
    its state: ``trace``, ``twelve_lead``, ``overview``, ``stack``, ``settings``, the toolbar's widgets)."""

    def _on_view_range(self, t0: float, t1: float) -> None:
        self.overview.set_view_rect(t0, t1)
        self.cursor_label.clear()  # the read-out was of the point under the pointer before the view moved
        if self.stack.currentWidget() is self.twelve_lead and not self._page_from_twelve_lead:
            self.twelve_lead.set_page_start(t0)
        self.viewRangeChanged.emit(t0, t1)

    def _on_twelve_lead_page(self, t0: float) -> None:
        self._page_from_twelve_lead = True
        try:
            self.trace.set_view(t0, t0 + self.trace.page_s())
        finally:
            self._page_from_twelve_lead = False

    def centre_on(self, t: float) -> None:
        t0, t1 = self.trace.view_range()
        half = (t1 - t0) / 2
        self.trace.set_view(t - half, t + half)

    def _goto_from_box(self) -> None:
        try:
            t = TimeBase.of(self.recording).parse(self.goto_box.text())  # as the axis and the panels write it
        except ValueError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return
        t0, t1 = self.trace.view_range()
        self.trace.set_view(t, t + (t1 - t0))
        self.trace.setFocus()

    def find_annotation(self, forward: bool) -> bool:
        """Centre the view on the next/previous annotation of the type chosen in the Find box."""
        if self.recording is None or not self.search_combo.currentText():
            return False
        t0, t1 = self.trace.view_range()
        centre = (t0 + t1) / 2 * self.recording.fs
        target = self.search_combo.currentText()
        hit = find_annotation(self.recording.annotations, target, centre + (0.5 if forward else -0.5), forward)
        if hit is None:
            self.statusBar().showMessage(f"No {'later' if forward else 'earlier'} annotation: {target}", 5000)
            return False
        self.centre_on(hit / self.recording.fs)
        return True

    def set_display_filter(self, name: str, notch_hz: float | None = None) -> None:
        filt = PRESETS.get(name, RAW).with_notch(notch_hz)
        self.trace.set_display_filter(filt)
        self.twelve_lead.set_filter(filt)
        self.filter_label.setText(f"Filter: {filt.label()}")
        self.filter_combo.blockSignals(True)
        self.filter_combo.setCurrentText(filt.name)
        self.filter_combo.blockSignals(False)
        self.settings.set("display/filter", filt.name)
        self.settings.set("display/notch", notch_hz or 0.0)

    def set_clinical_layout(self, on: bool) -> None:
        on = bool(on) and self.recording is not None and is_standard_12lead(self.recording)
        self.layout_action.setChecked(on)
        if on:
            self.twelve_lead.set_scale(self.trace.scale)
            self.twelve_lead.set_page_start(self.trace.view_range()[0])
        previous = self.stack.currentWidget()
        self.stack.setCurrentWidget(self.twelve_lead if on else self.trace)
        if previous is not self.stack.currentWidget():
            previous.calipers.set_mode(None)
            self._update_lod_label()
            self.cursor_label.clear()
            self.caliper_label.setText(self.calipers().reading())
        self.stack.currentWidget().setFocus()

    def calipers(self):
        """The caliper controller of the layout on screen (stacked strips or the 3 × 4 page)."""
        return self.stack.currentWidget().calipers

    def set_fit_3x4(self, on: bool) -> None:
        """Fit the 3 × 4 page to the window (remembered) or draw it at the calibrated paper size."""
        self.twelve_lead.set_fit(on)
        self.fit_action.setChecked(bool(on))
        self.settings.set("display/fit_3x4", "true" if on else "false")

    def set_theme(self, name: str) -> None:
        colours = apply_theme(QtWidgets.QApplication.instance(), name)
        self.theme = name
        self.trace.apply_colours(colours)
        self.twelve_lead.apply_colours(colours)
        self.overview.apply_colours(colours.background, colours.text)
        self.settings.set("display/theme", name)

    def calibrate(self) -> None:
        dlg = CalibrationDialog(self.trace.scale.dpi, self)
        if dlg.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.trace.set_dpi(dlg.value())
            self.twelve_lead.set_scale(self.trace.scale)
            self.settings.set("display/dpi", dlg.value())

    def _save_scale(self) -> None:
        self.settings.set("display/speed", self.trace.scale.speed_mm_s)
        self.settings.set("display/gain", self.trace.gain_mm_mv())
