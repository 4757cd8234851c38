"""A fine-tuning job in a worker process: progress, pause, cancel, resume, and a before/after result.

``TrainingJob(JobConfig).start()`` spawns a process (``multiprocessing`` spawn context) that runs the
fine-tuning library :func:`~anyecg_model.train.finetune.run.finetune` — the same code as
``anyecg finetune`` — on a data set written by :mod:`..data.dataset_builder`. The window only reads
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

import inspect
import json
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import shlex
import time
import traceback
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..tasks import TrainingTask, get_task
from .config import FinetuneConfig
from .options import to_argv

log = logging.getLogger(__name__)

TERMINAL = ("finished", "cancelled", "failed")
#: Most changed predictions listed in a result.
MAX_CHANGED = 5000
PROGRESS_EVERY_S = 0.25
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


# ---------------------------------------------------------------------------------------------- result
def build_result(task: TrainingTask, corpus, val_ds, before, after, metrics_before: dict, metrics_after: dict) -> dict:
    """Before/after metrics, confusion matrices (rows reference, columns prediction) and the changed list."""
    classes = task.classes
    out = {"task": task.name, "classes": list(classes), "before": metrics_before, "after": metrics_after,
           "confusion_before": None, "confusion_after": None, "changed": [], "n_changed": 0}
    if not task.classifies:
        return out
    from sklearn.metrics import confusion_matrix

    y, pb, _ = task.predicted_classes(before)
    _, pa, _ = task.predicted_classes(after)
    labels = list(range(len(classes)))
    keep = y >= 0
    out["confusion_before"] = confusion_matrix(y[keep], pb[keep], labels=labels).tolist()
    out["confusion_after"] = confusion_matrix(y[keep], pa[keep], labels=labels).tolist()
    changed = np.flatnonzero(pb != pa)
    out["n_changed"] = int(len(changed))
    records, times = task.example_positions(corpus, val_ds, before)
    for i in changed[:MAX_CHANGED]:
        entry = corpus.records[int(records[i])]
        out["changed"].append({"record": entry.record, "time_s": round(float(times[i]), 3),
                               "reference": classes[int(y[i])] if y[i] >= 0 else "",
                               "before": classes[int(pb[i])], "after": classes[int(pa[i])]})
    return out


# ---------------------------------------------------------------------------------------------- the worker
class _Control:
    """The worker's view of the window's buttons: counts steps, sends progress, waits while paused."""

    def __init__(self, emit, cancel, pause, total_steps: int, done_steps: int):
        self.emit, self.cancel, self.pause = emit, cancel, pause
        self.total, self.done = total_steps, done_steps
        self.session_steps, self.t_start, self.paused_s, self.last = 0, None, 0.0, 0.0

    def __call__(self) -> bool:
        if self.pause.is_set() and not self.cancel.is_set():
            t0 = time.monotonic()
            self.emit("paused", {"step": self.done})
            while self.pause.is_set() and not self.cancel.is_set():
                time.sleep(0.05)
            self.paused_s += time.monotonic() - t0
            self.emit("running", {})
        if self.cancel.is_set():
            return True
        now = time.monotonic()
        if self.t_start is None:
            self.t_start = now
        elif now - self.last >= PROGRESS_EVERY_S or self.done + 1 >= self.total:
            self.last = now
            rate = (now - self.t_start - self.paused_s) / max(1, self.session_steps)
            self.emit("progress", {"step": self.done, "total": self.total,
                                   "eta_s": rate * max(0, self.total - self.done)})
        self.done += 1
        self.session_steps += 1
        return False


def _history_path(cfg: JobConfig) -> Path:
    return cfg.work_dir / "history.json"


def run_job(cfg: JobConfig, emit, cancel, pause) -> None:
    """The worker's body (also usable in-process): ``emit(kind, data)`` sends events; ``cancel`` and
    ``pause`` are events the window sets."""
    import torch

    from ...model.checkpoint import load_checkpoint
    from ...model.device import choose_device
    from ..data.corpus import Corpus
    from ..data.task_windows import record_indices, windows_of
    from ..tasks.evaluation import make_dataset, predict
    from .run import build_model, finetune

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    ft = cfg.finetune
    task = get_task(ft.task)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(cfg.dataset)
    manifest = json.loads((cfg.dataset / "dataset.json").read_text())
    if manifest["task"] != ft.task:
        raise ValueError(f"{cfg.dataset} holds a {manifest['task']} data set, not {ft.task}")
    history = json.loads(_history_path(cfg).read_text()) if ft.resume and _history_path(cfg).exists() else []
    for row in history:
        emit("epoch", row)
    emit("status", {"text": "evaluating the starting model on the validation records"})
    torch.manual_seed(ft.seed)  # the same new head as finetune() starts from
    start_model = build_model(ft)
    pcfg = start_model.preprocess_cfg
    val_ds = make_dataset(ft.task, corpus, pcfg, ("val",), seed=ft.seed)
    device = str(choose_device(ft.device))
    metrics_before, pred_before = predict(start_model, ft.task, val_ds, ft.batch_size, device)
    del start_model
    sets = {r.set for r in corpus.records}
    n_train = len(windows_of(corpus, record_indices(corpus, sets, ("train",))))
    per_epoch = n_train // ft.batch_size
    if ft.max_steps_per_epoch:
        per_epoch = min(per_epoch, ft.max_steps_per_epoch)
    control = _Control(emit, cancel, pause, ft.epochs * per_epoch, len(history) * per_epoch)
    best = {"score": -float("inf"), "pred": None, "epoch": None}
    latest = {}

    def on_predictions(epoch: int, pred) -> None:
        latest["pred"] = pred

    def on_epoch(row: dict) -> None:
        val = row["val"]
        out = {"epoch": row["epoch"], "train_loss": row["train_loss"],
               "val_loss": task.prediction_loss(latest["pred"]) if "pred" in latest else None,
               "metric": task.selection_metric, "metric_value": val.get(task.selection_metric),
               "val": val, "elapsed_s": row["elapsed_s"]}
        history.append(out)
        _write_json(_history_path(cfg), history)
        score = val.get(task.selection_metric, float("nan"))
        if score == score and score > best["score"]:
            best.update(score=score, pred=latest.get("pred"), epoch=row["epoch"], val=val)
        emit("epoch", out)

    emit("status", {"text": f"training ({ft.train}) on {n_train} windows of 10 s, device {device}"})
    hooks = {"on_predictions": on_predictions} if "on_predictions" in inspect.signature(finetune).parameters else {}
    summary = finetune(ft, on_epoch=on_epoch, cancelled=control, **hooks)
    if summary.get("cancelled"):
        emit("cancelled", {"epoch": len(history), "work_dir": str(cfg.work_dir)})
        return
    if best["pred"] is None:  # resumed after the last epoch, or no finite score: evaluate the saved model
        model = load_checkpoint(cfg.checkpoint_dir)
        best["val"], best["pred"] = predict(model, ft.task, val_ds, ft.batch_size, device)
        best["epoch"] = summary.get("epoch")
    result = build_result(task, corpus, val_ds, pred_before, best["pred"], metrics_before, best["val"])
    result.update(best_epoch=best["epoch"], history=history, version=None)
    if cfg.version_name:
        from ...model.versions import save_version

        job = cfg.describe()
        metrics = {k: result[k] for k in ("task", "classes", "before", "after", "confusion_before",
                                          "confusion_after", "best_epoch", "n_changed")}
        v = save_version(cfg.checkpoint_dir, cfg.version_name, training_data=manifest, metrics=metrics, job=job,
                         root=cfg.models_root)
        result["version"] = {"label": v.label, "path": str(v.path)}
    emit("finished", result)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, allow_nan=True))
    os.replace(tmp, path)


def _worker_main(cfg: JobConfig, q, cancel, pause) -> None:
    """Entry point of the spawned process: runs :func:`run_job` and turns every failure into an event."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if cfg.nice and hasattr(os, "nice"):
        os.nice(cfg.nice)

    def emit(kind: str, data: dict) -> None:
        q.put(JobEvent(kind, data))

    try:
        run_job(cfg, emit, cancel, pause)
    except MemoryError:
        emit("failed", {"message": f"out of memory while training; lower the batch size "
                                   f"(now {cfg.finetune.batch_size}) or train the head only"})
    except Exception as exc:  # every failure reaches the window as one clear message
        if type(exc).__name__ == "OutOfMemoryError":
            emit("failed", {"message": f"the GPU ran out of memory; lower the batch size "
                                       f"(now {cfg.finetune.batch_size})"})
        else:
            emit("failed", {"message": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})


class TrainingJob:
    """Runs a :class:`JobConfig` in a spawned process; the caller polls events (no Qt here)."""

    def __init__(self, cfg: JobConfig):
        self.cfg = cfg
        ctx = mp.get_context("spawn")
        self._queue = ctx.Queue()
        self._cancel, self._pause = ctx.Event(), ctx.Event()
        self.process = ctx.Process(target=_worker_main, args=(cfg, self._queue, self._cancel, self._pause),
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
