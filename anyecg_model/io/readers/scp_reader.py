"""SCP-ECG (EN 1064 / ISO 11073-91064): rhythm data of section 6, Huffman (default table) + difference coded.

Supported: the default Huffman table (section 2 absent or table 19999) or no Huffman coding, first
or second differences, no reference-beat subtraction and no bimodal compression — what carts write
for full-disclosure 10-s ECGs. Other variants are refused with a clear message. Patient age, sex
and acquisition date/time come from section 1.
"""
from __future__ import annotations

import datetime as _dt
import struct
from pathlib import Path

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..recording import ArraySource, Lead, Provenance, Recording, RecordingError, content_hash

FORMAT = "scp"
MAX_BYTES = 64 * 1024 * 1024
#: SCP lead codes (annex B) for the 12 standard and common extra leads.
LEAD_CODES = {1: "I", 2: "II", 3: "V1", 4: "V2", 5: "V3", 6: "V4", 7: "V5", 8: "V6", 9: "V7", 10: "V2R",
              11: "V3R", 12: "V4R", 13: "V5R", 14: "V6R", 15: "V7R", 16: "X", 17: "Y", 18: "Z", 61: "III",
              62: "aVR", 63: "aVL", 64: "aVF", 65: "-aVR"}


def _sections(path: Path, raw: bytes) -> dict[int, bytes]:
    """Section id → bytes after its 16-byte header, from the pointers of section 0."""
    if len(raw) < 6 + 16:
        raise RecordingError(path, "file too short for SCP-ECG")
    sid, slen = struct.unpack_from("<HI", raw, 8)
    if sid != 0 or not 16 < slen <= len(raw) - 6:
        raise RecordingError(path, "no SCP-ECG section 0 (pointer section)")
    out = {}
    for off in range(6 + 16, 6 + slen - 9, 10):
        num, length, index = struct.unpack_from("<HII", raw, off)
        if length == 0:
            continue
        start = index - 1
        if length < 16 or start < 0 or start + length > len(raw):
            raise RecordingError(path, f"SCP section {num} ({length} bytes at {index}) lies outside the file")
        out[num] = raw[start + 16:start + length]
    return out


def _patient(sec1: bytes) -> tuple[float | None, str | None, _dt.datetime | None]:
    age = sex = date = time = None
    pos = 0
    while pos + 3 <= len(sec1):
        tag, length = sec1[pos], struct.unpack_from("<H", sec1, pos + 1)[0]
        value = sec1[pos + 3:pos + 3 + length]
        pos += 3 + length
        if tag == 255:
            break
        if tag == 4 and len(value) >= 3:
            n, unit = struct.unpack_from("<H", value)[0], value[2]
            age = {1: n, 2: n / 12, 3: n / 52.18, 4: n / 365.25, 5: n / 8766}.get(unit, None)
        elif tag == 8 and value:
            sex = {1: "M", 2: "F"}.get(value[0])
        elif tag == 25 and len(value) >= 4:
            y, m, d = struct.unpack_from("<HBB", value)
            try:
                date = _dt.date(y, m, d)
            except ValueError:
                date = None
        elif tag == 26 and len(value) >= 3:
            h, mi, s = value[0], value[1], value[2]
            time = _dt.time(h, mi, s) if h < 24 and mi < 60 and s < 60 else None
    start = _dt.datetime.combine(date, time or _dt.time()) if date else None
    return (float(age) if age is not None and 0 <= age <= 130 else None), sex, start


def _default_huffman(data: bytes, count: int) -> np.ndarray:
    """Decode up to ``count`` values with the SCP default Huffman table (MSB first): ``0`` → 0;
    k ones, a zero and a sign bit → ±k (k = 1..8); nine ones and a zero → 8-bit value; ten ones → 16-bit."""
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    out = np.empty(count, np.int64)
    pos, n, total = 0, 0, len(bits)
    while n < count and pos < total:
        ones = 0
        while ones < 10 and pos + ones < total and bits[pos + ones]:
            ones += 1
        if ones == 0:
            value, pos = 0, pos + 1
        elif ones <= 8:
            if pos + ones + 1 >= total:
                break
            value, pos = (-ones if bits[pos + ones + 1] else ones), pos + ones + 2
        else:
            width = 8 if ones == 9 else 16
            chunk = bits[pos + 10:pos + 10 + width]
            if len(chunk) < width:
                break
            raw = int(np.packbits(np.concatenate([np.zeros(16 - width, np.uint8), chunk])).view(">u2")[0])
            value, pos = (raw - (1 << width) if raw >= 1 << (width - 1) else raw), pos + 10 + width
        out[n] = value
        n += 1
    return out[:n]


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RecordingError(path, f"{size} bytes is too large for an SCP-ECG file")
    raw = path.read_bytes()
    sec = _sections(path, raw)
    for needed in (3, 6):
        if needed not in sec:
            raise RecordingError(path, f"SCP-ECG file has no section {needed}")
    if 2 in sec and struct.unpack_from("<H", sec[2])[0] != 19999:
        raise RecordingError(path, "SCP-ECG with custom Huffman tables is not supported")
    huffman = 2 in sec
    s3 = sec[3]
    n_leads, flags = s3[0], s3[1]
    if flags & 1:
        raise RecordingError(path, "SCP-ECG with reference-beat subtraction is not supported")
    if not 0 < n_leads <= 64 or len(s3) < 2 + 9 * n_leads:
        raise RecordingError(path, f"SCP lead table for {n_leads} leads is malformed")
    leads_info = [struct.unpack_from("<IIB", s3, 2 + 9 * k) for k in range(n_leads)]
    s6 = sec[6]
    if len(s6) < 6 + 2 * n_leads:
        raise RecordingError(path, "SCP section 6 is truncated")
    avm_nv, interval_us, diff, bimodal = struct.unpack_from("<HHBB", s6)
    if bimodal:
        raise RecordingError(path, "SCP-ECG with bimodal compression is not supported")
    if interval_us == 0 or avm_nv == 0:
        raise RecordingError(path, f"SCP sample interval {interval_us} µs / amplitude {avm_nv} nV is invalid")
    counts = struct.unpack_from(f"<{n_leads}H", s6, 6)
    offset = 6 + 2 * n_leads
    n = max(end - start + 1 for start, end, _ in leads_info)
    if not 0 < n <= 10**7:
        raise RecordingError(path, f"SCP lead table gives {n} samples per lead")
    data = np.full((n_leads, n), np.nan, np.float32)
    for k, count in enumerate(counts):
        chunk = s6[offset:offset + count]
        offset += count
        length = leads_info[k][1] - leads_info[k][0] + 1
        values = _default_huffman(chunk, length) if huffman else np.frombuffer(chunk[:length * 2], "<i2").astype(np.int64)
        if diff == 2 and len(values) > 2:
            x = values.copy()
            for i in range(2, len(x)):
                x[i] = x[i] + 2 * x[i - 1] - x[i - 2]
            values = x
        elif diff == 1:
            values = np.cumsum(values)
        data[k, :len(values)] = values * (avm_nv * 1e-6)
    rate = 1e6 / interval_us
    names = [LEAD_CODES.get(code, f"lead{code}") for _, _, code in leads_info]
    age, sex, start = _patient(sec.get(1, b""))
    leads = [Lead(canonical_lead_name(nm), nm, rate, "mV") for nm in names]
    return Recording(leads=leads, fs=rate, n_samples=n, source=ArraySource(data),
                     provenance=Provenance(str(path), FORMAT, content_hash(path)), start_time=start,
                     age=age, sex=sex, adc_resolution_mv=[avm_nv * 1e-6] * n_leads)
