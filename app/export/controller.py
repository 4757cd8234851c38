"""``ExportController``: the export actions of a ``MainWindow`` (File ▸ Export image…, Copy view to
clipboard, Print 12-lead / Holter report…) and the functions behind them, callable from tests.

Errors (span too long, DPI too high, unwritable file) are shown in a message box and the status bar;
nothing raises into the event loop. Reports and span images are made in background threads. The dialog, the
image painters, the workers and the report's findings are imported on first use: opening a file does not wait
for them (issue 19).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.io.recording import RecordingError
from anyecg_model.demo import SYNTHETIC_FORMAT, SYNTHETIC_LABEL
from anyecg_model.timebase import TimeBase

from ..dialogs import show_message
from ..paper import badge_text

if TYPE_CHECKING:
    from anyecg_model.report import GeneratedSegment, ReportFindings

    from .dialog import ExportDialog
    from .report_worker import ReportWorker
    from .span_image import SpanSpec
    from .span_worker import SpanWorker
    from .view_image import ImageOptions


#: Setting that remembers the folder the last report was saved in.
REPORT_DIR_KEY = "files/report_dir"


class ExportController(QtCore.QObject):
    """Owns the export actions of ``window`` and the report workers it starts."""

    reportWritten = QtCore.Signal(str)
    spanExported = QtCore.Signal(object)

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.window = window
        self.workers: list[QtCore.QThread] = []
        self.last_message: QtWidgets.QMessageBox | None = None
        menu = window.menu("File")
        # insert before "Quit" (the last action) so the menu keeps its order
        anchor = menu.actions()[-1] if menu.actions() else None
        self.export_action = QtGui.QAction("&Export image…", self, shortcut=QtGui.QKeySequence("Ctrl+E"),
                                           triggered=self.open_dialog)
        self.copy_action = QtGui.QAction("&Copy view to clipboard", self,
                                         shortcut=QtGui.QKeySequence("Ctrl+Shift+C"), triggered=self.copy_view)
        self.report12_action = QtGui.QAction("Print 12-lead &report (PDF)…", self,
                                             triggered=lambda: self.ask_report("12lead"))
        self.holter_action = QtGui.QAction("Print &Holter summary (PDF)…", self,
                                           triggered=lambda: self.ask_report("holter"))
        for action in (self.export_action, self.copy_action, self.report12_action, self.holter_action):
            menu.insertAction(anchor, action)
        menu.insertSeparator(anchor)
        window.recordingOpened.connect(lambda *_: self._enable(True))
        window.recordingClosed.connect(lambda: self._enable(False))
        self._enable(window.recording is not None)

    def _enable(self, on: bool) -> None:
        for action in (self.export_action, self.copy_action, self.report12_action, self.holter_action):
            action.setEnabled(on)

    # ------------------------------------------------------------------ what is on screen
    def current_view(self) -> QtWidgets.QWidget:
        """The trace view or the 3 × 4 view, whichever the window shows."""
        return self.window.stack.currentWidget()

    def caption(self) -> str:
        """``record · 22:01:00–22:01:10 · 25 mm/s · 10 mm/mV`` for the view on screen (clock time, else elapsed)."""
        rec = self.window.recording
        trace = self.window.trace
        t0, t1 = trace.view_range()
        view = self.current_view()
        if view is trace:
            scale = badge_text(trace.speed_mm_s(), trace.gain_mm_mv())
        else:
            scale = badge_text(view.scale.speed_mm_s, view.scale.gain_mm_mv)
            t0, t1 = view.t0, view.t0 + 10.0
        return f"{self.record_name()} · {TimeBase.of(rec).span(t0, t1)} · {scale}"

    def record_name(self) -> str:
        """File name of the open recording, marked when it is synthetic."""
        rec = self.window.recording
        if rec is None:
            return ""
        return Path(rec.path).name + (f" ({SYNTHETIC_LABEL})" if rec.format == SYNTHETIC_FORMAT else "")

    def span_spec(self, t0: float, t1: float) -> SpanSpec:
        """A span with the trace view's leads, order, inversion, speed, gain, filter and colours."""
        from .span_image import SpanSpec

        trace = self.window.trace
        return SpanSpec(t0, t1, tuple(trace.visible_leads()),
                        frozenset(i for i in trace.lead_order() if trace.is_inverted(i)),
                        speed_mm_s=trace.scale.speed_mm_s, gain_mm_mv=trace.gain_mm_mv(),
                        filt=trace.display_filter(), colours=trace.colours)

    # ------------------------------------------------------------------ exports
    def export_view(self, path: str | Path, options: ImageOptions) -> Path | None:
        from .view_image import save_view

        return self._guard(lambda: save_view(self.current_view(), path, options, self.caption()), path)

    def export_span(self, t0: float, t1: float, options: ImageOptions, path: str | Path | None = None
                    ) -> SpanWorker | None:
        """Paint ``[t0, t1]`` s in the background, into ``path`` or (None) onto the clipboard.

        ``spanExported(Path | QImage)`` follows; a span or size that cannot be drawn is refused at once.
        """
        rec = self.window.recording
        if rec is None:
            return None
        spec = self._guard(lambda: self._checked_spec(t0, t1, options))
        if spec is None:
            return None
        from .span_worker import SpanWorker

        caption = f"{self.record_name()} · {TimeBase.of(rec).span(t0, t1)}"
        worker = SpanWorker(rec, spec, options, caption, path, parent=self)
        worker.done.connect(self._on_span_done)
        worker.failed.connect(self._on_export_failed)
        worker.finished.connect(lambda: self.workers.remove(worker) if worker in self.workers else None)
        self.workers.append(worker)
        self.window.statusBar().showMessage(f"Exporting {TimeBase.of(rec).span(t0, t1)}…")
        worker.start()
        return worker

    def _checked_spec(self, t0: float, t1: float, options: ImageOptions) -> SpanSpec:
        from .span_image import span_size_px

        spec = self.span_spec(t0, t1)
        span_size_px(spec, options)  # raises for an image too large
        return spec

    def _on_span_done(self, result) -> None:
        if isinstance(result, QtGui.QImage):
            QtWidgets.QApplication.clipboard().setImage(result)
            self.window.statusBar().showMessage(f"Span copied to the clipboard ({result.width()} × "
                                                f"{result.height()} px)", 5000)
        else:
            self.window.statusBar().showMessage(f"Exported {result}", 5000)
        self.spanExported.emit(result)

    def _on_export_failed(self, message: str) -> None:
        self.last_message = show_message(self.window, "Export failed", message)
        self.window.statusBar().showMessage(f"Export failed: {message}", 10000)

    def copy_view(self, options: ImageOptions | None = None) -> QtGui.QImage | None:
        """Put the view on the clipboard (default 300 dpi with grid and overlays)."""
        if self.window.recording is None:
            return None
        from .view_image import ImageOptions, render_view

        image = self._guard(lambda: render_view(self.current_view(), options or ImageOptions(), self.caption()))
        if image is not None:
            QtWidgets.QApplication.clipboard().setImage(image)
            size = f"{image.width()} × {image.height()} px"
            self.window.statusBar().showMessage(f"View copied to the clipboard ({size})", 5000)
        return image

    def _guard(self, job, path: str | Path | None = None):
        try:
            result = job()
        except (ValueError, OSError, RecordingError) as exc:  # bad span/dpi, unwritable file, unreadable signal
            self._on_export_failed(str(exc))
            return None
        if path is not None:
            self.window.statusBar().showMessage(f"Exported {path}", 5000)
        return result

    def open_dialog(self) -> ExportDialog | None:
        if self.window.recording is None:
            return None
        from .dialog import ExportDialog

        dialog = ExportDialog(self, self.window)
        dialog.open()
        return dialog

    # ------------------------------------------------------------------ reports
    def ask_report(self, kind: str) -> None:
        rec = self.window.recording
        if rec is None:
            return
        suggested = self.suggested_report_path(kind)
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save report", str(suggested), "PDF (*.pdf)")
        if path:
            self.window.settings.set(REPORT_DIR_KEY, str(Path(path).parent))
            self.write_report(kind, path)

    def suggested_report_path(self, kind: str) -> Path:
        """``<record>_12lead.pdf`` / ``<record>_holter.pdf`` in the folder the last report went to, else the
        recording's folder, else the home folder (never the working directory the viewer was started in)."""
        rec = self.window.recording
        stem = re.sub(r"[^\w.-]+", "_", Path(rec.path).stem).strip("_.") or "recording"
        name = f"{stem}_{'12lead' if kind == '12lead' else 'holter'}.pdf"
        source = Path(rec.path)
        for folder in (self.window.settings.get_str(REPORT_DIR_KEY, ""),
                       str(source.resolve().parent) if source.exists() else ""):
            if folder and Path(folder).is_dir():
                return Path(folder) / name
        return Path.home() / name

    def write_report(self, kind: str, path: str | Path, paper: str = "a4", *, findings=None,
                     generated_signals=None) -> ReportWorker | None:
        """Write a report in the background of what is on screen: the 12-lead page starts where the view on
        screen starts, and leads the model generated and the window shows are printed as generated.

        ``findings`` (:class:`~anyecg_model.report.ReportFindings`) and ``generated_signals`` override what the
        window shows; by default the findings the model panel shows are used, else the worker looks them up
        (findings cache, then the file's labels).
        """
        rec = self.window.recording
        if rec is None:
            return None
        findings = findings if findings is not None else self.shown_model_findings()
        generated = generated_signals if generated_signals is not None else self.shown_generated_leads()
        from .report_worker import ReportWorker

        worker = ReportWorker(rec, kind, path, paper=paper, start_s=self.shown_start_s(),
                              findings=findings, generated_signals=generated, parent=self)
        worker.written.connect(self._on_written)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(lambda: self.workers.remove(worker) if worker in self.workers else None)
        self.workers.append(worker)
        self.window.statusBar().showMessage(f"Writing {path}…")
        worker.start()
        return worker

    def shown_start_s(self) -> float:
        """First second of the view on screen (the 3 × 4 page's start in that layout)."""
        view = self.current_view()
        return float(view.t0) if view is not self.window.trace else float(self.window.trace.view_range()[0])

    def shown_generated_leads(self) -> dict[str, GeneratedSegment]:
        """Lead name → the generated trace the window draws for it (none while "measured only" is chosen)."""
        from anyecg_model.report import GeneratedSegment

        shown = self.window.twelve_lead.generated
        return {name: GeneratedSegment(t0, fs, mv) for name, (t0, fs, mv) in shown.items()}

    def shown_model_findings(self) -> ReportFindings | None:
        """The findings of the model panel (``window.model.findings``) when they belong to the open recording."""
        found = self.window.model.findings if self.window.model is not None else None
        rec = self.window.recording
        if found is None or rec is None or found.record != Path(rec.path).name \
                or abs(found.duration_s - rec.duration_s) > 1.0:
            return None
        from anyecg_model.report import ReportFindings

        try:
            return ReportFindings.from_analysis(found.to_dict())
        except ValueError:
            return None

    def _on_written(self, path: str, source: str) -> None:
        self.window.statusBar().showMessage(f"Report written: {path} ({source})", 10000)
        self.reportWritten.emit(path)

    def _on_failed(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 10000)
        self.last_message = show_message(self.window, "Report failed", message)
