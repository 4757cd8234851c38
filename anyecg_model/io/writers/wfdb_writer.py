"""WFDB records (header + format-16 signal file, streamed in chunks) and annotation files (beats, rhythm episodes)."""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import wfdb

from ..annotations import Annotations
from ..recording import Recording, RecordingError
from ._common import as_recording, atomic_files, chunks, extremes

log = logging.getLogger(__name__)

#: Default gain (ADC units per mV): 1 µV steps, ±32.7 mV range.
DEFAULT_GAIN = 1000.0
INVALID = -32768
_EXT = re.compile(r"^[A-Za-z0-9_]{1,16}$")


def _record_base(path: str | Path) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix.lower() in (".hea", ".dat") else path


def _gains(recording: Recording, gain: float | Sequence[float] | None) -> list[float]:
    """ADC units per mV: ``gain`` when given; else the source's own ADC step when it is finer than 1 mV,
    else 1000/mV (1 µV); lowered where the signal's extremes would not fit 16 bits."""
    n = len(recording.leads)
    if gain is not None:
        return [float(g) for g in (gain if isinstance(gain, Sequence) else [gain] * n)]
    res = recording.adc_resolution_mv or [None] * n
    gains = [1.0 / r if r and 1e-4 <= r <= 1.0 else DEFAULT_GAIN for r in res]
    lo, hi = extremes(recording)
    peak = np.maximum(np.abs(lo), np.abs(hi))
    return [g if p * g <= 32767 else float(f"{32767 / p * 0.999:.3g}") for g, p in zip(gains, peak)]


def _sanitize(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip()) or "sig"


def write_wfdb(recording_or_arrays, path: str | Path, *, fs: float | None = None,
               lead_names: Sequence[str] | None = None, gain: float | Sequence[float] | None = None,
               annotations: bool = True) -> Path:
    """Write a WFDB record ``path`` (``rec``, ``rec.hea`` or ``rec.dat``): format 16 at ``gain`` ADC units
    per physical unit (default: the source's own ADC step, else 1000/mV). NaN samples are written as the
    invalid value. With ``annotations``, the recording's annotations go to one file per source
    (``atr`` for sources that are not annotator names). Returns the header path."""
    rec = as_recording(recording_or_arrays, fs, lead_names)
    base = _record_base(path)
    name = base.name
    if not re.fullmatch(r"[-\w]+", name):
        raise RecordingError(path, "WFDB record names may contain only letters, digits, '_' and '-'")
    gains = np.array(_gains(rec, gain), np.float64)
    hea, dat = base.with_suffix(".hea"), base.with_suffix(".dat")
    n_leads = len(rec.leads)
    checksum = np.zeros(n_leads, np.int64)
    first = np.zeros(n_leads, np.int64)
    clipped = 0
    # both files are complete in the temporary folder before either is renamed into place, the header last:
    # an interrupted write leaves no file of the record (or, between the two renames, no header)
    with atomic_files([dat, hea]) as (tmp_dat, tmp_hea):
        with open(tmp_dat, "wb") as fh:
            for start, window in chunks(rec):
                digital = np.round(window.astype(np.float64) * gains[:, None])
                bad = ~np.isfinite(digital)
                clipped += int(((digital < -32767) | (digital > 32767)).sum())
                digital = np.clip(np.where(bad, 0, digital), -32767, 32767).astype(np.int16)
                digital[bad] = INVALID
                if start == 0 and digital.shape[1]:
                    first = digital[:, 0].astype(np.int64)
                checksum += digital.astype(np.int64).sum(axis=1)
                fh.write(np.ascontiguousarray(digital.T).astype("<i2").tobytes())
        if clipped:
            log.warning("%s: %d samples beyond ±%s were clipped", dat, clipped, (32767 / gains).round(3).tolist())
        checksum = ((checksum + 32768) % 65536) - 32768
        record_line = f"{name} {n_leads} {rec.fs:.12g} {rec.n_samples}"
        if rec.start_time is not None:
            record_line += f" {rec.start_time:%H:%M:%S} {rec.start_time:%d/%m/%Y}"
        lines = [record_line]
        for i, lead in enumerate(rec.leads):
            units = _sanitize(lead.units or "mV")
            lines.append(f"{dat.name} 16 {gains[i]:.12g}(0)/{units} 16 0 {first[i]} {checksum[i]} 0 "
                         f"{lead.original_name}")
        if rec.age is not None or rec.sex is not None:
            age = f"{rec.age:g}" if rec.age is not None else "?"
            lines.append(f"# <age>: {age} <sex>: {rec.sex or '?'}")
        lines += [f"# {c}" for c in rec.comments if c and not c.startswith("<age>")]
        tmp_hea.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if annotations and len(rec.annotations):
        for source in dict.fromkeys(rec.annotations.source):
            part = rec.annotations.select(rec.annotations.source == source)
            ext = source if _EXT.match(str(source)) and source not in ("hea", "dat", "file", "model") else "atr"
            write_wfdb_annotations(base, ext, part.sample, part.symbol, part.aux, subtypes=part.subtype,
                                   channels=part.channel, fs=rec.fs)
    return hea


def rhythm_annotations(episodes: Sequence[tuple[int, int, str]]) -> Annotations:
    """``+`` rhythm-change annotations (aux ``(AFIB`` …) for episodes ``(start, stop, label)``; each episode
    that does not run into the next one is closed by a ``(N`` change at its stop."""
    samples, aux = [], []
    ordered = sorted(episodes)
    for k, (start, stop, label) in enumerate(ordered):
        samples.append(int(start))
        aux.append("(" + label.lstrip("("))
        following = ordered[k + 1][0] if k + 1 < len(ordered) else None
        if label.lstrip("(") != "N" and (following is None or following > stop):
            samples.append(int(stop))
            aux.append("(N")
    return Annotations.from_lists(samples, ["+"] * len(samples), aux=aux, source="atr")


def write_wfdb_annotations(path_base: str | Path, extension: str, samples, symbols, aux=None, *,
                           subtypes=None, channels=None, fs: float | None = None) -> Path | None:
    """Write a WFDB annotation file ``path_base.extension`` (e.g. ``100.atr``); returns its path, or None
    when there is nothing to write. Samples are sorted; channels of -1 (not lead-specific) are written as 0."""
    base = _record_base(path_base)
    if not _EXT.match(extension):
        raise RecordingError(base, f"annotation extension {extension!r} is not a plain word")
    samples = np.asarray(samples, np.int64)
    if not len(samples):
        return None
    order = np.argsort(samples, kind="stable")
    symbols = np.asarray(list(symbols), object)[order]
    aux_list = [str(a) if a else "" for a in (np.asarray(list(aux), object)[order] if aux is not None else [""] * len(order))]
    sub = np.asarray(subtypes if subtypes is not None else np.zeros(len(order)), np.int64)[order]
    chan = np.asarray(channels if channels is not None else np.zeros(len(order)), np.int64)[order]
    chan = np.where(chan < 0, 0, chan)
    target = base.with_name(f"{base.name}.{extension}")
    with atomic_files([target]) as (tmp,):
        wfdb.wrann(base.name, extension, samples[order], symbol=list(symbols), subtype=sub, chan=chan,
                   aux_note=aux_list, fs=fs, write_dir=str(tmp.parent))
    return target
