"""Background work of the training panel: building the data set (a ``QThread``) and following a training job
(a worker *process* polled by a timer, so the window never waits on it)."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore

from anyecg_model.train.dataset_builder import DatasetConfig, DatasetError, UserDataset, build_dataset
from anyecg_model.train.job import JobConfig, JobEvent, TrainingJob

log = logging.getLogger(__name__)

#: How often the window reads the job's events (ms).
POLL_MS = 100


class DatasetBuilder(QtCore.QThread):
    """Builds (and, when it is sound, writes to ``out_dir``) a data set off the GUI thread.

    Signals: ``built(UserDataset, str)`` (the written folder, "" when not written), ``failed(str)``.
    Nothing in :meth:`run` touches widgets.
    """

    built = QtCore.Signal(object, str)
    failed = QtCore.Signal(str)

    def __init__(self, cfg: DatasetConfig, out_dir: Path, parent=None):
        super().__init__(parent)
        self.cfg, self.out_dir = cfg, Path(out_dir)

    def run(self) -> None:
        try:
            ds: UserDataset = build_dataset(self.cfg)
            written = ""
            if ds.ok:
                written = str(ds.write_corpus(self.out_dir))
            self.built.emit(ds, written)
        except (DatasetError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # the panel shows any failure as a message; the window stays up
            log.exception("building the data set failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")


class JobRunner(QtCore.QObject):
    """Starts a :class:`TrainingJob` and turns its queued events into the ``event(JobEvent)`` signal."""

    event = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.job: TrainingJob | None = None
        self._timer = QtCore.QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def start(self, cfg: JobConfig) -> None:
        if self.running:
            raise RuntimeError("a training job is already running")
        self.job = TrainingJob(cfg).start()
        self._timer.start()

    def pause(self) -> None:
        if self.running:
            self.job.pause()

    def resume(self) -> None:
        if self.running:
            self.job.resume()

    def cancel(self) -> None:
        if self.running:
            self.job.resume()
            self.job.cancel()

    def shutdown(self) -> None:
        """Window closing: stop the worker at once (its finished epochs stay on disk for resuming)."""
        self._timer.stop()
        if self.job is not None and not self.job.done:
            self.job.kill()

    def _poll(self) -> None:
        if self.job is None:
            return
        for e in self.job.poll():
            self.event.emit(e)
        if self.job.done:
            self._timer.stop()


__all__ = ["DatasetBuilder", "JobEvent", "JobRunner"]
