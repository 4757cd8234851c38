"""Pre-train the AnyECG backbone by masked code prediction (stage 2) against a frozen pre-trained tokenizer.

``--tokenizer DIR`` is a checkpoint from ``anyecg pretrain-tokenizer``; its configs define the model. Multi-GPU /
multi-node: ``torchrun ... -m anyecg_model.cli pretrain ...``.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from ..model.checkpoint import load_checkpoint
from ..train.pretrain.cli_options import add_data_arguments, add_train_arguments, build_datasets, train_config
from ..train.pretrain.stages import pretrain_backbone

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_train_arguments(parser)
    parser.add_argument("--tokenizer", type=Path, help="checkpoint with the pre-trained tokenizer (not needed "
                                                       "with --resume)")
    parser.add_argument("--mask-ratio", type=float, help="share of tokens masked (default: the config's, 0.5)")
    parser.add_argument("--symmetric", action="store_true", help="also predict with the complementary mask")


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    source = args.out if args.resume else args.tokenizer
    if source is None:
        raise SystemExit("--tokenizer DIR is required (unless --resume)")
    model = load_checkpoint(source)
    if args.mask_ratio is not None:
        model.cfg.mask_ratio = args.mask_ratio
    if args.symmetric:
        model.cfg.symmetric_mask = True
    train, val, desc = build_datasets(args, model.preprocess_cfg, model.cfg.lead_slots)
    metrics = pretrain_backbone(model, train, train_config(args), args.out, val, args.resume,
                                {**desc, "tokenizer": str(source)})
    log.info("backbone pre-training finished: %s", {k: v for k, v in metrics.items() if isinstance(v, float)})
    return 0
