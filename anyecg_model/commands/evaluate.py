"""Evaluate a checkpoint on a task's held-out split of the corpus cache and print the metrics.

``anyecg evaluate --task beats|rhythm|anomaly|leadgen [--model DIR] [--split test|val]
[--protocol random|chest] [--sets SET,...] [--device auto|cpu|cuda] [--corpus DIR] [--json OUT]``
(``--task``, ``--device`` and ``--corpus`` are the fine-tuning config's options, from ``FinetuneConfig``).
Splits: MIT-BIH DS2 (beats), CinC 2017 seeded test split (rhythm, anomaly), PTB-XL fold 10 (anomaly,
leadgen), LUDB seeded test split (leadgen). See :mod:`anyecg_model.train.tasks.evaluation` for the metrics.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..model.shipped import SHIPPED_MODEL_DIR
from ..train.finetune.config import FinetuneConfig
from ..train.finetune.options import add_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, FinetuneConfig, only=("task",))
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR,
                        help="checkpoint directory (default %(default)s)")
    parser.add_argument("--split", default="test", choices=("test", "val"))
    parser.add_argument("--protocol", default="random", choices=("random", "chest"), help="lead generation only")
    parser.add_argument("--sets", default=None, help="comma-separated corpus sets (default: the task's)")
    add_options(parser, FinetuneConfig, only=("device", "corpus"))
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the metrics as JSON")


def run(args: argparse.Namespace) -> int:
    from ..model.checkpoint import CheckpointError, load_checkpoint
    from ..model.device import choose_device
    from ..train.data.corpus import Corpus
    from ..train.tasks.evaluation import make_dataset, predict

    try:
        device = choose_device(args.device)
        model = load_checkpoint(args.model, device=device)
        if args.task not in model.heads:
            raise ValueError(f"{args.model} has no {args.task!r} head")
        sets = tuple(args.sets.split(",")) if args.sets else None
        ds = make_dataset(args.task, Corpus(args.corpus), model.preprocess_cfg, (args.split,), protocol=args.protocol,
                          sets=sets)
        metrics, _ = predict(model, args.task, ds, device=str(device))
    except (CheckpointError, FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"anyecg evaluate: {exc}", file=sys.stderr)
        return 1
    width = max(len(k) for k in metrics)
    for k, v in metrics.items():
        print(f"{k:<{width}}  {v:.4f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    if args.json:
        Path(args.json).write_text(json.dumps({"task": args.task, "split": args.split, "model": str(args.model),
                                               "metrics": metrics}, indent=1) + "\n")
    return 0
