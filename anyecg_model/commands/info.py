"""Show what a recording holds: format, rates, leads, length, units, start time, age/sex, annotations.

``anyecg info PATH [--json]``. The text form also says which model lead each file lead will be analysed as
(``model leads: ECG→I (assumed)``, see :mod:`anyecg_model.vocabulary.leads`). A file that cannot be opened
prints one line ``anyecg info: <file>: <problem>`` on stderr and exits with status 1.
"""
from __future__ import annotations

import argparse
import json
import sys

from ..io import RecordingError, open_recording
from ..vocabulary.lead_map import map_leads
from .input_options import add_fs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="recording file (WFDB record, EDF/BDF, DICOM, XML, ISHNE, CSV, NumPy …)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_fs(parser)
    parser.add_argument("--format", default=None, help="force a reader (wfdb, edf, dicom, csv, numpy …)")


def _annotation_lines(recording) -> list[str]:
    """One line per annotator (``atr``, ``qrs``, ``edf+`` …) with its counts by type."""
    ann = recording.annotations
    if not len(ann):
        return ["annotations: none"]
    lines = []
    for source in dict.fromkeys(ann.source):
        counts = ann.select(ann.source == source).counts()
        lines.append(f"annotations ({source}): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return lines


def _text(summary: dict, recording) -> str:
    fs = summary["fs"]
    rate = f"{fs:g} Hz" if not isinstance(fs, list) else ", ".join(f"{f:g}" for f in fs) + " Hz"
    lines = [
        f"format:      {summary['format']}",
        f"rate:        {rate}",
        f"leads:       {' '.join(summary['leads'])}",
        f"model leads: {map_leads(recording.lead_names).describe() or 'none (no ECG channel)'}",
        f"samples:     {summary['n_samples']}",
        f"duration:    {summary['duration_s']:.3f} s",
        f"units:       {' '.join(sorted(set(summary['units'])))}",
        f"start time:  {summary['start_time'] or 'unknown'}",
        f"age / sex:   {summary['age'] if summary['age'] is not None else '?'} / {summary['sex'] or '?'}",
    ]
    return "\n".join(lines + _annotation_lines(recording))


def run(args: argparse.Namespace) -> int:
    try:
        recording = open_recording(args.path, fs=args.fs, format=args.format)
        summary = recording.summary()
    except RecordingError as exc:
        print(f"anyecg info: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    print(json.dumps(summary) if args.json else _text(summary, recording))
    return 0
