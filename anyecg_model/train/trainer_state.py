"""The trainer's resumable state as one safetensors file: tensors (weights, optimiser moments, RNG states,
running epoch sums) in the file, everything else (epoch, step, position in the epoch, scheduler, optimiser
hyper-parameters) as JSON in its header. Nothing is pickled, on writing or reading.

Written to a temporary in the same folder, flushed to disk and renamed into place, so a run killed while
saving leaves the previous state intact.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

STATE_FILE = "trainer_state.safetensors"
LEGACY_STATE_FILE = "trainer_state.pt"
_META_KEY = "anyecg_trainer_state"


class TrainerStateError(ValueError):
    """A trainer state that cannot be read or does not fit the run being resumed."""


def _encode(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON-able form of ``obj``; tensors are moved to ``tensors`` under ``prefix`` and referenced by name."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": prefix}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v, f"{prefix}.{k}", tensors) for k, v in obj.items()}
        return {"__map__": [[k, _encode(v, f"{prefix}.{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"{prefix}: cannot store a {type(obj).__name__} in the trainer state")


def _decode(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            return tensors[obj["__tensor__"]]
        if set(obj) == {"__map__"}:
            return {k: _decode(v, tensors) for k, v in obj["__map__"]}
        if set(obj) == {"__tuple__"}:
            return tuple(_decode(v, tensors) for v in obj["__tuple__"])
        return {k: _decode(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    return obj


def rng_state() -> dict[str, Any]:
    """The random generators a training step may draw from: torch (CPU and every CUDA device), NumPy, Python."""
    np_state = np.random.get_state(legacy=False)
    return {"torch": torch.get_rng_state(),
            "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
            "numpy": {"bit_generator": np_state["bit_generator"],
                      "state": {"key": np_state["state"]["key"].tolist(), "pos": int(np_state["state"]["pos"])},
                      "has_gauss": int(np_state["has_gauss"]), "gauss": float(np_state["gauss"])},
            "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]]}


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`rng_state` (CUDA states only when this machine has the same number of GPUs)."""
    torch.set_rng_state(state["torch"])
    cuda = list(state.get("cuda") or [])
    if cuda and torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
        torch.cuda.set_rng_state_all(cuda)
    n = state["numpy"]
    np.random.set_state({"bit_generator": n["bit_generator"], "has_gauss": n["has_gauss"], "gauss": n["gauss"],
                         "state": {"key": np.asarray(n["state"]["key"], dtype=np.uint32), "pos": n["state"]["pos"]}})
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def save_trainer_state(state: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``state`` (nested dicts/lists of tensors and JSON values) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    meta = json.dumps(_encode(state, "state", tensors), allow_nan=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    save_file(tensors, str(tmp), metadata={_META_KEY: meta})
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_trainer_state(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Read :func:`save_trainer_state`'s file; tensors go to ``device`` except the RNG states (always CPU)."""
    path = Path(path)
    if not path.exists():
        legacy = path.with_name(LEGACY_STATE_FILE)
        if legacy.exists():
            raise TrainerStateError(
                f"{legacy}: a trainer state of an older version (a pickle, which this version does not read); "
                f"start a new run from the checkpoint in {path.parent} instead of resuming")
        raise TrainerStateError(f"{path}: nothing to resume (no trainer state)")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = (f.metadata() or {}).get(_META_KEY)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError) as exc:
        raise TrainerStateError(f"{path}: corrupt trainer state ({exc})") from exc
    if meta is None:
        raise TrainerStateError(f"{path}: not an AnyECG trainer state")
    tensors = {k: v if k.startswith("state.rng.") else v.to(device) for k, v in tensors.items()}
    return _decode(json.loads(meta), tensors)
