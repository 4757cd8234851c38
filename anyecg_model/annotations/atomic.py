"""Atomic file writes: write to a temporary file beside the target, fsync it, rename over, fsync the folder."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .codes import AnnotationError


def fsync_path(path: str | os.PathLike) -> None:
    """fsync a file or a folder (folders: best effort, some file systems refuse)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        if not os.path.isdir(path):
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_target(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path with the target's name in a private folder beside it; on success it is fsynced
    and renamed over ``target`` in one step, so a reader sees the old file or the new one, never half of it.
    On failure the target is untouched and the temporary folder is removed."""
    target = Path(target)
    if not target.parent.is_dir():
        raise AnnotationError(f"{target}: folder {target.parent} does not exist")
    tmpdir = Path(tempfile.mkdtemp(prefix=".anyecg-save-", dir=target.parent))
    try:
        tmp = tmpdir / target.name
        yield tmp
        if not tmp.exists():
            raise AnnotationError(f"{target}: nothing was written")
        fsync_path(tmp)
        os.replace(tmp, target)
        fsync_path(target.parent)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
