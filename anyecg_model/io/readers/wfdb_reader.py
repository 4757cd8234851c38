"""PhysioNet WFDB records: header (``.hea``) + signal files (``.dat``, ``.mat``, any name) + annotation files.

Single-segment headers are parsed by :mod:`.wfdb_header` (``wfdb`` and pandas are imported only for what needs
them). Single-segment records whose signal files are in a byte-addressable format, with one sample per
frame and no skew, are decoded lazily from just the bytes of each window (:mod:`.wfdb_formats`). Everything else
(difference format 8, FLAC, multi-frequency, skew) is read per window through ``wfdb.rdrecord``;
multi-segment records through their segments' own readers (:mod:`.wfdb_segments`). Header file
names that are absolute or leave the record's folder are refused.
"""
from __future__ import annotations

import datetime as _dt
import logging
import re
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from ...vocabulary.lead_map import canonical_lead_name
from ..annotations import Annotations
from ..recording import MAX_CHANNELS, MAX_SAMPLES, Lead, Provenance, Recording, RecordingError
from ._common import FileBytes, age_sex_from_comments, files_hash, mv_scale
from .wfdb_annotations import read_annotation_file
from .wfdb_formats import DIRECT_FORMATS, FORMAT_BITS, decode, samples_in_file
from .wfdb_header import parse_header
from .wfdb_segments import SegmentedSource

log = logging.getLogger(__name__)

FORMAT = "wfdb"
#: Largest header file we parse (a multi-segment header with thousands of segments is ~100 kB).
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: Annotator extensions tried beside every record (other ``record.*`` files are tried too).
ANNOTATORS = ("atr", "qrs", "gqrsh", "gqrs", "ecg", "ari", "man", "pu", "pu0", "pu1", "wqrs", "sqrs",
              "jqrs", "apn", "arou", "st", "stb", "16a", "all", "ann", "trigger", "marker", "beat")
