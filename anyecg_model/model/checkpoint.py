"""Checkpoints: ``model.safetensors`` (weights) + ``config.json`` (configs, lead slots, vocabularies, metrics).

Loading never unpickles. ``config.json`` records the SHA-256 of the weights file, so a half-written pair
is detected. Unknown, missing or mis-shaped weights raise :class:`CheckpointError` naming them.
Files are written to temporaries and renamed into place (weights first, then config).
Torch is imported by :func:`save_checkpoint` / :func:`load_checkpoint` only; reading a checkpoint's metadata
without torch (e.g. for the viewer's status bar) is :mod:`.checkpoint_meta`'s :func:`~.checkpoint_meta.read_metadata`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safetensors import SafetensorError

from ..vocabulary.model_input import PreprocessConfig
from .calibration import Calibration
from .checkpoint_meta import CONFIG, FORMAT, VERSION, WEIGHTS, CheckpointError, check_vocabularies, read_metadata, sha256
from .config import ModelConfig

if TYPE_CHECKING:
    import torch

    from .anyecg import AnyECG

def _replace_atomically(tmp: Path, final: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)


def save_checkpoint(model: AnyECG, directory: str | os.PathLike, extra_metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model.safetensors`` and ``config.json`` into ``directory`` (created). ``extra_metadata`` keys
    (e.g. ``label_vocabularies``, ``training_data``, ``metrics``, ``training``) go into config.json."""
    from safetensors.torch import save_file

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    tmp_w = d / f".{WEIGHTS}.{os.getpid()}.tmp"
    save_file(state, str(tmp_w), metadata={"format": FORMAT})
    _replace_atomically(tmp_w, d / WEIGHTS)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model": model.cfg.to_dict(),
        "preprocess": model.preprocess_cfg.to_dict(),
        "lead_slots": list(model.cfg.lead_slots),
        "n_parameters": model.n_parameters(),
        "weights_sha256": sha256(d / WEIGHTS),
    }
    reserved = set(meta) & set(extra_metadata or {})
    if reserved:
        raise ValueError(f"extra_metadata may not override {sorted(reserved)}")
    meta.update(extra_metadata or {})
    tmp_c = d / f".{CONFIG}.{os.getpid()}.tmp"
    tmp_c.write_text(json.dumps(meta, indent=2, allow_nan=True))
    _replace_atomically(tmp_c, d / CONFIG)
    return d


def load_checkpoint(directory: str | os.PathLike, device: str | torch.device = "cpu") -> AnyECG:
    """Rebuild the model from ``config.json`` and load ``model.safetensors`` strictly. The returned model is
    in eval mode and carries the whole config.json as ``model.metadata``."""
    from safetensors.torch import load_file

    from .anyecg import AnyECG

    d = Path(directory)
    meta = read_metadata(d)
    check_vocabularies(meta, d / CONFIG)
    try:
        Calibration.from_metadata(meta)
    except CheckpointError as exc:
        raise CheckpointError(f"{d / CONFIG}: {exc}") from exc
    try:
        cfg = ModelConfig.from_dict(meta["model"])
        pcfg = PreprocessConfig.from_dict(meta["preprocess"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{d / CONFIG}: invalid model/preprocess config ({exc})") from exc
    wpath = d / WEIGHTS
    if not wpath.exists():
        raise CheckpointError(f"{wpath}: no such file")
    if meta.get("weights_sha256") not in (None, sha256(wpath)):
        raise CheckpointError(f"{wpath}: content does not match the hash in {CONFIG} (incomplete or mixed checkpoint)")
    try:
        state = load_file(str(wpath), device=str(device))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{wpath}: corrupt safetensors file ({exc})") from exc
    try:
        model = AnyECG(cfg, pcfg)
    except (TypeError, ValueError) as exc:  # e.g. a head type this installation does not know
        raise CheckpointError(f"{d / CONFIG}: cannot build the model it describes ({exc})") from exc
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unknown = sorted(set(state) - set(expected))
    shapes = sorted(f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in expected.items()
                    if k in state and state[k].shape != v.shape)
    problems = [f"{label}: {', '.join(keys)}" for label, keys in
                (("missing keys", missing), ("unknown keys", unknown), ("mis-shaped", shapes)) if keys]
    if problems:
        raise CheckpointError(f"{wpath}: weights do not match the config — " + "; ".join(problems))
    model.load_state_dict(state, strict=True)
    model.metadata = meta
    return model.to(device).eval()
