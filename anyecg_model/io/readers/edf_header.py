"""EDF/EDF+/BDF/BDF+ parsed by hand: header fields, memory-mapped data records, EDF+ annotation lists.

Used for every window (pyedflib only checks the file and reads its annotations) and alone as the
lenient path when pyedflib refuses a slightly non-compliant header (non-ASCII characters, decimal
commas, a wrong record count): every field is parsed as tolerantly as its meaning allows, the
record count is taken from the file size, and samples are decoded from the bytes of the data
records each window spans. Fields that cannot mean anything still raise.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ..recording import MAX_CHANNELS, RecordingError
from ._common import FileBytes

ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")


@dataclass
class EdfHeader:
    """Fields of an EDF/BDF header; per-signal lists are in file order (annotation signals included)."""

    bdf: bool
    plus: bool
    patient: str
    recording: str
    start: _dt.datetime | None
    header_bytes: int
    n_records: int
    record_s: float
    labels: list[str]
    units: list[str]
    phys_min: np.ndarray
    phys_max: np.ndarray
    dig_min: np.ndarray
    dig_max: np.ndarray
    spr: np.ndarray  # samples per data record per signal
    warnings: list[str] = field(default_factory=list)

    @property
    def sample_bytes(self) -> int:
        return 3 if self.bdf else 2

    @property
    def record_bytes(self) -> int:
        return int(self.spr.sum()) * self.sample_bytes

    def is_annotation(self, i: int) -> bool:
        return self.labels[i].strip() in ANNOTATION_LABELS


def _text(raw: bytes) -> str:
    return raw.decode("latin-1").replace("\x00", " ").strip()


def _number(raw: bytes, what: str, path: Path, warnings: list[str]) -> float:
    text = _text(raw)
    try:
        return float(text)
    except ValueError:
        pass
    fixed = text.replace(",", ".")
    m = re.match(r"^[+-]?\d*\.?\d+(?:[eE][+-]?\d+)?", fixed)
    if not m:
        raise RecordingError(path, f"EDF header field {what} is not a number: {text!r}")
    warnings.append(f"EDF header field {what} {text!r} read as {m.group(0)}")
    return float(m.group(0))


def _start(date: str, time: str, warnings: list[str]) -> _dt.datetime | None:
    try:
        d, mo, y = (int(x) for x in re.split(r"[.:\-/]", date)[:3])
        h, mi, s = (int(x) for x in re.split(r"[.:\-/]", time)[:3])
        year = 1900 + y if y >= 85 else 2000 + y
        return _dt.datetime(year, mo, d, h, mi, s)
    except (ValueError, TypeError):
        warnings.append(f"EDF start date/time {date!r} {time!r} is not valid; start time unknown")
        return None


def _start_unknown(hdr: EdfHeader) -> bool:
    """True for an EDF+ file whose recording field says "Startdate X": the header's date (by convention
    01.01.85) is then no acquisition time (EDF+ spec 2.1.3.2)."""
    words = hdr.recording.split()
    return hdr.plus and words[:2] == ["Startdate", "X"]


def parse_header(path: Path) -> EdfHeader:
    """Parse an EDF/BDF header tolerantly; the data record count is checked against the file size."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fixed = fh.read(256)
        if len(fixed) < 256:
            raise RecordingError(path, f"file of {size} bytes is too short for an EDF header (256 bytes)")
        warnings: list[str] = []
        ns = int(_number(fixed[252:256], "number of signals", path, warnings))
        if ns < 0 or ns > MAX_CHANNELS:
            raise RecordingError(path, f"EDF header declares {ns} signals")
        raw = fh.read(256 * ns)
    if len(raw) < 256 * ns:
        raise RecordingError(path, f"EDF header is truncated: {ns} signals need {256 * (ns + 1)} header bytes")
    bdf = fixed[:1] == b"\xff"
    reserved = _text(fixed[192:236])
    header_bytes = 256 * (ns + 1)
    declared = _number(fixed[184:192], "header size", path, warnings)
    if int(declared) != header_bytes:
        warnings.append(f"EDF header size field says {int(declared)} bytes, {ns} signals make {header_bytes}")

    def column(offset: int, width: int) -> list[bytes]:
        start = offset * ns
        return [raw[start + i * width:start + (i + 1) * width] for i in range(ns)]

    labels = [_text(b) for b in column(0, 16)]
    units = [_text(b) for b in column(16 + 80, 8)]
    base = 16 + 80 + 8
    nums = {}
    for k, name in enumerate(("physical minimum", "physical maximum", "digital minimum", "digital maximum")):
        nums[name] = np.array([_number(b, f"{name} of signal {i + 1}", path, warnings)
                               for i, b in enumerate(column(base + 8 * k, 8))], dtype=np.float64)
    spr_off = base + 32 + 80
    spr = np.array([int(_number(b, f"samples per record of signal {i + 1}", path, warnings))
                    for i, b in enumerate(column(spr_off, 8))], dtype=np.int64)
    if ns and (spr.min() < 1 or spr.max() > 10**7):
        raise RecordingError(path, f"EDF samples per data record out of range: {spr.tolist()}")
    record_s = _number(fixed[244:252], "data record duration", path, warnings)
    hdr = EdfHeader(bdf=bdf, plus=reserved.startswith(("EDF+", "BDF+")), patient=_text(fixed[8:88]),
                    recording=_text(fixed[88:168]), start=None, header_bytes=header_bytes, n_records=0,
                    record_s=record_s, labels=labels, units=units, phys_min=nums["physical minimum"],
                    phys_max=nums["physical maximum"], dig_min=nums["digital minimum"],
                    dig_max=nums["digital maximum"], spr=spr, warnings=warnings)
    hdr.start = None if _start_unknown(hdr) else _start(_text(fixed[168:176]), _text(fixed[176:184]), warnings)
    data = size - header_bytes
    available = data // hdr.record_bytes if hdr.record_bytes else 0
    declared_records = int(_number(fixed[236:244], "number of data records", path, warnings))
    if declared_records != available:
        dur = f" ({declared_records * hdr.record_s:g} s), the file holds {available} ({available * hdr.record_s:g} s)" \
            if declared_records > 0 and np.isfinite(hdr.record_s) else f", the file holds {available}"
        cut = ": the file is truncated" if 0 < available < declared_records or available == 0 < declared_records else ""
        warnings.append(f"EDF header declares {declared_records} data records{dur}{cut}")
    if data % max(hdr.record_bytes, 1):
        warnings.append(f"EDF file ends with a partial data record ({data % hdr.record_bytes} bytes ignored)")
    hdr.n_records = available
    return hdr


