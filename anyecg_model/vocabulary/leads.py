"""Lead-name alias table: what a file calls a lead → the model's lead slot, and whether that is exact.

The model has one input slot per standard lead (``I II III aVR aVL aVF V1 .. V6``). Files name their leads
in many ways; :func:`resolve` reads a name through this table and returns a :class:`LeadAlias`: the canonical
spelling shown to the user, the slot the lead fills, whether that is the **same** lead (``exact``) or a
monitoring lead whose axis only **approximates** the slot's, and whether the signal is the slot's lead
upside down (``-aVR`` of the Cabrera display).

Spellings are matched without case, spaces, ``_``, ``.``, ``:`` or brackets, after a leading ``ECG``,
``EKG`` or ``Lead`` word: ``"ECG Lead II"``, ``"ECG_II"``, ``"EKG II"``, ``"II "``, ``"lead ii"`` are all II.

====================  ==========  =======  ==================================================================
file name             slot        exact    note
====================  ==========  =======  ==================================================================
I II III              I II III    yes      also ``DI``/``D1``, ``LI``, ``1``, ``Lead I``, ``ECG I``, ``LA-RA``
                                           (I), ``LL-RA`` (II), ``LL-LA`` (III); ``D`` = *dérivation*
aVR aVL aVF           same        yes      any case: ``AVR``, ``avR``, ``aVR``
-aVR                  aVR         yes      inverted: the signal is −aVR and is turned back before analysis
V1 .. V6              V1 .. V6    yes      also ``C1 .. C6`` (IEC chest-lead names)
MLI MLII MLIII        I II III    no       Mason–Likar / modified limb leads (torso electrodes; MIT-BIH);
                                           also ``ML1 ML2 ML3``; ``ML`` alone → II
CM1 .. CM6            V1 .. V6    no       bipolar Holter chest leads, manubrium (−) to Vn position (+)
CC5 CS5 CB5           V5          no       other bipolar V5-position Holter leads
MCL1 .. MCL6          V1 .. V6    no       Marriott's modified chest leads (left shoulder −)
MV1 .. MV6, ML4..ML6  V1 .. V6    no       modified chest leads of monitors (``ML5`` = modified V5)
mod.V1 .. mod.V6      V1 .. V6    no       ``modV1``, ``modified V1``
Va-Vb (V4-V5)         Va          no       bipolar chest lead between two chest electrodes: the slot of
                                           its positive electrode; its morphology differs from Va's
ECG EKG ECG1 ECG2 …   —           —        a channel with no lead name: see below
====================  ==========  =======  ==================================================================

A recording none of whose leads fills a slot (a single ``ECG``, ``ECG1``/``ECG2``, ``ch1``, ``sig0``) is
analysed through the lead-agnostic path: its first ECG channel is taken as the single rhythm lead in
:data:`ASSUMED_SLOT` (lead I: single-lead recorders take a lead-I-like bipolar signal between the two hands,
and the shipped model learned single-lead rhythm from such AliveCor recordings placed in slot I) and R peaks
are detected on it; the findings record that this was an assumption. Two or more channels named only as ECG
(``ECG1``/``ECG2``: most Holters' exports, PhysioNet's long-term databases) are a Holter's: the first two are
taken as :data:`ASSUMED_HOLTER_SLOTS`, II and V1, the slots of MIT-BIH's MLII and its second channel (V1, V2,
V4 or V5), from which the model learned two-lead Holter beats (on MIT-BIH's 24-h join one channel alone found
V beats at Se 0.866 against 0.936 with both, F beats at 0.265 against 0.686, and read 2 % of record 200 as AF).
Known non-ECG channels (respiration,
pressures, pleth, SpO2, EEG …, :func:`is_non_ecg`) are never taken for ECG.

This module uses only the standard library and imports nothing else of the project (it is part of
:mod:`anyecg_model.vocabulary`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

#: The model's lead slots, in order.
SLOTS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
#: The model's input slots in order: the standard 12 leads (the same tuple as :data:`SLOTS`).
STANDARD_LEADS: tuple[str, ...] = SLOTS
#: Slot given to the one channel of a recording whose lead names fill no slot (see the module docstring).
ASSUMED_SLOT = "I"
#: Slots given to the first two of several channels named only as ECG (see the module docstring).
ASSUMED_HOLTER_SLOTS: tuple[str, str] = ("II", "V1")


@dataclass(frozen=True)
class LeadAlias:
    """What one lead name means: canonical ``name``, model ``slot`` (None: a channel named only "ECG"),
    ``exact`` (the same lead, not an approximation), ``inverted`` (the slot's lead upside down), ``note``."""

    name: str
    slot: str | None
    exact: bool
    inverted: bool = False
    note: str = ""

    @property
    def generic(self) -> bool:
        """A channel called ECG/EKG/ECG1 …: an ECG, lead unknown."""
        return self.slot is None


def _table() -> dict[str, LeadAlias]:
    """Normalised spelling (see :func:`_key`) → alias."""
    t: dict[str, LeadAlias] = {}

    def add(keys, alias: LeadAlias) -> None:
        for k in keys:
            t[k] = alias

    limb = {"I": ("1", "L1", "LI", "D1", "DI", "LA-RA"), "II": ("2", "L2", "LII", "D2", "DII", "LL-RA"),
            "III": ("3", "L3", "LIII", "D3", "DIII", "LL-LA")}
    for lead, keys in limb.items():
        add((lead,) + keys, LeadAlias(lead, lead, True))
    for lead in ("aVR", "aVL", "aVF"):
        add((lead.upper(),), LeadAlias(lead, lead, True))
    add(("-AVR",), LeadAlias("-aVR", "aVR", True, inverted=True, note="inverted aVR (Cabrera)"))
    for k in range(1, 7):
        v = f"V{k}"
        add((v, f"C{k}"), LeadAlias(v, v, True))
        add((f"CM{k}",), LeadAlias(f"CM{k}", v, False, note=f"bipolar Holter lead, manubrium to {v}"))
        add((f"MCL{k}",), LeadAlias(f"MCL{k}", v, False, note="modified chest lead (Marriott)"))
        add((f"MV{k}",), LeadAlias(f"MV{k}", v, False, note="modified chest lead"))
        add((f"MODV{k}", f"MODIFIEDV{k}"), LeadAlias(f"mod.V{k}", v, False, note="modified chest lead"))
    for k in (4, 5, 6):
        add((f"ML{k}",), LeadAlias(f"ML{k}", f"V{k}", False, note=f"modified V{k}"))
    for name in ("CC5", "CS5", "CB5"):
        add((name,), LeadAlias(name, "V5", False, note="bipolar Holter lead at the V5 position"))
    for roman, digit in (("I", "1"), ("II", "2"), ("III", "3")):
        add((f"ML{roman}", f"ML{digit}"), LeadAlias(f"ML{roman}", roman, False, note="modified limb lead"))
    add(("ML",), LeadAlias("ML", "II", False, note="modified limb lead (MIT-BIH usage)"))
    return t


_TABLE = _table()
_SEPARATORS = re.compile(r"[\s_.:()\[\]]+")
_PREFIX = re.compile(r"^(?:ECG|EKG|LEAD)-?")
_GENERIC = re.compile(r"^(?:ECG|EKG)-?(?:CHANNEL|CH)?(\d{0,2})$")
_BIPOLAR_CHEST = re.compile(r"^(V[1-9])-(V[1-9])$")
_NON_ECG = re.compile(r"^(?:RESP|ABP|ART|PAP|CVP|ICP|PLETH|PPG|SPO2|SAO2|SPO2%|PULSE|HR|BP|NBP|CO2|ETCO2|FLOW|"
                      r"THOR|ABDO|ABD|CHEST|NASAL|AIRFLOW|TEMP|EEG|EOG|EMG|STIM|STATUS|MARKER|EVENT|EDFANNOTATIONS|"
                      r"BDFANNOTATIONS|ACC|ACCX|ACCY|ACCZ|POSITION|LIGHT|SOUND|PCG|SNORE)", re.I)


def _key(name: str) -> str:
    return _SEPARATORS.sub("", name.strip().upper())


def resolve(name: str) -> LeadAlias | None:
    """The alias of a file's lead ``name`` (any spelling of the table), or None for a name it does not know."""
    key = _key(name)
    if not key:
        return None
    generic = _GENERIC.match(key)
    if generic:
        return LeadAlias(f"ECG{generic.group(1)}" if key.startswith("ECG") else f"EKG{generic.group(1)}",
                         None, False, note="a channel named ECG: lead not stated")
    for candidate in dict.fromkeys((key, _PREFIX.sub("", key), _PREFIX.sub("", _PREFIX.sub("", key)))):
        if candidate in _TABLE:
            return _TABLE[candidate]
        bipolar = _BIPOLAR_CHEST.match(candidate)
        if bipolar and bipolar.group(1) != bipolar.group(2) and int(bipolar.group(1)[1:]) <= 6:
            a, b = bipolar.groups()
            return LeadAlias(f"{a}-{b}", a, False, note=f"bipolar chest lead {a} (+) to {b} (−)")
    return None


def is_non_ecg(name: str) -> bool:
    """True for channels that are known not to be ECG (respiration, pressures, pleth, SpO2, EEG, EDF annotations …)."""
    return bool(_NON_ECG.match(_key(name)))


def slot_name(name: str) -> str | None:
    """The slot a user names (``ii``, ``Lead V5``, ``avr``), or None when ``name`` names no slot exactly."""
    alias = resolve(name)
    return alias.slot if alias is not None and alias.exact and not alias.inverted else None
