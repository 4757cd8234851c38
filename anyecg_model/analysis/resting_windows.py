"""Averaged-beat features of each 10-s analysis window of a 12-lead recording, for the fused anomaly trees.

The analyzer (:meth:`~.analyzer.Analyzer._chunk_inputs`) and the trees' training table
(:mod:`.anomaly_data`) both call :func:`window_resting_features` on the same inputs: the
chunk's signal as read (mapped leads, upright, mV at the file's rate), its R peaks on the rhythm lead, and the
windows' spans. Each window is measured on its own signal with :data:`MARGIN_S` on both sides (so the
band-pass filter has a run-in) and the R peaks inside it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..vocabulary.lead_map import LeadMapping
from ..signal.resting_features import FEATURES, TWELVE_LEADS, resting_features

#: Signal kept on both sides of a window for the filter's run-in (s).
MARGIN_S = 1.0


def twelve_lead_rows(leads: LeadMapping, rows: Sequence[int]) -> list[int] | None:
    """Positions in ``rows`` (the file leads read, in that order) of the 12 standard leads in
    :data:`TWELVE_LEADS` order; None when a slot is not filled."""
    where = {leads.slot[i]: k for k, i in enumerate(rows) if i in leads.slot}
    if any(name not in where for name in TWELVE_LEADS):
        return None
    return [where[name] for name in TWELVE_LEADS]


def window_resting_features(data: np.ndarray, fs: float, seg0_s: float, twelve: Sequence[int], peaks: np.ndarray,
                            starts_s: np.ndarray, ends_s: np.ndarray) -> np.ndarray:
    """(W, len(FEATURES)) averaged-beat features of the windows ``[starts_s, ends_s)`` (s from the recording's
    start) of ``data`` (leads, samples; mV at ``fs`` Hz, read from ``seg0_s``), its 12 standard leads at the
    positions ``twelve``, and the R ``peaks`` (samples of ``data``)."""
    x = np.asarray(data)[list(twelve)]
    out = np.full((len(starts_s), len(FEATURES)), np.nan)
    margin = int(round(MARGIN_S * fs))
    for k, (a_s, b_s) in enumerate(zip(starts_s, ends_s)):
        a, b = int(round((a_s - seg0_s) * fs)), int(round((b_s - seg0_s) * fs))
        lo, hi = max(0, a - margin), min(x.shape[1], b + margin)
        inside = peaks[(peaks >= a) & (peaks < b)] - lo
        out[k] = resting_features(x[:, lo:hi], fs, inside)
    return out
