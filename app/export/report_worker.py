"""Background writing of the printed reports (12-lead and Holter PDFs) so the window stays responsive."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import numpy as np
from PySide6 import QtCore

from anyecg_model.io.recording import Recording, RecordingError
from anyecg_model.report.findings import ReportFindings
from anyecg_model.report.model_cache import cached_model_findings

log = logging.getLogger(__name__)


class ReportWorker(QtCore.QThread):
    """Writes one report; ``written(path, source_text)`` or ``failed(message)``. Touches no widget.

    ``generated_signals`` (lead name → mV at the recording's rate, e.g. a lead the model regenerated in
    the viewer) are printed dashed with a GENERATED mark. Without explicit ``findings`` it uses the
    model's cached findings for the recording (the model panel fills the cache when it runs), else the
    file's own annotations; it never starts a model run itself.
    """

    written = QtCore.Signal(str, str)
    failed = QtCore.Signal(str)

    def __init__(self, recording: Recording, kind: str, path: str | Path, *, paper: str = "a4",
                 start_s: float = 0.0, findings: ReportFindings | None = None,
                 generated_signals: Mapping[str, np.ndarray] | None = None, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        if kind not in ("12lead", "holter"):
            raise ValueError(f"unknown report kind {kind!r}")
        self.recording, self.kind, self.path = recording, kind, Path(path)
        self.paper, self.start_s, self.findings = paper, start_s, findings
        self.generated_signals = dict(generated_signals or {})

    def run(self) -> None:
        # the PDF renderers (reportlab's canvas) load with the first report, not when the viewer starts
        from anyecg_model.report import HolterConfig, TwelveLeadConfig, render_12lead, render_holter

        try:
            findings = self.findings or cached_model_findings(self.recording) \
                or ReportFindings.from_annotations(self.recording)
            if self.kind == "12lead":
                start = min(self.start_s, max(0.0, self.recording.duration_s - 10.0))
                render_12lead(self.recording, self.path, TwelveLeadConfig(paper=self.paper, start_s=start), findings,
                              self.generated_signals)
            else:
                render_holter(self.recording, self.path, HolterConfig(paper=self.paper), findings,
                              self.generated_signals)
        except (RecordingError, ValueError, OSError) as exc:
            self.failed.emit(f"Cannot write {self.path}: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a worker must always answer; the traceback goes to the log
            log.exception("report %s failed", self.path)
            self.failed.emit(f"Cannot write {self.path}: unexpected {type(exc).__name__}: {exc}")
            return
        self.written.emit(str(self.path), findings.source_text)
