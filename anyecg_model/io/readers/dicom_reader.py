"""DICOM 12-lead / general ECG waveform (pydicom): the longest multiplex group, sensitivity-scaled to mV."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pydicom

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash
from ._common import mv_scale, sex_code
from ._xml import parse_timestamp

FORMAT = "dicom"
_LEAD = re.compile(r"lead\s+([A-Za-z0-9-]+)", re.I)


def _lead_name(channel) -> str:
    try:
        meaning = str(channel.ChannelSourceSequence[0].CodeMeaning)
    except (AttributeError, IndexError):
        return str(channel.get("ChannelLabel", "") or "")
    m = _LEAD.search(meaning)
    return m.group(1) if m else meaning


def _age(value) -> float | None:
    m = re.fullmatch(r"(\d{1,3})([DWMY])", str(value or "").strip())
    if not m:
        return None
    n = int(m.group(1))
    return float({"Y": n, "M": n / 12, "W": n / 52.18, "D": n / 365.25}[m.group(2)])


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    try:
        ds = pydicom.dcmread(str(path))
    except pydicom.errors.InvalidDicomError as exc:
        raise RecordingError(path, f"not a DICOM file: {exc}") from exc
    groups = ds.get("WaveformSequence")
    if not groups:
        raise RecordingError(path, "DICOM file has no waveform (WaveformSequence)")
    index = max(range(len(groups)), key=lambda k: int(groups[k].NumberOfWaveformSamples))
    group = groups[index]
    rate = float(group.SamplingFrequency)
    n_ch, n = int(group.NumberOfWaveformChannels), int(group.NumberOfWaveformSamples)
    if not 0 < n_ch <= 4096 or not 0 < n <= 10**9:
        raise RecordingError(path, f"waveform group declares {n_ch} channels × {n} samples")
    data = np.asarray(ds.waveform_array(index), dtype=np.float64).T  # sensitivity and baseline applied
    if data.shape != (n_ch, n):
        raise RecordingError(path, f"waveform data has shape {data.shape}, header says {(n_ch, n)}")
    leads, rows = [], []
    for k, ch in enumerate(group.ChannelDefinitionSequence):
        unit = "uV"
        if ch.get("ChannelSensitivityUnitsSequence"):
            unit = str(ch.ChannelSensitivityUnitsSequence[0].CodeValue)
        factor, unit_name = mv_scale(unit)
        rows.append(data[k] * factor)
        name = _lead_name(ch) or f"ch{k + 1}"
        leads.append(Lead(canonical_lead_name(name), name, rate, unit_name))
    start = parse_timestamp(str(ds.get("AcquisitionDateTime", "") or "")) or parse_timestamp(
        f"{ds.get('ContentDate', '')}{ds.get('ContentTime', '')}")
    device = " ".join(str(ds.get(tag) or "").strip() for tag in ("Manufacturer", "ManufacturerModelName")).strip()
    return Recording(leads=leads, fs=rate, n_samples=n, source=ArraySource(np.array(rows, np.float32)),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=start,
                     age=_age(ds.get("PatientAge")), sex=sex_code(ds.get("PatientSex")),
                     comments=[f"device: {device}"] if device else [])
