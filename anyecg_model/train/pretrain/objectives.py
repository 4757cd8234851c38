"""Training objectives of the two pre-training stages, as modules whose ``forward(batch)`` returns
``(loss, terms)`` so the generic :class:`~anyecg_model.train.loop.Trainer` (and DDP) can drive them."""
from __future__ import annotations

import torch
from torch import nn

from ...model.backbone import AnyECGBackbone
from ...model.mcp import masked_code_loss
from ...model.tokenizer import RhythmQuantizer


class TokenizerObjective(nn.Module):
    """Stage 1: the Rhythm Quantizer's multi-view reconstruction + VQ loss."""

    def __init__(self, tokenizer: RhythmQuantizer):
        super().__init__()
        self.tokenizer = tokenizer

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.tokenizer.loss(batch)


class MaskedCodeObjective(nn.Module):
    """Stage 2: masked code prediction by the backbone; the tokenizer is frozen (no gradients, eval mode)."""

    def __init__(self, backbone: AnyECGBackbone, tokenizer: RhythmQuantizer, mask_ratio: float = 0.5,
                 symmetric: bool = False):
        super().__init__()
        self.backbone, self.tokenizer = backbone, tokenizer
        self.mask_ratio, self.symmetric = mask_ratio, symmetric
        for p in self.tokenizer.parameters():
            p.requires_grad_(False)
        self.tokenizer.eval()

    def train(self, mode: bool = True) -> "MaskedCodeObjective":
        super().train(mode)
        self.tokenizer.eval()
        return self

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        codes = self.tokenizer.encode(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        return masked_code_loss(self.backbone, batch, codes, self.mask_ratio, self.symmetric)
