"""Command-line options shared by the training subcommands (``pretrain-tokenizer``, ``pretrain``, ``finetune``)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from torch.utils.data import Dataset, Subset

from ...model.config import MODEL_SIZES
from ...vocabulary.model_input import PreprocessConfig
from ..loop import TrainConfig

log = logging.getLogger(__name__)


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="ECG files or folders (any supported format, searched recursively)")
    parser.add_argument("--corpus", type=Path, help="training cache built by anyecg_model.train.data.corpus "
                                                    "(its train split; val split for validation)")
    parser.add_argument("--sets", nargs="+", help="corpus sets to use (default: all)")
    parser.add_argument("--synthetic", type=int, metavar="N", help="N simulated records (smoke tests, demos)")
    parser.add_argument("--window-s", type=float, default=10.0, help="window length in seconds (default 10)")
    parser.add_argument("--val-fraction", type=float, default=0.0,
                        help="share of file/synthetic windows held out for validation (default 0)")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    parser.add_argument("--out", type=Path, required=True, help="checkpoint folder (model.safetensors, config.json, "
                                                                "trainer_state.safetensors), written every epoch")
    parser.add_argument("--epochs", type=int, default=d.epochs)
    parser.add_argument("--batch-size", type=int, default=d.batch_size, help="per process")
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--weight-decay", type=float, default=d.weight_decay)
    parser.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    parser.add_argument("--max-steps-per-epoch", type=int)
    parser.add_argument("--max-val-batches", type=int, help="cap validation at this many batches per rank")
    parser.add_argument("--num-workers", type=int, default=d.num_workers, help="data-loading processes")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto (default): the CUDA GPU when there is one, else the CPU; torchrun: one GPU per "
                             "process")
    parser.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA")
    parser.add_argument("--checkpoint-every-steps", type=int, metavar="N",
                        help="also write the checkpoint every N steps, mid-epoch (long runs)")
    parser.add_argument("--checkpoint-every-min", type=float, metavar="M",
                        help="also write the checkpoint every M minutes, mid-epoch (long runs)")
    parser.add_argument("--threads", type=int, help="torch CPU threads per process")
    parser.add_argument("--resume", action="store_true",
                        help="continue from --out's trainer state, at the saved step (mid-epoch too)")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=sorted(MODEL_SIZES), default="small", help="model size (default small)")
    parser.add_argument("--mains-hz", type=float, choices=(50.0, 60.0), default=50.0, help="mains notch (Hz)")


def train_config(args: argparse.Namespace) -> TrainConfig:
    for flag in ("checkpoint_every_steps", "checkpoint_every_min"):
        value = getattr(args, flag)
        if value is not None and value <= 0:
            raise SystemExit(f"--{flag.replace('_', '-')} must be positive (got {value})")
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                       warmup_steps=args.warmup_steps, num_workers=args.num_workers, seed=args.seed,
                       amp=not args.no_amp, max_steps_per_epoch=args.max_steps_per_epoch,
                       max_val_batches=args.max_val_batches, checkpoint_every_steps=args.checkpoint_every_steps,
                       checkpoint_every_min=args.checkpoint_every_min)


def build_datasets(args: argparse.Namespace, cfg: PreprocessConfig, slots) -> tuple[Dataset, Dataset | None, dict]:
    """(train, validation or None, description for the checkpoint) from --corpus / inputs / --synthetic."""
    sources = [bool(args.corpus), bool(args.inputs), bool(args.synthetic)]
    if sum(sources) != 1:
        raise SystemExit("give exactly one data source: ECG files/folders, --corpus DIR or --synthetic N")
    if args.corpus:
        from ..data.corpus import SETS, Corpus
        from ..data.windows import CorpusWindows

        corpus = Corpus(args.corpus)
        sets = tuple(args.sets or SETS)
        train = CorpusWindows(corpus, corpus.select(sets, ("train",)), args.window_s, cfg, slots)
        val_entries = corpus.select(sets, ("val",))
        val = CorpusWindows(corpus, val_entries, args.window_s, cfg, slots) if val_entries else None
        return train, val, {"corpus": str(args.corpus), "sets": list(sets), "train_windows": len(train),
                            "val_windows": len(val) if val else 0, "window_s": args.window_s}
    if args.synthetic:
        from ..data.synthetic import SyntheticECGDataset

        full: Dataset = SyntheticECGDataset(args.synthetic, args.window_s, args.seed, cfg, slots=slots)
        desc = {"synthetic_records": args.synthetic, "window_s": args.window_s}
    else:
        from ..data.windows import RecordingWindows

        full = RecordingWindows(args.inputs, args.window_s, cfg, slots)
        desc = {"inputs": [str(p) for p in args.inputs], "recordings": len(full.files), "window_s": args.window_s}
    n_val = int(round(len(full) * args.val_fraction))
    if n_val == 0:
        return full, None, {**desc, "train_windows": len(full), "val_windows": 0}
    # the last windows are validation: a deterministic split, stable across resumes
    train, val = Subset(full, range(len(full) - n_val)), Subset(full, range(len(full) - n_val, len(full)))
    return train, val, {**desc, "train_windows": len(train), "val_windows": n_val}
