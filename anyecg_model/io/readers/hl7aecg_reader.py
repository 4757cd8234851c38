"""HL7 v3 annotated ECG (aECG, FDA submissions): the rhythm series, leads as ``origin + scale × digits``."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import age_from_birthdate, mv_scale, sex_code
from ._xml import parse_xml, parse_timestamp

FORMAT = "hl7aecg"


def _code(el) -> str:
    code = el.find("code")
    return code.get("code", "") if code is not None else ""


def _rhythm_series(root):
    series = [s for s in root.iter("series")]
    if not series:
        raise RecordingError(None, "no <series> element")
    return next((s for s in series if _code(s) == "RHYTHM"), series[0])


def _seconds(el) -> float:
    value = float(el.get("value"))
    unit = el.get("unit", "s")
    return value / 1000.0 if unit == "ms" else value


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    root = parse_xml(path)
    try:
        series = _rhythm_series(root)
    except RecordingError as exc:
        raise RecordingError(path, exc.problem) from None
    rate = start = None
    names, signals, units = [], [], []
    sequence_set = series.find("component/sequenceSet")
    if sequence_set is None:
        raise RecordingError(path, "the rhythm series has no sequenceSet")
    for seq in sequence_set.iter("sequence"):
        code = _code(seq)
        value = seq.find("value")
        if value is None:
            continue
        if code.startswith("TIME_"):
            inc = value.find("increment")
            if inc is not None and rate is None:
                step = _seconds(inc)
                if not step > 0:
                    raise RecordingError(path, f"time increment {step!r} s is not positive")
                rate = 1.0 / step
            head = value.find("head")
            start = start or parse_timestamp(head.get("value") if head is not None else None)
            continue
        digits = value.findtext("digits")
        if digits is None:
            continue
        origin, scale = value.find("origin"), value.find("scale")
        o = float(origin.get("value", 0)) if origin is not None else 0.0
        s = float(scale.get("value", 1)) if scale is not None else 1.0
        unit = (scale.get("unit") if scale is not None else None) or "uV"
        factor, unit_name = mv_scale(unit)
        x = np.array(digits.split(), dtype=np.float64)
        signals.append(((o + s * x) * factor).astype(np.float32))
        units.append(unit_name)
        names.append(code.replace("MDC_ECG_LEAD_", "") or f"lead{len(names) + 1}")
    if not signals:
        raise RecordingError(path, "no lead sequences with digits in the rhythm series")
    if rate is None:
        raise RecordingError(path, "no time sequence gives the sampling rate")
    n = max(len(x) for x in signals)
    data = np.full((len(signals), n), np.nan, np.float32)
    for i, x in enumerate(signals):
        data[i, :len(x)] = x
    sex = None
    gender = next(root.iter("administrativeGenderCode"), None)
    if gender is not None:
        sex = sex_code(gender.get("code"))
    birth = next(root.iter("birthTime"), None)
    birth_dt = parse_timestamp(birth.get("value")) if birth is not None else None
    age = age_from_birthdate(birth_dt.date() if birth_dt else None, start)
    for obs in root.iter("relatedObservation"):
        value = obs.find("value")
        if _code(obs) == "21612-7" and value is not None and value.get("unit", "a") == "a":
            try:
                age = float(value.get("value"))
            except (TypeError, ValueError):
                pass
    leads = [Lead(canonical_lead_name(nm), nm, float(rate), u) for nm, u in zip(names, units)]
    return Recording(leads=leads, fs=float(rate), n_samples=n, source=ArraySource(data),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=start,
                     age=age, sex=sex)
