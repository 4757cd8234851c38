"""Schiller EDI XML: comma-separated rhythm channels (``ECG_RHYTHMS``) with rate and µV per bit."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import age_from_birthdate, mv_scale, sex_code
from ._xml import parse_xml, text_of

FORMAT = "schiller"


def _start(root) -> _dt.datetime | None:
    date = text_of(root, "examdescript/startdatetime/date")
    time = (text_of(root, "examdescript/startdatetime/time") or "000000")[:6]
    try:
        return _dt.datetime.strptime(f"{date}{time}", "%Y%m%d%H%M%S")
    except (TypeError, ValueError):
        return None


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    root = parse_xml(path)
    waves = list(root.iter("wavedata"))
    wave = next((w for w in waves if text_of(w, "type") == "ECG_RHYTHMS"), waves[0] if waves else None)
    if wave is None:
        raise RecordingError(path, "Schiller XML has no wavedata")
    rate = float(text_of(wave, "resolution/samplerate/value", "0"))
    if rate <= 0:
        raise RecordingError(path, f"sampling rate {rate!r} Hz is not positive")
    per_bit = float(text_of(wave, "resolution/yres/unitperbit", "1"))
    factor, unit = mv_scale(text_of(wave, "resolution/yres/units", "uV"))
    names, rows = [], []
    for ch in wave.findall("channel"):
        data = text_of(ch, "data", "")
        try:
            values = np.array([float(v) for v in data.replace(";", ",").split(",") if v.strip()], np.float64)
        except ValueError as exc:
            raise RecordingError(path, f"channel {text_of(ch, 'name')}: non-numeric sample: {exc}") from exc
        names.append(text_of(ch, "name") or f"ch{len(names) + 1}")
        rows.append(values * per_bit * factor)
    if not rows:
        raise RecordingError(path, "Schiller rhythm wavedata has no channels")
    n = max(len(r) for r in rows)
    arr = np.full((len(rows), n), np.nan, np.float32)
    for k, r in enumerate(rows):
        arr[k, :len(r)] = r
    start = _start(root)
    birth = text_of(root, "patdata/birthdate")
    try:
        birth_date = _dt.datetime.strptime(birth, "%Y%m%d").date() if birth else None
    except ValueError:
        birth_date = None
    leads = [Lead(canonical_lead_name(nm), nm, rate, unit) for nm in names]
    return Recording(leads=leads, fs=rate, n_samples=n, source=ArraySource(arr),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=start,
                     age=age_from_birthdate(birth_date, start), sex=sex_code(text_of(root, "patdata/gender")))
