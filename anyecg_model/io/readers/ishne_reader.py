"""ISHNE Holter (``.ecg`` + optional ``.ann``): 522-byte header, int16 interleaved samples read per window.

Layout from the ISHNE standard output format (Badilini 1998): magic ``ISHNE1.0``, CRC, then a
fixed header with the sample count per lead, block offsets, patient sex and birth date, start
time, lead specifications, amplitude resolution per lead in nV and the sampling rate.
"""
from __future__ import annotations

import datetime as _dt
import struct
from pathlib import Path
from typing import Sequence

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..annotations import Annotations
from ..recording import MAX_CHANNELS, Lead, Provenance, Recording, RecordingError
from ._common import FileBytes, age_from_birthdate, files_hash

FORMAT = "ishne"
HEADER = 522
_LEADS = {1: "bipolar", 2: "X", 3: "Y", 4: "Z", 5: "I", 6: "II", 7: "III", 8: "aVR", 9: "aVL", 10: "aVF",
          11: "V1", 12: "V2", 13: "V3", 14: "V4", 15: "V5", 16: "V6", 17: "ES", 18: "AS", 19: "AI"}
#: ISHNE beat labels → MIT-BIH codes.
_LABELS = {"N": "N", "V": "V", "S": "S", "C": "Q", "B": "B", "P": "/", "X": "|", "!": '"', "U": "Q"}


def _date(d, m, y) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


class IshneSource:
    """Windows of the int16 interleaved ECG block, scaled by each lead's nV resolution to mV."""

    def __init__(self, path: Path, offset: int, n_leads: int, n: int, nv: np.ndarray):
        self.data = FileBytes(path, offset, n * n_leads * 2)
        self.n_leads = n_leads
        self.scale = nv.astype(np.float64) * 1e-6

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        idx = list(lead_idx)
        frame = 2 * self.n_leads
        raw = self.data[start * frame:stop * frame].view("<i2").reshape(stop - start, self.n_leads)[:, idx].T
        out = (raw * self.scale[idx, None]).astype(np.float32)
        out[raw == -32768] = np.nan
        return out


def _header(path: Path, raw: bytes, magic: bytes) -> dict:
    if len(raw) < HEADER or raw[:8] != magic:
        raise RecordingError(path, f"not an ISHNE file (needs the {magic.decode()} magic and a {HEADER}-byte header)")
    var_size, n, var_off, ecg_off = struct.unpack_from("<iiii", raw, 10)
    sex = struct.unpack_from("<h", raw, 128)[0]
    birth = struct.unpack_from("<hhh", raw, 132)
    record = struct.unpack_from("<hhh", raw, 138)
    start = struct.unpack_from("<hhh", raw, 150)
    n_leads = struct.unpack_from("<h", raw, 156)[0]
    spec = struct.unpack_from("<12h", raw, 158)
    nv = struct.unpack_from("<12h", raw, 206)
    rate = struct.unpack_from("<h", raw, 272)[0]
    return dict(var_size=var_size, n=n, var_off=var_off, ecg_off=ecg_off, sex=sex, birth=birth, record=record,
                start=start, n_leads=n_leads, spec=spec, nv=nv, rate=rate)


def _annotations(path: Path, n: int) -> Annotations:
    ann = path.with_suffix(".ann")
    if not ann.is_file() or ann.stat().st_size > (256 << 20):
        return Annotations.empty()
    raw = ann.read_bytes()
    h = _header(ann, raw, b"ANN  1.0")
    pos = HEADER + max(h["var_size"], 0)
    if pos + 4 > len(raw):
        return Annotations.empty()
    first = struct.unpack_from("<i", raw, pos)[0]
    recs = np.frombuffer(raw[pos + 4:pos + 4 + (len(raw) - pos - 4) // 4 * 4],
                         dtype=[("label", "S1"), ("internal", "S1"), ("toc", "<u2")])
    samples = first + np.cumsum(recs["toc"].astype(np.int64))
    symbols = [_LABELS.get(lab.decode("latin-1"), "Q") for lab in recs["label"]]
    aux = [lab.decode("latin-1") if lab.decode("latin-1") not in _LABELS else "" for lab in recs["label"]]
    keep = (samples >= 0) & (samples < max(n, 1))
    return Annotations.from_lists(samples[keep], np.array(symbols, object)[keep], aux=np.array(aux, object)[keep],
                                  source="ann")


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    with open(path, "rb") as fh:
        raw = fh.read(HEADER)
    h = _header(path, raw, b"ISHNE1.0")
    n_leads, rate, n = h["n_leads"], h["rate"], h["n"]
    if not 0 < n_leads <= min(12, MAX_CHANNELS):
        raise RecordingError(path, f"ISHNE header declares {n_leads} leads (1 to 12 allowed)")
    if rate <= 0:
        raise RecordingError(path, f"ISHNE sampling rate {rate} Hz is not positive")
    offset = h["ecg_off"]
    size = path.stat().st_size
    if offset < HEADER or offset > size:
        raise RecordingError(path, f"ECG block offset {offset} lies outside the file ({size} bytes)")
    available = (size - offset) // (2 * n_leads)
    if n < 0 or n > available:
        raise RecordingError(path, f"header declares {n} samples per lead but the file holds {available} (truncated?)")
    nv = np.array(h["nv"][:n_leads], np.float64)
    if (nv <= 0).any():
        raise RecordingError(path, f"amplitude resolution {nv.tolist()} nV must be positive")
    names = [_LEADS.get(code, f"lead{i + 1}") for i, code in enumerate(h["spec"][:n_leads])]
    leads = [Lead(canonical_lead_name(nm), nm, float(rate), "mV") for nm in names]
    rec_date = _date(*h["record"])
    hh, mm, ss = h["start"]
    start = None
    if rec_date and 0 <= hh < 24 and 0 <= mm < 60 and 0 <= ss < 60:
        start = _dt.datetime.combine(rec_date, _dt.time(hh, mm, ss))
    sex = {1: "M", 2: "F"}.get(h["sex"])
    files = [path] + ([path.with_suffix(".ann")] if path.with_suffix(".ann").is_file() else [])
    return Recording(leads=leads, fs=float(rate), n_samples=int(n), source=IshneSource(path, offset, n_leads, n, nv),
                     provenance=Provenance(str(path), FORMAT, files_hash(files)), start_time=start,
                     age=age_from_birthdate(_date(*h["birth"]), start), sex=sex,
                     annotations=_annotations(path, n), adc_resolution_mv=(nv * 1e-6).tolist())
