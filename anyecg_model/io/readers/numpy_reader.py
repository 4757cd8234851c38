"""NumPy ``.npy`` / ``.npz`` arrays in mV with a given rate (``fs``), shape (leads, samples) or (samples, leads).

An ``.npz`` may carry its own ``fs`` and ``leads`` arrays beside the signal (``signal``, ``ecg``,
``data``, ``x`` or its only array). Object arrays (pickles) are refused.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ...vocabulary.leads import STANDARD_LEADS
from ..recording import Lead, Provenance, Recording, RecordingError, content_hash

FORMAT = "numpy"
_SIGNAL_KEYS = ("signal", "signals", "ecg", "data", "x")


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    names = None
    try:
        loaded = np.load(path, mmap_mode="r" if path.suffix.lower() == ".npy" else None, allow_pickle=False)
    except ValueError as exc:
        raise RecordingError(path, f"not a plain numeric NumPy file: {exc}") from exc
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            keys = list(loaded.files)
            key = next((k for k in _SIGNAL_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
            if key is None:
                raise RecordingError(path, f"cannot tell the signal array among {keys}")
            arr = loaded[key]
            if fs is None and "fs" in keys:
                fs = float(np.asarray(loaded["fs"]).reshape(-1)[0])
            if "leads" in keys:
                names = [str(x) for x in np.asarray(loaded["leads"]).reshape(-1)]
    else:
        arr = loaded
    if fs is None:
        raise RecordingError(path, "NumPy arrays carry no sampling rate: give fs")
    if not np.issubdtype(arr.dtype, np.number):
        raise RecordingError(path, f"array dtype {arr.dtype} is not numeric")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise RecordingError(path, f"array of shape {arr.shape} is not (leads, samples)")
    if arr.shape[0] > arr.shape[1]:
        arr = arr.T  # a view: a memory-mapped .npy stays on disk
    if names is None or len(names) != arr.shape[0]:
        names = list(STANDARD_LEADS) if arr.shape[0] == 12 else [f"ch{i + 1}" for i in range(arr.shape[0])]
    leads = [Lead(canonical_lead_name(nm), nm, float(fs), "mV") for nm in names]
    return Recording(leads=leads, fs=float(fs), n_samples=arr.shape[1], source=NumpySource(arr),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)))


class NumpySource:
    """Windows of a (leads, samples) array, memory-mapped for ``.npy``; converted to float32 mV per window
    (infinities become NaN)."""

    def __init__(self, arr: np.ndarray):
        self.arr = arr

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        window = np.asarray(self.arr[list(lead_idx), start:stop], dtype=np.float32)
        window[~np.isfinite(window)] = np.nan
        return window
