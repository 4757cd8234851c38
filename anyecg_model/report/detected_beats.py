"""Beats for a Holter summary when neither the model nor the file provides any: R peaks found by
:func:`anyecg_model.signal.rpeaks.detect_r_peaks`, read chunk by chunk so a 24-hour lead is never held
whole. Such beats are unclassified (label ``?``); the report says so."""
from __future__ import annotations

import logging

import numpy as np

from ..io import Recording
from ..signal.rpeaks import detect_r_peaks
from .findings import ReportFindings

log = logging.getLogger(__name__)

#: Chunk read at once (s) and the overlap on each side (s).
CHUNK_S = 1800.0
OVERLAP_S = 5.0
UNCLASSIFIED = "?"


def detected_beats(recording: Recording, lead: str) -> ReportFindings:
    """Unclassified beats of ``lead`` over the whole recording (times in s)."""
    fs = recording.fs
    chunk, pad = int(CHUNK_S * fs), int(OVERLAP_S * fs)
    found: list[np.ndarray] = []
    for core in range(0, recording.n_samples, chunk):
        a, b = max(0, core - pad), min(recording.n_samples, core + chunk + pad)
        peaks = detect_r_peaks(recording.read(a, b, [lead])[0], fs) + a
        found.append(peaks[(peaks >= core) & (peaks < core + chunk)])
    samples = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
    log.info("%s: %d beats detected on %s (no labels available)", recording.path, samples.size, lead)
    if samples.size == 0:
        return ReportFindings.none()
    return ReportFindings(
        source="detector",
        source_text=f"Beats detected on lead {lead} (R-peak detector; not classified, no rhythm analysis).",
        beat_time_s=samples / fs,
        beat_label=np.full(samples.size, UNCLASSIFIED, dtype=object),
        beat_confidence=np.full(samples.size, np.nan),
    )
