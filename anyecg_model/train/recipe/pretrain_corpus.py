"""Stage 1 and 2 of the shipped recipe on the corpus cache: Rhythm Quantizer, then masked code prediction.

``python -m anyecg_model.train.recipe.pretrain_corpus --stage tokenizer|mcp --out DIR --steps N`` trains one stage
on :class:`~anyecg_model.train.data.task_windows.PretrainDataset` (every set's non-test records, NSTDB noise
augmentation) and writes a checkpoint to ``DIR`` (the MCP stage starts from the tokenizer checkpoint in
``DIR``; run it again to continue from the last MCP checkpoint, recorded as ``mcp_2``, ...). Steps are counted,
so a run is reproducible given the seed; the wall time is logged. On a CUDA machine it trains under bfloat16
autocast with ``--workers`` data-loading processes; carry the corpus there with
:mod:`anyecg_model.train.data.corpus_pack`.
"""
from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from ...model.anyecg import AnyECG
from ...model.checkpoint import load_checkpoint, save_checkpoint
from ...model.device import choose_device
from ...model.mcp import masked_code_loss
from ...vocabulary.model_input import PreprocessConfig
from ..data.batch import to_device
from ..data.corpus import DEFAULT_CORPUS_DIR, Corpus
from ..data.task_windows import PretrainDataset

log = logging.getLogger(__name__)

#: Codebook settings of the shipped recipe: a faster EMA, the usual VQ-VAE commitment weight and an
#: earlier restart of dead codes keep the 512-code book alive on a short CPU run (with the registry
#: defaults it collapsed to a single code within 10 steps).
TOKENIZER_OVERRIDES = {"ema_decay": 0.9, "commitment_weight": 0.25, "dead_code_threshold": 0.3}


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak`` then cosine decay to 5 % of it."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def same_layout_batches(ds, batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches whose windows all come from one set (one lead layout), in shuffled order.

    The backbone drops lead slots absent from the whole batch, so a batch of single-lead windows costs
    a twelfth of one that mixes in a 12-lead window."""
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = {}
    for i, w in enumerate(ds.windows):
        groups.setdefault(ds.corpus.records[w.record].set, []).append(i)
    batches = []
    for idx in groups.values():
        idx = list(rng.permutation(idx))
        batches += [idx[k:k + batch_size] for k in range(0, len(idx) - batch_size + 1, batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def _batches(ds: PretrainDataset, batch_size: int, seed: int, workers: int = 0, pin: bool = False):
    epoch = 0
    while True:
        ds.epoch = epoch
        yield from DataLoader(ds, batch_sampler=same_layout_batches(ds, batch_size, seed + epoch),
                              num_workers=workers, pin_memory=pin)
        epoch += 1


def train_stage(stage: str, out: Path, steps: int, batch_size: int = 32, lr: float = 5e-4, seed: int = 0,
                size: str = "small", corpus_dir: Path = DEFAULT_CORPUS_DIR, max_minutes: float | None = None,
                device: str = "auto", workers: int = 0) -> AnyECG:
    """Train ``stage`` ("tokenizer" or "mcp") for ``steps`` optimiser steps (or until ``max_minutes`` of wall
    time, whichever comes first; the steps done are recorded) on ``device`` (bfloat16 autocast on CUDA),
    loading batches with ``workers`` processes, and save to ``out``."""
    torch.manual_seed(seed)
    pcfg = PreprocessConfig()
    if stage == "tokenizer":
        model = AnyECG.from_size(size, pcfg, **TOKENIZER_OVERRIDES)
        params = model.tokenizer.parameters()
    elif stage == "mcp":
        model = load_checkpoint(out)
        model.tokenizer.eval().requires_grad_(False)
        params = model.backbone.parameters()
    else:
        raise ValueError(f"unknown stage {stage!r}")
    dev = choose_device(device)
    model.to(dev)
    amp = dev.type == "cuda" and torch.cuda.is_bf16_supported()
    ds = PretrainDataset(Corpus(corpus_dir), pcfg, seed=seed)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)
    module = model.tokenizer if stage == "tokenizer" else model.backbone
    module.train()
    t0, history = time.perf_counter(), []
    done = 0
    for step, batch in enumerate(_batches(ds, batch_size, seed, workers, pin=dev.type == "cuda")):
        if step >= steps or (max_minutes is not None and time.perf_counter() - t0 > 60 * max_minutes):
            break
        done = step + 1
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, lr, warmup=max(1, steps // 20))
        batch = to_device(batch, dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            if stage == "tokenizer":
                loss, terms = model.tokenizer.loss(batch)
            else:
                with torch.no_grad():
                    codes = model.tokenizer.encode(batch["patches"], batch["lead_mask"], batch["patch_mask"])
                loss, terms = masked_code_loss(model.backbone, batch, codes, model.cfg.mask_ratio)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == steps - 1:
            row = {"step": step, "loss": float(loss.detach()), **{k: round(float(v), 4) for k, v in terms.items()},
                   "elapsed_s": round(time.perf_counter() - t0, 1)}
            history.append(row)
            log.info("%s %s", stage, row)
    model.eval().to("cpu")
    meta = getattr(model, "metadata", {}) or {}
    training = dict(meta.get("training", {}))
    key = stage if stage not in training else f"{stage}_{sum(k.startswith(stage) for k in training) + 1}"
    training[key] = {"steps": done, "planned_steps": steps, "batch_size": batch_size, "lr": lr, "seed": seed,
                     "device": str(dev), "wall_time_s": round(time.perf_counter() - t0, 1),
                     "last": history[-1] if history else {}}
    save_checkpoint(model, out, {"training": training})
    return model


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stage", choices=("tokenizer", "mcp"), required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="small")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this wall time")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")
    p.add_argument("--workers", type=int, default=0, help="data-loading processes")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(a.threads)
    train_stage(a.stage, a.out, a.steps, a.batch_size, a.lr, a.seed, a.size, a.corpus, a.max_minutes, a.device,
                a.workers)


if __name__ == "__main__":
    main()
