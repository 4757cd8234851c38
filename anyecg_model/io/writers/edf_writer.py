"""EDF+/BDF+ with annotations (pyedflib), streamed in whole data records.

The physical range is chosen so that one digital step equals the source's ADC step when it is known
(an exact round trip), otherwise from the signal's own extremes. EDF has no invalid-sample marker:
NaN is written as the physical minimum. Annotations are written as texts (see :mod:`..edf_text`).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import pyedflib

from ..edf_text import annotation_text
from ..recording import Recording, RecordingError
from ._common import as_recording, atomic_files, chunks


#: EDF+ recommends data records of at most 61440 bytes.
MAX_RECORD_BYTES = 61440


def _record_duration(fs: float, n_leads: int, sample_bytes: int) -> tuple[float, int]:
    """(data record duration s, samples per record): the longest of 10, 5, 4, 2, 1 s … that holds a whole
    number of samples and stays within the recommended record size (fewer records open faster)."""
    fallback = None
    for duration in (10, 5, 4, 2, 1, 20, 25, 50, 100):
        spr = fs * duration
        if abs(spr - round(spr)) < 1e-6 * max(spr, 1):
            if round(spr) * n_leads * sample_bytes <= MAX_RECORD_BYTES or duration == 1:
                return float(duration), int(round(spr))
            fallback = fallback or (float(duration), int(round(spr)))
    if fallback:
        return fallback
    raise RecordingError(None, f"sampling rate {fs} Hz gives no whole number of samples per EDF data record")


def _ranges(rec: Recording, bdf: bool) -> tuple[np.ndarray, np.ndarray, int, int]:
    dmax = 8388607 if bdf else 32767
    dmin = -dmax - 1
    res = rec.adc_resolution_mv or [None] * len(rec.leads)
    known = [r is not None and 1e-5 <= r <= 1.0 for r in res]
    if all(known) and not bdf:
        step = np.array(res, np.float64)
        return dmin * step, dmax * step, dmin, dmax
    lo = np.full(len(rec.leads), np.inf)
    hi = np.full(len(rec.leads), -np.inf)
    for _, window in chunks(rec):
        with np.errstate(all="ignore"):
            lo = np.fmin(lo, np.nanmin(window, axis=1) if window.size else lo)
            hi = np.fmax(hi, np.nanmax(window, axis=1) if window.size else hi)
    span = np.maximum(np.nan_to_num(np.maximum(np.abs(lo), np.abs(hi)), nan=1.0), 1e-3) * 1.001
    return -span, span, dmin, dmax


def _field(x: float) -> float:
    """A value that fits the 8-character EDF number field without losing its magnitude."""
    for digits in range(7, 0, -1):
        text = f"{x:.{digits}g}"
        if len(text) <= 8:
            return float(text)
    raise RecordingError(None, f"physical limit {x} does not fit an EDF header field")


def write_edf(recording_or_arrays, path: str | Path, *, fs: float | None = None,
              lead_names: Sequence[str] | None = None, annotations: bool = True, bdf: bool | None = None) -> Path:
    """Write an EDF+ (or BDF+ for ``.bdf`` paths / ``bdf=True``) file with the recording's annotations.

    Leads are written at the recording's base rate; the last data record is padded by repeating
    the final sample."""
    rec = as_recording(recording_or_arrays, fs, lead_names)
    path = Path(path)
    bdf = path.suffix.lower() == ".bdf" if bdf is None else bdf
    duration, spr = _record_duration(rec.fs, len(rec.leads), 3 if bdf else 2)
    pmin, pmax, dmin, dmax = _ranges(rec, bdf)
    ann = rec.annotations if annotations else None
    n_ann = len(ann) if ann is not None else 0
    per_record = 1
    if n_ann:
        per_record = int(np.unique(ann.sample // spr, return_counts=True)[1].max())
    with atomic_files([path]) as (tmp,):
        writer = pyedflib.EdfWriter(str(tmp), len(rec.leads),
                                    file_type=pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS)
        try:
            with warnings.catch_warnings():  # pyedflib warns whenever a duration is set explicitly
                warnings.simplefilter("ignore", UserWarning)
                writer.setDatarecordDuration(duration)
            writer.set_number_of_annotation_signals(min(64, max(1, per_record + 1)))
            headers = []
            for i, lead in enumerate(rec.leads):
                lo, hi = _field(float(pmin[i])), _field(float(pmax[i]))
                headers.append({"label": lead.original_name[:16], "dimension": (lead.units or "mV")[:8],
                                "sample_frequency": spr / duration, "physical_min": lo, "physical_max": hi,
                                "digital_min": dmin, "digital_max": dmax, "transducer": "", "prefilter": ""})
            writer.setSignalHeaders(headers)
            if rec.start_time is not None:
                writer.setStartdatetime(rec.start_time.replace(microsecond=0))
            if rec.sex in ("M", "F"):
                writer.setSex(1 if rec.sex == "M" else 0)
            if rec.age is not None:
                writer.setPatientAdditional(f"age_{rec.age:g}")
            block = spr * max(1, 65536 // spr)
            lows = np.array([h["physical_min"] for h in headers])[:, None]
            highs = np.array([h["physical_max"] for h in headers])[:, None]
            step = (highs - lows) / (dmax - dmin)
            for _, window in chunks(rec, block):
                phys = np.where(np.isfinite(window), window, lows).astype(np.float64)
                digital = np.clip(np.round((phys - lows) / step) + dmin, dmin, dmax).astype(np.int32)
                if digital.shape[1] % spr:
                    pad = spr - digital.shape[1] % spr
                    digital = np.pad(digital, ((0, 0), (0, pad)), mode="edge")
                writer.writeSamples([np.ascontiguousarray(row) for row in digital], digital=True)
            for s, sym, aux in zip(ann.sample if n_ann else [], ann.symbol if n_ann else [], ann.aux if n_ann else []):
                writer.writeAnnotation(float(s) / rec.fs, -1, annotation_text(str(sym), str(aux)))
        finally:
            writer.close()
    return path
