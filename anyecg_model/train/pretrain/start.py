"""Where a backbone pre-training run starts: a pre-trained tokenizer, an existing checkpoint whose backbone is
trained further (``--init-from DIR``, ``--init-from shipped`` for the shipped model), or ``--out`` itself
when resuming.

Continuing from a checkpoint keeps its configs, tokenizer and codebook (frozen, as in stage 2) and its
backbone weights; the checkpoint folder is only read. Task heads are dropped: they were fitted to the old
backbone, so they are fine-tuned again (``anyecg finetune``) on the new one.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import torch

from ...model.anyecg import AnyECG
from ...model.checkpoint import load_checkpoint
from ...model.checkpoint_meta import CheckpointError
from ...model.shipped import SHIPPED_MODEL_DIR

log = logging.getLogger(__name__)

#: ``--init-from shipped`` names the shipped model.
SHIPPED = "shipped"
#: Config fields a run may change when it continues (``--mask-ratio``, ``--symmetric``; heads are dropped).
_MAY_DIFFER = {"heads", "mask_ratio", "symmetric_mask"}


class StartError(ValueError):
    """The run cannot start from what was given (the message says why and what to do)."""


def resolve_init(init: str | os.PathLike | None) -> Path | None:
    """``shipped`` → the shipped model's folder; any other value is a checkpoint folder."""
    if init is None:
        return None
    return SHIPPED_MODEL_DIR if str(init) == SHIPPED else Path(init)


def without_heads(model: AnyECG) -> AnyECG:
    """The same tokenizer and backbone (configs and weights), no task heads; the training history is kept."""
    cfg = dataclasses.replace(model.cfg, heads={})
    bare = AnyECG(cfg, model.preprocess_cfg)
    bare.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("heads.")}, strict=True)
    history = getattr(model, "metadata", {}).get("training", {}).get("history", [])
    bare.metadata = {"training": {"history": list(history)}}
    return bare


def _load(directory: Path, flag: str) -> AnyECG:
    try:
        return load_checkpoint(directory)
    except CheckpointError as exc:
        raise StartError(f"{flag} {directory}: not a usable AnyECG checkpoint ({exc})") from exc


def _check_continues(resumed: AnyECG, init: AnyECG, out: Path, init_dir: Path) -> None:
    """``out`` must have been started from ``init``: same configs, same frozen tokenizer weights."""
    ours, theirs = dataclasses.asdict(resumed.cfg), dataclasses.asdict(init.cfg)
    fields = sorted(k for k in ours if k not in _MAY_DIFFER and ours[k] != theirs.get(k))
    if resumed.preprocess_cfg.to_dict() != init.preprocess_cfg.to_dict():
        fields.append("preprocess")
    if not fields:
        mine, start = resumed.tokenizer.state_dict(), init.tokenizer.state_dict()
        if any(not torch.equal(v, start[k]) for k, v in mine.items()):
            fields.append("tokenizer weights")
    if fields:
        raise StartError(f"--resume: {out} was not started from --init-from {init_dir} (they differ in "
                         f"{', '.join(fields)}); resume without --init-from, or start a new --out")


def backbone_start(out: Path, resume: bool, tokenizer: Path | None = None,
                   init_from: str | os.PathLike | None = None) -> tuple[AnyECG, dict]:
    """The model a backbone pre-training run trains, and what it started from (for the checkpoint's
    ``training_data``). Raises :class:`StartError` with a message for the user."""
    init_dir = resolve_init(init_from)
    if init_dir is not None and tokenizer is not None:
        raise StartError("give --tokenizer DIR or --init-from DIR, not both (a checkpoint brings its own tokenizer)")
    if init_dir is not None and out.resolve() == init_dir.resolve():
        raise StartError(f"--out {out} is the --init-from folder; write the continued model to a new folder")
    if resume:
        model = _load(out, "--resume: --out")
        if init_dir is not None:
            _check_continues(model, _load(init_dir, "--init-from"), out, init_dir)
        started = model.metadata.get("training_data", {})
        return model, {k: started[k] for k in ("tokenizer", "init_from") if k in started}
    if init_dir is not None:
        model = _load(init_dir, "--init-from")
        if model.cfg.heads:
            log.info("continuing the backbone of %s; its heads (%s) are left out: fine-tune them again on the "
                     "new backbone", init_dir, ", ".join(model.cfg.heads))
        return without_heads(model), {"init_from": str(init_dir)}
    if tokenizer is None:
        raise StartError("--tokenizer DIR (a pretrain-tokenizer checkpoint) or --init-from DIR|shipped is "
                         "required (unless --resume)")
    return _load(tokenizer, "--tokenizer"), {"tokenizer": str(tokenizer)}
