"""The worker side of a fine-tuning job (:mod:`.job`): runs in the spawned process, never in the viewer's.

:func:`worker_main` runs :func:`run_job` — the fine-tuning library :func:`~anyecg_model.train.finetune.run.finetune`,
the same code as ``anyecg finetune`` — and turns every failure into one ``failed`` :class:`~.job.JobEvent`;
:class:`_Control` is the worker's view of the window's pause / cancel buttons and sends progress;
:func:`build_result` makes the before/after result (metrics, confusion matrices, changed predictions).
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import time
import traceback
from pathlib import Path

import numpy as np

from ..tasks import TrainingTask, get_task
from .job import JobConfig, JobEvent

#: Most changed predictions listed in a result.
MAX_CHANGED = 5000
PROGRESS_EVERY_S = 0.25


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


def worker_main(cfg: JobConfig, q, cancel, pause) -> None:
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
