"""Task heads on top of the AnyECG backbone's token embeddings ``h`` (B, S, P, D).

Every head takes ``h`` and the batch dict (``lead_mask`` (B, S), ``patch_mask`` (B, P) and the
head's own extra inputs) and returns logits or waveforms:

- :class:`AnomalyHead`: normal vs abnormal per window, one logit (B,).
- :class:`RhythmHead`: CinC 2017 record classes N/A/O/~ per window, logits (B, 4).
- :class:`BeatHead`: AAMI beat classes N/S/V/F/Q (paced beats are Q here; see model.beat_fusion) at given R-peak positions, logits (B, K, 5), from the
  backbone embedding of the patch holding the beat, RR-interval features, the beat's likeness to the
  window's dominant beat and a beat-centred morphology encoding.
- :class:`LeadGenerationHead`: the waveform of every slot (B, S, P, patch_len) from its token embedding;
  with missing leads given to the backbone as masked tokens this rebuilds them from the present leads.
- :class:`UltraLongHead`: rhythm episode labels over a long recording: a GRU over consecutive window
  embeddings, carrying its hidden state from chunk to chunk so memory stays flat over hours.

Heads are registered by type name in :data:`~anyecg_model.model.head_registry.HEAD_TYPES` and built as
``HEAD_TYPES[type](model_cfg, **spec)``.
"""
from __future__ import annotations

import torch
from torch import nn

from ..vocabulary.labels import AAMI_BEAT_CLASSES, EPISODE_LABELS, RECORD_CLASSES
from ..vocabulary.model_input import MORPH_AFTER, MORPH_BEFORE, N_RR_FEATURES, N_TEMPLATE_FEATURES
from .config import ModelConfig
from .head_registry import register_head



def pool_tokens(h: torch.Tensor, lead_mask: torch.Tensor, patch_mask: torch.Tensor) -> torch.Tensor:
    """Masked mean and max over valid tokens: (B, S, P, D) → (B, 2D)."""
    valid = (lead_mask[:, :, None] & patch_mask[:, None, :]).unsqueeze(-1).to(h.dtype)
    n = valid.sum((1, 2)).clamp_min(1.0)
    mean = (h * valid).sum((1, 2)) / n
    neg = torch.finfo(h.dtype).min
    mx = h.masked_fill(valid == 0, neg).amax((1, 2))
    mx = torch.where(n > 0.5, mx, torch.zeros_like(mx))
    return torch.cat([mean, mx], dim=-1)


def _mlp(d_in: int, hidden: int, d_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(d_in), nn.Linear(d_in, hidden), nn.GELU(), nn.Dropout(dropout),
                         nn.Linear(hidden, d_out))


class _PooledWithRhythm(nn.Module):
    """Pooled token embedding (layer-normed) joined with a small branch for the window's RR statistics, so
    the six RR features are not drowned by the 2D pooled values."""

    def __init__(self, cfg: ModelConfig, n_out: int, hidden: int = 128, dropout: float = 0.1, rr_dim: int = 32):
        super().__init__()
        self.norm = nn.LayerNorm(2 * cfg.d_model)
        self.rr = nn.Sequential(nn.Linear(N_RR_FEATURES, rr_dim), nn.GELU())
        self.mlp = nn.Sequential(nn.Linear(2 * cfg.d_model + rr_dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, n_out))

    def forward(self, h: torch.Tensor, batch: dict, pooled: torch.Tensor | None = None) -> torch.Tensor:
        """``pooled``: :func:`pool_tokens` of ``h`` when the caller computed it already (several heads read it)."""
        if pooled is None:
            pooled = pool_tokens(h, batch["lead_mask"], batch["patch_mask"])
        return self.mlp(torch.cat([self.norm(pooled), self.rr(batch["rhythm_features"])], dim=-1))


