"""Helpers of the viewer tests on resting 12-leads: a generated 10-s ECG and a finished analysis delivered as
the analysis worker delivers it."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.findings import Beats, Findings, ModelInfo, RhythmEpisode
from anyecg_model.io.recording import Recording

STANDARD = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
FS = 500.0


def resting_12lead(bpm: float, path: str) -> Recording:
    """A 10-s standard 12-lead with Gaussian R waves at ``bpm``."""
    n = int(10 * FS)
    x = np.zeros((12, n), np.float32)
    k = np.arange(-15, 16)
    for s in np.arange(0.4 * FS, n - 20, 60.0 / bpm * FS).astype(int):
        x[:, s + k] += np.exp(-0.5 * (k / 4.0) ** 2)
    return Recording.from_array(x, FS, STANDARD, path=path)


class RunningJob:
    """Stands for the analysis worker of a job still running (cancelled when replaced)."""

    cancelled = False

    def cancel(self, wait: bool = True) -> None:
        self.cancelled = True

    def isFinished(self) -> bool:
        return True

    def deleteLater(self) -> None:
        pass

    def set_visible(self, *_) -> None:
        pass


def finish_analysis(window, rec: Recording) -> Findings:
    """Deliver a finished analysis of ``rec`` as the analysis worker does (one beat per second, all N)."""
    t = np.arange(0.5, rec.duration_s, 1.0)
    findings = Findings(rec.path, rec.duration_s, rec.fs, rec.lead_names, ModelInfo("t", "0", "x"), anomaly_score=0.2,
                        beats=Beats(t, np.zeros(len(t), np.int8), np.full(len(t), 0.9, np.float32)),
                        episodes=[RhythmEpisode(0.0, rec.duration_s, "NSR", 0.9)])
    ctrl = window.model
    ctrl.worker = RunningJob()  # the running job the results belong to
    ctrl._on_done(ctrl.job_id, findings, False)
    return findings
