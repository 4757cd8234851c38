"""WFDB (MIT format) annotation files decoded with numpy: 100 000 beats in tens of milliseconds.

Each annotation is a 16-bit word, code (6 bits) and time increment (10 bits), optionally preceded
by SKIP (a 32-bit interval) and followed by SUB (subtype), CHN and NUM (which persist to later
annotations) and AUX (text). As in the WFDB library, SUB and NUM are signed and CHN unsigned characters: the
low byte of their 10-bit data field (MIT-BIH 208 has a subtype stored as 0x3FF, which is -1). A zero word ends the file. Only the pseudo-annotations are walked in
Python; the annotation words themselves are handled as arrays. Like wfdb-python's ``rdann``, the
definition notes at sample 0 (``## time resolution``, custom label lines) and code-0 entries are not
annotations; unlike it, other notes at sample 0 (comments such as ``RECORD START``) are kept.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

SKIP, NUM, SUB, CHN, AUX = 59, 60, 61, 62, 63
ACMAX = 49
NOTE = 22
#: MIT code (0..63) → symbol; codes without a standard symbol read as ``#code``.
SYMBOLS = np.array([f"#{c}" for c in range(64)], dtype=object)
#: The standard codes of ``ecgcodes.h`` (0 is no annotation; 15 and 17 are unassigned), as ``wfdb``'s label table.
SYMBOLS[:42] = [" ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "#15", "|", "#17", "s",
                "T", "*", "D", '"', "=", "p", "B", "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f",
                "(", ")", "r"]
_FS = re.compile(r"## time resolution: (\d+\.?\d*)")
_CUSTOM_LABEL = re.compile(r"^\d+ \S+ .+$")  # "store symbol description" lines of a label definition block


def read_annotation_file(path: Path) -> dict:
    """Columns ``sample, symbol, subtype, chan, num, aux`` (numpy arrays) and ``fs`` (float or None)."""
    data = path.read_bytes()
    w = np.frombuffer(data[:len(data) // 2 * 2], "<u2").astype(np.int64)
    code, inc = w >> 10, w & 0x3FF
    n = len(w)
    payload = np.zeros(n + 1, np.int64)  # +1 at a payload's start, -1 after its end
    modifiers: list[tuple[int, int, object]] = []
    skips: list[tuple[int, int]] = []
    end, inside_until = n, -1
    for p in np.flatnonzero((code >= SKIP) | (w == 0)).tolist():
        if p < inside_until:
            continue
        if w[p] == 0:
            end = p
            break
        c = int(code[p])
        if c == SKIP:
            if p + 2 >= n:
                end = p
                break
            interval = (int(w[p + 1]) << 16) | int(w[p + 2])
            skips.append((p, interval - (1 << 32) if interval >= 1 << 31 else interval))
            inside_until = p + 3
        elif c == AUX:
            nbytes = int(inc[p])
            text = data[2 * p + 2:2 * p + 2 + nbytes].split(b"\x00", 1)[0].decode("utf-8", errors="replace")
            modifiers.append((p, AUX, text))
            inside_until = p + 1 + (nbytes + 1) // 2
        else:
            modifiers.append((p, c, int(inc[p])))
            inside_until = p + 1
        if inside_until > p + 1:
            payload[p + 1] += 1
            payload[min(inside_until, n)] -= 1
    in_payload = np.cumsum(payload[:n]) > 0
    positions = np.arange(n)
    is_ann = (code <= ACMAX) & ~in_payload & (positions < end) & (w != 0)
    ann_pos = np.flatnonzero(is_ann)
    increments = np.where(is_ann, inc, 0)
    for p, interval in skips:
        increments[p] += interval
    sample = np.cumsum(increments)[ann_pos]
    k = len(ann_pos)
    subtype = np.zeros(k, np.int64)
    chan_set = np.full(k, -1, np.int64)  # -1: not set here (CHN is unsigned, so -1 is never a value)
    num_set = np.zeros(k, np.int64)
    num_given = np.zeros(k, bool)
    aux = np.full(k, "", dtype=object)
    owner = np.searchsorted(ann_pos, [p for p, _, _ in modifiers]) - 1
    for (p, c, value), j in zip(modifiers, owner.tolist()):
        if j < 0:
            continue
        if c == SUB:
            subtype[j] = _signed_char(value)
        elif c == CHN:
            chan_set[j] = value & 0xFF
        elif c == NUM:
            num_set[j] = _signed_char(value)
            num_given[j] = True
        elif c == AUX:
            aux[j] = value
    codes = code[ann_pos]
    fs = None
    keep = codes != 0
    definitions = np.zeros(k, bool)
    for j in np.flatnonzero((codes == NOTE) & (sample == 0)):
        text = str(aux[j])
        definitions[j] = text.startswith("##") or bool(_CUSTOM_LABEL.match(text))
        m = _FS.match(text)
        fs = float(m.group(1)) if m else fs
    keep &= ~definitions
    return {
        "sample": sample[keep], "symbol": SYMBOLS[codes[keep]],
        "subtype": subtype[keep], "chan": _forward_fill(chan_set, chan_set >= 0)[keep],
        "num": _forward_fill(num_set, num_given)[keep],
        "aux": aux[keep], "fs": fs,
    }


def _signed_char(value: int) -> int:
    """The low byte of a 10-bit data field read as a C ``signed char`` (-128..127)."""
    low = value & 0xFF
    return low - 256 if low > 127 else low


def _forward_fill(values: np.ndarray, given: np.ndarray) -> np.ndarray:
    """Each value not ``given`` replaced by the last one given before it (0 before any), as WFDB's sticky
    CHN/NUM fields."""
    idx = np.where(given, np.arange(len(values)), -1)
    idx = np.maximum.accumulate(idx) if len(idx) else idx
    return np.where(idx >= 0, values[np.maximum(idx, 0)], 0)
