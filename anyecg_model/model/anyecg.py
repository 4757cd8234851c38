"""`AnyECG`: tokenizer (Rhythm Quantizer) + backbone + task heads, with the configs that rebuild it."""
from __future__ import annotations

import copy
import importlib
import importlib.util
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..signal.preprocess import PreparedSignal, preprocess
from ..vocabulary.model_input import PreprocessConfig
from .backbone import AnyECGBackbone
from .config import ModelConfig, model_config
from .head_registry import HEAD_TYPES
from .tokenizer import RhythmQuantizer


def build_head(cfg: ModelConfig, spec: dict[str, Any]) -> nn.Module:
    """A head from its spec ``{"type": name, **kwargs}`` via :data:`HEAD_TYPES` (filled by ``heads.py``)."""
    if importlib.util.find_spec("anyecg_model.model.heads") is not None:
        importlib.import_module("anyecg_model.model.heads")
    if "type" not in spec:
        raise ValueError(f"head spec {spec} has no 'type'")
    kind = spec["type"]
    if kind not in HEAD_TYPES:
        raise ValueError(f"unknown head type {kind!r}; known: {sorted(HEAD_TYPES)}")
    return HEAD_TYPES[kind](cfg, **{k: v for k, v in spec.items() if k != "type"})


class AnyECG(nn.Module):
    """The whole model. ``cfg.heads`` lists the heads; ``preprocess_cfg`` says how to prepare input for it."""

    def __init__(self, cfg: ModelConfig, preprocess_cfg: PreprocessConfig | None = None):
        super().__init__()
        self.cfg = copy.deepcopy(cfg)
        self.preprocess_cfg = preprocess_cfg or PreprocessConfig(patch_len=cfg.patch_len)
        if self.preprocess_cfg.patch_len != cfg.patch_len:
            raise ValueError(f"preprocessing patch_len {self.preprocess_cfg.patch_len} != model patch_len "
                             f"{cfg.patch_len}")
        self.tokenizer = RhythmQuantizer(self.cfg)
        self.backbone = AnyECGBackbone(self.cfg)
        self.heads = nn.ModuleDict({name: build_head(self.cfg, spec) for name, spec in self.cfg.heads.items()})

    @classmethod
    def from_size(cls, size: str, preprocess_cfg: PreprocessConfig | None = None, **overrides: Any) -> "AnyECG":
        return cls(model_config(size, **overrides), preprocess_cfg)

    def add_head(self, name: str, spec: dict[str, Any]) -> nn.Module:
        """Build a head from ``spec`` and record it in ``cfg.heads`` so checkpoints rebuild it."""
        head = build_head(self.cfg, spec)
        self.cfg.heads[name] = dict(spec)
        self.heads[name] = head
        return head

    def prepare(self, data: np.ndarray, fs: float, lead_names: Sequence[str]) -> PreparedSignal:
        """Preprocess a (n_leads, n) mV array at ``fs`` Hz with this model's preprocessing and lead slots."""
        return preprocess(data, fs, lead_names, self.preprocess_cfg, self.cfg.lead_slots)

    def embed(self, patches: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
        """Backbone hidden states (B, S, P, D) of unmasked input."""
        return self.backbone(patches, lead_mask, patch_mask)

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
