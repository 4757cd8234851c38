"""R peaks of a recording's lead, cached per content hash, so the viewer's heart-rate lane is instant on reopen.

Detecting the R peaks of a 24-hour lead took the viewer 28–31 s after every open (issue 19). The peaks
(int64 sample indices) are stored once in ``$ANYECG_CACHE/rpeaks`` (default ``~/.cache/anyecg/rpeaks``), one
``.npz`` per (recording content hash, lead, detector), beside the overview pyramid and the findings cache.
Files hold plain arrays and a JSON string and are read with ``allow_pickle=False``: a cache file can never
execute code. The detector's part of the key is a hash of :mod:`anyecg_model.signal.rpeaks`' source, so a
changed detector never serves old peaks. A corrupt or mismatching file is deleted and reported as a miss.
Writes go to a temporary file renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from anyecg_model.io.recording import Recording

log = logging.getLogger(__name__)

#: Bump when the layout of the files changes.
CACHE_VERSION = 1


def cache_root() -> Path:
    """``$ANYECG_CACHE/rpeaks`` or ``~/.cache/anyecg/rpeaks``."""
    base = os.environ.get("ANYECG_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "anyecg") / "rpeaks"


@lru_cache(maxsize=1)
def detector_fingerprint() -> str:
    """First 12 hex digits of the sha256 of the R-peak detector's source file."""
    from anyecg_model.signal import rpeaks

    return hashlib.sha256(Path(rpeaks.__file__).read_bytes()).hexdigest()[:12]


class RPeakCache:
    """Load and store the R peaks of one lead of a recording (see the module docstring)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else cache_root()

    def path(self, recording: Recording, lead: int, method: str) -> Path | None:
        """The cache file of ``lead`` found with ``method`` (a name of the chunking used), or None when the
        recording has no content hash."""
        digest = recording.provenance.content_hash
        if not digest:
            return None
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in method)[:40]
        return self.root / f"{digest[:40]}-lead{lead}-{safe}-d{detector_fingerprint()}-v{CACHE_VERSION}.npz"

    def _meta(self, recording: Recording, lead: int, method: str) -> dict:
        return {"cache_version": CACHE_VERSION, "content_hash": recording.provenance.content_hash, "lead": lead,
                "method": method, "fs": recording.fs, "n_samples": recording.n_samples,
                "detector": detector_fingerprint()}

    def load(self, recording: Recording, lead: int, method: str) -> np.ndarray | None:
        """The cached R peaks (int64 samples, sorted) or None (absent, or corrupt and therefore discarded)."""
        p = self.path(recording, lead, method)
        if p is None or not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                peaks = np.asarray(z["peaks"])
            if meta != self._meta(recording, lead, method):
                raise ValueError("written for another recording, lead or detector")
            if peaks.ndim != 1 or peaks.dtype != np.int64 or (len(peaks) and (
                    peaks[0] < 0 or peaks[-1] >= recording.n_samples or np.any(np.diff(peaks) < 0))):
                raise ValueError("peaks are not sorted sample indices of this recording")
            return peaks
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("%s: corrupt R-peak cache discarded (%s)", p, exc)
            p.unlink(missing_ok=True)
            return None

    def store(self, recording: Recording, lead: int, method: str, peaks: np.ndarray) -> Path | None:
        """Write ``peaks`` atomically; returns the file (None when the recording has no content hash)."""
        p = self.path(recording, lead, method)
        if p is None:
            return None
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = np.frombuffer(json.dumps(self._meta(recording, lead, method)).encode("utf-8"), np.uint8)
        tmp = p.with_name(f".{p.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, peaks=np.asarray(peaks, np.int64), meta=meta)
        os.replace(tmp, p)
        return p
