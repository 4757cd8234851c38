"""`Recording`: one lazily read ECG, whatever file format it came from.

Signals are read by window ``(start, stop, leads)`` in samples of the record's base rate ``fs`` (Hz)
and returned as ``float32`` millivolts, shape ``(n_leads, stop - start)``. Readers supply a
:class:`SignalSource` that decodes only the requested window (memory map or seek), so a 72-hour
file is never held in memory.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from ..vocabulary.lead_map import canonical_lead_name
from .annotations import Annotations

#: Upper bounds that protect against headers that lie (absurd counts are refused, not allocated).
MAX_CHANNELS = 4096
MAX_SAMPLES = 10**11
MAX_FS = 100_000.0
#: Largest window one ``read`` call may return, in values (leads × samples): 2 GB of float32.
MAX_WINDOW_VALUES = 512 * 1024 * 1024


class RecordingError(Exception):
    """A recording could not be opened or read. The message names the file and the problem."""

    def __init__(self, path: str | os.PathLike | None, problem: str):
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


@dataclass(frozen=True)
class Provenance:
    """Where a recording came from: file path, format name and content hash (hex sha256)."""

    path: str
    format: str
    content_hash: str


@dataclass(frozen=True)
class Lead:
    """One signal: canonical ``name``, the file's ``original_name``, its own rate ``fs`` (Hz) and ``units``."""

    name: str
    original_name: str
    fs: float
    units: str = "mV"


class SignalSource(Protocol):
    """What a reader supplies: decode samples ``[start, stop)`` of the given lead indices, in mV.

    Indices are in samples of the record's base rate. ``start``/``stop`` are already clipped to
    ``[0, n_samples]``. Must be safe to call from several threads (open the file per call or lock).
    """

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray: ...


class ArraySource:
    """An in-memory source for small formats (XML carts, CSV): ``data`` is (n_leads, n) float32 mV."""

    def __init__(self, data: np.ndarray):
        self.data = np.ascontiguousarray(data, dtype=np.float32)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        return self.data[list(lead_idx), start:stop]


