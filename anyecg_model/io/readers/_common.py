"""Helpers shared by readers: unit scaling to mV, file fingerprints, demographics from free text."""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from pathlib import Path
from typing import Iterable

import numpy as np

from ..recording import content_hash

#: Physical unit → factor to millivolts. Units not listed (mmHg, %, NU) are kept as they are.
_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "nv": 1e-6, "v": 1e3}


def mv_scale(units: str | None) -> tuple[float, str]:
    """(factor, units) that converts a signal in ``units`` to mV, or leaves a non-voltage unit as is."""
    key = (units or "mV").strip().lower()
    if key in _TO_MV:
        return _TO_MV[key], "mV"
    return 1.0, (units or "").strip()


def files_hash(paths: Iterable[Path]) -> str:
    """One sha256 (hex) over the content hashes of several files (a header and its signal files)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(content_hash(p).encode())
    return h.hexdigest()


_AGE = re.compile(r"<age>:\s*(\d+(?:\.\d+)?)", re.I)
_SEX = re.compile(r"<sex>:\s*(male|female|m|f)\b", re.I)
_MIT_AGE_SEX = re.compile(r"^\s*(\d{1,3})\s+([MF])\b")


def age_sex_from_comments(comments: Iterable[str]) -> tuple[float | None, str | None]:
    """Age (years) and sex ('M'/'F') from PhysioNet-style comments (``<age>: 56``, ``69 M ...``)."""
    age = sex = None
    for line in comments:
        if age is None and (m := _AGE.search(line)):
            age = float(m.group(1))
        if sex is None and (m := _SEX.search(line)):
            sex = m.group(1)[0].upper()
        if age is None and sex is None and (m := _MIT_AGE_SEX.match(line)):
            age, sex = float(m.group(1)), m.group(2)
    if age is not None and not 0 <= age <= 130:
        age = None
    return age, sex


def sex_code(value) -> str | None:
    """'M'/'F' from the many spellings files use (M, male, 1=male in some, F, female), else None."""
    text = str(value or "").strip().lower()
    if text in ("m", "male", "man"):
        return "M"
    if text in ("f", "female", "woman"):
        return "F"
    return None


def age_from_birthdate(birth: _dt.date | None, at: _dt.datetime | None) -> float | None:
    """Age in whole years at the recording date, or None when either date is missing or absurd."""
    if birth is None or at is None:
        return None
    years = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    return float(years) if 0 <= years <= 130 else None


class FileBytes:
    """Byte ranges of a file read with ``os.pread`` on demand: sliceable like a uint8 array.

    Used instead of a memory map so that reading windows of a 72-hour file does not map (and count
    as resident) the page-cache folios around every window; thread-safe, as pread keeps no offset.
    """

    def __init__(self, path: str | Path, offset: int = 0, size: int | None = None):
        self.path = str(path)
        self._file = open(path, "rb", buffering=0)
        self.offset = int(offset)
        total = os.fstat(self._file.fileno()).st_size - self.offset
        self.size = max(0, total if size is None else min(int(size), total))

    def __getstate__(self) -> dict:  # picklable (DataLoader workers): the file is reopened on arrival
        return {"path": self.path, "offset": self.offset, "size": self.size}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._file = open(self.path, "rb", buffering=0)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, item: slice) -> np.ndarray:
        start, stop, step = item.indices(self.size)
        if step != 1:
            raise ValueError("FileBytes supports contiguous slices only")
        if stop <= start:
            return np.zeros(0, np.uint8)
        data = os.pread(self._file.fileno(), stop - start, self.offset + start)
        return np.frombuffer(data, np.uint8)
