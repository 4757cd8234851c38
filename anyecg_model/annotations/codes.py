"""Label vocabularies of the editable store: MIT-BIH point codes, rhythm codes and annotation sources."""
from __future__ import annotations

from ..vocabulary.labels import BEAT_SYMBOLS

#: Every MIT-BIH point annotation code a WFDB annotator file can hold (beats and non-beat marks such as
#: ``~`` signal quality change or ``|`` isolated QRS-like artefact). ``+`` rhythm changes are episodes.
POINT_CODES = frozenset(BEAT_SYMBOLS | set('~ | s T * D " = p ^ t + u ! [ ] @ x ( )'.split()))

#: MIT-BIH rhythm codes (aux text of ``+`` annotations without the leading parenthesis).
RHYTHM_CODES = ("N", "AFIB", "AFL", "AB", "B", "BII", "IVR", "NOD", "P", "PREX", "SBR", "SVTA", "T", "VFL", "VT")

#: Where a label came from. ``model`` rows are pending suggestions; ``rejected`` ones are kept for the record.
SOURCES = ("reference", "model", "manual", "accepted", "rejected")
#: Sources whose labels are the current truth (saved to annotator files).
LABEL_SOURCES = ("reference", "manual", "accepted")


class AnnotationError(ValueError):
    """An edit, a save or a restore was refused; the message names the problem (and the file, if any)."""


def check_point_code(code: str) -> str:
    """Return ``code`` if it is an MIT-BIH point code, else raise :class:`AnnotationError`."""
    if code not in POINT_CODES:
        raise AnnotationError(f"{code!r} is not an MIT-BIH annotation code (beats: {' '.join(sorted(BEAT_SYMBOLS))})")
    return code


def check_rhythm_code(code: str) -> str:
    """Return a rhythm label (``AFIB``, ``(AFIB`` → ``AFIB``); any non-empty label without spaces is allowed."""
    label = code.strip().lstrip("(").strip()
    if not label or any(ch.isspace() for ch in label):
        raise AnnotationError(f"{code!r} is not a rhythm label (e.g. {', '.join(RHYTHM_CODES[:5])})")
    return label


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise AnnotationError(f"source {source!r} is not one of {', '.join(SOURCES)}")
    return source
