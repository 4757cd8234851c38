"""Min/max level-of-detail pyramid for drawing long recordings at any zoom.

Level ``k`` (k = 1, 2, …) stores, for every lead, the minimum and maximum of consecutive bins of
``factor**k`` base-rate samples, as a float32 array of shape ``(n_leads, n_bins, 2)``. The pyramid is
built chunk-wise from :meth:`Recording.read` windows (the record is never loaded whole), can be
cancelled, reports progress, and is cached on disk as plain ``.npy`` files keyed by the recording's
content hash (``$ANYECG_CACHE/pyramids`` or ``~/.cache/anyecg/pyramids``). Cached levels are opened
as read-only memory maps with ``allow_pickle=False``; a corrupt or stale cache is discarded and rebuilt.

:func:`MinMaxPyramid.envelope` turns a time window and a pixel width into about two points per pixel
column (min then max of each column, so a decimated trace draws as a band), with x in seconds
relative to the window start; when zoomed in far enough it returns the raw samples instead.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..io.recording import Recording, RecordingError

log = logging.getLogger(__name__)

#: Bump when the on-disk layout changes: old caches then count as stale and are rebuilt.
CACHE_VERSION = 1


class BuildCancelled(Exception):
    """Raised by :meth:`MinMaxPyramid.build` when its ``cancelled`` callback returns True."""


class PyramidNeeded(Exception):
    """Raised by :func:`envelope` for a window too wide to draw from raw samples without a pyramid."""


def cache_root() -> Path:
    """The pyramid cache directory: ``$ANYECG_CACHE/pyramids`` or ``~/.cache/anyecg/pyramids``."""
    base = os.environ.get("ANYECG_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "anyecg"
    return root / "pyramids"


@dataclass(frozen=True)
class PyramidConfig:
    """``factor``: decimation between levels (4 or 8); ``chunk_s``: seconds read per step while
    building; ``min_bins``: stop adding levels once a level has fewer bins than this."""

    factor: int = 8
    chunk_s: float = 120.0
    min_bins: int = 2048

    def __post_init__(self) -> None:
        if self.factor not in (4, 8):
            raise ValueError(f"pyramid factor must be 4 or 8, got {self.factor}")
        if self.chunk_s <= 0:
            raise ValueError(f"chunk_s must be positive seconds, got {self.chunk_s}")


@dataclass
class Envelope:
    """What to draw for one window: ``x`` (n,) seconds from the window start, ``y`` (n_leads, n) mV.

    ``level`` is the pyramid level read (0 = raw samples, else bins of factor**level samples);
    ``decimated`` is True when each pixel column was reduced to its min and max."""

    x: np.ndarray
    y: np.ndarray
    level: int
    decimated: bool


def _level_sizes(n_samples: int, cfg: PyramidConfig) -> list[int]:
    sizes, k = [], 1
    while True:
        bins = -(-n_samples // cfg.factor**k)
        sizes.append(bins)
        if bins < cfg.min_bins or bins <= 1:
            return sizes
        k += 1


def _reduce_minmax(block: np.ndarray, factor: int) -> np.ndarray:
    """(n_leads, n, 2) or (n_leads, n) samples → (n_leads, ceil(n/factor), 2) min/max, NaN-aware."""
    if block.ndim == 2:
        block = np.stack([block, block], axis=-1)
    n_leads, n, _ = block.shape
    pad = (-n) % factor
    if pad:
        block = np.concatenate([block, np.repeat(block[:, -1:, :], pad, axis=1)], axis=1)
    b = block.reshape(n_leads, -1, factor, 2)
    lo = np.fmin.reduce(b[..., 0], axis=2)
    hi = np.fmax.reduce(b[..., 1], axis=2)
    return np.stack([lo, hi], axis=-1).astype(np.float32, copy=False)


class _LevelFile:
    """A level being built, written straight into its ``.npy`` file with ``os.pwrite``.

    Not a writable memory map: the pages of a mapped level stay resident in the viewer while it is
    built (level 1 of a 24-h 12-lead 500 Hz file is 518 MB), whereas written pages are only the
    kernel's page cache. Supports ``level[:, b0:b1] = block`` like the array it replaces."""

    def __init__(self, path: Path, shape: tuple[int, int, int]):
        self.shape = shape
        self._fh = open(path, "wb+")
        np.lib.format.write_array_header_1_0(
            self._fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
                       "shape": shape})
        self._data_offset = self._fh.tell()
        self._fh.truncate(self._data_offset + int(np.prod(shape)) * 4)

    def __setitem__(self, key: tuple[slice, slice], block: np.ndarray) -> None:
        b0 = key[1].start
        n_bins, pair = self.shape[1], self.shape[2] * 4
        fd = self._fh.fileno()
        for lead in range(self.shape[0]):
            data = np.ascontiguousarray(block[lead], dtype=np.float32).tobytes()
            os.pwrite(fd, data, self._data_offset + (lead * n_bins + b0) * pair)

    def close(self) -> None:
        self._fh.close()


