"""A checkpoint folder read without torch: its file names, its ``config.json`` and the label sets it stores.

The viewer, the model versions and the analysis process's replies need a checkpoint's name, version and weights
hash before (or instead of) loading it; this module gives them that without importing torch, which only
:mod:`.checkpoint` (``save_checkpoint`` / ``load_checkpoint``) imports.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..vocabulary.labels import label_vocabularies

WEIGHTS, CONFIG = "model.safetensors", "config.json"
FORMAT = "anyecg-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint cannot be loaded; the message names the file and the offending keys."""


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 4 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def read_metadata(directory: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint (clear error when absent or corrupt)."""
    path = Path(directory) / CONFIG
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file (not an AnyECG checkpoint directory)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupt JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an AnyECG checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {meta.get('version')} is not supported (expected {VERSION})")
    return meta


def check_vocabularies(meta: dict[str, Any], where: Path) -> None:
    """Refuse a checkpoint whose stored ``label_vocabularies`` differ from this installation's
    (:func:`~anyecg_model.vocabulary.labels.label_vocabularies`): its heads' outputs would be read under the
    wrong names. A vocabulary the checkpoint does not store is not checked (older checkpoints store none)."""
    stored = meta.get("label_vocabularies")
    if stored is None:
        return
    if not isinstance(stored, dict):
        raise CheckpointError(f"{where}: label_vocabularies is not a mapping")
    ours = label_vocabularies()
    wrong = [f"{name} {list(stored[name])} (this installation: {ours[name]})" for name in ours
             if name in stored and list(stored[name]) != ours[name]]
    if wrong:
        raise CheckpointError(f"{where}: the checkpoint's labels differ from this installation's: " + "; ".join(wrong))
