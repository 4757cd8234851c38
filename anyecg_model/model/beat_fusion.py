"""Fusion beat classifier: the backbone's beat representation joined with clinical beat features.

The shipped beat head (:class:`~anyecg_model.model.heads.BeatHead`) sees each beat only within its 10-s
window. :class:`FusionHead` reads the beat head's penultimate activations and logits together with the
clinical features of :mod:`~anyecg_model.vocabulary.beat_context` (RR prematurity normalised by the recording's own rhythm, the beat
against the recording's dominant beat, QRS width and amplitude), standardised, through a small MLP, into
:data:`~anyecg_model.vocabulary.labels.BEAT_CLASSES` (which include paced beats, ``P``). Its logits are divided by a temperature
fitted on validation records (:func:`fit_temperature`), so the reported confidence is calibrated.

Weights live beside the backbone as ``beat_fusion.safetensors`` + ``beat_fusion.json`` (read with
safetensors, never unpickled); without them the analyzer keeps the beat head's own 5-class output.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..vocabulary.labels import BEAT_CLASSES
from ..vocabulary.beat_context import CLINICAL_FEATURES

WEIGHTS, CONFIG = "beat_fusion.safetensors", "beat_fusion.json"
FORMAT = "anyecg-beat-fusion"


class FusionError(ValueError):
    """The fusion head's files are missing, corrupt or do not match."""


@dataclass
class FusionConfig:
    """Shape of the head: ``n_repr`` beat-head activations (penultimate + logits), clinical feature names,
    hidden width, classes, and the calibration temperature (1 = none)."""

    n_repr: int
    clinical: list[str] = field(default_factory=lambda: list(CLINICAL_FEATURES))
    hidden: int = 64
    classes: list[str] = field(default_factory=lambda: list(BEAT_CLASSES))
    temperature: float = 1.0
    use_repr: bool = True
    metrics: dict = field(default_factory=dict)

    @property
    def n_in(self) -> int:
        return (self.n_repr if self.use_repr else 0) + len(self.clinical)


class FusionHead(nn.Module):
    """Standardisation (stored mean/scale buffers) + MLP: (N, n_in) → logits (N, classes)."""

    def __init__(self, cfg: FusionConfig, dropout: float = 0.2):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("mean", torch.zeros(cfg.n_in))
        self.register_buffer("scale", torch.ones(cfg.n_in))
        self.net = nn.Sequential(nn.Linear(cfg.n_in, cfg.hidden), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(cfg.hidden, len(cfg.classes)))

    def inputs(self, rep: torch.Tensor, clinical: torch.Tensor) -> torch.Tensor:
        x = torch.cat([rep, clinical], -1) if self.cfg.use_repr else clinical
        return (x - self.mean) / self.scale

    def forward(self, rep: torch.Tensor, clinical: torch.Tensor) -> torch.Tensor:
        return self.net(self.inputs(rep, clinical))

    def probabilities(self, rep: torch.Tensor, clinical: torch.Tensor) -> torch.Tensor:
        """Calibrated class probabilities (softmax of logits / temperature)."""
        return (self(rep, clinical) / self.cfg.temperature).softmax(-1)


def beat_representation(head: nn.Module, h: torch.Tensor, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The :class:`~anyecg_model.model.heads.BeatHead`'s penultimate activations (B, K, hidden) and logits
    (B, K, 5) for the beats of ``batch``, computed as its ``forward`` does."""
    lead_mask = batch["lead_mask"]
    w = lead_mask[:, :, None, None].to(h.dtype)
    per_patch = (h * w).sum(1) / w.sum(1).clamp_min(1.0)
    idx = batch["beat_patch"].clamp(0, h.shape[2] - 1)
    emb = torch.gather(per_patch, 1, idx[..., None].expand(-1, -1, h.shape[-1]))
    rr = torch.cat([batch["beat_rr"], batch["beat_template"]], dim=-1)
    feats = torch.cat([emb, head.morph(batch["beat_morph"], lead_mask, batch.get("beat_mask")), head.rr(rr)], dim=-1)
    hidden = head.mlp[:-1](feats)
    return hidden, head.mlp[-1](hidden)


def fit_temperature(logits: np.ndarray, labels: np.ndarray, grid: np.ndarray | None = None) -> float:
    """Temperature minimising the negative log-likelihood of ``labels`` (N,) under ``logits`` (N, C)
    (Guo et al. 2017), searched on a log grid 0.25–8."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121)) if grid is None else grid
    z = logits - logits.max(1, keepdims=True)
    best, best_t = np.inf, 1.0
    for t in grid:
        zt = z / t
        nll = -(zt[np.arange(len(labels)), labels] - np.log(np.exp(zt).sum(1))).mean()
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """ECE: beat-weighted mean |accuracy − confidence| over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    b = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    ece = 0.0
    for k in range(n_bins):
        m = b == k
        if m.any():
            ece += m.mean() * abs(float(correct[m].mean()) - float(confidence[m].mean()))
    return float(ece)


def reliability_table(confidence: np.ndarray, correct: np.ndarray,
                      edges=(0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)) -> list[tuple[float, float, int, float, float]]:
    """Rows (lo, hi, beats, mean confidence, accuracy) of a reliability diagram."""
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (confidence >= lo) & ((confidence < hi) if hi < 1.0 else (confidence <= hi))
        if m.any():
            rows.append((lo, hi, int(m.sum()), float(confidence[m].mean()), float(correct[m].mean())))
    return rows


def save_fusion(head: FusionHead, directory: str | Path) -> Path:
    """Write ``beat_fusion.safetensors`` and ``beat_fusion.json`` (with the weights' SHA-256) into ``directory``."""
    from safetensors.torch import save_file

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}, str(d / WEIGHTS))
    sha = hashlib.sha256((d / WEIGHTS).read_bytes()).hexdigest()
    (d / CONFIG).write_text(json.dumps({"format": FORMAT, "version": 1, "weights_sha256": sha,
                                        "config": asdict(head.cfg)}, indent=1))
    return d / WEIGHTS


def load_fusion(directory: str | Path) -> FusionHead | None:
    """The fusion head stored in ``directory``, or None when it has none. Weights are read with safetensors
    only (a pickle or any other file is refused with :class:`FusionError`); the SHA-256 must match."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    d = Path(directory)
    if not (d / CONFIG).exists():
        return None
    try:
        meta = json.loads((d / CONFIG).read_text())
        if meta.get("format") != FORMAT:
            raise FusionError(f"{d / CONFIG}: not a beat-fusion config")
        cfg = FusionConfig(**meta["config"])
    except (OSError, json.JSONDecodeError, TypeError, KeyError) as exc:
        raise FusionError(f"{d / CONFIG}: unreadable ({exc})") from exc
    wpath = d / WEIGHTS
    if not wpath.exists():
        raise FusionError(f"{wpath}: missing")
    if hashlib.sha256(wpath.read_bytes()).hexdigest() != meta.get("weights_sha256"):
        raise FusionError(f"{wpath}: SHA-256 does not match {CONFIG}")
    if cfg.classes != list(BEAT_CLASSES):
        raise FusionError(f"{d / CONFIG}: classes {cfg.classes} differ from {list(BEAT_CLASSES)}")
    try:
        state = load_file(str(wpath))
    except (SafetensorError, OSError) as exc:
        raise FusionError(f"{wpath}: not a safetensors file ({exc})") from exc
    head = FusionHead(cfg)
    try:
        head.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise FusionError(f"{wpath}: weights do not match {CONFIG} ({exc})") from exc
    return head.eval()