class EdfFileSource:
    """Windows of EDF/BDF signals decoded from the bytes of the data records they span, in mV at the base rate."""

    def __init__(self, path: Path, hdr: EdfHeader, signals: list[int], base_spr: int, scale: list[float]):
        self.hdr = hdr
        self.signals = signals
        self.base_spr = base_spr
        self.data = FileBytes(path, hdr.header_bytes, hdr.n_records * hdr.record_bytes)
        self.offsets = np.concatenate([[0], np.cumsum(hdr.spr)])[:-1] * hdr.sample_bytes
        gain = (hdr.phys_max - hdr.phys_min) / np.where(hdr.dig_max == hdr.dig_min, 1, hdr.dig_max - hdr.dig_min)
        self.gain = gain
        self.offset_phys = hdr.phys_min - gain * hdr.dig_min
        self.scale = scale

    def _digital(self, block: np.ndarray, sig: int) -> np.ndarray:
        sb, spr = self.hdr.sample_bytes, int(self.hdr.spr[sig])
        off = int(self.offsets[sig])
        raw = np.ascontiguousarray(block[:, off:off + spr * sb]).reshape(-1)
        if sb == 2:
            return raw.view("<i2").astype(np.int32)
        b = raw.reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return v - ((v & 0x800000) << 1)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        out = np.empty((len(lead_idx), stop - start), np.float32)
        r0, r1 = start // self.base_spr, -(-stop // self.base_spr)
        rb = self.hdr.record_bytes
        block = self.data[r0 * rb:r1 * rb]
        if len(block) != (r1 - r0) * rb:
            raise RecordingError(None, f"data records {r0}..{r1} are beyond the end of the file")
        block = block.reshape(r1 - r0, rb)
        for k, lead in enumerate(lead_idx):
            sig = self.signals[lead]
            phys = self._digital(block, sig) * self.gain[sig] + self.offset_phys[sig]
            with np.errstate(over="ignore"):  # a header with absurd physical limits gives inf, not a warning
                phys = (phys * self.scale[lead]).astype(np.float32)
            out[k] = to_base_rate(phys, int(self.hdr.spr[sig]), self.base_spr, start - r0 * self.base_spr, stop - start)
        return out


