"""Pre-train the Rhythm Quantizer (stage 1) and write an AnyECG checkpoint every epoch.

Run on one process, or on many with ``torchrun --nproc_per_node N -m anyecg_model.cli pretrain-tokenizer ...``.
"""
from __future__ import annotations

import argparse
import logging

import torch

from ..model.anyecg import AnyECG
from ..model.checkpoint import load_checkpoint
from ..model.checkpoint_meta import CheckpointError
from ..model.config import model_config
from ..model.device import DeviceUnavailable
from ..train.pretrain.cli_options import (add_data_arguments, add_model_arguments, add_train_arguments, build_datasets,
                                          train_config)
from ..train.pretrain.stages import pretrain_tokenizer
from ..train.trainer_state import TrainerStateError
from ..vocabulary.model_input import PreprocessConfig

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser)
    add_model_arguments(parser)
    add_train_arguments(parser)
    parser.add_argument("--codebook-size", type=int, help="override the size's codebook size K")


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.resume:
        try:
            model = load_checkpoint(args.out)
        except CheckpointError as exc:
            raise SystemExit(f"anyecg pretrain-tokenizer: --resume: {exc}") from None
        log.info("resuming %s (%s)", args.out, model.cfg.name)
    else:
        overrides = {"codebook_size": args.codebook_size} if args.codebook_size else {}
        model = AnyECG(model_config(args.size, **overrides), PreprocessConfig(mains_hz=args.mains_hz))
    train, val, desc = build_datasets(args, model.preprocess_cfg, model.cfg.lead_slots)
    try:
        metrics = pretrain_tokenizer(model, train, train_config(args), args.out, val, args.resume, desc, args.device)
    except TrainerStateError as exc:
        raise SystemExit(f"anyecg pretrain-tokenizer: cannot resume: {exc}") from None
    except DeviceUnavailable as exc:
        raise SystemExit(f"anyecg pretrain-tokenizer: {exc}") from None
    log.info("tokenizer pre-training finished: %s", {k: v for k, v in metrics.items() if isinstance(v, float)})
    return 0
