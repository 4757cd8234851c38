"""Open any supported ECG file: pick a reader by content sniffing first, file extension second.

Every failure, whatever the reader raised, reaches the caller as a :class:`RecordingError` that
names the file and the problem.
"""
from __future__ import annotations

import importlib
import logging
import math
import os
from pathlib import Path

from .recording import Recording, RecordingError

log = logging.getLogger(__name__)

#: format name → reader module (each exposes ``read(path, *, fs, lenient) -> Recording``).
READERS: dict[str, str] = {
    "wfdb": "anyecg_model.io.readers.wfdb_reader",
    "edf": "anyecg_model.io.readers.edf_reader",
    "dicom": "anyecg_model.io.readers.dicom_reader",
    "hl7aecg": "anyecg_model.io.readers.hl7aecg_reader",
    "philips": "anyecg_model.io.readers.philips_reader",
    "muse": "anyecg_model.io.readers.muse_reader",
    "schiller": "anyecg_model.io.readers.schiller_reader",
    "ishne": "anyecg_model.io.readers.ishne_reader",
    "scp": "anyecg_model.io.readers.scp_reader",
    "csv": "anyecg_model.io.readers.csv_reader",
    "numpy": "anyecg_model.io.readers.numpy_reader",
}

_EXTENSIONS: dict[str, str] = {
    ".hea": "wfdb", ".dat": "wfdb", ".atr": "wfdb", ".qrs": "wfdb",
    ".edf": "edf", ".bdf": "edf", ".rec": "edf",
    ".dcm": "dicom", ".dicom": "dicom",
    ".ecg": "ishne", ".scp": "scp",
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".npy": "numpy", ".npz": "numpy",
}
#: XML root tag (namespace removed, lower case) → format.
_XML_ROOTS = {
    "annotatedecg": "hl7aecg", "restingecgdata": "philips", "restingecg": "muse",
}


def _xml_root(head: bytes) -> str | None:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    pos = 0
    while True:
        pos = text.find("<", pos)
        if pos < 0 or pos + 1 >= len(text):
            return None
        if text[pos + 1] in "?!":
            pos += 1
            continue
        name = text[pos + 1:].split(None, 1)[0].split(">", 1)[0].split("/", 1)[0]
        return name.split(":")[-1].lower()


def detect_format(path: Path, head: bytes) -> str | None:
    """The format name of ``path`` from its first bytes (``head``) and then its extension, or None."""
    if head[:8] == b"0       " or head[:8] == b"\xffBIOSEMI":
        return "edf"
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head[:8] in (b"ISHNE1.0", b"ANN  1.0"):
        return "ishne"
    if head[:6] == b"\x93NUMPY" or (head[:4] == b"PK\x03\x04" and path.suffix.lower() == ".npz"):
        return "numpy"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:4] in (b"\xff\xfe<\x00", b"\xfe\xff\x00<"):
        root = _xml_root(head) or ""
        if root.endswith("schilleredi"):
            return "schiller"
        return _XML_ROOTS.get(root)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return "wfdb" if path.with_suffix(".hea").is_file() else None
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if path.with_name(path.name + ".hea").is_file() or (path.suffix and path.with_suffix(".hea").is_file()):
        return "wfdb"
    return None


def _check_file(path: Path) -> bytes:
    """First 64 kB of a readable, non-empty regular file; RecordingError otherwise."""
    if not path.exists():
        if path.with_name(path.name + ".hea").is_file():
            return b""
        raise RecordingError(path, "no such file")
    if path.is_dir():
        raise RecordingError(path, "is a directory, not a recording file")
    if not path.is_file():
        raise RecordingError(path, "is not a regular file")
    if not os.access(path, os.R_OK):
        raise RecordingError(path, "permission denied")
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise RecordingError(path, f"cannot read: {exc.strerror or exc}") from exc
    if not head:
        raise RecordingError(path, "file is empty")
    return head


def open_recording(path: str | os.PathLike, *, fs: float | None = None, format: str | None = None,
                   lenient: bool = True) -> Recording:
    """Open an ECG file of any supported format as a lazily read :class:`Recording`.

    ``fs`` (Hz) gives the rate of formats that do not store it (NumPy, CSV without a time column);
    ``format`` forces a reader (a key of :data:`READERS`); ``lenient`` lets readers open slightly
    non-compliant files with a warning kept in ``Recording.comments``.
    """
    path = Path(path)
    if fs is not None and not (isinstance(fs, (int, float)) and math.isfinite(fs) and fs > 0):
        raise RecordingError(path, f"the given sampling rate (fs) {fs!r} Hz is not a positive number")
    head = _check_file(path)
    name = format or detect_format(path, head)
    if name is None:
        raise RecordingError(path, "unknown file format (not WFDB, EDF/BDF, DICOM, HL7 aECG, Philips, MUSE, "
                                   "Schiller, ISHNE, SCP-ECG, CSV or NumPy)")
    if name not in READERS:
        raise RecordingError(path, f"unknown format name {name!r}; known: {', '.join(READERS)}")
    try:
        module = importlib.import_module(READERS[name])
    except ImportError as exc:
        raise RecordingError(path, f"no reader for {name} files is available: {exc}") from exc
    try:
        return module.read(path, fs=fs, lenient=lenient)
    except RecordingError:
        raise
    except MemoryError as exc:
        raise RecordingError(path, f"{name} file needs more memory than is available") from exc
    except Exception as exc:  # any reader failure on a bad file becomes one clear error
        log.debug("reader %s failed on %s", name, path, exc_info=True)
        raise RecordingError(path, f"cannot read as {name}: {type(exc).__name__}: {exc}") from exc
