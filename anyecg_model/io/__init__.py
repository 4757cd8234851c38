"""Recordings and the readers and writers of every supported ECG file format."""
from .annotations import Annotations
from .recording import Lead, Provenance, Recording, RecordingError

__all__ = [
    "Annotations", "Lead", "Provenance", "Recording", "RecordingError",
    "open_recording",
]


def open_recording(path, **options) -> Recording:
    """Open any supported ECG file (format chosen by content sniffing and extension)."""
    from .registry import open_recording as _open

    return _open(path, **options)