@dataclass
class Recording:
    """An ECG recording: leads, base rate ``fs`` (Hz), lazy signal access in mV, and metadata.

    ``lead_fs`` gives each lead's own rate; :meth:`read` returns every lead at the base rate
    (leads recorded at other rates are resampled on request with a polyphase filter).
    """

    leads: list[Lead]
    fs: float
    n_samples: int
    source: SignalSource
    provenance: Provenance
    start_time: _dt.datetime | None = None
    age: float | None = None
    sex: str | None = None  # "M", "F" or None
    annotations: Annotations = field(default_factory=Annotations.empty)
    comments: list[str] = field(default_factory=list)
    #: Per-lead mV value of one ADC step (None when the format stores floats); used by writers.
    adc_resolution_mv: list[float | None] | None = None
    #: What the reader worked around to open the file (truncated data, repaired header fields), for the user to
    #: see; also kept in ``comments``. Empty for a file read as it is.
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        path = self.provenance.path
        if not self.leads:
            raise RecordingError(path, "no signals")
        if len(self.leads) > MAX_CHANNELS:
            raise RecordingError(path, f"{len(self.leads)} channels exceeds the limit of {MAX_CHANNELS}")
        if not np.isfinite(self.fs) or self.fs <= 0 or self.fs > MAX_FS:
            raise RecordingError(path, f"sampling rate {self.fs!r} Hz is not a positive rate up to {MAX_FS:g} Hz")
        for lead in self.leads:
            if not np.isfinite(lead.fs) or lead.fs <= 0 or lead.fs > MAX_FS:
                raise RecordingError(path, f"lead {lead.original_name!r} has sampling rate {lead.fs!r} Hz")
        if self.n_samples < 0 or self.n_samples > MAX_SAMPLES:
            raise RecordingError(path, f"sample count {self.n_samples} is out of range")
        if self.sex not in (None, "M", "F"):
            raise RecordingError(path, f"sex must be 'M', 'F' or unknown, got {self.sex!r}")

    # ------------------------------------------------------------------ metadata
    @property
    def lead_names(self) -> list[str]:
        """Canonical lead names in file order."""
        return [lead.name for lead in self.leads]

    @property
    def lead_fs(self) -> list[float]:
        return [lead.fs for lead in self.leads]

    @property
    def units(self) -> list[str]:
        return [lead.units for lead in self.leads]

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def format(self) -> str:
        return self.provenance.format

    @property
    def path(self) -> str:
        return self.provenance.path

    def lead_index(self, lead: str | int) -> int:
        """Index of a lead given by position, canonical name or the file's own name."""
        if isinstance(lead, (int, np.integer)):
            if not 0 <= int(lead) < len(self.leads):
                raise RecordingError(self.path, f"lead index {lead} out of range 0..{len(self.leads) - 1}")
            return int(lead)
        for i, candidate in enumerate(self.leads):
            if lead in (candidate.name, candidate.original_name):
                return i
        wanted = canonical_lead_name(lead)
        for i, candidate in enumerate(self.leads):
            if candidate.name == wanted:
                return i
        raise RecordingError(self.path, f"no lead named {lead!r} (leads: {', '.join(self.lead_names)})")

    # ------------------------------------------------------------------ signal access
    def read(
        self,
        start: int = 0,
        stop: int | None = None,
        leads: Sequence[str | int] | None = None,
        fs: float | None = None,
    ) -> np.ndarray:
        """Samples ``[start, stop)`` (base-rate samples, clipped to the record) as float32 mV.

        Returns shape ``(n_leads, stop - start)`` at the base rate, or resampled to ``fs`` Hz when
        given. Values the file marks invalid come back as NaN.
        """
        stop = self.n_samples if stop is None else stop
        start = max(0, int(start))
        stop = min(self.n_samples, int(stop))
        idx = list(range(len(self.leads))) if leads is None else [self.lead_index(x) for x in leads]
        if stop <= start:
            return np.zeros((len(idx), 0), np.float32)
        if (stop - start) * max(1, len(idx)) > MAX_WINDOW_VALUES:
            raise RecordingError(self.path, f"window of {stop - start} samples × {len(idx)} leads is too large to read at once")
        try:
            data = np.asarray(self.source.read(start, stop, idx), dtype=np.float32)
        except RecordingError:
            raise
        except (OSError, ValueError, EOFError) as exc:
            raise RecordingError(self.path, f"cannot read samples {start}..{stop}: {exc}") from exc
        if data.shape != (len(idx), stop - start):
            raise RecordingError(self.path, f"reader returned shape {data.shape}, expected {(len(idx), stop - start)}")
        if fs is not None and abs(fs - self.fs) > 1e-9:
            data = resample(data, self.fs, fs)
        return data

    def read_seconds(self, t0: float, t1: float, leads: Sequence[str | int] | None = None,
                     fs: float | None = None) -> np.ndarray:
        """Like :meth:`read` with times in seconds from the start of the recording."""
        return self.read(int(round(t0 * self.fs)), int(round(t1 * self.fs)), leads, fs)

    def summary(self) -> dict:
        """The fields of ``anyecg info --json``."""
        fs_values = sorted(set(self.lead_fs))
        return {
            "format": self.format,
            "fs": fs_values[0] if len(fs_values) == 1 else fs_values,
            "leads": self.lead_names,
            "n_samples": int(self.n_samples),
            "duration_s": float(self.duration_s),
            "units": self.units,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "age": self.age,
            "sex": self.sex,
            "annotations": self.annotations.counts(),
        }

    @classmethod
    def from_array(
        cls,
        data: np.ndarray,
        fs: float,
        lead_names: Sequence[str],
        *,
        path: str = "<memory>",
        format: str = "array",
        **metadata,
    ) -> "Recording":
        """A recording over an in-memory (n_leads, n) array in mV (tests, synthetic demos, small formats)."""
        arr = np.asarray(data, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != len(lead_names):
            raise RecordingError(path, f"array of shape {arr.shape} does not match {len(lead_names)} lead names")
        leads = [Lead(canonical_lead_name(n), n, float(fs)) for n in lead_names]
        digest = hashlib.sha256(arr.tobytes()).hexdigest()
        return cls(leads=leads, fs=float(fs), n_samples=arr.shape[1], source=ArraySource(arr),
                   provenance=Provenance(path, format, digest), **metadata)


def resample(data: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """Polyphase resampling of (n_leads, n) from ``fs_in`` to ``fs_out`` Hz (rational approximation)."""
    from fractions import Fraction

    from scipy.signal import resample_poly  # imported here: scipy.signal costs ~1 s, opening a file needs none

    ratio = Fraction(fs_out / fs_in).limit_denominator(1000)
    if ratio.numerator == ratio.denominator:
        return np.asarray(data, np.float32)
    out = resample_poly(data, ratio.numerator, ratio.denominator, axis=-1)
    return out.astype(np.float32, copy=False)


def content_hash(path: str | os.PathLike, block: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex). Files over 64 MB are fingerprinted by size plus 16 evenly
    spaced 1-MB blocks, so opening a 72-hour Holter does not read it whole (about 20 ms)."""
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        if size <= 64 * block:
            for chunk in iter(lambda: fh.read(block), b""):
                h.update(chunk)
        else:
            h.update(f"sampled:{size}:".encode())
            for k in range(16):
                fh.seek((size - block) * k // 15)
                h.update(fh.read(block))
    return h.hexdigest()
