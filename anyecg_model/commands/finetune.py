"""Fine-tune a task head (and optionally backbone layers) on the corpus cache.

``anyecg finetune --task beats|rhythm|anomaly|leadgen [--init DIR|--random-init] [--train head|last|full]
[--epochs N] [--lr LR] [--batch-size B] [--device auto|cpu|cuda] [--seed S] --out DIR [--resume]``.
A thin wrapper over :func:`anyecg_model.train.tasks_finetune.finetune` (the GUI calls the same function):
per-epoch validation metrics are logged; the best epoch is saved as a checkpoint in ``--out``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..model.shipped import SHIPPED_MODEL_DIR
from ..train.corpus import DEFAULT_CORPUS_DIR
from ..train.tasks import TASKS

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument("--init", type=Path, default=SHIPPED_MODEL_DIR, help="starting checkpoint (default %(default)s)")
    parser.add_argument("--random-init", action="store_true", help="same architecture from random weights")
    parser.add_argument("--size", default="small", help="model size for --random-init")
    parser.add_argument("--train", default="head", choices=("head", "last", "full"))
    parser.add_argument("--last-layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-steps-per-epoch", type=int, default=None)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..train.tasks_finetune import FinetuneConfig, finetune

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = FinetuneConfig(task=args.task, out=args.out, init=None if args.random_init else args.init, size=args.size,
                         train=args.train, last_layers=args.last_layers, epochs=args.epochs, lr=args.lr,
                         batch_size=args.batch_size, device=args.device, seed=args.seed,
                         max_steps_per_epoch=args.max_steps_per_epoch, resume=args.resume, corpus=args.corpus)
    try:
        best = finetune(cfg, on_epoch=lambda row: log.info("epoch %s", json.dumps(row, default=float)))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"anyecg finetune: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in best.items() if k != "score"}, default=float))
    return 0
