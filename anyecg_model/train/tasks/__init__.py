"""The fine-tuning tasks, one module each, registered by name (:func:`~.base.register_task`).

========  ===========================================  =======================================
task      data (splits from :mod:`..data.corpus`)        metrics
========  ===========================================  =======================================
beats     MIT-BIH DS1 (val: 101 203 223) → DS2          Se/+P of N S V F, accuracy, jκ
rhythm    CinC 2017 seeded split                         F1 of N A O ~ and mean F1 (N, A, O)
anomaly   PTB-XL folds 1–8/9/10 + CinC (N vs rest)      AUROC, AUC-PR, accuracy, weighted F1
leadgen   PTB-XL + LUDB (hidden leads)                   PSNR, SSIM, MAE (min–max scaled), r
========  ===========================================  =======================================

``get_task(name)`` gives the task object; :mod:`.evaluation` runs any of them (datasets, objective, predictions).
To add a task: a module here with a :class:`~.base.TrainingTask` subclass decorated with ``@register_task``
(every module of this package is imported below, so it registers itself; like the others it imports torch only
inside the methods that need it), plus its head (``@register_head`` under the same name in ``model/heads.py``).
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import HeadStage, TrainingTask, get_task, register_task, task_names

#: Modules of this package that run tasks rather than define one (they import torch).
_RUNNERS = ("evaluation",)
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _RUNNERS:
        importlib.import_module(f"{__name__}.{_module.name}")

#: The registered task names, in order.
TASKS = task_names()

__all__ = ["TASKS", "HeadStage", "TrainingTask", "get_task", "register_task", "task_names"]
