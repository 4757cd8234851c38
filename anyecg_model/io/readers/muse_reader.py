"""GE MUSE XML (``RestingECG``): base64 little-endian int16 rhythm waveforms.

MUSE stores the 8 independent leads (I, II, V1–V6); III, aVR, aVL and aVF are derived by
Einthoven's and Goldberger's equations, as the MUSE viewer does, and the derivation is noted in
``Recording.comments``.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
from pathlib import Path

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import sex_code
from ._xml import parse_xml, text_of

FORMAT = "muse"
_UNITS = {"MICROVOLTS": 1e-3, "MILLIVOLTS": 1.0, "VOLTS": 1e3}


def _start(root) -> _dt.datetime | None:
    date, time = text_of(root, "TestDemographics/AcquisitionDate"), text_of(root, "TestDemographics/AcquisitionTime")
    for fmt in ("%m-%d-%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return _dt.datetime.strptime(f"{date} {time or '00:00:00'}", fmt)
        except (ValueError, TypeError):
            continue
    return None


def _age(root) -> float | None:
    value, unit = text_of(root, "PatientDemographics/PatientAge"), text_of(root, "PatientDemographics/AgeUnits", "YEARS")
    try:
        age = float(value)
    except (TypeError, ValueError):
        return None
    return {"YEARS": age, "MONTHS": age / 12, "WEEKS": age / 52.18, "DAYS": age / 365.25}.get(unit.upper(), age)


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    root = parse_xml(path)
    waves = root.findall("Waveform")
    wave = next((w for w in waves if (text_of(w, "WaveformType") or "").lower() == "rhythm"), None)
    if wave is None:
        raise RecordingError(path, "MUSE XML has no rhythm waveform")
    rate = float(text_of(wave, "SampleBase", "0")) * 10 ** float(text_of(wave, "SampleExponent", "0"))
    if rate <= 0:
        raise RecordingError(path, f"sampling rate {rate!r} Hz is not positive")
    signals: dict[str, np.ndarray] = {}
    for lead in wave.findall("LeadData"):
        name = text_of(lead, "LeadID") or f"lead{len(signals) + 1}"
        try:
            raw = base64.b64decode("".join((text_of(lead, "WaveFormData") or "").split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise RecordingError(path, f"lead {name}: waveform is not valid base64: {exc}") from exc
        per_bit = float(text_of(lead, "LeadAmplitudeUnitsPerBit", "1"))
        factor = _UNITS.get((text_of(lead, "LeadAmplitudeUnits", "MICROVOLTS") or "").upper(), 1e-3)
        signals[canonical_lead_name(name)] = np.frombuffer(raw[:len(raw) // 2 * 2], "<i2") * (per_bit * factor)
    if not signals:
        raise RecordingError(path, "MUSE rhythm waveform has no leads")
    comments = []
    if "I" in signals and "II" in signals and "III" not in signals:
        i, ii = signals["I"], signals["II"]
        m = min(len(i), len(ii))
        i, ii = i[:m], ii[:m]
        signals.update({"III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2})
        comments.append("III, aVR, aVL, aVF derived from I and II (Einthoven/Goldberger)")
    order = [n for n in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6") if n in signals]
    order += [n for n in signals if n not in order]
    n = max(len(x) for x in signals.values())
    data = np.full((len(order), n), np.nan, np.float32)
    for k, name in enumerate(order):
        data[k, :len(signals[name])] = signals[name]
    leads = [Lead(name, name, rate, "mV") for name in order]
    return Recording(leads=leads, fs=rate, n_samples=n, source=ArraySource(data),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=_start(root),
                     age=_age(root), sex=sex_code(text_of(root, "PatientDemographics/Gender")), comments=comments)
