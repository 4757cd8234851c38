"""Decode windows of WFDB signal files from their bytes (formats 16, 61, 80, 160, 24, 32, 212, 310, 311).

Only the bytes of the requested frames are read, so a 24-hour record opens in milliseconds and a
10-s window costs one small copy. Formats this module cannot address by offset (8 difference
coding, FLAC 508/516/524) are read through wfdb-python instead.
"""
from __future__ import annotations

import numpy as np

#: format → (bits per sample, digital value that marks an invalid sample)
FORMAT_BITS: dict[str, tuple[int, int]] = {
    "16": (16, -32768), "61": (16, -32768), "80": (8, -128), "160": (16, -32768),
    "24": (24, -(1 << 23)), "32": (32, -(1 << 31)), "212": (12, -2048), "310": (32 / 3, -512),
    "311": (32 / 3, -512),
}
DIRECT_FORMATS = frozenset(FORMAT_BITS)


def samples_in_file(fmt: str, n_bytes: int) -> int:
    """Whole samples a file of ``n_bytes`` bytes (after its byte offset) holds in format ``fmt``."""
    if fmt == "212":
        return (n_bytes // 3) * 2 + (1 if n_bytes % 3 >= 2 else 0)
    if fmt in ("310", "311"):
        return (n_bytes // 4) * 3 + (n_bytes % 4) * 3 // 4
    return n_bytes * 8 // int(FORMAT_BITS[fmt][0])


def _sign_extend(values: np.ndarray, bits: int) -> np.ndarray:
    values = values.astype(np.int32)
    return values - ((values & (1 << (bits - 1))) << 1)


def decode(mm, fmt: str, i0: int, i1: int) -> np.ndarray:
    """Digital samples ``[i0, i1)`` (interleaved sample index) of a byte source sliceable like a uint8
    array (a memory map, :class:`~._common.FileBytes`), as int32."""
    if fmt in ("16", "61", "160", "32", "80", "24"):
        width = int(FORMAT_BITS[fmt][0]) // 8
        raw = np.asarray(mm[i0 * width:i1 * width])
        if fmt == "16":
            return raw.view("<i2").astype(np.int32)
        if fmt == "61":
            return raw.view(">i2").astype(np.int32)
        if fmt == "160":
            return raw.view("<u2").astype(np.int32) - 32768
        if fmt == "32":
            return raw.view("<i4").astype(np.int32)
        if fmt == "80":
            return raw.astype(np.int32) - 128
        b = raw.reshape(-1, 3).astype(np.int32)
        return _sign_extend(b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16), 24)
    group, per = (2, 3) if fmt == "212" else (3, 4)
    g0, g1 = i0 // group, -(-i1 // group)
    raw = np.zeros((g1 - g0) * per, np.uint8)
    chunk = np.asarray(mm[g0 * per:g1 * per])
    raw[:len(chunk)] = chunk
    b = raw.reshape(-1, per).astype(np.int32)
    if fmt == "212":
        out = np.empty((len(b), 2), np.int32)
        out[:, 0] = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
        out[:, 1] = b[:, 2] | ((b[:, 1] & 0xF0) << 4)
        out = _sign_extend(out, 12)
    elif fmt == "310":
        w0 = b[:, 0] | (b[:, 1] << 8)
        w1 = b[:, 2] | (b[:, 3] << 8)
        out = np.empty((len(b), 3), np.int32)
        out[:, 0] = w0 >> 1
        out[:, 1] = w1 >> 1
        out[:, 2] = ((w0 >> 11) & 0x1F) | (((w1 >> 11) & 0x1F) << 5)
        out = _sign_extend(out & 0x3FF, 10)
    else:  # 311
        word = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16) | (b[:, 3] << 24)
        out = np.empty((len(b), 3), np.int32)
        out[:, 0] = word & 0x3FF
        out[:, 1] = (word >> 10) & 0x3FF
        out[:, 2] = (word >> 20) & 0x3FF
        out = _sign_extend(out, 10)
    flat = out.reshape(-1)
    return flat[i0 - g0 * group:i1 - g0 * group]
