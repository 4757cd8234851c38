"""Span images are painted and encoded in the background: a minute at 300 dpi is an 18 000-pixel-wide PNG."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from anyecg_model.io.recording import Recording, RecordingError

from .span_image import SpanSpec, render_span, save_span
from .view_image import ImageOptions


class SpanWorker(QtCore.QThread):
    """Writes the span to ``path`` (``done(Path)``) or, without a path, paints it (``done(QImage)``);
    ``failed(message)`` otherwise. Paints on a ``QImage``/SVG only, never on a widget."""

    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, recording: Recording, spec: SpanSpec, options: ImageOptions, caption: str,
                 path: str | Path | None = None, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.recording, self.spec, self.options, self.caption = recording, spec, options, caption
        self.path = None if path is None else Path(path)

    def run(self) -> None:
        try:
            if self.path is None:
                result = render_span(self.recording, self.spec, self.options, self.caption)
            else:
                result = save_span(self.recording, self.spec, self.path, self.options, self.caption)
        except (ValueError, OSError, RecordingError) as exc:
            self.failed.emit(str(exc))
            return
        self.done.emit(result)
