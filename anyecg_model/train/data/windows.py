"""Pre-training datasets of fixed-length windows, yielding the batch contract (:mod:`.batch`).

- :class:`RecordingWindows`: any mix of ECG files and folders (every format :func:`open_recording` reads;
  a WFDB record is entered through its ``.hea``; files that no reader accepts are skipped with a warning).
- :class:`CorpusWindows`: records of the training cache built by :mod:`anyecg_model.train.data.corpus`.

Windows are non-overlapping ``window_s`` seconds; a last partial window is kept when it is at least half a
window (its tail patches are masked). A window that cannot be used (all leads NaN or flat) becomes an
all-masked example, which every loss ignores.
"""
from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ...io import RecordingError, open_recording
from ...signal.preprocess import PreprocessError, preprocess
from ...vocabulary.leads import STANDARD_LEADS
from ...vocabulary.model_input import PreprocessConfig
from .batch import example_from_prepared

log = logging.getLogger(__name__)
_SIDECARS = {".dat", ".atr", ".qrs", ".ecg", ".xws", ".pu", ".pu0", ".pu1", ".q1c", ".qt1", ".man", ".json",
             ".md", ".txt", ".csv.gz", ".pdf", ".png"}


def discover_recordings(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Files of ``paths`` (folders searched recursively) that look like recordings; WFDB by its ``.hea``."""
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")) if p.is_dir() else [p]
        hea = {(f.parent, f.stem) for f in files if f.suffix.lower() == ".hea"}
        for f in files:
            if (f.parent, f.stem) in hea and f.suffix.lower() != ".hea":
                continue
            if f.suffix.lower() in _SIDECARS and (f.parent, f.stem) not in hea and p.is_dir():
                continue
            found.append(f)
    return found


def _window_starts(n: int, win: int) -> list[int]:
    return [s for s in range(0, max(n, 1), win) if n - s >= win // 2]


def _example(data: np.ndarray, fs: float, leads: Sequence[str], cfg: PreprocessConfig, slots: Sequence[str],
             n_patches: int, age, sex, where: str) -> dict[str, torch.Tensor]:
    try:
        prepared = preprocess(data, fs, leads, cfg, slots).window(0, n_patches)
    except PreprocessError as exc:
        log.debug("%s: unusable window (%s); masked", where, exc)
        S = len(slots)
        empty = {"patches": torch.zeros(S, n_patches, cfg.patch_len), "lead_mask": torch.zeros(S, dtype=torch.bool),
                 "patch_mask": torch.zeros(n_patches, dtype=torch.bool)}
        return {**empty, "age": torch.tensor(math.nan), "sex": torch.tensor(math.nan)}
    return example_from_prepared(prepared, age, sex)


class RecordingWindows(Dataset):
    """``window_s``-second windows over ECG files/folders, preprocessed with ``cfg`` into ``slots``."""

    def __init__(self, paths: Sequence[str | os.PathLike], window_s: float = 10.0,
                 cfg: PreprocessConfig | None = None, slots: Sequence[str] = STANDARD_LEADS):
        self.cfg, self.slots, self.window_s = cfg or PreprocessConfig(), tuple(slots), window_s
        self.n_patches = int(round(window_s * self.cfg.target_fs / self.cfg.patch_len))
        self.files: list[Path] = []
        self.index: list[tuple[int, int]] = []
        self._open: dict[int, object] = {}
        for f in discover_recordings(paths):
            try:
                rec = open_recording(f)
            except RecordingError as exc:
                log.warning("skipped %s", exc)
                continue
            win = int(round(window_s * rec.fs))
            k = len(self.files)
            self.files.append(f)
            self.index += [(k, s) for s in _window_starts(rec.n_samples, win)]
        if not self.index:
            raise ValueError(f"no readable recording of at least {window_s / 2:g} s in {list(map(str, paths))}")
        log.info("%d windows of %g s from %d recordings", len(self.index), window_s, len(self.files))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        k, start = self.index[i]
        rec = self._open.get(k)
        if rec is None:
            rec = self._open[k] = open_recording(self.files[k])
        data = rec.read(start, start + int(round(self.window_s * rec.fs)))
        return _example(data, rec.fs, rec.lead_names, self.cfg, self.slots, self.n_patches, rec.age, rec.sex,
                        f"{self.files[k]}@{start}")


class CorpusWindows(Dataset):
    """``window_s``-second windows over records of a :class:`~anyecg_model.train.data.corpus.Corpus`."""

    def __init__(self, corpus, entries: Sequence, window_s: float = 10.0, cfg: PreprocessConfig | None = None,
                 slots: Sequence[str] = STANDARD_LEADS):
        self.corpus, self.entries = corpus, list(entries)
        self.cfg, self.slots, self.window_s = cfg or PreprocessConfig(), tuple(slots), window_s
        self.n_patches = int(round(window_s * self.cfg.target_fs / self.cfg.patch_len))
        win = int(round(window_s * corpus.fs))
        self.index = [(k, s) for k, e in enumerate(self.entries) for s in _window_starts(e.length, win)]
        if not self.index:
            raise ValueError("the corpus selection holds no window")

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        k, start = self.index[i]
        e = self.entries[k]
        data = self.corpus.signal(e, start, start + int(round(self.window_s * self.corpus.fs)))
        return _example(data, self.corpus.fs, e.leads, self.cfg, self.slots, self.n_patches, e.age, e.sex,
                        f"{e.set}/{e.record}@{start}")
