"""Background work of the training panel: building the data set and the training job, each in a spawned
worker *process* polled by a timer, so the window never waits on them nor shares their interpreter lock."""
from __future__ import annotations

import logging
import multiprocessing as mp
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from PySide6 import QtCore

from anyecg_model.train.data.dataset_builder import DatasetConfig, DatasetError, UserDataset, build_dataset
from anyecg_model.train.finetune.job import JobConfig, JobEvent, TrainingJob

log = logging.getLogger(__name__)

#: How often the window reads the job's events (ms).
POLL_MS = 100


def build_and_write(cfg: DatasetConfig, out_dir: Path) -> tuple[UserDataset, str]:
    """Build the data set and, when it is sound, write it to ``out_dir`` (runs in the builder process)."""
    ds = build_dataset(cfg)
    return ds, str(ds.write_corpus(out_dir)) if ds.ok else ""


class DatasetBuilder(QtCore.QObject):
    """Builds (and, when it is sound, writes to ``out_dir``) a data set in a spawned process, so reading
    and resampling recordings never holds the window's interpreter lock.

    Signals: ``built(UserDataset, str)`` (the written folder, "" when not written), ``failed(str)``,
    ``finished()`` after either.
    """

    built = QtCore.Signal(object, str)
    failed = QtCore.Signal(str)
    finished = QtCore.Signal()

    def __init__(self, cfg: DatasetConfig, out_dir: Path, parent=None):
        super().__init__(parent)
        self.cfg, self.out_dir = cfg, Path(out_dir)
        self._future: Future | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._timer = QtCore.QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self._future is not None and not self._future.done()

    @property
    def done(self) -> bool:
        return self._future is not None and self._future.done() and not self._timer.isActive()

    def start(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        self._future = self._pool.submit(build_and_write, self.cfg, self.out_dir)
        self._timer.start()

    def _poll(self) -> None:
        if self._future is None or not self._future.done():
            return
        self._timer.stop()
        self._pool.shutdown(wait=False)
        try:
            ds, written = self._future.result()
            self.built.emit(ds, written)
        except (DatasetError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a crashed builder process included: the window stays up
            log.error("building the data set failed: %s", exc)
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        self.finished.emit()


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
