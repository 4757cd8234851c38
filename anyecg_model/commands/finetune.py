"""Fine-tune a task head (and optionally backbone layers) on the corpus cache.

``anyecg finetune --task beats|rhythm|anomaly|leadgen --out DIR [--init DIR|--random-init] [--train head|last|full]
[--epochs N] [--lr LR] [--batch-size B] [--device auto|cpu|cuda] [--seed S] [--resume] …``: one option per
field of :class:`~anyecg_model.train.finetune.config.FinetuneConfig` (generated from it, with its defaults and
help), plus ``--threads``. A thin wrapper over :func:`anyecg_model.train.finetune.run.finetune` (the GUI calls
the same function): per-epoch validation metrics are logged; the best epoch is saved as a checkpoint in ``--out``.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

from ..train.finetune.config import FinetuneConfig
from ..train.finetune.options import add_options, config_from_args

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_options(parser, FinetuneConfig)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..train.finetune.run import finetune

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        cfg = config_from_args(FinetuneConfig, args)
        best = finetune(cfg, on_epoch=lambda row: log.info("epoch %s", json.dumps(row, default=float)))
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"anyecg finetune: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in best.items() if k != "score"}, default=float))
    return 0
