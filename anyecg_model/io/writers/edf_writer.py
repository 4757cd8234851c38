"""EDF+/BDF+ with annotations (pyedflib), streamed in whole data records.

The physical range is chosen so that one digital step equals the source's ADC step when it is known
(an exact round trip), otherwise from the signal's own extremes. EDF has no invalid-sample marker:
NaN is written as the physical minimum. Annotations are written as texts (see :mod:`..edf_text`). A recording
without a start time gets none: the EDF+ "Startdate X" (unknown), never the time of writing.
"""
from __future__ import annotations

import datetime as _dt
import logging
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import pyedflib

from ..edf_text import annotation_text
from ..recording import Recording, RecordingError
from ._common import as_recording, atomic_files, chunks, extremes

log = logging.getLogger(__name__)


#: EDF+ recommends data records of at most 61440 bytes.
MAX_RECORD_BYTES = 61440


def _record_duration(fs: float, n_leads: int, sample_bytes: int) -> tuple[float, int]:
    """(data record duration s, samples per record): the longest of 10, 5, 4, 2, 1 … 60 s that holds a whole
    number of samples and stays within the recommended record size (fewer records open faster). A rate
    that no duration up to 60 s turns into whole samples is rounded at 10-s records, with a warning."""
    candidates = [10, 5, 4, 2, 1, 20, 25, 30, 40, 50, 60]
    whole = [d for d in candidates if abs(fs * d - round(fs * d)) < 1e-6 * max(fs * d, 1)]
    for duration in whole:
        spr = int(round(fs * duration))
        if spr * n_leads * sample_bytes <= MAX_RECORD_BYTES or duration == whole[-1]:
            return float(duration), spr
    spr = max(1, int(round(fs * 10)))
    log.warning("%g Hz is stored as %g Hz: EDF needs a whole number of samples per data record", fs, spr / 10)
    return 10.0, spr


def _ranges(rec: Recording, bdf: bool) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Physical limits per lead: the source's own ADC step × the digital range when that covers the
    signal (an exact round trip), else the signal's extremes."""
    dmax = 8388607 if bdf else 32767
    dmin = -dmax - 1
    lo, hi = extremes(rec)
    res = np.array([r if r is not None and 1e-5 <= r <= 1.0 else np.nan
                    for r in (rec.adc_resolution_mv or [None] * len(rec.leads))], np.float64)
    span = np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-3) * 1.001
    tol = np.nan_to_num(res) / 2  # float32 samples sit a hair outside the exact limits
    exact = np.isfinite(res) & (dmin * res - tol <= lo) & (hi <= dmax * res + tol) & (not bdf)
    pmin = np.where(exact, dmin * np.nan_to_num(res), -span)
    pmax = np.where(exact, dmax * np.nan_to_num(res), span)
    return pmin, pmax, dmin, dmax


#: Physical limits that survive the 8-character EDF header field (pyedflib cuts longer numbers).
PHYSICAL_LIMITS = (-9999999.0, 99999999.0)


def _field(x: float) -> float:
    """A value that fits the 8-character EDF number field without losing its magnitude."""
    x = min(max(x, PHYSICAL_LIMITS[0]), PHYSICAL_LIMITS[1])
    for digits in range(7, 0, -1):
        text = f"{x:.{digits}g}"
        if len(text) <= 8 and len(str(float(text))) <= 8 or abs(x) >= 1e6 and "e" not in text:
            return float(text)
    return float(round(x))


#: Header start date and time of a recording whose start is unknown: the EDF+ clipping date (1985-01-01),
#: with "Startdate X" in the recording field saying it is no real acquisition time (EDF+ spec 2.1.3.2).
UNKNOWN_START = _dt.datetime(1985, 1, 1)


def mark_start_unknown(path: Path) -> None:
    """Write "Startdate X" (unknown) over the date pyedflib put in the EDF+ recording field (bytes 88–168)."""
    with open(path, "r+b") as fh:
        fh.seek(88)
        words = fh.read(80).decode("ascii", "replace").split()
        if words[:1] == ["Startdate"] and len(words) > 1:
            words[1] = "X"
        fh.seek(88)
        fh.write(" ".join(words)[:80].ljust(80).encode("ascii", "replace"))


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
            if any(h["physical_min"] > lo or h["physical_max"] < hi for h, lo, hi in zip(headers, pmin, pmax)):
                log.warning("%s: values beyond the EDF header's number range (%g..%g) are clipped", path,
                            *PHYSICAL_LIMITS)
            with warnings.catch_warnings():  # pyedflib warns about the 8-character fields _field already fits
                warnings.simplefilter("ignore", UserWarning)
                writer.setSignalHeaders(headers)
            writer.setStartdatetime(rec.start_time.replace(microsecond=0) if rec.start_time is not None
                                    else UNKNOWN_START)
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
        if rec.start_time is None:
            mark_start_unknown(tmp)
    return path
