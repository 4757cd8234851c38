"""Cardio-Sparse Attention: each token sees its own lead at every time and every lead within ±w patches.

Tokens live on a (lead slot S) × (patch P) grid. Query (s, t) attends to the union of
``{(s, t') : all t'}`` (own lead) and ``{(s', t + d) : all s', |d| ≤ w}`` (positional tolerance) in ONE
softmax. The two sets overlap on the own lead at |d| ≤ w; those keys are counted once (taken from the
own-lead block). Padding (masked lead slots, masked patches) is excluded from the keys; a query whose
every key is padding outputs zeros, never NaN.

The implementation is exact and never builds an N×N mask: scores are computed block-wise, an own-lead
block ``(…, S, P, P)`` and a cross-lead band ``(…, S, P, 2w+1, S)``, then normalised jointly. Time and
memory grow as N·(P + (2w+1)·S) for N = S·P tokens. :func:`dense_cardio_attention` is the N×N reference
used by the tests and the benchmark.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def token_validity(lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
    """(B, S, P) bool: the token holds real signal (its lead slot and its patch are both valid)."""
    return lead_mask[:, :, None] & patch_mask[:, None, :]


def _time_band(x: torch.Tensor, w: int, lead_last: bool) -> torch.Tensor:
    """The 2w+1 time shifts of ``x`` (B, H, S, P, Dh), contiguous: (B, H, P, Dh, 2w+1, S) when ``lead_last``
    (keys) else (B, H, P, S, 2w+1, Dh) (values); shift j of patch p holds patch p + j - w, zeros outside. The
    operands of the cross-lead band's :func:`torch.bmm` in the layout einsum gave them, built from contiguous
    slices instead of a copy of an unfolded view (a quarter of the time)."""
    P = x.shape[3]
    xp = F.pad(x, (0, 0, w, w)).permute((0, 1, 3, 4, 2) if lead_last else (0, 1, 3, 2, 4))
    return torch.stack([xp[:, :, j:j + P] for j in range(2 * w + 1)], dim=4)


def cardio_sparse_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lead_mask: torch.Tensor,
                            patch_mask: torch.Tensor, window: int = 1, dropout_p: float = 0.0,
                            training: bool = False) -> torch.Tensor:
    """Exact Cardio-Sparse attention. q, k, v: (B, H, S, P, Dh); masks (B, S) / (B, P) bool → (B, H, S, P, Dh)."""
    B, H, S, P, Dh = q.shape
    w = window
    scale = 1.0 / math.sqrt(Dh)
    q = q * scale
    valid = token_validity(lead_mask, patch_mask)  # (B, S, P)
    neg = torch.finfo(q.dtype).min

    # own lead, every time: (B, H, S, P, P)
    own = torch.einsum("bhspd,bhsqd->bhspq", q, k)
    own = own.masked_fill(~valid[:, None, :, None, :], neg)

    # every lead within ±w patches: scores (B, H, S, P, 2w+1, S'), batched over (b, h, p)
    W = 2 * w + 1
    q_rows = q.permute(0, 1, 3, 2, 4).reshape(B * H * P, S, Dh)
    cross = torch.bmm(q_rows, _time_band(k, w, True).reshape(B * H * P, Dh, W * S))
    cross = cross.view(B, H, P, S, W, S).permute(0, 1, 3, 2, 4, 5)
    valid_band = F.pad(valid, (w, w)).unfold(2, W, 1)  # (B, S', P, 2w+1)
    eye = torch.eye(S, dtype=torch.bool, device=q.device)  # own lead already in the own-lead block
    cross_ok = valid_band.permute(0, 2, 3, 1)[:, None, :, :] & ~eye[:, None, None, :]  # (B, S, P, 2w+1, S')
    cross = cross.masked_fill(~cross_ok[:, None], neg)

    # joint softmax over both blocks (one fused softmax over the concatenated keys)
    n_cross = W * S
    scores = torch.cat([own, cross.flatten(-2)], dim=-1)  # (B, H, S, P, P + (2w+1)S)
    attn = torch.softmax(scores, dim=-1)
    if dropout_p > 0.0 and training:
        attn = F.dropout(attn, dropout_p, training=True)
    a_own, a_cross = attn.split([P, n_cross], dim=-1)
    out = torch.einsum("bhspq,bhsqd->bhspd", a_own, v)
    # the band's values, summed over (lead t, shift) in that order
    a_band = a_cross.unflatten(-1, (W, S)).permute(0, 1, 3, 2, 5, 4).reshape(B * H * P, S, S * W)
    v_band = _time_band(v, w, False).reshape(B * H * P, S * W, Dh)
    out = out + torch.bmm(a_band, v_band).view(B, H, P, S, Dh).permute(0, 1, 3, 2, 4)
    # a query whose every key is padding got a uniform softmax over masked keys: its output is zero
    has_key = valid.any(2)[:, :, None] | cross_ok.flatten(-2).any(-1)  # (B, S, P)
    return out * has_key[:, None, :, :, None].to(out.dtype)


def cardio_sparse_mask(lead_mask: torch.Tensor, patch_mask: torch.Tensor, window: int = 1) -> torch.Tensor:
    """Dense (B, N, N) boolean mask of Cardio-Sparse attention, N = S·P tokens in lead-major order."""
    B, S = lead_mask.shape
    P = patch_mask.shape[1]
    lead = torch.arange(S, device=lead_mask.device).repeat_interleave(P)
    time = torch.arange(P, device=lead_mask.device).repeat(S)
    allowed = (lead[:, None] == lead[None, :]) | ((time[:, None] - time[None, :]).abs() <= window)
    valid = token_validity(lead_mask, patch_mask).reshape(B, S * P)
    return allowed[None] & valid[:, None, :]


def dense_cardio_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lead_mask: torch.Tensor,
                           patch_mask: torch.Tensor, window: int = 1) -> torch.Tensor:
    """Reference with an explicit N×N mask (O(N²) memory); same shapes and semantics as the sparse one."""
    B, H, S, P, Dh = q.shape
    mask = cardio_sparse_mask(lead_mask, patch_mask, window)[:, None]  # (B, 1, N, N)
    scores = torch.einsum("bhnd,bhmd->bhnm", q.reshape(B, H, S * P, Dh), k.reshape(B, H, S * P, Dh))
    scores = (scores / math.sqrt(Dh)).masked_fill(~mask, float("-inf"))
    attn = torch.softmax(scores, -1).nan_to_num(0.0)
    return torch.einsum("bhnm,bhmd->bhnd", attn, v.reshape(B, H, S * P, Dh)).reshape(B, H, S, P, Dh)


class CardioSparseAttention(nn.Module):
    """Multi-head Cardio-Sparse self-attention over a (B, S, P, D) token grid."""

    def __init__(self, d_model: int, n_heads: int, window: int = 1, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} not divisible by {n_heads} heads")
        self.n_heads, self.window, self.dropout = n_heads, window, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
        B, S, P, D = x.shape
        qkv = self.qkv(x).view(B, S, P, 3, self.n_heads, D // self.n_heads).permute(3, 0, 4, 1, 2, 5)
        out = cardio_sparse_attention(qkv[0], qkv[1], qkv[2], lead_mask, patch_mask, self.window,
                                      self.dropout, self.training)
        return self.proj(out.permute(0, 2, 3, 1, 4).reshape(B, S, P, D))
