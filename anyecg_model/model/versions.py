"""The user's own model versions: ``<root>/<name>-<version>/`` beside, never over, the shipped default.

Each version folder holds a checkpoint (``model.safetensors`` + ``config.json`` whose ``name`` and
``model_version`` the analyzer copies into every finding) plus ``training_data.json`` (the records it
learned from), ``metrics.json`` (before/after validation metrics) and ``job.json`` (the fine-tuning
settings). A version is written into a hidden temporary folder and renamed into place, so a crash or a
full disk leaves either the whole version or nothing; an existing folder is never overwritten.

``active.json`` in the root names the version the viewer uses (none → the shipped default).
The root is ``$ANYECG_MODELS_DIR`` or ``~/.local/share/anyecg/models``.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .checkpoint_meta import CONFIG, WEIGHTS, CheckpointError, read_metadata
from .shipped import SHIPPED_MODEL_DIR

ACTIVE_FILE = "active.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*$")


class VersionError(RuntimeError):
    """A version cannot be saved, listed or switched to; the message says why and what was kept."""


def models_root() -> Path:
    return Path(os.environ.get("ANYECG_MODELS_DIR", Path.home() / ".local" / "share" / "anyecg" / "models"))


@dataclass(frozen=True)
class ModelVersion:
    """One saved version: ``name``-``version`` folder ``path``, its task, creation time and metrics."""

    name: str
    version: int
    path: Path
    created: float
    task: str
    metrics: dict

    @property
    def label(self) -> str:
        return f"{self.name}-{self.version}"


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise VersionError(f"model name {name!r}: use letters, digits, '_' and '.' (no spaces or '-')")
    return name


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return default


def list_versions(root: Path | None = None) -> list[ModelVersion]:
    """Every complete version under ``root`` (folders without a readable checkpoint are skipped), oldest first."""
    root = Path(root) if root else models_root()
    out = []
    for d in sorted(root.glob("*-*")) if root.is_dir() else []:
        m = re.match(r"^(.+)-(\d+)$", d.name)
        if not d.is_dir() or not m or d.name.startswith("."):
            continue
        try:
            read_metadata(d)
        except CheckpointError:
            continue
        job = _read_json(d / "job.json", {})
        out.append(ModelVersion(m.group(1), int(m.group(2)), d, float(job.get("created", d.stat().st_mtime)),
                                str(job.get("task", "")), _read_json(d / "metrics.json", {})))
    return sorted(out, key=lambda v: (v.created, v.name, v.version))


def next_version(name: str, root: Path | None = None) -> int:
    root = Path(root) if root else models_root()
    used = [int(m.group(1)) for d in (root.glob(f"{name}-*") if root.is_dir() else [])
            if (m := re.match(rf"^{re.escape(name)}-(\d+)$", d.name))]
    return max(used, default=0) + 1


def save_version(checkpoint_dir: Path, name: str, *, training_data: dict, metrics: dict, job: dict,
                 root: Path | None = None) -> ModelVersion:
    """Publish the checkpoint in ``checkpoint_dir`` as the next version of ``name`` (see module doc)."""
    root = Path(root) if root else models_root()
    check_name(name)
    src = Path(checkpoint_dir)
    meta = read_metadata(src)
    if _inside(root, SHIPPED_MODEL_DIR) or _inside(SHIPPED_MODEL_DIR, root):
        raise VersionError(f"{root}: the user's model folder may not be the shipped model's folder {SHIPPED_MODEL_DIR}")
    version = next_version(name, root)
    final = root / f"{name}-{version}"
    tmp = root / f".{name}-{version}.{os.getpid()}.tmp"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        _copy_file(src / WEIGHTS, tmp / WEIGHTS)
        meta.update(name=name, model_version=str(version))
        _write_text(tmp / CONFIG, json.dumps(meta, indent=2, allow_nan=True))
        created = time.time()
        _write_text(tmp / "training_data.json", json.dumps(training_data, indent=1))
        _write_text(tmp / "metrics.json", json.dumps(metrics, indent=1, allow_nan=True))
        _write_text(tmp / "job.json", json.dumps({**job, "created": created}, indent=1, default=str))
        if final.exists():
            raise VersionError(f"{final} already exists; nothing was overwritten")
        os.rename(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise VersionError(f"disk full while saving model version {final.name} to {root}: nothing was "
                               f"saved and no existing model was changed; free some space and save again") from exc
        raise VersionError(f"cannot save model version {final.name} to {root}: {exc.strerror or exc}; "
                           f"nothing was saved") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ModelVersion(name, version, final, created, str(job.get("task", "")), metrics)


def _inside(path: Path, parent: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(parent).resolve())
        return True
    except ValueError:
        return False


def _copy_file(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "rb+") as fh:
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


# ---------------------------------------------------------------------------------------------- active version
def active_version(root: Path | None = None) -> ModelVersion | None:
    """The version the viewer uses, or None for the shipped default (also when the named one is gone)."""
    root = Path(root) if root else models_root()
    label = _read_json(root / ACTIVE_FILE, {}).get("active")
    return next((v for v in list_versions(root) if v.label == label), None)


def active_model_dir(root: Path | None = None) -> Path:
    """Checkpoint folder the viewer's analysis should load: the active version, else the shipped default."""
    v = active_version(root)
    return v.path if v is not None else SHIPPED_MODEL_DIR


def set_active(label: str | None, root: Path | None = None) -> Path:
    """Switch the viewer to version ``label`` (``name-version``) or back to the shipped default (None);
    returns the checkpoint folder now active."""
    root = Path(root) if root else models_root()
    if label is not None and not any(v.label == label for v in list_versions(root)):
        raise VersionError(f"no model version {label!r} in {root}")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{ACTIVE_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"active": label}))
    os.replace(tmp, root / ACTIVE_FILE)
    return active_model_dir(root)
