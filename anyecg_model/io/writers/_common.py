"""What every writer needs: atomic saves, a Recording from plain arrays, and window-by-window reading."""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from ..recording import Recording, RecordingError

#: Samples per lead written per chunk (bounded memory whatever the recording's length).
CHUNK_SAMPLES = 1 << 18


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_files(targets: Sequence[Path]) -> Iterator[list[Path]]:
    """Temporary paths (one per target, same names) in a private folder beside the targets; on success each
    is fsynced and renamed over its target, so readers never see half a file. On failure nothing changes."""
    targets = [Path(t) for t in targets]
    folder = targets[0].parent
    if not folder.is_dir():
        raise RecordingError(targets[0], f"folder {folder} does not exist")
    tmpdir = Path(tempfile.mkdtemp(prefix=".anyecg-write-", dir=folder))
    try:
        temps = [tmpdir / t.name for t in targets]
        yield temps
        for tmp, target in zip(temps, targets):
            if tmp.exists():
                _fsync(tmp)
                os.replace(tmp, target)
        _fsync(folder)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def as_recording(obj, fs: float | None = None, lead_names: Sequence[str] | None = None, **metadata) -> Recording:
    """``obj`` itself when it is a Recording, else a Recording over an (n_leads, n) array in mV."""
    if isinstance(obj, Recording):
        return obj
    data = np.asarray(obj, dtype=np.float32)
    if data.ndim == 1:
        data = data[None, :]
    if fs is None:
        raise RecordingError(None, "writing a plain array needs its sampling rate fs")
    names = list(lead_names) if lead_names is not None else [f"ch{i + 1}" for i in range(data.shape[0])]
    return Recording.from_array(data, fs, names, **metadata)


def chunks(recording: Recording, step: int = CHUNK_SAMPLES) -> Iterator[tuple[int, np.ndarray]]:
    """(start, window in mV) over the whole recording, ``step`` samples at a time."""
    for start in range(0, recording.n_samples, step):
        yield start, recording.read(start, min(recording.n_samples, start + step))


def extremes(recording: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Per-lead (minimum, maximum) in mV over the whole recording, ignoring NaN (0 for an all-NaN lead)."""
    lo = np.full(len(recording.leads), np.inf)
    hi = np.full(len(recording.leads), -np.inf)
    for _, window in chunks(recording):
        if window.size:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN leads
                lo = np.fmin(lo, np.nanmin(np.where(np.isfinite(window), window, np.nan), axis=1))
                hi = np.fmax(hi, np.nanmax(np.where(np.isfinite(window), window, np.nan), axis=1))
    lo = np.where(np.isfinite(lo), lo, 0.0)
    hi = np.where(np.isfinite(hi), hi, 0.0)
    return lo, hi
