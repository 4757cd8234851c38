"""Dataclass config of the AnyECG model, stored in every checkpoint next to its preprocessing config
(:class:`~anyecg_model.vocabulary.model_input.PreprocessConfig`, part of the model-input contract).

``to_dict``/``from_dict`` round-trip through plain JSON types; unknown keys in a dict are an error that
names them (a checkpoint written by a newer version is refused rather than silently misread).
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..vocabulary.leads import STANDARD_LEADS
from ..vocabulary.model_input import config_from_dict

@dataclass
class ModelConfig:
    """Architecture of the tokenizer (Rhythm Quantizer) and the backbone, plus the task heads' specs.

    ``lead_slots`` are the canonical leads, one slot each; ``max_patches`` is the longest window (tokens
    per lead, i.e. seconds at 1-s patches) the time embedding covers. ``window`` is the Cardio-Sparse
    positional tolerance w (patches). ``heads`` maps a head name to its spec (``{"type": ..., **kwargs}``),
    built through :data:`anyecg_model.model.head_registry.HEAD_TYPES`.
    """

    name: str = "tiny"
    patch_len: int = 300
    lead_slots: tuple[str, ...] = STANDARD_LEADS
    max_patches: int = 60
    # patch encoder (temporal convolutions, shared design for tokenizer and backbone)
    conv_channels: int = 8
    conv_groups: int = 4
    # backbone
    d_model: int = 64
    depth: int = 2
    n_heads: int = 4
    mlp_ratio: float = 4.0
    # tokenizer (Rhythm Quantizer)
    tok_d_model: int = 64
    tok_depth: int = 2
    tok_heads: int = 4
    dec_depth: int = 1
    codebook_size: int = 64
    code_dim: int = 16
    # Codebook dynamics: a fast EMA (0.9), restart of codes used less than 0.3 × the mean and the VQ-VAE
    # commitment weight 0.25. On 50 steps of the real corpus (small, batch 16 × 10 s) these gave a codebook
    # perplexity of 97 (train) / 59 (inference) against 22 / 16 with decay 0.99, threshold 0.05, weight 1.
    codebook_ema: bool = True
    ema_decay: float = 0.9
    kmeans_init: bool = True
    dead_code_threshold: float = 0.3  # share of the mean code usage below which a code is restarted
    commitment_weight: float = 0.25
    dwt_wavelet: str = "db6"
    dwt_level: int = 4
    # attention / training
    window: int = 1
    dropout: float = 0.0
    mask_ratio: float = 0.5
    symmetric_mask: bool = False
    heads: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for attr in ("d_model", "tok_d_model"):
            heads = self.n_heads if attr == "d_model" else self.tok_heads
            if getattr(self, attr) % heads:
                raise ValueError(f"{attr}={getattr(self, attr)} is not divisible by its {heads} heads")
        if self.conv_channels % self.conv_groups:
            raise ValueError("conv_channels must be divisible by conv_groups")
        if self.window < 0:
            raise ValueError("window (w) must be >= 0")
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError("mask_ratio must be in (0, 1)")
        if len(set(self.lead_slots)) != len(self.lead_slots):
            raise ValueError("lead_slots must be unique")

    @property
    def n_slots(self) -> int:
        return len(self.lead_slots)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["lead_slots"] = list(self.lead_slots)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        return config_from_dict(cls, data)

    def replace(self, **changes: Any) -> "ModelConfig":
        return dataclasses.replace(self, **changes)


def _size(name: str, **kw: Any) -> ModelConfig:
    return ModelConfig(name=name, **kw)


#: Registered sizes. ``tiny``: tests (seconds on CPU). ``small``: the shipped CPU default (≈2 M parameters).
#: ``base``/``large``/``xl``: the paper's 254 M / 500 M / 1.7 B parameters (whole AnyECG: tokenizer +
#: backbone), widths and depths being our choice since the paper gives none.
MODEL_SIZES: dict[str, ModelConfig] = {
    "tiny": _size("tiny"),
    "small": _size("small", conv_channels=16, d_model=160, depth=4, n_heads=4, tok_d_model=128, tok_depth=2,
                   tok_heads=4, dec_depth=1, codebook_size=512, code_dim=32, dropout=0.1),
    "base": _size("base", conv_channels=16, d_model=1024, depth=18, n_heads=16, tok_d_model=512, tok_depth=4,
                  tok_heads=8, dec_depth=3, codebook_size=8192, code_dim=64, dropout=0.1),
    "large": _size("large", conv_channels=16, d_model=1280, depth=24, n_heads=16, tok_d_model=512,
                   tok_depth=4, tok_heads=8, dec_depth=3, codebook_size=8192, code_dim=64, dropout=0.1),
    "xl": _size("xl", conv_channels=32, d_model=2048, depth=32, n_heads=32, tok_d_model=768, tok_depth=4,
                tok_heads=12, dec_depth=3, codebook_size=8192, code_dim=64, dropout=0.1),
}


def model_config(name: str, **overrides: Any) -> ModelConfig:
    """A registered size by name (a fresh copy), optionally with fields overridden."""
    if name not in MODEL_SIZES:
        raise ValueError(f"unknown model size {name!r}; known: {sorted(MODEL_SIZES)}")
    overrides.setdefault("heads", copy.deepcopy(MODEL_SIZES[name].heads))
    return dataclasses.replace(MODEL_SIZES[name], **overrides)
