"""EDF, EDF+, BDF and BDF+ with EDF+ annotations.

pyedflib checks the header's compliance at open and is closed again (edflib refuses a second
open of the same file, which a viewer and a worker both need, and gathering annotations through
it reads the whole file); annotations are gathered from the annotation signal's bytes and windows
decoded from the bytes of the data records they span (:mod:`.edf_header`), which tests check
against pyedflib's ``readAnnotations`` and ``readSignal``. When pyedflib refuses a slightly non-compliant
header and ``lenient`` is true, the file is opened through the hand parser alone; the reason is
logged and kept in ``Recording.comments``. Leads recorded at a lower rate than the fastest are
brought to the base rate (sample-and-hold for integer ratios).
"""
from __future__ import annotations

import datetime as _dt
import logging
import re
import threading
from pathlib import Path
import numpy as np
import pyedflib

from ...vocabulary.lead_map import canonical_lead_name
from ..annotations import Annotations
from ..edf_text import parse_annotation_text
from ..recording import Lead, Provenance, Recording, RecordingError, content_hash
from ._common import age_from_birthdate, mv_scale, sex_code
from .edf_header import EdfHeader, EdfFileSource, parse_header, read_tals

log = logging.getLogger(__name__)

FORMAT = "edf"
#: edflib keeps a process-wide table of open files; opens are serialised so two threads never race on it.
_OPEN_LOCK = threading.Lock()
_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}


def _demographics(hdr: EdfHeader) -> tuple[float | None, str | None]:
    """Age and sex from the EDF+ patient field ``code sex birthdate name`` (e.g. ``X F 02-MAY-1951 X``)."""
    fields = hdr.patient.split()
    sex = sex_code(fields[1]) if hdr.plus and len(fields) > 1 else None
    birth = None
    m = re.search(r"\b(\d{1,2})-([A-Za-z]{3})-(\d{4})\b", hdr.patient)
    if m and m.group(2).upper() in _MONTHS:
        try:
            birth = _dt.date(int(m.group(3)), _MONTHS[m.group(2).upper()], int(m.group(1)))
        except ValueError:
            birth = None
    age = age_from_birthdate(birth, hdr.start)
    if age is None:
        m = re.search(r"\bage[:=_\s]*(\d{1,3})\b", hdr.patient, re.I)
        age = float(m.group(1)) if m and int(m.group(1)) <= 130 else None
    return age, sex


def _annotations(tals: tuple[np.ndarray, np.ndarray, np.ndarray], fs: float) -> Annotations:
    """EDF+ annotations as MIT codes: each distinct text is parsed once (a Holter repeats ``N`` 100 000 times)."""
    onsets, _, texts = tals
    if not len(onsets):
        return Annotations.empty()
    unique, inverse = np.unique(texts, return_inverse=True)
    parsed = [parse_annotation_text(bytes(t).decode("utf-8", errors="replace")) for t in unique]
    symbols = np.array([p[0] for p in parsed], dtype=object)[inverse]
    aux = np.array([p[1] for p in parsed], dtype=object)[inverse]
    ok = np.isfinite(onsets) & (onsets >= 0)
    return Annotations.from_lists(np.round(onsets[ok] * fs).astype(np.int64), symbols[ok], aux=aux[ok], source="edf+")


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    """Open an EDF/EDF+/BDF/BDF+ file; ``fs`` is ignored (the header states each signal's rate)."""
    path = Path(path)
    hdr = parse_header(path)
    signals = [i for i in range(len(hdr.labels)) if not hdr.is_annotation(i)]
    if not signals:
        raise RecordingError(path, "EDF file has no signals (annotations only)")
    if not np.isfinite(hdr.record_s) or hdr.record_s <= 0:
        raise RecordingError(path, f"EDF data record duration {hdr.record_s!r} s is not positive")
    spr = [int(hdr.spr[i]) for i in signals]
    base_spr = max(spr)
    base_fs = base_spr / hdr.record_s
    scale_units = [mv_scale(hdr.units[i]) for i in signals]
    scale = [s for s, _ in scale_units]
    comments: list[str] = []
    try:
        with _OPEN_LOCK:  # header compliance only: edflib would read the whole file to gather annotations
            pyedflib.EdfReader(str(path), annotations_mode=pyedflib.DO_NOT_READ_ANNOTATIONS).close()
    except OSError as exc:
        if not lenient:
            raise RecordingError(path, f"not a compliant EDF/BDF file: {exc}") from exc
        problem = str(exc).split(": ", 1)[-1]
        warning = f"opened leniently: pyedflib refused the header ({problem})"
        log.warning("%s: %s", path, warning)
        comments = [warning, *hdr.warnings]
    tals = read_tals(path, hdr)
    source = EdfFileSource(path, hdr, signals, base_spr, scale)
    n = hdr.n_records * base_spr
    leads = [Lead(canonical_lead_name(hdr.labels[i]), hdr.labels[i], float(hdr.spr[i] / hdr.record_s), units)
             for i, (_, units) in zip(signals, scale_units)]
    dig_range = np.where(hdr.dig_max == hdr.dig_min, 1, hdr.dig_max - hdr.dig_min)
    resolution = [float(abs(hdr.phys_max[i] - hdr.phys_min[i]) / dig_range[i] * scale[k])
                  for k, i in enumerate(signals)]
    age, sex = _demographics(hdr)
    return Recording(
        leads=leads, fs=float(base_fs), n_samples=int(n), source=source,
        provenance=Provenance(str(path), "bdf" if hdr.bdf else FORMAT, content_hash(path)),
        start_time=hdr.start, age=age, sex=sex, annotations=_annotations(tals, base_fs),
        comments=comments, adc_resolution_mv=resolution, warnings=list(comments),
    )


def read_annotations(path: str | Path, fs: float) -> Annotations:
    """The EDF+ annotations of ``path`` (also of an annotation-only file) as samples at ``fs`` Hz."""
    path = Path(path)
    return _annotations(read_tals(path, parse_header(path)), fs)
