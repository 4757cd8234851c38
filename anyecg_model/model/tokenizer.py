"""Rhythm Quantizer (stage 1): 1-s single-lead fragments → discrete rhythm codes, trained by a multi-view decoder.

Encoder: temporal-conv patch encoder → + time and lead embeddings → Cardio-Sparse transformer → linear to
``code_dim`` → ℓ2-normalise → cosine codebook. Decoder: codes → Cardio-Sparse transformer → three views:
morphology (the 300-sample preprocessed fragment), frequency (db6 DWT approximation and detail coefficients
at every level, each level z-scored per fragment with a 0.05 floor on its standard deviation) and
demography (age scaled as (age − 50)/20 years and sex as P(male), from a masked mean over the record's
tokens; unknown attributes are left out of the loss). All views use MSE (paper). Padding tokens are out of
every loss.
"""
from __future__ import annotations

import numpy as np
import pywt
import torch
import torch.nn.functional as F
from torch import nn

from .attention import token_validity
from .codebook import CosineCodebook
from .config import ModelConfig
from .layers import GridTransformer, PatchEncoder, embed_patches, masked_mean, present_slots, scatter_slots

AGE_CENTER_Y, AGE_SCALE_Y = 50.0, 20.0
DWT_STD_FLOOR = 0.05


def dwt_matrix(patch_len: int, wavelet: str, level: int) -> tuple[np.ndarray, list[int]]:
    """(patch_len, C) matrix M with ``x @ M`` = concatenated pywt ``wavedec`` (periodization) coefficients
    [cA_level, cD_level, …, cD_1], and the length of each of those blocks."""
    coeffs = pywt.wavedec(np.eye(patch_len), wavelet, mode="periodization", level=level, axis=-1)
    return np.concatenate(coeffs, axis=-1).astype(np.float32), [c.shape[-1] for c in coeffs]


def normalised_dwt(fragments: torch.Tensor, matrix: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """(M, patch_len) → (M, C) DWT coefficients, each level z-scored within its fragment."""
    out = []
    for block in torch.split(fragments.float() @ matrix, sizes, dim=-1):
        mu = block.mean(-1, keepdim=True)
        sd = block.std(-1, keepdim=True, unbiased=False).clamp_min(DWT_STD_FLOOR) if block.shape[-1] > 1 else 1.0
        out.append((block - mu) / sd)
    return torch.cat(out, -1)


class RhythmQuantizer(nn.Module):
    """The AnyECG tokenizer. ``encode`` is read-only inference; ``loss`` is the stage-1 objective."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.tok_d_model
        self.patch_encoder = PatchEncoder(cfg.patch_len, cfg.conv_channels, cfg.conv_groups, d)
        self.encoder = GridTransformer(d, cfg.tok_depth, cfg.tok_heads, cfg.mlp_ratio, cfg.window, cfg.dropout,
                                       cfg.n_slots, cfg.max_patches)
        self.to_code = nn.Linear(d, cfg.code_dim)
        self.codebook = CosineCodebook(cfg.codebook_size, cfg.code_dim, cfg.codebook_ema, cfg.ema_decay,
                                       cfg.kmeans_init, cfg.dead_code_threshold)
        self.from_code = nn.Linear(cfg.code_dim, d)
        self.decoder = GridTransformer(d, cfg.dec_depth, cfg.tok_heads, cfg.mlp_ratio, cfg.window, cfg.dropout,
                                       cfg.n_slots, cfg.max_patches)
        matrix, sizes = dwt_matrix(cfg.patch_len, cfg.dwt_wavelet, cfg.dwt_level)
        self.dwt_sizes = sizes
        self.register_buffer("dwt", torch.from_numpy(matrix), persistent=False)
        self.morphology_head = nn.Linear(d, cfg.patch_len)
        self.frequency_head = nn.Linear(d, matrix.shape[1])
        self.demography_head = nn.Linear(d, 2)

    def _quantise(self, patches: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor):
        slots = present_slots(lead_mask)
        if slots is not None:
            patches, lead_mask = patches[:, slots], lead_mask[:, slots]
        valid = token_validity(lead_mask, patch_mask)
        x = embed_patches(self.patch_encoder, patches, valid, self.cfg.tok_d_model)
        h = self.encoder(x, lead_mask, patch_mask, slots)
        zq, idx, terms = self.codebook(self.to_code(h[valid]))
        return zq, idx, terms, valid, slots, patches, lead_mask

    @torch.no_grad()
    def encode(self, patches: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
        """Rhythm codes (B, S, P) int64; -1 at invalid tokens (absent lead or padded patch). Read-only."""
        _, idx, _, valid, slots, _, _ = self._quantise(patches, lead_mask, patch_mask)
        codes = torch.full(valid.shape, -1, dtype=torch.long, device=patches.device)
        codes[valid] = idx
        return scatter_slots(codes.unsqueeze(-1), slots, self.cfg.n_slots).squeeze(-1).masked_fill(
            ~token_validity(lead_mask, patch_mask), -1)

    def loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Stage-1 loss: morphology + frequency + demography + codebook + commitment (unweighted, paper);
        the terms dict also holds codebook ``perplexity`` and ``code_usage`` (share of codes used)."""
        patch_mask = batch["patch_mask"]
        if not bool(token_validity(batch["lead_mask"], patch_mask).any()):
            # nothing to learn from; a zero that touches every parameter keeps DDP's gradient sync in step
            zero = sum(p.sum() for p in self.parameters() if p.requires_grad) * 0.0
            names = ("morphology", "frequency", "demography", "codebook", "commitment", "perplexity", "code_usage")
            return zero, {k: zero.detach() for k in names}
        zq, _, terms, valid, slots, patches, lead_mask = self._quantise(batch["patches"], batch["lead_mask"],
                                                                        patch_mask)
        q = patches.new_zeros(valid.shape + (self.cfg.tok_d_model,))
        proj = self.from_code(zq)
        q = q.to(proj.dtype)
        q[valid] = proj
        h = self.decoder(q, lead_mask, patch_mask, slots)
        target, hv = patches[valid].float(), h[valid]
        morph = F.mse_loss(self.morphology_head(hv).float(), target)
        freq = F.mse_loss(self.frequency_head(hv).float(), normalised_dwt(target, self.dwt, self.dwt_sizes))
        demo = self._demography_loss(h, valid, batch)
        total = morph + freq + demo + terms["codebook"] + self.cfg.commitment_weight * terms["commitment"]
        out = {"morphology": morph, "frequency": freq, "demography": demo, **terms}
        return total, {k: v.detach() for k, v in out.items()}

    def _demography_loss(self, h: torch.Tensor, valid: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pred = self.demography_head(masked_mean(h, valid)).float()  # (B, 2): scaled age, sex logit
        age = (batch["age"].float() - AGE_CENTER_Y) / AGE_SCALE_Y
        sex = batch["sex"].float()
        has = valid.flatten(1).any(1)
        age_ok, sex_ok = has & torch.isfinite(age), has & torch.isfinite(sex)
        err = torch.cat([(pred[age_ok, 0] - age[age_ok]) ** 2, (torch.sigmoid(pred[sex_ok, 1]) - sex[sex_ok]) ** 2])
        return err.mean() if err.numel() else pred.sum() * 0.0