@register_head("anomaly")
class AnomalyHead(_PooledWithRhythm):
    """Probability that a window is abnormal (one logit per window). Record score: mean of the logits."""

    def __init__(self, cfg: ModelConfig, hidden: int = 128, dropout: float = 0.1):
        super().__init__(cfg, 1, hidden, dropout)

    def forward(self, h: torch.Tensor, batch: dict, pooled: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(h, batch, pooled).squeeze(-1)


@register_head("rhythm")
class RhythmHead(_PooledWithRhythm):
    """CinC 2017 record classes (N, A, O, ~) per window from pooled tokens and the window's RR statistics."""

    def __init__(self, cfg: ModelConfig, hidden: int = 128, dropout: float = 0.1, n_classes: int = len(RECORD_CLASSES)):
        super().__init__(cfg, n_classes, hidden, dropout)


class MorphologyEncoder(nn.Module):
    """Beat-centred waveforms (B, K, S, T) with a slot mask (B, S) → one vector per beat (B, K, d_out).

    The 300-Hz waveform is averaged down to 150 Hz (QRS content lies below 40 Hz) before three strided
    convolutions, which keeps a Holter's 100 000 beats cheap on a CPU."""

    def __init__(self, d_out: int = 64, channels: int = 16):
        super().__init__()
        self.conv = nn.Sequential(
            nn.AvgPool1d(2),
            nn.Conv1d(1, channels, 7, stride=2, padding=3), nn.GELU(),
            nn.Conv1d(channels, channels, 5, stride=2, padding=2), nn.GELU(),
            nn.Conv1d(channels, channels, 3, stride=2, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool1d(6),
        )
        self.proj = nn.Linear(6 * channels, d_out)

    def forward(self, seg: torch.Tensor, lead_mask: torch.Tensor, beat_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``beat_mask`` (B, K): only these beats are encoded, the padding beats get zeros (a window holds
        about 12 of its :data:`MAX_BEATS` beat places)."""
        B, K, S, T = seg.shape
        m = lead_mask[:, None, :].expand(B, K, S)
        if beat_mask is not None:
            m = m & beat_mask[:, :, None]
        z = torch.zeros(B, K, S, self.proj.out_features, dtype=seg.dtype, device=seg.device)
        if m.any():
            x = seg[m].unsqueeze(1)  # (N, 1, T) only the present leads
            z[m] = self.proj(self.conv(x).flatten(1))
        w = m.unsqueeze(-1).to(seg.dtype)
        return (z * w).sum(2) / w.sum(2).clamp_min(1.0)


@register_head("beats")
class BeatHead(nn.Module):
    """AAMI beat classes at R peaks.

    Extra batch inputs: ``beat_patch`` (B, K) long, index of the patch holding each beat;
    ``beat_rr`` (B, K, :data:`N_RR_FEATURES`); ``beat_template`` (B, K, :data:`N_TEMPLATE_FEATURES`);
    ``beat_morph`` (B, K, S, T) beat-centred waveforms; ``beat_mask`` (B, K) bool.
    """

    def __init__(self, cfg: ModelConfig, hidden: int = 128, dropout: float = 0.1, morph_dim: int = 64,
                 n_classes: int = len(AAMI_BEAT_CLASSES)):
        super().__init__()
        d_model = cfg.d_model
        self.morph = MorphologyEncoder(morph_dim)
        self.rr = nn.Sequential(nn.Linear(N_RR_FEATURES + N_TEMPLATE_FEATURES, 32), nn.GELU())
        self.mlp = _mlp(d_model + morph_dim + 32, hidden, n_classes, dropout)

    def forward(self, h: torch.Tensor, batch: dict, morphology: torch.Tensor | None = None) -> torch.Tensor:
        """Beat logits (B, K, classes); ``morphology``: the beats' :attr:`morph` codes (B, K, morph_dim) when the
        caller encoded them ahead (the analyzer does, on the thread that prepares the next chunk)."""
        lead_mask = batch["lead_mask"]
        if morphology is None:
            morphology = self.morph(batch["beat_morph"], lead_mask, batch.get("beat_mask"))
        w = lead_mask[:, :, None, None].to(h.dtype)
        per_patch = (h * w).sum(1) / w.sum(1).clamp_min(1.0)  # (B, P, D): mean over present leads
        idx = batch["beat_patch"].clamp(0, h.shape[2] - 1)
        emb = torch.gather(per_patch, 1, idx[..., None].expand(-1, -1, h.shape[-1]))  # (B, K, D)
        rr = torch.cat([batch["beat_rr"], batch["beat_template"]], dim=-1)
        feats = torch.cat([emb, morphology, self.rr(rr)], dim=-1)
        return self.mlp(feats)


@register_head("leadgen")
class LeadGenerationHead(nn.Module):
    """Waveform of every slot's patches, (B, S, P, D) → (B, S, P, patch_len) mV.

    Two parts: the Gaussian conditional mean of every slot given the *present* leads' preprocessed
    samples, ``C[:, p] C[p, p]⁻¹ x_p`` from the lead covariance ``lead_cov`` (S × S, mV², fitted on the
    training windows by :meth:`fit_covariance`; it is the least-squares linear regression for every
    subset of present leads at once), plus a correction read from each token's hidden state. ``batch``
    needs ``patches`` and ``lead_mask`` of the present leads (the slots to generate are absent from
    ``lead_mask``); without them only the correction is returned.
    """

    #: Ridge added to the present leads' covariance (relative to its mean diagonal).
    RIDGE = 1e-3

    def __init__(self, cfg: ModelConfig, hidden: int = 256):
        super().__init__()
        d_model, patch_len, S = cfg.d_model, cfg.patch_len, cfg.n_slots
        self.n_slots = S
        self.net = nn.Sequential(nn.LayerNorm(d_model), nn.Linear(d_model, hidden), nn.GELU(),
                                 nn.Linear(hidden, patch_len))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)
        self.register_buffer("lead_cov", torch.zeros(S, S))

    @torch.no_grad()
    def fit_covariance(self, windows) -> int:
        """Set ``lead_cov`` from an iterable of ``(patches (S, P, L), lead_mask (S,))`` with every lead
        present (mV); returns the number of windows used."""
        total = torch.zeros(self.n_slots, self.n_slots, dtype=torch.float64)
        n, used = 0, 0
        for patches, lead_mask in windows:
            if not bool(lead_mask.all()):
                continue
            x = patches.reshape(self.n_slots, -1).double()
            total += x @ x.T
            n += x.shape[1]
            used += 1
        if used:
            self.lead_cov.copy_((total / n).to(self.lead_cov.dtype))
        return used

    def conditional_mean(self, patches: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """``E[x | present leads]`` for every slot: (B, S, P, L) from the present slots of ``patches``."""
        C = self.lead_cov.to(patches.dtype)
        p = present.to(patches.dtype)  # (B, S)
        ridge = self.RIDGE * C.diagonal().mean().clamp_min(1e-6)
        # present block of C, identity on the absent slots so the system stays invertible
        A = C * (p[:, :, None] * p[:, None, :]) + torch.diag_embed(1 - p) + ridge * torch.diag_embed(p)
        W = torch.linalg.solve(A, (C * p[:, None, :]).transpose(1, 2)).transpose(1, 2) * p[:, None, :]
        return torch.einsum("bts,bspl->btpl", W, patches * p[:, :, None, None])

    def forward(self, h: torch.Tensor, batch: dict | None = None) -> torch.Tensor:
        out = self.net(h)
        if batch is not None and "patches" in batch and bool(self.lead_cov.any()):
            out = out + self.conditional_mean(batch["patches"].to(h.dtype), batch["lead_mask"])
        return out


@register_head("ultralong")
class UltraLongHead(nn.Module):
    """Rhythm episodes over hours: GRU over per-window features (B, T, F) → episode logits (B, T, E).

    Window features are the pooled backbone embedding plus the window's RR/beat features. The GRU's
    hidden state is returned and passed back in for the next chunk, so a 24-hour recording streams
    through in constant memory.
    """

    def __init__(self, cfg: ModelConfig, hidden: int = 64, n_labels: int = len(EPISODE_LABELS), dropout: float = 0.1):
        super().__init__()
        d_model = cfg.d_model
        self.inp = nn.Sequential(nn.LayerNorm(2 * d_model + N_RR_FEATURES), nn.Linear(2 * d_model + N_RR_FEATURES,
                                                                                      hidden), nn.GELU(),
                                 nn.Dropout(dropout))
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(2 * hidden, n_labels)

    def window_features(self, h: torch.Tensor, batch: dict, pooled: torch.Tensor | None = None) -> torch.Tensor:
        """One feature vector per window: (B, S, P, D) → (B, 2D + RR features); ``pooled`` as for the
        rhythm head."""
        if pooled is None:
            pooled = pool_tokens(h, batch["lead_mask"], batch["patch_mask"])
        return torch.cat([pooled, batch["rhythm_features"]], -1)

    def forward(self, seq: torch.Tensor, state: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.inp(seq)
        y, state = self.gru(x, state)
        return self.out(torch.cat([y, x], dim=-1)), state
