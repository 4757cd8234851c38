"""Build the 24-hour Holter the user guide uses: the 48 MIT-BIH records joined, as EDF+ or WFDB.

``anyecg demo --holter OUT.edf [--records 100 101 …] [--data DIR]``. The records come from the unpacked
project data (``$ANYECG_DATA``, else ``~/.cache/anyecg/data``; ``../shared/data/unpack.sh`` is run once
when they are not unpacked yet) or from ``--data``. ``OUT.edf``/``OUT.bdf`` hold the reference annotations
inside (EDF+); ``OUT.hea`` (WFDB) gets them in ``OUT.atr`` beside it. Missing data prints one line
``anyecg demo: <folder>: <what to do>`` on stderr and exits with status 1.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ..io.recording import RecordingError

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--holter", metavar="OUT", required=True,
                        help="write the joined MIT-BIH Holter here: .edf/.bdf (EDF+ with annotations) or .hea (WFDB + .atr)")
    parser.add_argument("--records", nargs="+", metavar="REC", default=None,
                        help="join only these MIT-BIH records, in this order (default: all 48 in record order, 24.07 h)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="folder of the MIT-BIH .hea/.dat/.atr files, or one holding a mitdb folder")


def run(args: argparse.Namespace) -> int:
    from ..io.writers import write_edf, write_wfdb
    from ..mitdb_join import MITDB_RECORDS, find_mitdb, join_mitdb

    out = Path(args.holter)
    suffix = out.suffix.lower()
    if suffix not in (".edf", ".bdf", ".hea"):
        print(f"anyecg demo: {out}: choose .edf, .bdf (EDF+) or .hea (WFDB) as the output", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        recording = join_mitdb(find_mitdb(args.data), args.records or MITDB_RECORDS)
        log.info("writing %d records, %.2f h, %d annotations to %s", len(args.records or MITDB_RECORDS),
                 recording.duration_s / 3600, len(recording.annotations), out)
        written = write_wfdb(recording, out) if suffix == ".hea" else write_edf(recording, out)
    except RecordingError as exc:
        print(f"anyecg demo: {exc}".replace("\n", " "), file=sys.stderr)
        return 1
    beats = int(recording.annotations.beat_mask().sum())
    print(f"{written}: {recording.duration_s / 3600:.2f} h, leads {' '.join(recording.lead_names)} at "
          f"{recording.fs:g} Hz, {beats} reference beats ({time.perf_counter() - t0:.0f} s)")
    for line in recording.comments[1:]:
        print(f"  {line}; each record's leads are in a comment annotation at its start")
    return 0
