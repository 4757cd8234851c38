"""The AnyECG model: configs, Cardio-Sparse attention, Rhythm Quantizer, backbone, task heads, checkpoints.

Public entry points (imported lazily, so ``anyecg_model.model.config`` stays importable on its own):
:class:`AnyECG` (``AnyECG.from_size("small")``), :func:`load_checkpoint` / :func:`save_checkpoint`,
:class:`ModelConfig` / :class:`PreprocessConfig` / :data:`MODEL_SIZES`.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "AnyECG": "anyecg", "CheckpointError": "checkpoint_meta", "load_checkpoint": "checkpoint",
    "save_checkpoint": "checkpoint", "MODEL_SIZES": "config", "ModelConfig": "config",
    "PreprocessConfig": "config", "model_config": "config",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
