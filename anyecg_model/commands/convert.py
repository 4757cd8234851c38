"""Convert a recording to WFDB, EDF+/BDF+ or CSV, keeping its annotations.

``anyecg convert IN OUT``: the output format follows OUT's extension (``.hea``/``.dat`` or none →
WFDB format 16, ``.edf`` → EDF+, ``.bdf`` → BDF+, ``.csv`` → CSV).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..io import RecordingError, open_recording
from ..io.writers import write_csv, write_edf, write_wfdb

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="any readable recording")
    parser.add_argument("output", help="output path: rec.hea / rec.dat / rec (WFDB), .edf, .bdf or .csv")
    parser.add_argument("--fs", type=float, default=None, help="input sampling rate in Hz for formats that lack one")
    parser.add_argument("--format", default=None, help="force the input reader (wfdb, edf, dicom, csv …)")
    parser.add_argument("--gain", type=float, default=None,
                        help="WFDB ADC units per mV (default: the input's own ADC step, else 1000)")


def output_writer(path: Path):
    """The writer for an output path, by extension."""
    suffix = path.suffix.lower()
    if suffix in (".edf", ".bdf"):
        return write_edf
    if suffix == ".csv":
        return write_csv
    if suffix in (".hea", ".dat", ""):
        return write_wfdb
    raise RecordingError(path, f"cannot write {suffix!r} files (use .hea/.dat, .edf, .bdf or .csv)")


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    try:
        writer = output_writer(out)
        recording = open_recording(args.input, fs=args.fs, format=args.format)
        kwargs = {"gain": args.gain} if writer is write_wfdb and args.gain else {}
        written = writer(recording, out, **kwargs)
    except (RecordingError, OSError) as exc:
        print(f"anyecg convert: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    log.info("wrote %s (%d leads, %.1f s, %d annotations)", written, len(recording.leads),
             recording.duration_s, len(recording.annotations))
    return 0
