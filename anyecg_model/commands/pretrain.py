"""Pre-train the AnyECG backbone by masked code prediction (stage 2) against a frozen pre-trained tokenizer.

``--tokenizer DIR`` is a checkpoint from ``anyecg pretrain-tokenizer``; its configs define the model.
``--init-from DIR`` (``--init-from shipped``: the shipped model) continues the backbone of an existing
checkpoint with its tokenizer and configs, into a new ``--out``. ``--resume`` continues ``--out``'s run at its
last saved step. Multi-GPU / multi-node: ``torchrun ... -m anyecg_model.cli pretrain ...``.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch

from ..model.device import DeviceUnavailable
from ..train.pretrain.cli_options import add_data_arguments, add_train_arguments, build_datasets, train_config
from ..train.pretrain.stages import pretrain_backbone
from ..train.pretrain.start import SHIPPED, StartError, backbone_start
from ..train.trainer_state import TrainerStateError

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_train_arguments(parser)
    parser.add_argument("--tokenizer", type=Path, help="checkpoint with the pre-trained tokenizer (not needed "
                                                       "with --resume or --init-from)")
    parser.add_argument("--init-from", metavar="DIR", help="continue pre-training the backbone of this checkpoint "
                                                           f"('{SHIPPED}': the shipped model), keeping its "
                                                           "tokenizer and configs; the folder is only read")
    parser.add_argument("--mask-ratio", type=float, help="share of tokens masked (default: the config's, 0.5)")
    parser.add_argument("--symmetric", action="store_true", help="also predict with the complementary mask")


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        model, started = backbone_start(args.out, args.resume, args.tokenizer, args.init_from)
    except StartError as exc:
        raise SystemExit(f"anyecg pretrain: {exc}") from None
    if args.mask_ratio is not None:
        model.cfg.mask_ratio = args.mask_ratio
    if args.symmetric:
        model.cfg.symmetric_mask = True
    train, val, desc = build_datasets(args, model.preprocess_cfg, model.cfg.lead_slots)
    try:
        metrics = pretrain_backbone(model, train, train_config(args), args.out, val, args.resume,
                                    {**desc, **started}, args.device)
    except TrainerStateError as exc:
        raise SystemExit(f"anyecg pretrain: cannot resume: {exc}") from None
    except DeviceUnavailable as exc:
        raise SystemExit(f"anyecg pretrain: {exc}") from None
    log.info("backbone pre-training finished: %s", {k: v for k, v in metrics.items() if isinstance(v, float)})
    return 0
