"""A fine-tuning job in a worker process: progress, pause, cancel, resume, and a before/after result.

``TrainingJob(JobConfig).start()`` spawns a process (``multiprocessing`` spawn context) that runs the
fine-tuning library :func:`~anyecg_model.train.finetune.run.finetune` — the same code as
``anyecg finetune`` — on a data set written by :mod:`..data.dataset_builder`; that side is :mod:`.worker`,
imported only in the spawned process, so this module (the viewer's) imports no torch. The window only reads
:class:`JobEvent` messages from a queue (:meth:`TrainingJob.poll`), so a crash or an out-of-memory kill
of the worker ends the job with a ``failed`` event and nothing else.

Events: ``status`` (phase text), ``progress`` (steps done/total, ETA s), ``epoch`` (train and validation
loss, the task metric, validation metrics), ``paused``/``running``, and one terminal event: ``finished``
(the result: before/after metrics per class, confusion matrices, the validation beats or records whose
prediction changed, the saved version), ``cancelled`` (the last finished epoch is kept in ``work_dir``
for :attr:`JobConfig.resume`; no model version is written) or ``failed`` (a message).

Validation loss is the unweighted cross-entropy (beats, rhythm), binary cross-entropy (anomaly) or
mean squared error in mV² (lead generation) of the validation predictions.
"""
from __future__ import annotations

import importlib
import multiprocessing as mp
import queue as queue_mod
import shlex
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .config import FinetuneConfig
from .options import to_argv

TERMINAL = ("finished", "cancelled", "failed")
#: Options an exported command line always shows (the others only when they differ from the default).
COMMAND_LINE_FIRST = ("task", "corpus", "out", "init", "train", "epochs", "lr", "batch_size", "device", "seed")


@dataclass
class JobConfig:
    """One fine-tuning job in a worker process: ``finetune`` says what is trained and how (its ``corpus`` is
    the data set folder written by ``UserDataset.write_corpus``, its ``out`` the checkpoint folder, in
    ``work_dir`` beside the job's history); ``version_name``: the name the result is saved under in
    ``models_root`` (None: not saved). :meth:`for_dataset` builds one from a data set and a work folder."""

    finetune: FinetuneConfig
    work_dir: Path
    version_name: str | None = None
    models_root: Path | None = None
    threads: int = 0  # torch threads in the worker (0: all cores)
    nice: int = 5  # the worker yields the CPU to the window

    def __post_init__(self) -> None:
        self.work_dir = Path(self.work_dir)
        self.models_root = Path(self.models_root) if self.models_root is not None else None

    @classmethod
    def for_dataset(cls, dataset: Path, work_dir: Path, *, version_name: str | None = None,
                    models_root: Path | None = None, threads: int = 0, nice: int = 5, **finetune) -> "JobConfig":
        """The job that fine-tunes on the data set folder ``dataset`` into ``work_dir/out``; ``finetune``:
        the other :class:`FinetuneConfig` fields (``task``, ``init``, ``epochs``, …)."""
        work_dir = Path(work_dir)
        return cls(FinetuneConfig(corpus=Path(dataset), out=work_dir / "out", **finetune), work_dir,
                   version_name=version_name, models_root=models_root, threads=threads, nice=nice)

    @property
    def dataset(self) -> Path:
        return self.finetune.corpus

    @property
    def checkpoint_dir(self) -> Path:
        return self.finetune.out

    def resumed(self) -> "JobConfig":
        """The same job continuing from its last finished epoch."""
        return replace(self, finetune=replace(self.finetune, resume=True))

    def describe(self) -> dict:
        """The job as plain JSON values (a saved version's ``job.json``): the fine-tuning fields, the job's own
        and the equivalent command line."""
        plain = lambda v: str(v) if isinstance(v, Path) else v  # noqa: E731
        job = {k: plain(v) for k, v in asdict(self.finetune).items()}
        job.update({k: plain(getattr(self, k)) for k in ("work_dir", "version_name", "models_root", "threads", "nice")})
        job.update(dataset=str(self.dataset), command_line=self.command_line())
        return job

    def command_line(self, nproc: int = 0) -> str:
        """The equivalent ``anyecg finetune …`` command (its options generated from the config, so it parses
        back to :attr:`finetune`); ``nproc`` > 0 → a ``torchrun`` launch on that many GPUs (or processes) of a
        bigger machine."""
        args = ["finetune"] + to_argv(self.finetune, first=COMMAND_LINE_FIRST)
        head = ["anyecg"] if nproc <= 0 else ["torchrun", "--standalone", f"--nproc_per_node={nproc}",
                                              "-m", "anyecg_model.cli"]
        return shlex.join(head + args)


@dataclass
class JobEvent:
    kind: str
    data: dict = field(default_factory=dict)


def _start_worker(cfg: JobConfig, q, cancel, pause) -> None:
    """Entry point of the spawned process: the worker side (:mod:`.worker`, which imports torch) is imported
    there by name, so the process that starts the job (the viewer) never imports it, not even in its import
    graph."""
    importlib.import_module(f"{__package__}.worker").worker_main(cfg, q, cancel, pause)


class TrainingJob:
    """Runs a :class:`JobConfig` in a spawned process; the caller polls events (no Qt here)."""

    def __init__(self, cfg: JobConfig):
        self.cfg = cfg
        ctx = mp.get_context("spawn")
        self._queue = ctx.Queue()
        self._cancel, self._pause = ctx.Event(), ctx.Event()
        self.process = ctx.Process(target=_start_worker, args=(cfg, self._queue, self._cancel, self._pause),
                                   name="anyecg-finetune", daemon=True)
        self.state = "idle"

    def start(self) -> "TrainingJob":
        self.process.start()
        self.state = "running"
        return self

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        """Continue a paused job (a cancelled one is resumed by a new job with ``JobConfig.resume``)."""
        self._pause.clear()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def _drain(self) -> list[JobEvent]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue_mod.Empty:
                return out

    def poll(self) -> list[JobEvent]:
        """Events since the last call (never blocks). A worker that died without a terminal event yields
        ``failed`` with its exit code."""
        if self.done or self.state == "idle":
            return []
        alive = self.process.is_alive()
        events = self._drain()
        if not alive and not any(e.kind in TERMINAL for e in events):
            self.process.join(timeout=1.0)
            events += self._drain()
            if not any(e.kind in TERMINAL for e in events):
                code = self.process.exitcode
                why = "killed (out of memory?)" if code is not None and code < 0 else f"exit code {code}"
                events.append(JobEvent("failed", {"message": f"the training process ended unexpectedly: {why}; "
                                                             f"the window and the saved epochs are unaffected"}))
        for e in events:
            if e.kind in TERMINAL:
                self.state = e.kind
            elif e.kind == "paused":
                self.state = "paused"
            elif e.kind == "running":
                self.state = "running"
        return events

    def wait(self, timeout_s: float | None = None, interval_s: float = 0.1) -> list[JobEvent]:
        """Poll until a terminal event (or ``timeout_s``); returns every event seen (headless use, tests)."""
        t_end = None if timeout_s is None else time.monotonic() + timeout_s
        events: list[JobEvent] = []
        while not self.done and (t_end is None or time.monotonic() < t_end):
            events += self.poll()
            if not self.done:
                time.sleep(interval_s)
        return events

    def kill(self) -> None:
        """Stop the worker at once (window closing); the last finished epoch stays in ``work_dir``."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5.0)
        self.state = "cancelled" if not self.done else self.state
