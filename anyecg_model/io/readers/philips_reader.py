"""Philips Sierra ECG XML 1.03/1.04 (XLI-compressed waveforms decoded by ``sierraecg``).

``sierraecg`` returns the 12 leads as ADC counts; ``signalcharacteristics/resolution`` gives µV per
count. Age, sex and acquisition time come from the XML itself.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import sierraecg

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import age_from_birthdate, sex_code
from ._xml import parse_xml, text_of

FORMAT = "philips"


def _metadata(root) -> tuple[float | None, float, _dt.datetime | None, float | None, str | None]:
    chars = root.find(".//signalcharacteristics")
    rate = text_of(chars, "samplingrate")
    resolution = float(text_of(chars, "resolution", "5") or 5)
    acq = root.find(".//dataacquisition")
    start = None
    if acq is not None and acq.get("date"):
        try:
            start = _dt.datetime.fromisoformat(f"{acq.get('date')}T{acq.get('time') or '00:00:00'}")
        except ValueError:
            start = None
    age = None
    years = text_of(root, ".//age/years")
    if years and years.isdigit():
        age = float(years)
    birth = text_of(root, ".//dateofbirth")
    if age is None and birth:
        try:
            age = age_from_birthdate(_dt.date.fromisoformat(birth), start)
        except ValueError:
            age = None
    return (float(rate) if rate else None), resolution, start, age, sex_code(text_of(root, ".//sex"))


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    root = parse_xml(path)
    rate, resolution_uv, start, age, sex = _metadata(root)
    try:
        ecg = sierraecg.read_file(str(path))
    except (sierraecg.UnsupportedXmlFileError, sierraecg.MissingXmlElementError,
            sierraecg.MissingXmlAttributeError) as exc:
        raise RecordingError(path, f"Philips XML not readable: {exc}") from exc
    if not ecg.leads:
        raise RecordingError(path, "Philips XML has no leads")
    rate = rate or float(ecg.leads[0].sampling_freq)
    if not rate or rate <= 0:
        raise RecordingError(path, f"sampling rate {rate!r} Hz is not positive")
    n = max(len(lead.samples) for lead in ecg.leads)
    data = np.full((len(ecg.leads), n), np.nan, np.float32)
    for i, lead in enumerate(ecg.leads):
        data[i, :len(lead.samples)] = np.asarray(lead.samples, np.float64) * resolution_uv / 1000.0
    leads = [Lead(canonical_lead_name(lead.label), lead.label, float(rate), "mV") for lead in ecg.leads]
    return Recording(leads=leads, fs=float(rate), n_samples=n, source=ArraySource(data),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=start,
                     age=age, sex=sex, adc_resolution_mv=[resolution_uv / 1000.0] * len(leads))
