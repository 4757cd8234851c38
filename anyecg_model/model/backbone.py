"""The AnyECG backbone: patch encoder + time/lead embeddings + Cardio-Sparse transformer, with a learnable mask
token and a masked-code-prediction (MCP) head over the tokenizer's codebook for stage-2 pre-training."""
from __future__ import annotations

import torch
from torch import nn

from .attention import token_validity
from .config import ModelConfig
from .layers import GridTransformer, PatchEncoder, embed_patches, present_slots, scatter_slots


class AnyECGBackbone(nn.Module):
    """``forward(patches (B,S,P,L), lead_mask (B,S), patch_mask (B,P), token_mask (B,S,P)=None) → (B,S,P,D)``.

    Tokens where ``token_mask`` is True have their patch embedding replaced by the mask token (before the
    time and lead embeddings are added). Hidden states of invalid tokens are zeros.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.patch_encoder = PatchEncoder(cfg.patch_len, cfg.conv_channels, cfg.conv_groups, cfg.d_model)
        self.mask_token = nn.Parameter(torch.zeros(cfg.d_model))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.transformer = GridTransformer(cfg.d_model, cfg.depth, cfg.n_heads, cfg.mlp_ratio, cfg.window,
                                           cfg.dropout, cfg.n_slots, cfg.max_patches)
        self.mcp_head = nn.Linear(cfg.d_model, cfg.codebook_size)

    def forward(self, patches: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor,
                token_mask: torch.Tensor | None = None) -> torch.Tensor:
        slots = present_slots(lead_mask)
        if slots is not None:
            patches, lead_mask = patches[:, slots], lead_mask[:, slots]
            token_mask = None if token_mask is None else token_mask[:, slots]
        valid = token_validity(lead_mask, patch_mask)
        x = embed_patches(self.patch_encoder, patches, valid, self.cfg.d_model)
        if token_mask is not None:
            x = torch.where((token_mask & valid)[..., None], self.mask_token.to(x.dtype), x)
        h = self.transformer(x, lead_mask, patch_mask, slots)
        return scatter_slots(h, slots, self.cfg.n_slots)
