"""Cosine (ℓ2-normalised) vector-quantisation codebook of rhythm codes.

Input vectors are centred, then ℓ2-normalised. Without centring, a fresh encoder's outputs share one
dominant direction (mean resultant length ≈ 0.75 on real ECG) that the reconstruction gradient keeps
growing, and the book collapsed onto a single code within five steps. The centre is a running mean of
the encoder vectors (EMA, ``CENTER_DECAY``), the same value in training and inference; in training the
batch mean also enters the graph with zero value (``mean − sg(mean)``), so the gradient is that of batch
centring and the common-mode direction receives none (as in batch normalisation).
Assignment: nearest code by cosine similarity. Losses (VQ-VAE): codebook ``‖sg(z) − e‖²`` and commitment
``‖z − sg(e)‖²``, straight-through gradients. Options: EMA codebook updates (then the codebook is a buffer
and the codebook term carries no gradient, it is logged and summed for a comparable total), spherical
k-means initialisation on the first training batch, and restart of dead codes (usage below
``dead_code_threshold`` × the mean usage) from random encoder outputs.

Statistics change ONLY in training mode with gradients enabled; ``eval()`` or ``torch.no_grad()``
inference is read-only, so one model can be shared by threads. Under ``torch.distributed`` the EMA
statistics are all-reduced and k-means / restarts are decided on rank 0 and broadcast, so every rank keeps
an identical codebook.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


#: EMA decay of the running centre used at inference (per step).
CENTER_DECAY = 0.95


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def usage_stats(idx: torch.Tensor, K: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Perplexity exp(H(p)) of the code histogram and the share of the K codes used at least once."""
    counts = torch.bincount(idx.flatten(), minlength=K).float()
    p = counts / counts.sum().clamp_min(1.0)
    perplexity = torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum())
    return perplexity, (counts > 0).float().mean()


def spherical_kmeans(x: torch.Tensor, K: int, iters: int = 10, generator: torch.Generator | None = None) -> torch.Tensor:
    """K unit-norm centroids of unit-norm rows x (M, d); seeds drawn from x (with replacement if M < K)."""
    M = x.shape[0]
    pick = torch.randint(M, (K,), generator=generator) if M < K else torch.randperm(M, generator=generator)[:K]
    c = x[pick.to(x.device)].clone()
    for _ in range(iters):
        assign = (x @ c.T).argmax(1)
        sums = torch.zeros_like(c).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=K)
        c = torch.where(counts[:, None] > 0, F.normalize(sums, dim=1), c)
    return c


class CosineCodebook(nn.Module):
    """K codes of dimension d on the unit sphere; ``forward(z)`` quantises unit-norm rows (M, d)."""

    def __init__(self, K: int, dim: int, ema: bool = True, decay: float = 0.9, kmeans_init: bool = True,
                 dead_code_threshold: float = 0.3):
        super().__init__()
        self.K, self.dim, self.ema, self.decay = K, dim, ema, decay
        self.dead_code_threshold = dead_code_threshold
        init = F.normalize(torch.randn(K, dim), dim=1)
        if ema:
            self.register_buffer("embed", init)
        else:
            self.embed = nn.Parameter(init)
        self.register_buffer("embed_sum", init.clone())
        self.register_buffer("cluster_size", torch.ones(K))
        self.register_buffer("initialised", torch.tensor(not kmeans_init))
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("center_initialised", torch.tensor(False))

    def codes(self) -> torch.Tensor:
        """(K, d) unit-norm code vectors."""
        return F.normalize(self.embed, dim=1)

    def project(self, x: torch.Tensor, center: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder vectors (M, d) → rows z centred by ``center`` (default: the running centre), unit norm."""
        return F.normalize(x.float() - (self.center if center is None else center), dim=-1)

    def assign(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code (cosine) for encoder vectors x (M, d), in float32 even under autocast."""
        with torch.autocast(x.device.type, enabled=False):
            return (self.project(x) @ self.codes().T).argmax(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Encoder vectors x (M, d) → (straight-through quantised unit vectors, indices (M,), loss/usage terms).
        Assignment and the EMA update run in float32 even under autocast."""
        with torch.autocast(x.device.type, enabled=False):
            return self._quantise(x)

    def _quantise(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        learn = self.training and torch.is_grad_enabled() and x.shape[0] > 0
        if learn:
            x = x.float()
            self._update_center(x.detach())
            mean = x.mean(0)
            z = self.project(x, self.center + (mean - mean.detach()))
        else:
            z = self.project(x)
        if learn:
            self._update(z.detach())
        codes = self.codes()
        idx = (z @ codes.T).argmax(1)
        e = codes[idx]
        terms = {
            "codebook": F.mse_loss(e, z.detach()) if z.shape[0] else z.sum() * 0.0,
            "commitment": F.mse_loss(z, e.detach()) if z.shape[0] else z.sum() * 0.0,
        }
        perplexity, usage = usage_stats(idx.detach(), self.K)
        terms["perplexity"], terms["code_usage"] = perplexity, usage
        return z + (e - z).detach(), idx, terms

    @torch.no_grad()
    def _update_center(self, x: torch.Tensor) -> None:
        stats = torch.cat([x.sum(0), torch.tensor([float(x.shape[0])], device=x.device)])
        if _distributed():
            dist.all_reduce(stats)
        mean = stats[:-1] / stats[-1]
        if bool(self.center_initialised):
            self.center.mul_(CENTER_DECAY).add_(mean, alpha=1 - CENTER_DECAY)
        else:
            self.center.copy_(mean)
            self.center_initialised.fill_(True)

    @torch.no_grad()
    def _update(self, z: torch.Tensor) -> None:
        if not bool(self.initialised):
            self._set_codes(spherical_kmeans(z, self.K) if self._is_rank0() else torch.empty_like(self.embed))
            self.cluster_size.fill_(1.0)
            self.initialised.fill_(True)
        idx = (z @ self.codes().T).argmax(1)
        counts = torch.bincount(idx, minlength=self.K).float()
        sums = torch.zeros_like(self.embed_sum).index_add_(0, idx, z)
        if _distributed():
            dist.all_reduce(counts)
            dist.all_reduce(sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        if self.ema:
            self.embed.copy_(F.normalize(self.embed_sum, dim=1))
        dead = self.cluster_size < self.dead_code_threshold * self.cluster_size.mean()
        if bool(dead.any()):
            new = self.codes().clone()
            if self._is_rank0():
                new[dead] = z[torch.randint(z.shape[0], (int(dead.sum()),), device=z.device)]
            self.cluster_size[dead] = self.cluster_size.mean()
            self._set_codes(new, dead)

    def _is_rank0(self) -> bool:
        return not _distributed() or dist.get_rank() == 0

    def _set_codes(self, codes: torch.Tensor, rows: torch.Tensor | None = None) -> None:
        """Replace the codes (all, or the boolean ``rows``) with rank 0's ``codes``."""
        codes = codes.contiguous()
        if _distributed():
            dist.broadcast(codes, 0)
        rows = torch.ones(self.K, dtype=torch.bool, device=codes.device) if rows is None else rows
        self.embed.data[rows] = codes[rows]
        self.embed_sum[rows] = codes[rows] * self.cluster_size[rows, None]