_NOT_ANNOTATION = {"hea", "dat", "mat", "csv", "txt", "xml", "edf", "bdf", "json", "png", "pdf", "npy", "npz", "flac"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
#: wfdb's default ADC gain when a header gives 0 (uncalibrated).
DEFAULT_GAIN = 200.0


def header_path(path: Path) -> Path:
    """The ``.hea`` file of a record given as ``rec``, ``rec.hea``, ``rec.dat``, ``rec.atr`` …"""
    if path.suffix.lower() == ".hea":
        return path
    named = path.with_name(path.name + ".hea")  # record names may contain dots
    if named.is_file() or not path.suffix:
        return named
    return path.with_suffix(".hea")


def _check_name(hea: Path, name: str, what: str) -> None:
    if not name or name == "~":
        return
    if "/" in name or "\\" in name or name.startswith(("..", "~")) or Path(name).is_absolute() or ".." in Path(name).parts:
        raise RecordingError(hea, f"refusing {what} {name!r}: it is outside the record's folder")


def _read_header(hea: Path):
    if not hea.is_file():
        raise RecordingError(hea, "no WFDB header (.hea) found")
    size = hea.stat().st_size
    if size == 0:
        raise RecordingError(hea, "header file is empty")
    if size > MAX_HEADER_BYTES:
        raise RecordingError(hea, f"header file of {size} bytes is too large to be a WFDB header")
    raw = hea.read_bytes()
    if b"\x00" in raw:
        raise RecordingError(hea, "header contains NUL bytes: it is binary, not a WFDB header")
    text = raw.decode("utf-8", errors="replace")  # non-UTF-8 comments are tolerated
    _precheck_counts(hea, text)
    standard = _with_wfdb_date(text)
    parsed = parse_header(standard or text)
    if parsed is not None:
        return parsed
    import wfdb  # multi-segment or unusual headers: wfdb's parser and its messages

    try:
        if standard is None:
            return wfdb.rdheader(str(hea.with_suffix("")))
        with tempfile.TemporaryDirectory() as tmp:  # wfdb parses headers from files only
            (Path(tmp) / hea.name).write_text(standard, encoding="ascii", errors="ignore")
            return wfdb.rdheader(str(Path(tmp) / hea.stem))
    except RecordingError:
        raise
    except Exception as exc:  # wfdb raises bare ValueError/IndexError/AttributeError on malformed headers
        raise RecordingError(hea, f"malformed WFDB header: {exc}") from exc


def _record_line(text: str) -> tuple[int, list[str]] | None:
    """(line number, fields) of the header's record line (the first line that is not a comment)."""
    for k, line in enumerate(text.splitlines()):
        if line.strip() and not line.strip().startswith("#"):
            return k, line.split("#")[0].split()
    return None


def _with_wfdb_date(text: str) -> str | None:
    """The header with an ISO start date on its record line (``2014-05-08 05:05:15``, ``2014-05-08T05:05:15``,
    as in the CinC 2017 validation set) rewritten in WFDB's ``05:05:15 08/05/2014``; None when there is none."""
    found = _record_line(text)
    if found is None:
        return None
    k, fields = found
    rest = fields[4:]
    if not rest or not _ISO_DATE.match(rest[0]):
        return None
    joined = " ".join(rest[:2]) if len(rest) > 1 and "T" not in rest[0] else rest[0]
    try:
        when = _dt.datetime.fromisoformat(joined.replace("T", " "))
    except ValueError:
        return None
    clock = when.strftime("%H:%M:%S") + (f".{when.microsecond // 1000:03d}" if when.microsecond else "")
    lines = text.splitlines()
    lines[k] = " ".join(fields[:4] + [clock, when.strftime("%d/%m/%Y")])
    return "\n".join(lines) + "\n"


def _precheck_counts(hea: Path, text: str) -> None:
    """Refuse absurd counts and lengths, and file or segment names outside the record's folder,
    before wfdb allocates or opens anything for them."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        raise RecordingError(hea, "header has no record line")
    fields = lines[0].split()
    count = fields[1] if len(fields) > 1 else "0"
    try:
        n = int(count)
    except ValueError:
        raise RecordingError(hea, f"record line has a non-numeric signal count {count!r}") from None
    if n < 0 or n > MAX_CHANNELS:
        raise RecordingError(hea, f"{n} signals exceeds the limit of {MAX_CHANNELS}")
    if len(fields) > 3 and fields[3].lstrip("-").isdigit():
        length = int(fields[3])
        if length < 0 or length > MAX_SAMPLES:
            raise RecordingError(hea, f"declared length of {length} samples is out of range")
    if len(fields) > 2:
        rate = fields[2].split("/")[0]
        try:
            fs = float(rate)
        except ValueError:
            fs = float("nan")
        if not np.isfinite(fs) or fs <= 0:
            raise RecordingError(hea, f"record line's sampling frequency field {fields[2]!r} is not a positive "
                                      f"number of Hz")
    what = "segment" if "/" in fields[0] else "signal file"
    for line in lines[1:]:
        _check_name(hea, line.split()[0], what)


def _start_time(header) -> _dt.datetime | None:
    if getattr(header, "base_datetime", None) is not None:
        return header.base_datetime
    if header.base_date is not None and header.base_time is not None:
        return _dt.datetime.combine(header.base_date, header.base_time)
    return None


class FileSource:
    """Window decoder over the bytes of each signal file (single segment, 1 sample/frame, no skew)."""

    def __init__(self, groups: list[dict]):
        # each group: bytes (FileBytes), fmt, n_in_file, invalid, leads (record indices), gain, baseline, scale per column
        self.groups = groups
        self.where = {lead: (g, col) for g, grp in enumerate(groups) for col, lead in enumerate(grp["leads"])}

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        out = np.empty((len(lead_idx), stop - start), np.float32)
        decoded: dict[int, np.ndarray] = {}
        for k, lead in enumerate(lead_idx):
            g, col = self.where[lead]
            grp = self.groups[g]
            if g not in decoded:
                m = grp["n_in_file"]
                decoded[g] = decode(grp["bytes"], grp["fmt"], start * m, stop * m).reshape(stop - start, m)
            d = decoded[g][:, col]
            out[k] = (d - grp["baseline"][col]) * (grp["scale"][col] / grp["gain"][col])
            out[k][d == grp["invalid"]] = np.nan
        return out


class WfdbSource:
    """Window reader through ``wfdb.rdrecord`` for layouts that cannot be addressed by byte offset.

    Reads the frames covering the window, brings every signal to the record's highest number of
    samples per frame (sample-and-hold for integer ratios), and returns physical values scaled to mV.
    Multi-segment records are read with one sample per frame.
    """

    def __init__(self, record: str, spf: list[int], scale: list[float], from_start: bool = False):
        self.record = record
        self.from_start = from_start  # difference-coded format 8 must be decoded from the first sample
        self.spf = spf
        self.m = max(spf)
        self.scale = np.asarray(scale, np.float32)[:, None]
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # picklable: a lock is not
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        import wfdb

        f0, f1 = (0 if self.from_start else start // self.m), -(-stop // self.m)
        with self._lock:
            try:
                rec = wfdb.rdrecord(self.record, sampfrom=f0, sampto=f1, physical=True, return_res=32,
                                    smooth_frames=self.m == 1)
            except Exception as exc:  # wfdb raises many types on truncated or inconsistent files
                raise RecordingError(self.record, f"cannot read frames {f0}..{f1}: {exc}") from exc
        if self.m == 1:
            sig = np.asarray(rec.p_signal, np.float32).T
        else:
            n = (f1 - f0) * self.m
            sig = np.empty((len(self.spf), n), np.float32)
            for i, x in enumerate(rec.e_p_signal):
                x = np.asarray(x, np.float32)
                factor = self.m // self.spf[i] if self.m % self.spf[i] == 0 else None
                if factor is not None:
                    sig[i] = np.repeat(x, factor)[:n]
                else:
                    t_out = np.arange(n) / self.m
                    sig[i] = np.interp(t_out, np.arange(len(x)) / self.spf[i], x)
        sig = sig * self.scale
        offset = start - f0 * self.m
        window = sig[:, offset:offset + stop - start]
        if window.shape[1] != stop - start:
            raise RecordingError(self.record, f"signal file ends before sample {stop}")
        return window[list(lead_idx)]


def _signal_groups(hea: Path, header, scale: list[float]) -> tuple[list[dict], int] | None:
    """Signal-file groups and the frame count, or None when the layout needs wfdb's reader."""
    if any(f not in DIRECT_FORMATS for f in header.fmt):
        return None
    if any((s or 1) != 1 for s in header.samps_per_frame) or any(k for k in header.skew if k):
        return None
    folder = hea.parent
    groups: dict[str, dict] = {}
    for i, name in enumerate(header.file_name):
        grp = groups.setdefault(name, {"leads": [], "fmt": header.fmt[i], "gain": [], "baseline": [],
                                       "scale": [], "offset": header.byte_offset[i] or 0})
        if header.fmt[i] != grp["fmt"]:
            return None
        gain = header.adc_gain[i] or DEFAULT_GAIN
        grp["leads"].append(i)
        grp["gain"].append(float(gain))
        grp["baseline"].append(float(header.baseline[i] or 0))
        grp["scale"].append(scale[i])
    n_frames = None
    for name, grp in groups.items():
        path = folder / name
        if not path.is_file():
            raise RecordingError(hea, f"signal file {name!r} is missing")
        size = path.stat().st_size - grp["offset"]
        if size < 0:
            raise RecordingError(path, f"byte offset {grp['offset']} is beyond the end of the file")
        m = len(grp["leads"])
        frames = samples_in_file(grp["fmt"], size) // m
        n_frames = frames if n_frames is None else min(n_frames, frames)
        grp.update(n_in_file=m, invalid=FORMAT_BITS[grp["fmt"]][1])
        grp["bytes"] = FileBytes(path, grp["offset"], size)
    return list(groups.values()), int(n_frames or 0)


def _annotations(hea: Path, record_files: set[str], rec_fs: float, frames_ratio: float) -> Annotations:
    """Every annotation file beside the record, each with ``source`` = its extension (annotator name).

    Files with a known annotator extension are read as such; any other ``record.*`` file is accepted
    only when it decodes as a well-formed annotation file (ends with the zero word, times ordered).
    """
    folder, stem = hea.parent, hea.stem
    known = [folder / f"{stem}.{ext}" for ext in ANNOTATORS]
    others = sorted(p for p in folder.glob(f"{stem}.*")
                    if p.suffix[1:].lower() not in _NOT_ANNOTATION and p not in known)
    parts = []
    for path in (known + others)[:64]:
        if not path.is_file() or path.name in record_files or path.stat().st_size > (512 << 20):
            continue
        try:
            ann = read_annotation_file(path)
        except (OSError, ValueError) as exc:
            log.warning("%s: skipping annotation file %s: %s", hea, path.name, exc)
            continue
        sample = ann["sample"]
        if path not in known and (not path.read_bytes().endswith(b"\x00\x00") or (np.diff(sample) < 0).any()):
            continue
        # annotation times are in the file's own rate when it states one, else in frames
        factor = rec_fs / ann["fs"] if ann["fs"] else frames_ratio
        if abs(factor - 1) > 1e-9:
            sample = np.round(sample * factor).astype(np.int64)
        parts.append((sample, ann, path.suffix[1:]))
    if not parts:
        return Annotations.empty()
    return Annotations.from_lists(
        np.concatenate([p[0] for p in parts]), np.concatenate([p[1]["symbol"] for p in parts]),
        np.concatenate([p[1]["subtype"] for p in parts]), np.concatenate([p[1]["chan"] for p in parts]),
        np.concatenate([p[1]["aux"] for p in parts]),
        np.concatenate([np.full(len(p[0]), p[2], dtype=object) for p in parts]))


def read(path: str | Path, *, fs: float | None = None, lenient: bool = True) -> Recording:
    """Open a WFDB record given by its header, any of its files, or its name without extension."""
    hea = header_path(Path(path))
    header = _read_header(hea)
    multi = hasattr(header, "seg_name") and getattr(header, "seg_name", None) is not None
    if header.fs is None or not np.isfinite(header.fs) or header.fs <= 0:
        raise RecordingError(hea, f"sampling rate {header.fs!r} Hz is not positive")
    files = [hea]
    if multi:
        segment_headers = {}
        for name in header.seg_name:
            if name != "~" and name not in segment_headers:
                seg_hea = hea.parent / f"{name}.hea"
                segment_headers[name] = _read_header(seg_hea)  # checks the segment's own signal file names
                files.append(seg_hea)
        if all(getattr(h, "seg_name", None) is None and all((s or 1) == 1 for s in (h.samps_per_frame or []))
               and (h.fs or 0) == header.fs for h in segment_headers.values()):
            return _open_segmented(hea, header, segment_headers, files)
        return _open_fallback(hea, header, files, multi=True)
    if not header.n_sig:
        raise RecordingError(hea, "record has no signals")
    signal_files = sorted(set(header.file_name))
    files += [hea.parent / f for f in signal_files if (hea.parent / f).is_file()]
    scale_units = [mv_scale(u) for u in header.units]
    scale = [s for s, _ in scale_units]
    grouped = _signal_groups(hea, header, scale)
    if grouped is None:
        return _open_fallback(hea, header, files, multi=False)
    groups, n_frames = grouped
    n = header.sig_len if header.sig_len is not None else n_frames
    if n > n_frames:
        raise RecordingError(hea, f"header declares {n} samples but the signal files hold only {n_frames} (truncated?)")
    leads = [Lead(canonical_lead_name(name or f"sig{i}"), name or f"sig{i}", float(header.fs), units)
             for i, (name, (_, units)) in enumerate(zip(header.sig_name, scale_units))]
    resolution = [s / float(header.adc_gain[i] or DEFAULT_GAIN) for i, s in enumerate(scale)]
    return _recording(hea, header, leads, float(header.fs), n, FileSource(groups),
                      files, set(signal_files), resolution, ratio=1.0)


def _open_segmented(hea: Path, header, segment_headers: dict, files: list[Path]) -> Recording:
    """A multi-segment record whose segments share its rate and have one sample per frame."""
    segments = list(zip(header.seg_name, [int(n) for n in header.seg_len]))
    layout = segment_headers.get(header.seg_name[0])
    if layout is None or not layout.sig_name:
        raise RecordingError(hea, "multi-segment record has no layout or first segment naming its signals")
    if sum(n for _, n in segments) < (header.sig_len or 0):
        raise RecordingError(hea, f"segments hold fewer samples than the {header.sig_len} the header declares")
    n = int(header.sig_len) if header.sig_len else sum(n for _, n in segments)
    units = [mv_scale(u)[1] for u in (layout.units or ["mV"] * len(layout.sig_name))]
    leads = [Lead(canonical_lead_name(name or f"sig{i}"), name or f"sig{i}", float(header.fs), unit)
             for i, (name, unit) in enumerate(zip(layout.sig_name, units))]
    source = SegmentedSource(hea.parent, segments, layout.sig_name, read)
    last = max((k for k, (name, length) in enumerate(segments) if name != "~" and length), default=None)
    if last is not None:
        source.segment(last)  # a missing or truncated last segment fails here, not during review
    return _recording(hea, header, leads, float(header.fs), n, source, files, set(), [None] * len(leads), ratio=1.0)


def _open_fallback(hea: Path, header, files: list[Path], multi: bool) -> Recording:
    import wfdb

    record = str(hea.with_suffix(""))
    if not header.sig_len:
        raise RecordingError(hea, "header gives no length (or 0), so there are no samples to read")
    try:
        probe = wfdb.rdrecord(record, sampfrom=0, sampto=1, physical=True, return_res=32, smooth_frames=multi)
    except Exception as exc:  # missing or unreadable signal files surface here
        raise RecordingError(hea, f"cannot read signals: {exc}") from exc
    spf = [1] * probe.n_sig if multi else [int(s or 1) for s in probe.samps_per_frame]
    m = max(spf)
    units = probe.units
    if multi:  # m2s reports default units; the layout (or first) segment header has the real ones
        first = wfdb.rdheader(str(hea.parent / header.seg_name[0]))
        by_name = dict(zip(first.sig_name or [], first.units or []))
        units = [by_name.get(name, u) for name, u in zip(probe.sig_name, probe.units)]
    scale_units = [mv_scale(u) for u in units]
    leads = [Lead(canonical_lead_name(name or f"sig{i}"), name or f"sig{i}", float(header.fs) * spf[i], units)
             for i, (name, (_, units)) in enumerate(zip(probe.sig_name, scale_units))]
    from_start = not multi and "8" in (header.fmt or [])
    source = WfdbSource(record, spf, [s for s, _ in scale_units], from_start)
    n = int(header.sig_len) * m
    if n > 0:
        source.read(n - 1, n, [0])  # a truncated signal file fails here, not in the middle of a review
    gains = probe.adc_gain if not multi else [None] * probe.n_sig
    resolution = [s / float(g) if g else None for (s, _), g in zip(scale_units, gains)]
    signal_files = set(getattr(probe, "file_name", None) or [])
    return _recording(hea, header, leads, float(header.fs) * m, n, source, files, signal_files, resolution,
                      ratio=float(m))


def _recording(hea, header, leads, fs, n, source, files, signal_files, resolution, ratio) -> Recording:
    comments = list(header.comments or [])
    age, sex = age_sex_from_comments(comments)
    annotations = _annotations(hea, signal_files, fs, ratio)
    return Recording(
        leads=leads, fs=fs, n_samples=int(n), source=source,
        provenance=Provenance(str(hea.with_suffix("")), FORMAT, files_hash(files)),
        start_time=_start_time(header), age=age, sex=sex, annotations=annotations, comments=comments,
        adc_resolution_mv=resolution,
    )
