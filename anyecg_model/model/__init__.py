"""The AnyECG model: configs, Cardio-Sparse attention, Rhythm Quantizer, backbone, task heads, checkpoints.

Public entry points: :class:`AnyECG` (``AnyECG.from_size("small")``), :func:`load_checkpoint` /
:func:`save_checkpoint`, :class:`ModelConfig` / :class:`PreprocessConfig` / :data:`MODEL_SIZES`.
"""
from .anyecg import AnyECG
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import MODEL_SIZES, ModelConfig, PreprocessConfig, model_config

__all__ = ["AnyECG", "CheckpointError", "MODEL_SIZES", "ModelConfig", "PreprocessConfig", "load_checkpoint",
           "model_config", "save_checkpoint"]
