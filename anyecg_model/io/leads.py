"""Lead names: normalise whatever a file calls a lead to one canonical spelling.

Canonical 12-lead names are ``I II III aVR aVL aVF V1 .. V6``. Holter and monitoring leads keep
their own canonical spelling (``MLII``, ``MLI``, ``MLIII``, ``CM5``, ``CC5``, ``ML``) and map, where a
well-known equivalence exists, to the 12-lead slot whose morphology they most resemble
(:data:`HOLTER_EQUIVALENT`), which the model uses to place them.
"""
from __future__ import annotations

import re

STANDARD_LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6",
)
HOLTER_LEADS: tuple[str, ...] = ("MLI", "MLII", "MLIII", "CM5", "CC5", "CM1", "ML")

#: Holter / monitoring leads and the standard lead whose axis they approximate.
HOLTER_EQUIVALENT: dict[str, str] = {
    "MLI": "I",
    "MLII": "II",
    "MLIII": "III",
    "CM5": "V5",
    "CC5": "V5",
    "CM1": "V1",
    "ML": "II",
}

_ALIASES: dict[str, str] = {
    # Roman numerals and common spellings
    "1": "I", "LEADI": "I", "LI": "I", "DI": "I",
    "2": "II", "LEADII": "II", "LII": "II", "DII": "II",
    "3": "III", "LEADIII": "III", "LIII": "III", "DIII": "III",
    "AVR": "aVR", "-AVR": "aVR", "LEADAVR": "aVR",
    "AVL": "aVL", "LEADAVL": "aVL",
    "AVF": "aVF", "LEADAVF": "aVF",
    "MLI": "MLI", "MLII": "MLII", "MLIII": "MLIII", "ML2": "MLII", "ML1": "MLI", "ML3": "MLIII",
    "CM5": "CM5", "CC5": "CC5", "CM1": "CM1", "ML": "ML",
}
for _name in STANDARD_LEADS:
    _ALIASES.setdefault(_name.upper(), _name)
for _k in range(1, 7):
    for _form in (f"V{_k}", f"LEADV{_k}", f"C{_k}"):
        _ALIASES[_form] = f"V{_k}"

_STRIP = re.compile(r"[\s_\-.:()]+")
_PREFIX = re.compile(r"^(ECG|EKG|LEAD)")


def canonical_lead_name(name: str) -> str:
    """Return the canonical spelling of ``name`` (``"ECG Lead II"`` → ``"II"``), or ``name`` stripped.

    Names that match no known lead are returned trimmed but otherwise unchanged, so that a
    non-ECG channel (``"Resp"``, ``"EDF Annotations"``) keeps a readable label.
    """
    raw = name.strip()
    key = raw.upper()
    if key.startswith("-AVR"):
        return "aVR"
    key = _STRIP.sub("", key)
    if key in _ALIASES:
        return _ALIASES[key]
    stripped = _PREFIX.sub("", key)
    if stripped in _ALIASES:
        return _ALIASES[stripped]
    return raw


def standard_equivalent(name: str) -> str | None:
    """The standard 12-lead slot a canonical lead name occupies, or ``None`` if it has none."""
    if name in STANDARD_LEADS:
        return name
    return HOLTER_EQUIVALENT.get(name)


def is_ecg_lead(name: str) -> bool:
    """True when ``name`` (canonical) is a standard or Holter ECG lead."""
    return name in STANDARD_LEADS or name in HOLTER_LEADS
