"""Paced beats on 12-lead ECGs sampled at 500 Hz, where the pacing stimulus survives: PTB-XL's 500 records and
LUDB's 200, each ECG's pacemaker as its database states it (PTB-XL: SCP code PACE or the 'pacemaker' column;
LUDB: the 'Cardiac pacing' column, 'P-synchrony' included).

Usage: python bench/bench_paced_beats.py [--data ~/.cache/anyecg/data]

Prints per database, for the paced ECGs and the others: ECGs, beats, beats called P (paced) and V, ECGs with any
beat called P, and the paced ECGs whose verdict note names the paced beats. There are no beat-level references:
every beat of a paced ECG is counted as paced, though some are native (PTB-XL 382 shows a stimulus before 3 of
its 13 beats, LUDB 95 before 5 of 11), so the share called P is a lower bound of the paced beats found.
"""
from __future__ import annotations

import argparse
import ast
import collections
import csv
import logging
from pathlib import Path

import numpy as np

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io.registry import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASSES

P, V = BEAT_CLASSES.index("P"), BEAT_CLASSES.index("V")


def ptbxl(root: Path):
    """(name, path, paced) of PTB-XL's records."""
    for r in csv.DictReader(open(root / "ptbxl_database.csv")):
        paced = "PACE" in ast.literal_eval(r["scp_codes"]) or bool(r["pacemaker"].strip())
        yield r["ecg_id"], root / (r["filename_hr"] + ".hea"), paced


def ludb(root: Path):
    """(name, path, paced) of LUDB's records."""
    for r in csv.DictReader(open(root / "ludb.csv")):
        yield r["ID"], root / "data" / f"{r['ID']}.hea", bool(r["Cardiac pacing"].strip())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    analyzer = Analyzer(None, device="cpu")
    keys = ["ECGs", "beats", "called P", "called V", "ECGs with a P beat", "verdict note names paced beats"]
    print("| database, ECGs | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, records in (("PTB-XL", ptbxl(a.data / "ptbxl500")), ("LUDB", ludb(a.data / "ludb"))):
        count = {k: collections.Counter() for k in (True, False)}
        for _, path, paced in records:
            f = analyzer.analyze(open_recording(path), ("arrhythmia", "events"))
            label, c = np.asarray(f.beats.label), count[paced]
            c["ECGs"] += 1
            c["beats"] += len(label)
            c["called P"] += int(np.sum(label == P))
            c["called V"] += int(np.sum(label == V))
            c["ECGs with a P beat"] += bool(np.any(label == P))
            note = f.rhythm_verdict.note if f.rhythm_verdict is not None else None
            c["verdict note names paced beats"] += bool(note and "paced" in note)
        for paced in (True, False):
            print(f"| {name}, {'paced' if paced else 'not paced'} | "
                  + " | ".join(str(count[paced][k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
