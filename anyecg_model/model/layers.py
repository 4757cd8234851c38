"""Building blocks shared by the Rhythm Quantizer and the backbone: patch encoder and token-grid transformer.

Tokens form a (B, S lead slots, P patches, D) grid. Only valid tokens (lead present and patch real) are
encoded; lead slots absent from the whole batch are dropped before attention (they could only be
masked keys), which is exact and makes 1–2-lead Holter batches ~6× cheaper. Invalid tokens come out as
zeros.
"""
from __future__ import annotations

import torch
from torch import nn

from .attention import CardioSparseAttention, token_validity


class PatchEncoder(nn.Module):
    """One lead's 1-s fragment (patch_len samples) → a D-vector: temporal convs (k15/s8, k3, k3), GroupNorm, GELU."""

    def __init__(self, patch_len: int, channels: int, groups: int, d_out: int):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv1d(1, channels, 15, stride=8, padding=7), nn.GroupNorm(groups, channels), nn.GELU(),
            nn.Conv1d(channels, channels, 3, padding=1), nn.GroupNorm(groups, channels), nn.GELU(),
            nn.Conv1d(channels, channels, 3, padding=1), nn.GroupNorm(groups, channels), nn.GELU(),
        )
        n_out = (patch_len + 2 * 7 - 15) // 8 + 1
        self.proj = nn.Linear(channels * n_out, d_out)

    def forward(self, fragments: torch.Tensor) -> torch.Tensor:
        """(M, patch_len) mV-scaled fragments → (M, d_out)."""
        h = self.convs(fragments[:, None, :])
        return self.proj(h.flatten(1))


class Block(nn.Module):
    """Pre-norm transformer block with Cardio-Sparse attention and a GELU MLP."""

    def __init__(self, d: int, n_heads: int, mlp_ratio: float, window: int, dropout: float):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = CardioSparseAttention(d, n_heads, window, dropout)
        self.ln2 = nn.LayerNorm(d)
        hidden = int(d * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), lead_mask, patch_mask))
        return x + self.drop(self.mlp(self.ln2(x)))


class GridTransformer(nn.Module):
    """Learnable time (patch index) and lead-slot embeddings + a stack of Cardio-Sparse blocks + final norm."""

    def __init__(self, d: int, depth: int, n_heads: int, mlp_ratio: float, window: int, dropout: float,
                 n_slots: int, max_patches: int):
        super().__init__()
        self.max_patches = max_patches
        self.time_embed = nn.Embedding(max_patches, d)
        self.lead_embed = nn.Embedding(n_slots, d)
        self.blocks = nn.ModuleList(Block(d, n_heads, mlp_ratio, window, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(d)
        nn.init.trunc_normal_(self.time_embed.weight, std=0.02)
        nn.init.trunc_normal_(self.lead_embed.weight, std=0.02)

    def forward(self, x: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor,
                slot_index: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, S, P, D) → (B, S, P, D); ``slot_index`` (S,) gives each row's canonical slot."""
        B, S, P, _ = x.shape
        if P > self.max_patches:
            raise ValueError(f"window of {P} patches exceeds the model's max_patches={self.max_patches}")
        slots = torch.arange(S, device=x.device) if slot_index is None else slot_index
        x = x + self.time_embed.weight[:P][None, None] + self.lead_embed(slots)[None, :, None]
        for block in self.blocks:
            x = block(x, lead_mask, patch_mask)
        x = self.norm(x)
        return x * token_validity(lead_mask, patch_mask)[..., None].to(x.dtype)


def present_slots(lead_mask: torch.Tensor) -> torch.Tensor | None:
    """Indices of slots used by any batch item, or None when all are (nothing to compact)."""
    present = lead_mask.any(0)
    return None if bool(present.all()) else torch.nonzero(present).flatten()


def scatter_slots(x: torch.Tensor, slots: torch.Tensor | None, n_slots: int) -> torch.Tensor:
    """Undo slot compaction: (B, S', …) → (B, n_slots, …) with zeros in dropped slots."""
    if slots is None:
        return x
    out = x.new_zeros((x.shape[0], n_slots) + tuple(x.shape[2:]))
    out[:, slots] = x
    return out


def embed_patches(encoder: PatchEncoder, patches: torch.Tensor, valid: torch.Tensor, d: int) -> torch.Tensor:
    """Encode only valid patches: (B, S, P, L) → (B, S, P, d), zeros at invalid tokens."""
    out = patches.new_zeros(patches.shape[:3] + (d,))
    if bool(valid.any()):
        enc = encoder(patches[valid])
        out = out.to(enc.dtype)
        out[valid] = enc
    return out


def masked_mean(x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean of (B, S, P, D) over valid tokens → (B, D) (zeros for a batch item with none)."""
    w = valid[..., None].to(x.dtype)
    return (x * w).sum((1, 2)) / w.sum((1, 2)).clamp_min(1.0)

