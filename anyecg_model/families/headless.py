"""Headless "learn this patient": adapt an analysis's beat labels to an annotator's labels over the first seconds.

``anyecg analyze REC --adapt-from atr --adapt-until 300`` calls :func:`adapt_findings`: the beats of the
annotator ``atr`` in the first 300 s (beat classes of their MIT-BIH codes, paced beats P) are the confirmed
labels, the patient layer (:mod:`.adapt`) is fitted on them with the model's labels as the prior, and every beat
of the findings gets its adapted label and confidence (confirmed beats: the annotator's label, confidence 1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.findings import Findings
from ..annotations.store import annotators
from ..io.recording import Recording
from ..vocabulary.labels import BEAT_CLASS, BEAT_CLASSES
from .adapt import AdaptConfig, adapt_recording


class AdaptError(ValueError):
    """The adaptation cannot run on this recording (no such annotator, no labelled beat in the span)."""


@dataclass
class AdaptRequest:
    """Which annotator's labels to learn from, up to ``until_s`` seconds (None: the whole recording)."""

    annotator: str
    until_s: float | None = None
    config: AdaptConfig = AdaptConfig()


def confirmed_labels(recording: Recording, req: AdaptRequest) -> tuple[np.ndarray, np.ndarray]:
    """(times s, beat class indices into BEAT_CLASSES) of the annotator's beats before ``until_s``."""
    a = recording.annotations
    names = annotators(a)
    if req.annotator not in names:
        have = ", ".join(names) if names else "none"
        raise AdaptError(f"{recording.path}: no annotator {req.annotator!r} in the file (annotators: {have})")
    t = a.sample / recording.fs
    keep = np.array([src == req.annotator and sym in BEAT_CLASS for src, sym in zip(a.source, a.symbol)], bool)
    if req.until_s is not None:
        keep &= t < req.until_s
    if not keep.any():
        span = "" if req.until_s is None else f" in the first {req.until_s:g} s"
        raise AdaptError(f"{recording.path}: annotator {req.annotator!r} labels no beat{span}")
    labels = np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in a.symbol[keep]], np.int64)
    return t[keep], labels


def adapt_findings(recording: Recording, findings: Findings, req: AdaptRequest) -> dict:
    """Replace ``findings.beats`` labels/confidences by the adapted ones; returns a JSON-ready summary."""
    beats = findings.beats
    if beats is None or len(beats) == 0:
        raise AdaptError(f"{recording.path}: the analysis found no beats to adapt (run the arrhythmia task)")
    t, y = confirmed_labels(recording, req)
    try:
        res = adapt_recording(recording, beats.time_s, beats.label, beats.confidence, t, y, req.config)
    except ValueError as exc:
        raise AdaptError(f"{recording.path}: {exc}") from exc
    before = np.bincount(beats.label, minlength=len(BEAT_CLASSES))
    beats.label, beats.confidence = res.labels, res.confidence
    after = np.bincount(res.labels, minlength=len(BEAT_CLASSES))
    return {"annotator": req.annotator, "until_s": req.until_s, "confirmed_beats": int(len(res.confirmed)),
            "changed_beats": int(len(res.changed)),
            "counts_before": {c: int(n) for c, n in zip(BEAT_CLASSES, before)},
            "counts_after": {c: int(n) for c, n in zip(BEAT_CLASSES, after)}}
