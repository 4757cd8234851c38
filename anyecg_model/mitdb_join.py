"""The 24-hour MIT-BIH join: the 48 records of the MIT-BIH Arrhythmia Database end to end, in record order.

No real 24-hour Holter may be shipped, but the 48 half-hour MIT-BIH records joined make a real 24.07-hour
two-lead recording (360 Hz) with reference beat and rhythm labels; the user guide and the benchmarks use it
as "the 24-h Holter". :func:`join_mitdb` builds it lazily (a :class:`JoinedSource` reads each record's
samples on demand), so writing it to EDF+ or WFDB never holds the day in memory.

Leads: channel 1 is MLII wherever a record has it (records 102 and 104 have none: their first lead, V5,
takes its place; 114 stores V5 first and is swapped), channel 2 the record's other lead (V1 in 40 records,
else V2, V4 or V5). A file has one name per channel, so each channel is named after the lead most of the
joined records carry on it (MLII and V1 for the whole join); every record's own lead names are kept in a
comment annotation at its start (``MIT-BIH 102: leads V5, V2``), and the exceptions in the recording's comments.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .io.annotations import Annotations
from .io.recording import Lead, Provenance, Recording, RecordingError
from .vocabulary.lead_map import canonical_lead_name

log = logging.getLogger(__name__)

#: The 48 records of the MIT-BIH Arrhythmia Database, in record order.
MITDB_RECORDS: tuple[str, ...] = tuple(str(r) for r in (
    100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 111, 112, 113, 114, 115, 116, 117, 118, 119, 121, 122,
    123, 124, 200, 201, 202, 203, 205, 207, 208, 209, 210, 212, 213, 214, 215, 217, 219, 220, 221, 222, 223,
    228, 230, 231, 232, 233, 234))

#: The lead that goes first when a record has it.
FIRST_LEAD = "MLII"
JOIN_FORMAT = "mitdb-join"
#: The project's data folder beside a source checkout (``<checkout>/../shared/data``).
SHARED_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"
#: MIT-BIH records carry no date. EDF needs one (pyedflib would stamp the time of writing), so the join starts
#: at midnight of 1 January 1985, EDF's conventional "unknown" date: clock time then equals elapsed time.
UNKNOWN_START = _dt.datetime(1985, 1, 1, 0, 0, 0)


def default_data_dir() -> Path:
    """Where ``../shared/data/unpack.sh`` unpacks the data sets: ``$ANYECG_DATA``, else ``~/.cache/anyecg/data``."""
    env = os.environ.get("ANYECG_DATA")
    return Path(env) if env else Path.home() / ".cache" / "anyecg" / "data"


def find_mitdb(data: str | os.PathLike | None = None, shared: str | os.PathLike | None = None) -> Path:
    """The folder holding MIT-BIH's ``.hea`` files.

    ``data`` is that folder or one with a ``mitdb`` folder inside; without it, the unpacked data sets at
    :func:`default_data_dir`. When those are not unpacked yet and ``shared`` (default: ``../shared/data`` of
    the working directory, else of the project's checkout) holds ``unpack.sh``, it is run once. Raises
    :class:`RecordingError` with what to do when none is found."""
    candidates = [Path(data)] if data is not None else [default_data_dir()]
    for folder in candidates:
        for mitdb in (folder, folder / "mitdb"):
            if (mitdb / "100.hea").is_file():
                return mitdb
    if data is None:
        folders = [Path(shared)] if shared is not None else [Path("..") / "shared" / "data", SHARED_BESIDE_CHECKOUT]
        script = next((f / "unpack.sh" for f in folders if (f / "unpack.sh").is_file()), None)
        if script is not None:
            log.info("unpacking the data sets with %s (once, about 15 s)", script)
            done = subprocess.run(["bash", str(script)], capture_output=True, text=True)
            if done.returncode == 0:
                dest = Path(done.stdout.strip().splitlines()[-1])
                if (dest / "mitdb" / "100.hea").is_file():
                    return dest / "mitdb"
            log.warning("%s failed: %s", script, done.stderr.strip())
    where = data if data is not None else default_data_dir()
    raise RecordingError(where, "the MIT-BIH Arrhythmia Database (mitdb: 100.hea …) is not there. Unpack the "
                                "project's data with ../shared/data/unpack.sh, set $ANYECG_DATA to the folder it "
                                "printed, or pass --data DIR (a folder of MIT-BIH .hea/.dat/.atr files)")


@dataclass(frozen=True)
class JoinedPart:
    """One record of the join: where it starts in the joined samples and which of its leads fill each channel."""

    name: str
    offset: int
    recording: Recording
    order: tuple[int, ...]  # joined channel k ← the record's lead order[k]


class JoinedSource:
    """Signal source over records joined end to end; every read goes to the records it spans (thread-safe
    because each record's own source is)."""

    def __init__(self, parts: Sequence[JoinedPart]):
        self.parts = list(parts)
        self.starts = np.array([p.offset for p in self.parts], np.int64)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        out = np.empty((len(lead_idx), stop - start), np.float32)
        k = int(np.searchsorted(self.starts, start, side="right")) - 1
        pos = start
        while pos < stop:
            part = self.parts[k]
            end = min(stop, part.offset + part.recording.n_samples)
            leads = [part.order[i] for i in lead_idx]
            out[:, pos - start:end - start] = part.recording.source.read(pos - part.offset, end - part.offset, leads)
            pos, k = end, k + 1
        return out


def _channel_order(names: list[str]) -> tuple[int, int]:
    first = names.index(FIRST_LEAD) if FIRST_LEAD in names else 0
    return first, next(i for i in range(len(names)) if i != first)


def _channel_names(parts: Sequence[JoinedPart]) -> tuple[list[str], list[str]]:
    """(label, exceptions) per joined channel: the lead most records carry there, and which records differ."""
    labels, notes = [], []
    for ch in range(2):
        per_record = [(p.name, p.recording.leads[p.order[ch]].original_name) for p in parts]
        label = Counter(name for _, name in per_record).most_common(1)[0][0]
        others: dict[str, list[str]] = {}
        for rec, name in per_record:
            if name != label:
                others.setdefault(name, []).append(rec)
        labels.append(label)
        notes.append("; ".join(f"{name} in {' '.join(recs)}" for name, recs in others.items()))
    return labels, notes


def join_mitdb(mitdb: str | os.PathLike, records: Sequence[str] = MITDB_RECORDS) -> Recording:
    """The records of ``mitdb`` joined end to end, with their reference annotations (``atr``) shifted into
    the joined time base and a comment annotation at each record's start naming the record and its leads."""
    from .io import open_recording

    mitdb = Path(mitdb)
    if not records:
        raise RecordingError(mitdb, "no records to join")
    parts, offset = [], 0
    columns: dict[str, list] = {"sample": [], "symbol": [], "subtype": [], "channel": [], "aux": []}
    for name in records:
        hea = mitdb / f"{name}.hea"
        if not hea.is_file():
            raise RecordingError(hea, f"MIT-BIH record {name} is not in {mitdb}")
        rec = open_recording(hea)
        if len(rec.leads) != 2 or (parts and rec.fs != parts[0].recording.fs):
            raise RecordingError(hea, f"expected two leads at {parts[0].recording.fs if parts else rec.fs:g} Hz, "
                                      f"got {len(rec.leads)} at {rec.fs:g} Hz")
        names = [lead.original_name for lead in rec.leads]
        order = _channel_order(names)
        parts.append(JoinedPart(name, offset, rec, order))
        ann = rec.annotations
        channel = np.where(ann.channel >= 0, np.array(order, np.int16).argsort()[np.clip(ann.channel, 0, 1)],
                           ann.channel)
        for key, first, rest in (("sample", offset, ann.sample + offset), ("symbol", '"', ann.symbol),
                                 ("subtype", 0, ann.subtype), ("channel", -1, channel),
                                 ("aux", f"MIT-BIH {name}: leads {', '.join(names)}", ann.aux)):
            columns[key] += [first, *rest]
        offset += rec.n_samples
    labels, notes = _channel_names(parts)
    fs = parts[0].recording.fs
    annotations = Annotations.from_lists(**columns, source="atr")
    resolution = [parts[0].recording.adc_resolution_mv[parts[0].order[ch]] if parts[0].recording.adc_resolution_mv
                  else None for ch in range(2)]
    if any(p.recording.adc_resolution_mv != parts[0].recording.adc_resolution_mv for p in parts):
        resolution = [None, None]
    digest = hashlib.sha256(" ".join(p.recording.provenance.content_hash for p in parts).encode()).hexdigest()
    comments = [f"{len(parts)} MIT-BIH Arrhythmia Database records joined end to end: {' '.join(records)}"]
    comments += [f"channel {ch + 1} ({labels[ch]}) is {notes[ch]}" for ch in range(2) if notes[ch]]
    return Recording(leads=[Lead(canonical_lead_name(n), n, fs) for n in labels], fs=fs, n_samples=offset,
                     source=JoinedSource(parts), provenance=Provenance(str(mitdb), JOIN_FORMAT, digest),
                     annotations=annotations, comments=comments, adc_resolution_mv=resolution,
                     start_time=UNKNOWN_START)
