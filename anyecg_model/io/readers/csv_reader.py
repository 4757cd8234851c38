"""CSV/TSV/TXT exports: delimiter, header row and time column detected; rate from the time column or ``fs``.

Values are taken as mV unless the header names another unit (``II [uV]``, ``V1 (µV)``). A time
column is one named like ``time``/``t``/``sec``/``ms``, or a first column that rises in equal steps;
its unit is read from the name (``ms`` → milliseconds), otherwise seconds.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import mv_scale

FORMAT = "csv"
#: Largest text file loaded (the text is held while numpy parses it; 12 leads × 30 min × 500 Hz is ~150 MB).
MAX_TEXT_BYTES = 256 * 1024 * 1024
_TIME = re.compile(r"^\s*(time|t|sec|secs|seconds|s|ms|msec|millis|timestamp|elapsed)(?![a-z0-9])", re.I)
_UNIT = re.compile(r"[\[(]\s*(uV|µV|μV|mV|V|nV)\s*[\])]\s*$", re.I)


def _decode(path: Path, raw: bytes) -> str:
    for enc in ("utf-8-sig", "utf-16") if raw[:2] not in (b"\xff\xfe", b"\xfe\xff") else ("utf-16",):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _dialect(sample: str) -> str:
    for delim in (",", ";", "\t", "|"):
        lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
        if lines and all(delim in ln for ln in lines):
            counts = {ln.count(delim) for ln in lines[1:]} or {lines[0].count(delim)}
            if len(counts) == 1:
                return delim
    return " "


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise RecordingError(path, f"text file of {size} bytes is too large; convert it to EDF or WFDB first")
    text = _decode(path, path.read_bytes())
    if "\x00" in text:
        raise RecordingError(path, "file contains NUL bytes: not a text export")
    delim = _dialect(text[:65536])
    split = (lambda ln: ln.split()) if delim == " " else (lambda ln: next(csv.reader([ln], delimiter=delim)))
    header: list[str] | None = None
    skip = 0
    stream = io.StringIO(text)
    for line in stream:  # header: the first non-comment row when it is not numeric
        row = [c.strip() for c in split(line)] if line.strip() else []
        if row and not row[0].startswith("#"):
            if not all(_is_number(c) for c in row if c):
                header = row
                skip += 1
            break
        skip += 1
    try:  # numpy's C parser: 8 bytes per value, not a Python float per value
        with warnings.catch_warnings():  # "input contained no data" is reported below as an error
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(io.StringIO(text), delimiter=None if delim == " " else delim, skiprows=skip,
                              comments="#", ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise RecordingError(path, f"not a numeric table: {str(exc).splitlines()[0]}") from None
    if not data.size:
        raise RecordingError(path, "no numeric rows")
    names = header if header is not None and len(header) == data.shape[1] else [f"ch{i + 1}" for i in range(data.shape[1])]
    time_col = next((i for i, nm in enumerate(names) if _TIME.match(nm)), None)
    if time_col is None and data.shape[1] > 1 and len(data) > 2:
        steps = np.diff(data[:, 0])
        if (steps > 0).all() and np.allclose(steps, steps[0], rtol=1e-3):
            time_col = 0
    rate = fs
    comments = []
    if time_col is not None:
        times = data[:, time_col]
        step = float((times[-1] - times[0]) / (len(times) - 1)) if len(times) > 1 else 0.0
        if step <= 0 or not np.isfinite(step):
            raise RecordingError(path, f"time column {names[time_col]!r} does not increase")
        in_ms = bool(re.search(r"ms|msec|milli", names[time_col], re.I)) or (header is None and step >= 1)
        rate_from_time = float(f"{1.0 / (step / 1000.0 if in_ms else step):.6g}")
        if rate is None:
            rate = rate_from_time
        comments.append(f"time column {names[time_col]!r} gives {rate_from_time:g} Hz")
        data = np.delete(data, time_col, axis=1)
        names = [nm for i, nm in enumerate(names) if i != time_col]
    if rate is None:
        raise RecordingError(path, "no time column: give the sampling rate (fs)")
    if not data.shape[1]:
        raise RecordingError(path, "no signal columns besides time")
    units, scales, clean = [], [], []
    for nm in names:
        m = _UNIT.search(nm)
        factor, unit = mv_scale(m.group(1) if m else "mV")
        scales.append(factor)
        units.append(unit)
        clean.append(_UNIT.sub("", nm).strip() or nm)
    with np.errstate(over="ignore"):  # beyond float32: inf, then NaN below
        arr = (data.T * np.array(scales)[:, None]).astype(np.float32)
    arr[~np.isfinite(arr)] = np.nan
    leads = [Lead(canonical_lead_name(nm), nm, float(rate), u) for nm, u in zip(clean, units)]
    return Recording(leads=leads, fs=float(rate), n_samples=arr.shape[1], source=ArraySource(arr),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), comments=comments)