class MinMaxPyramid:
    """The min/max levels of one recording (see module docstring). Use :meth:`open_or_build`."""

    def __init__(self, recording: Recording, levels: list[np.ndarray], cfg: PyramidConfig):
        self.recording = recording
        self.levels = levels
        self.cfg = cfg

    # ------------------------------------------------------------------ construction
    @staticmethod
    def cache_dir_for(recording: Recording, cfg: PyramidConfig = PyramidConfig(), root: Path | None = None) -> Path:
        """Cache folder for this recording's content hash and layout."""
        key = f"{recording.provenance.content_hash[:40]}-f{cfg.factor}-v{CACHE_VERSION}"
        return (root or cache_root()) / key

    @classmethod
    def open_or_build(
        cls,
        recording: Recording,
        cfg: PyramidConfig = PyramidConfig(),
        *,
        root: Path | None = None,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> "MinMaxPyramid":
        """Load the cached pyramid, or build (and cache) it. Raises :class:`BuildCancelled`."""
        folder = cls.cache_dir_for(recording, cfg, root)
        cached = cls._load(recording, cfg, folder)
        if cached is not None:
            if progress:
                progress(1.0)
            return cached
        return cls.build(recording, cfg, folder=folder, progress=progress, cancelled=cancelled)

    @classmethod
    def _expected_meta(cls, recording: Recording, cfg: PyramidConfig) -> dict:
        """What a valid cache must match. Besides the content hash (sampled for files over 64 MB) the
        source file's size and modification time are kept, so a file edited in place counts as stale."""
        path = recording.provenance.path
        stat = os.stat(path) if os.path.isfile(path) else None
        return {
            "version": CACHE_VERSION,
            "source_stat": [stat.st_size, stat.st_mtime_ns] if stat else None,
            "content_hash": recording.provenance.content_hash,
            "n_leads": len(recording.leads),
            "n_samples": int(recording.n_samples),
            "factor": cfg.factor,
            "level_bins": _level_sizes(recording.n_samples, cfg),
        }

    @classmethod
    def _load(cls, recording: Recording, cfg: PyramidConfig, folder: Path) -> "MinMaxPyramid | None":
        meta_path = folder / "meta.json"
        if not meta_path.exists():
            return None
        expected = cls._expected_meta(recording, cfg)
        try:
            meta = json.loads(meta_path.read_text())
            if meta != expected:
                raise ValueError("metadata does not match the recording")
            levels = []
            for k, bins in enumerate(expected["level_bins"], start=1):
                arr = np.load(folder / f"level{k}.npy", mmap_mode="r", allow_pickle=False)
                if arr.shape != (expected["n_leads"], bins, 2) or arr.dtype != np.float32:
                    raise ValueError(f"level {k} has shape {arr.shape} {arr.dtype}")
                levels.append(arr)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("discarding pyramid cache %s: %s", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(recording, levels, cfg)

    @classmethod
    def build(
        cls,
        recording: Recording,
        cfg: PyramidConfig = PyramidConfig(),
        *,
        folder: Path | None = None,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> "MinMaxPyramid":
        """Build every level chunk by chunk; write to ``folder`` (atomically) when given, else keep in RAM."""
        sizes = _level_sizes(recording.n_samples, cfg)
        n_leads = len(recording.leads)
        top = cfg.factor ** len(sizes)
        chunk = max(top, int(cfg.chunk_s * recording.fs) // top * top)
        tmp = None
        if folder is not None:
            tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp"
            tmp.mkdir(parents=True, exist_ok=True)
        levels: list = []
        try:
            if tmp is not None:
                levels = [_LevelFile(tmp / f"level{k}.npy", (n_leads, bins, 2)) for k, bins in enumerate(sizes, 1)]
            else:
                levels = [np.empty((n_leads, bins, 2), np.float32) for bins in sizes]
            for start in range(0, recording.n_samples, chunk):
                if cancelled is not None and cancelled():
                    raise BuildCancelled(recording.path)
                block = recording.read(start, min(start + chunk, recording.n_samples))
                for k, level in enumerate(levels, start=1):
                    block = _reduce_minmax(block, cfg.factor)
                    b0 = start // cfg.factor**k
                    level[:, b0:b0 + block.shape[1]] = block[:, : level.shape[1] - b0]
                del block
                if progress:
                    progress(min(1.0, (start + chunk) / recording.n_samples))
            if progress and recording.n_samples == 0:
                progress(1.0)
            if tmp is None:
                return cls(recording, levels, cfg)
            for level in levels:
                level.close()
            levels = []
            (tmp / "meta.json").write_text(json.dumps(cls._expected_meta(recording, cfg)))
            shutil.rmtree(folder, ignore_errors=True)
            try:
                tmp.rename(folder)
            except OSError:  # another process won the race: use theirs
                shutil.rmtree(tmp, ignore_errors=True)
            loaded = cls._load(recording, cfg, folder)
            if loaded is None:
                raise RecordingError(recording.path, f"pyramid cache {folder} could not be written")
            return loaded
        except BaseException:
            if tmp is not None:
                for level in levels:
                    level.close()
                shutil.rmtree(tmp, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ queries
    def bin_samples(self, level: int) -> int:
        """Base-rate samples per bin at ``level`` (level 0 = raw)."""
        return self.cfg.factor**level

    def choose_level(self, samples_per_px: float) -> int:
        """Coarsest level whose bins are no wider than a pixel column (0 = raw samples)."""
        level = 0
        for k in range(1, len(self.levels) + 1):
            if self.bin_samples(k) <= samples_per_px:
                level = k
        return level

    def envelope(self, t0: float, t1: float, width_px: int, leads: Sequence[int] | None = None) -> Envelope:
        """See :func:`envelope`; uses this pyramid's levels."""
        return envelope(self.recording, t0, t1, width_px, leads, self)


#: Widest raw read (samples per pixel column) allowed when no pyramid level fits or none is built yet.
MAX_RAW_SAMPLES_PER_PX = 64


def envelope(recording: Recording, t0: float, t1: float, width_px: int,
             leads: Sequence[int] | None = None, pyramid: MinMaxPyramid | None = None,
             raw_points_per_px: float = 2.0,
             read: Callable[[int, int, Sequence[int]], np.ndarray] | None = None) -> Envelope:
    """About two points per pixel column for the window ``[t0, t1)`` s, x relative to ``t0``.

    Raw samples when the window holds at most ``raw_points_per_px`` samples per pixel; otherwise each
    pixel column's min then max, from the coarsest pyramid level whose bins fit in a column (or from
    raw samples when none does). ``read(start, stop, lead_idx)`` replaces ``recording.read`` for raw
    samples (e.g. a display filter). Raises :class:`PyramidNeeded` for a window too wide to draw
    from raw samples when no pyramid level fits.
    """
    read = read or recording.read
    fs = recording.fs
    idx = list(range(len(recording.leads))) if leads is None else list(leads)
    s0 = max(0, int(np.floor(t0 * fs)))
    s1 = min(recording.n_samples, int(np.ceil(t1 * fs)) + 1)
    width_px = max(1, int(width_px))
    if s1 <= s0:
        return Envelope(np.zeros(0, np.float64), np.zeros((len(idx), 0), np.float32), 0, False)
    spp = (s1 - s0) / width_px
    level = pyramid.choose_level(spp) if pyramid is not None else 0
    if spp <= raw_points_per_px or level == 0:
        if spp > MAX_RAW_SAMPLES_PER_PX:
            raise PyramidNeeded(f"{recording.path}: window of {s1 - s0} samples needs the level-of-detail pyramid")
        y = read(s0, s1, idx)
        if spp <= raw_points_per_px:
            x = (np.arange(s0, s1, dtype=np.float64) - t0 * fs) / fs
            return Envelope(x, y, 0, False)
        data = np.stack([y, y], axis=-1)
        bin_len, b0, level = 1, s0, 0
    else:
        bin_len = pyramid.bin_samples(level)
        b0 = s0 // bin_len
        b1 = min(pyramid.levels[level - 1].shape[1], -(-s1 // bin_len))
        data = np.asarray(pyramid.levels[level - 1][idx, b0:b1])
    n_bins = data.shape[1]
    cols = min(width_px, n_bins)
    edges = np.unique(np.linspace(0, n_bins, cols + 1).astype(np.int64)[:-1])
    lo = np.fmin.reduceat(data[..., 0], edges, axis=1)
    hi = np.fmax.reduceat(data[..., 1], edges, axis=1)
    y = np.empty((len(idx), 2 * len(edges)), np.float32)
    y[:, 0::2] = lo
    y[:, 1::2] = hi
    ends = np.append(edges[1:], n_bins)
    centre = (b0 + (edges + ends) / 2.0) * bin_len  # samples
    xc = (centre - t0 * fs) / fs
    x = np.repeat(xc, 2)
    return Envelope(x, y, level, True)