def to_base_rate(x: np.ndarray, spr: int, base_spr: int, offset: int, n: int) -> np.ndarray:
    """Samples ``[offset, offset + n)`` at ``base_spr`` per record of a signal with ``spr`` per record
    (sample-and-hold for an integer ratio, linear interpolation otherwise)."""
    if spr == base_spr:
        return x[offset:offset + n]
    if base_spr % spr == 0:
        return np.repeat(x, base_spr // spr)[offset:offset + n]
    t = (offset + np.arange(n)) * (spr / base_spr)
    return np.interp(t, np.arange(len(x)), x).astype(np.float32)


def parse_tal(block: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onsets (s), durations (s) and texts (bytes) of the Time-stamped Annotation Lists in ``block``,
    sorted by onset. Record timekeeping TALs carry no text and yield nothing. TALs are found as runs of
    non-zero bytes and split with numpy string functions, so 100 000 beat annotations need no Python
    loop beyond one slice each."""
    if not block:
        return np.zeros(0), np.zeros(0), np.zeros(0, "S1")
    raw = np.frombuffer(block, np.uint8)
    nonzero = raw != 0
    before = np.concatenate([[False], nonzero[:-1]])
    after = np.concatenate([nonzero[1:], [False]])
    starts = np.flatnonzero(nonzero & ~before)  # each run of non-zero bytes is one TAL
    ends = np.flatnonzero(nonzero & ~after) + 1
    # timekeeping TALs ("+onset" 0x14 0x14) carry no text: skip them without touching Python
    texted = (ends - starts >= 3) & ~((raw[np.maximum(ends - 2, 0)] == 0x14) & (raw[ends - 1] == 0x14))
    starts, ends = starts[texted], ends[texted]
    tals = np.array([block[a:b] for a, b in zip(starts.tolist(), ends.tolist())], dtype=bytes)
    tals = tals[np.strings.find(tals, b"\x14") >= 0] if len(tals) else tals
    # (np.strings.partition is only used where the separator is present: numpy 2.4 fills the
    # remainder with stray bytes when it is not)
    head, _, body = np.strings.partition(tals, b"\x14") if len(tals) else (tals, tals, tals)
    annotated = np.strings.str_len(body) > 1
    head, body = head[annotated], body[annotated]
    has_duration = np.strings.find(head, b"\x15") >= 0
    onset_text = head.copy()
    duration_text = np.zeros(len(head), dtype=head.dtype)
    if has_duration.any():
        on_d, _, dur_d = np.strings.partition(head[has_duration], b"\x15")
        onset_text[has_duration], duration_text[has_duration] = on_d, dur_d
    valid = np.strings.startswith(onset_text, b"+") | np.strings.startswith(onset_text, b"-")
    onset_text, duration_text, body = onset_text[valid], duration_text[valid], body[valid]
    try:
        onsets = onset_text.astype(np.float64)
        durations = (np.where(duration_text == b"", b"0", duration_text).astype(np.float64) if has_duration.any()
                     else np.zeros(len(onsets)))  # beat annotations carry none: 100 000 conversions saved
    except ValueError:  # a malformed number: fall back to one TAL at a time, dropping the bad ones
        return _parse_tal_slowly(onset_text, duration_text, body)
    single = np.strings.count(body, b"\x14") == 1
    texts = body[single]
    texts = np.strings.replace(texts, b"\x14", b"") if len(texts) else texts.astype("S1")  # (fails on empty arrays)
    parts = [(onsets[single], durations[single], texts)]
    for k in np.flatnonzero(~single):  # several texts in one TAL: rare
        texts = [t for t in bytes(body[k]).split(b"\x14") if t]
        parts.append((np.full(len(texts), onsets[k]), np.full(len(texts), durations[k]), np.array(texts, dtype=bytes)))
    on = np.concatenate([p[0] for p in parts])
    order = np.argsort(on, kind="stable")
    return (on[order], np.concatenate([p[1] for p in parts])[order],
            np.concatenate([p[2].astype(bytes) for p in parts])[order])


def _parse_tal_slowly(onset_text, duration_text, body) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    out = []
    for o, d, b in zip(onset_text.tolist(), duration_text.tolist(), body.tolist()):
        try:
            onset, duration = float(o), float(d) if d else 0.0
        except ValueError:
            continue
        out += [(onset, duration, t) for t in b.split(b"\x14") if t]
    out.sort(key=lambda tal: tal[0])
    return (np.array([t[0] for t in out], np.float64), np.array([t[1] for t in out], np.float64),
            np.array([t[2] for t in out], dtype=bytes) if out else np.zeros(0, "S1"))


def read_tals(path: Path, hdr: EdfHeader) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onsets, durations and texts of every EDF+ annotation signal: only the annotation bytes of each data record
    are read (one ``pread`` per record, about 1 % of the file) and scanned with one regular expression."""
    sigs = [i for i in range(len(hdr.labels)) if hdr.is_annotation(i)]
    if not sigs or not hdr.n_records:
        return parse_tal(b"")
    offsets = np.concatenate([[0], np.cumsum(hdr.spr)])[:-1] * hdr.sample_bytes
    spans = [(int(offsets[s]), int(hdr.spr[s]) * hdr.sample_bytes) for s in sigs]
    # annotation signals are usually adjacent: read them as one span per record
    first, last = min(o for o, _ in spans), max(o + w for o, w in spans)
    width = last - first
    with open(path, "rb", buffering=0) as fh:
        fd, base, rb, pread = fh.fileno(), hdr.header_bytes + first, hdr.record_bytes, os.pread
        parts = [pread(fd, width, base + r * rb) for r in range(hdr.n_records)]
    # a zero byte after each record's bytes keeps a TAL cut at the record's end from joining the next one
    return parse_tal(b"\x00".join(parts))
