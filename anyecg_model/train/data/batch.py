"""The batch contract shared by every training stage and dataset.

A batch is a dict with ``patches`` (B, S, P, patch_len) float32 (preprocessed, see
:mod:`anyecg_model.signal.preprocess`), ``lead_mask`` (B, S) bool, ``patch_mask`` (B, P) bool, ``age`` (B,)
float32 in years (NaN unknown) and ``sex`` (B,) float32 (1 male, 0 female, NaN unknown). Datasets yield
the same keys without the batch dimension; ``torch.utils.data.default_collate`` stacks them. Task datasets
may add their own keys (labels, R-peak positions).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ...signal.preprocess import PreparedSignal

BATCH_KEYS: tuple[str, ...] = ("patches", "lead_mask", "patch_mask", "age", "sex")


def example_from_prepared(prepared: PreparedSignal, age: float | None = None, sex: float | str | None = None
                          ) -> dict[str, torch.Tensor]:
    """One dataset item (no batch dimension) from a prepared window and optional demography.
    ``sex`` may be 1/0, "M"/"F" or None."""
    if isinstance(sex, str):
        sex = {"M": 1.0, "F": 0.0}.get(sex.upper())
    return {
        "patches": torch.from_numpy(np.ascontiguousarray(prepared.patches, np.float32)),
        "lead_mask": torch.from_numpy(prepared.lead_mask.astype(bool)),
        "patch_mask": torch.from_numpy(prepared.patch_mask.astype(bool)),
        "age": torch.tensor(math.nan if age is None else float(age), dtype=torch.float32),
        "sex": torch.tensor(math.nan if sex is None else float(sex), dtype=torch.float32),
    }


def check_batch(batch: dict[str, torch.Tensor], patch_len: int | None = None) -> None:
    """Raise ValueError naming the first key that breaks the contract (missing, dtype or shape)."""
    missing = [k for k in BATCH_KEYS if k not in batch]
    if missing:
        raise ValueError(f"batch lacks {missing}")
    p = batch["patches"]
    if p.dim() != 4 or p.dtype != torch.float32:
        raise ValueError(f"patches must be (B, S, P, L) float32, got {tuple(p.shape)} {p.dtype}")
    B, S, P, L = p.shape
    if patch_len is not None and L != patch_len:
        raise ValueError(f"patches are {L} samples long, the model expects {patch_len}")
    expect = {"lead_mask": ((B, S), torch.bool), "patch_mask": ((B, P), torch.bool),
              "age": ((B,), torch.float32), "sex": ((B,), torch.float32)}
    for key, (shape, dtype) in expect.items():
        t = batch[key]
        if tuple(t.shape) != shape or t.dtype != dtype:
            raise ValueError(f"{key} must be {shape} {dtype}, got {tuple(t.shape)} {t.dtype}")
    if not torch.isfinite(p).all():
        raise ValueError("patches contain NaN or inf")


def to_device(batch: dict, device: torch.device | str) -> dict:
    """Move every tensor of a batch to ``device`` (non-tensors pass through)."""
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}
