"""Lead names: normalise whatever a file calls a lead, and map a recording's leads to the model's slots.

Canonical 12-lead names are ``I II III aVR aVL aVF V1 .. V6``. Holter and monitoring leads keep their own
canonical spelling (``MLII``, ``CM5``, ``mod.V1``, ``V4-V5`` …) and fill, as an approximation, the slot of
the standard lead whose axis they most resemble; the alias table and its documentation are in
:mod:`.leads`. :func:`map_leads` decides which file lead fills which slot (user overrides first, then exact
names, then approximations, then the lead-agnostic single rhythm lead) and says which were assumed.
Standard library only: part of :mod:`anyecg_model.vocabulary`, so the model and signal layers can use it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .leads import ASSUMED_HOLTER_SLOTS, ASSUMED_SLOT, STANDARD_LEADS, is_non_ecg, resolve, slot_name

log = logging.getLogger(__name__)

#: Value of a user override that keeps a lead out of the analysis (``--lead-map Resp=none``).
IGNORE = "none"


class LeadMapError(ValueError):
    """A user lead map names a lead the recording lacks or a slot the model has not."""


def canonical_lead_name(name: str) -> str:
    """Return the canonical spelling of ``name`` (``"ECG Lead II"`` → ``"II"``, ``"cm5"`` → ``"CM5"``), or
    ``name`` stripped when the table does not know it (``"Resp"``, ``"ECG"``, ``"EDF Annotations"``)."""
    alias = resolve(name)
    return name.strip() if alias is None or alias.generic else alias.name


def standard_equivalent(name: str) -> str | None:
    """The standard 12-lead slot a lead name fills, exactly or approximately, or ``None`` if it has none."""
    alias = resolve(name)
    return None if alias is None else alias.slot


def is_ecg_lead(name: str) -> bool:
    """True when ``name`` is a standard or monitoring ECG lead, or a channel named ECG/EKG."""
    return resolve(name) is not None


@dataclass
class LeadMapping:
    """Which file lead fills which model slot. ``slot[i]`` for input lead ``i``; ``how[i]`` is ``exact``,
    ``approximate`` (a monitoring lead in its nearest slot), ``assumed`` (a lead with no known name taken as
    the single rhythm lead) or ``user`` (set by the user); ``inverted`` holds leads to turn upside down
    (``-aVR``); ``rhythm_lead`` is the input lead R peaks are detected on (None: nothing mapped)."""

    names: list[str]
    slot: dict[int, str] = field(default_factory=dict)
    how: dict[int, str] = field(default_factory=dict)
    inverted: set[int] = field(default_factory=set)
    rhythm_lead: int | None = None

    @property
    def by_name(self) -> dict[str, str]:
        """File lead name → slot, in file order."""
        return {self.names[i]: self.slot[i] for i in sorted(self.slot)}

    @property
    def assumed(self) -> list[str]:
        """File leads whose slot is an approximation or an assumption (not exact, not the user's choice)."""
        return [self.names[i] for i in sorted(self.slot) if self.how[i] in ("approximate", "assumed")]

    def describe(self) -> str:
        """``"ECG→I (assumed)"``, ``"MLII→II (approximate), V1→V1"``, ``"-aVR→aVR (inverted)"``; empty when
        nothing is mapped."""
        parts = []
        for i in sorted(self.slot):
            tags = ([] if self.how[i] == "exact" else [self.how[i]]) + (["inverted"] if i in self.inverted else [])
            parts.append(f"{self.names[i]}→{self.slot[i]}" + (f" ({', '.join(tags)})" if tags else ""))
        return ", ".join(parts)


def parse_lead_map(items: Sequence[str] | None) -> dict[str, str]:
    """``["ECG=I", "CM2=V2,ML5=V5"]`` → ``{"ECG": "I", "CM2": "V2", "ML5": "V5"}`` (LeadMapError if malformed)."""
    out: dict[str, str] = {}
    for item in items or []:
        for pair in str(item).split(","):
            if not pair.strip():
                continue
            name, sep, slot = pair.partition("=")
            if not sep or not name.strip() or not slot.strip():
                raise LeadMapError(f"lead map {pair.strip()!r} is not FILE_LEAD=SLOT (e.g. ECG=II)")
            out[name.strip()] = slot.strip()
    return out


def map_leads(names: Sequence[str], overrides: Mapping[str, str] | None = None,
              slots: Sequence[str] = STANDARD_LEADS, agnostic: bool = True) -> LeadMapping:
    """Map input leads to ``slots``: ``overrides`` (file lead → slot, ``-slot`` for a lead recorded upside down, or
    ``none``) first, then exact names, then approximations; with ``agnostic``, a recording left with no mapped lead
    gets its first ECG channel in :data:`~anyecg_model.vocabulary.leads.ASSUMED_SLOT`, or, with two or more
    channels named only as ECG, its first two in :data:`~anyecg_model.vocabulary.leads.ASSUMED_HOLTER_SLOTS`. A
    slot takes one lead (the first); the rest are skipped with a warning. Raises :class:`LeadMapError` when an
    override names no lead of ``names`` or no slot."""
    names = [str(n) for n in names]
    m = LeadMapping(names)
    aliases = [resolve(n) for n in names]
    ignored: set[int] = set()

    def take(i: int, slot: str, how: str) -> None:
        if slot in m.slot.values():
            log.warning("lead %r: slot %s already filled by %r; ignored", names[i], slot,
                        names[next(k for k, s in m.slot.items() if s == slot)])
            return
        m.slot[i], m.how[i] = slot, how

    for given, target in (overrides or {}).items():
        i = _find(names, given)
        if target.strip().lower() == IGNORE:
            ignored.add(i)
            continue
        upside_down = target.strip().startswith("-")  # ``MLII=-II``: lead II recorded with its electrodes reversed
        slot = slot_name(target.strip()[1:] if upside_down else target)
        if slot is None or slot not in slots:
            raise LeadMapError(f"lead map {given}={target}: {target!r} is not a model lead ({' '.join(slots)}, "
                               f"or -II … for one recorded upside down)")
        take(i, slot, "user")
        if upside_down and m.slot.get(i) == slot:
            m.inverted.add(i)
    for exact in (True, False):
        for i, alias in enumerate(aliases):
            if i in m.slot or i in ignored or alias is None or alias.slot is None or alias.exact != exact:
                continue
            if alias.slot in slots:
                take(i, alias.slot, "exact" if exact else "approximate")
                if alias.inverted and i in m.slot:
                    m.inverted.add(i)
    if not m.slot and agnostic and ASSUMED_SLOT in slots:
        candidates = [i for i in range(len(names)) if i not in ignored and not is_non_ecg(names[i])]
        generic = [i for i in candidates if aliases[i] is not None and aliases[i].generic]
        if len(generic) >= 2 and set(ASSUMED_HOLTER_SLOTS) <= set(slots):  # a Holter's unnamed channels
            for i, slot in zip(generic, ASSUMED_HOLTER_SLOTS):
                take(i, slot, "assumed")
        elif generic or candidates:
            pick = (generic or candidates)[0]
            take(pick, ASSUMED_SLOT, "assumed")
            log.debug("lead %r has no standard name: analysed as the single rhythm lead in slot %s",
                      names[pick], ASSUMED_SLOT)
    for i, n in enumerate(names):
        if i not in m.slot and i not in ignored and aliases[i] is None:
            log.warning("lead %r has no model slot; not analysed", n)
    m.rhythm_lead = next((i for i in sorted(m.slot) if m.slot[i] == "II"), min(m.slot, default=None))
    return m


def _find(names: list[str], given: str) -> int:
    """Index of the file lead a user named (exact, then case-insensitive, then by canonical name)."""
    for i, n in enumerate(names):
        if n == given:
            return i
    low = given.strip().lower()
    for i, n in enumerate(names):
        if n.strip().lower() == low:
            return i
    canon = canonical_lead_name(given)
    for i, n in enumerate(names):
        if canonical_lead_name(n) == canon:
            return i
    raise LeadMapError(f"lead map names {given!r}, but the recording's leads are {', '.join(names)}")
