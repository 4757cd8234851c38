"""How a recording reaches the analysis process: a :class:`RecordingRef` (leads, rate, length, provenance and
where the samples are), never pickled 24-h arrays.

A file-backed recording travels by its path (the child re-opens it and checks that content hash, rate, length
and leads match; :class:`NeedSignal` when they do not, and the viewer then sends the samples), an in-memory one
of at most ``inline_bytes`` by value, anything else as a temporary ``.npy`` file that the child memory-maps
(:class:`SignalFiles`: kept per content hash while the process lives, so analysing the same recording again
writes nothing). Nothing here imports Qt or torch.
"""
from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..io.recording import ArraySource, Lead, Provenance, Recording, RecordingError

#: In-memory recordings up to this size (bytes) are sent by value; larger ones through a temporary file.
INLINE_BYTES = 4 << 20
#: Samples per piece when a recording is copied into a temporary file (bounded memory, GIL released often).
COPY_SAMPLES = 1 << 20
#: Temporary signal files kept per process (the recordings analysed last).
KEEP_SIGNAL_FILES = 2


class LeadsNpySource:
    """Signal source over a ``(n_leads, n)`` float32 ``.npy`` memory map (the temporary signal files)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.data = np.load(self.path, mmap_mode="r", allow_pickle=False)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        return np.asarray(self.data[list(lead_idx), start:stop], np.float32)


class NeedSignal(Exception):
    """The child could not re-open the file as the viewer has it; the parent sends the samples instead."""


@dataclass(frozen=True)
class RecordingRef:
    """What the child needs to rebuild a recording: its leads, rate, length and provenance, and where the
    samples are: ``kind`` ``"file"`` (re-open ``provenance.path``), ``"array"`` (``array``, by value),
    ``"npy"`` (``npy``: an ``(n_leads, n)`` float32 file) or ``"memmap"`` (``npy``: a ``(n, n_leads)`` file
    read by :class:`anyecg_model.demo.MemmapSource` with ``gain_mv``)."""

    leads: tuple[Lead, ...]
    fs: float
    n_samples: int
    provenance: Provenance
    kind: str
    array: np.ndarray | None = None
    npy: str | None = None
    gain_mv: float = 1.0

    def open(self) -> Recording:
        """The recording in this process (:class:`NeedSignal` when a file no longer matches)."""
        if self.kind == "file":
            return self._reopen()
        if self.kind == "array":
            source = ArraySource(self.array)
        elif self.kind == "npy":
            source = LeadsNpySource(self.npy)
        elif self.kind == "memmap":
            from ..demo import MemmapSource

            source = MemmapSource(self.npy, self.gain_mv)
        else:
            raise ValueError(f"unknown recording reference {self.kind!r}")
        return Recording(leads=list(self.leads), fs=self.fs, n_samples=self.n_samples, source=source,
                         provenance=self.provenance)

    def _reopen(self) -> Recording:
        from ..io.registry import READERS, open_recording

        path, fmt = self.provenance.path, self.provenance.format
        try:
            if fmt in READERS:  # the reader itself: a WFDB record is named without its extension
                rec = importlib.import_module(READERS[fmt]).read(path, fs=self.fs)
            else:
                rec = open_recording(path, fs=self.fs)
        except (RecordingError, OSError, ValueError) as exc:
            raise NeedSignal(f"{path} cannot be re-opened: {exc}") from exc
        same = (rec.provenance.content_hash == self.provenance.content_hash and rec.n_samples == self.n_samples
                and abs(rec.fs - self.fs) < 1e-9 and rec.lead_names == [lead.name for lead in self.leads])
        if not same:
            raise NeedSignal(f"{path} differs from the recording the viewer shows")
        return rec


def _is_file_backed(rec: Recording) -> bool:
    p = rec.provenance
    return p.format != "array" and bool(p.path) and not p.path.startswith("<")


class SignalFiles:
    """Temporary ``.npy`` copies of recordings, one per content hash, the latest :data:`KEEP_SIGNAL_FILES`."""

    def __init__(self):
        self._dir: Path | None = None
        self._files: list[Path] = []
        self._lock = threading.Lock()

    def path_for(self, rec: Recording) -> Path:
        """A ``(n_leads, n)`` float32 file of ``rec``'s samples (written unless it exists)."""
        with self._lock:
            if self._dir is None:  # on disk: the page cache holds it while it is used, and may drop it later
                self._dir = Path(tempfile.mkdtemp(prefix="anyecg-signal-"))
            key = (rec.provenance.content_hash or f"id{id(rec)}")[:40]
            path = self._dir / f"{key}-{len(rec.leads)}x{rec.n_samples}.npy"
            if path in self._files:
                self._files.remove(path)
            elif not path.exists():
                self._write(rec, path)
            self._files.append(path)
            for old in self._files[:-KEEP_SIGNAL_FILES]:
                try:
                    old.unlink(missing_ok=True)
                except OSError:  # still mapped by the process (Windows): removed with the folder at stop
                    pass
            del self._files[:-KEEP_SIGNAL_FILES]
            return path

    @staticmethod
    def _write(rec: Recording, path: Path) -> None:
        """Header, then the samples in pieces: each ``write`` releases the GIL while the OS copies."""
        tmp = path.with_name(f".{path.name}.tmp")
        shape = (len(rec.leads), rec.n_samples)
        src = rec.source
        whole = isinstance(src, ArraySource) and src.data.dtype == np.float32 and src.data.flags.c_contiguous
        with open(tmp, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": shape})
            if whole:
                flat = memoryview(src.data.reshape(-1)).cast("B")
                step = COPY_SAMPLES * 4
                for a in range(0, len(flat), step):
                    fh.write(flat[a:a + step])
            else:  # lead by lead, in pieces, through the recording's own reader
                for lead in range(shape[0]):
                    for a in range(0, rec.n_samples, COPY_SAMPLES):
                        block = rec.read(a, min(rec.n_samples, a + COPY_SAMPLES), [lead])
                        fh.write(np.ascontiguousarray(block, "<f4").tobytes())
        os.replace(tmp, path)

    def clear(self) -> None:
        with self._lock:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
            self._dir, self._files = None, []


def recording_ref(rec: Recording, files: SignalFiles, inline_bytes: int = INLINE_BYTES,
                  by_path: bool = True) -> RecordingRef:
    """How ``rec`` reaches the child (see the module docstring); ``by_path=False`` once the child has asked
    for the samples (:class:`~.protocol.SendSamples`)."""
    head = dict(leads=tuple(rec.leads), fs=rec.fs, n_samples=rec.n_samples, provenance=rec.provenance)
    src = rec.source
    if isinstance(src, ArraySource):
        if src.data.nbytes <= inline_bytes:
            return RecordingRef(**head, kind="array", array=src.data)
        return RecordingRef(**head, kind="npy", npy=str(files.path_for(rec)))
    demo = sys.modules.get("anyecg_model.demo")
    if demo is not None and type(src) is demo.MemmapSource:
        return RecordingRef(**head, kind="memmap", npy=str(src.path), gain_mv=src.gain_mv)
    if by_path and _is_file_backed(rec):
        return RecordingRef(**head, kind="file")
    return RecordingRef(**head, kind="npy", npy=str(files.path_for(rec)))
