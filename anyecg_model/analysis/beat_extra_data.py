"""The beat trees' extra inputs (:func:`~anyecg_model.model.beat_trees.extra_features`) of MIT-BIH's reference
beats, per record, aligned with the per-beat cache of :mod:`.beat_fusion_data`.

They are computed as the analyzer computes them (:meth:`~.analyzer.Analyzer._chunk_inputs`): the recording cut
into the analyzer's chunks, each read with its margins from the mapped leads (upright), the reference R peaks
of the segment as its beats, the features of the beats inside the chunk kept. No backbone is needed, so this
takes seconds per record. Cache files are numbers only (``time_s``, ``extra``), read with ``allow_pickle=False``.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..io.recording import Recording
from ..model.beat_trees import extra_features
from .analyzer import input_leads
from .chunks import CHUNK_S, MARGIN_S, chunk_spans
from .lead_setup import read_leads

log = logging.getLogger(__name__)


def record_extra_features(rec: Recording, samples: np.ndarray, chunk_s: float = CHUNK_S) -> tuple[np.ndarray,
                                                                                                  np.ndarray]:
    """(times (s), (K, 8) features) of the beats at ``samples`` (native rate, sorted) of ``rec``, chunk by chunk
    with the analyzer's margins and leads."""
    leads = input_leads(rec)
    fs = rec.fs
    times, feats = [], []
    for start_s, end_s in chunk_spans(rec.duration_s, chunk_s):
        seg0, seg1 = max(0.0, start_s - MARGIN_S), min(rec.duration_s, end_s + MARGIN_S)
        s0, s1 = int(round(seg0 * fs)), int(round(seg1 * fs))
        data, _ = read_leads(rec, leads, s0, s1)
        p = samples[(samples >= s0) & (samples < s1)] - s0
        t = seg0 + p / fs
        mine = (t >= start_s) & (t < end_s)
        times.append(t[mine])
        feats.append(extra_features(data, p, fs)[mine])
    return np.concatenate(times), np.concatenate(feats)


def extract_extra(mitdb_dir: Path, fusion_cache: Path, out_dir: Path, records: list[str]) -> None:
    """Write ``<out_dir>/<record>.npz`` (``extra`` row-aligned with ``<fusion_cache>/<record>.npz``; rows whose
    beat is not found within 20 ms get zeros) for each record not there yet."""
    from ..io import open_recording
    from .beat_fusion_data import reference_beats

    out_dir.mkdir(parents=True, exist_ok=True)
    for r in records:
        path = out_dir / f"{r}.npz"
        if path.exists():
            continue
        samples, _ = reference_beats(mitdb_dir / r)
        t, f = record_extra_features(open_recording(str(mitdb_dir / f"{r}.hea")), samples)
        with np.load(fusion_cache / f"{r}.npz", allow_pickle=False) as z:
            ct = z["time_s"]
        j = np.clip(np.searchsorted(t, ct), 1, len(t) - 1)
        j = np.where(np.abs(t[j - 1] - ct) < np.abs(t[j] - ct), j - 1, j)
        ok = np.abs(t[j] - ct) < 0.02
        extra = np.where(ok[:, None], f[j], 0.0).astype(np.float32)
        np.savez(path, time_s=ct, extra=extra)
        log.info("%s: %d beats, %d not matched", r, len(ct), int((~ok).sum()))
