"""Findings of normal 10-s ECGs with a stretch of lost signal (a lead-off on every lead), against the same ECGs
whole: a lead-off must not read as a rhythm.

Usage: python bench/bench_signal_loss.py [--records 30] [--data ~/.cache/anyecg/data]

Takes PTB-XL's records coded normal ECG (NORM) in sinus rhythm (SR), skipping the first ten (looked at while the
fix was designed), and analyses each whole and with 4 stretches set to 0 mV on every lead (3-7 s, 3.4-7.3 s,
1.6-4.2 s, 5.5-8.1 s: aligned and not aligned with the quality gate's 1-s blocks). Prints, for the whole and the
lost ECGs, the record-level rhythm verdicts (normal, other, AF, noisy / not judged), the wrong ones (other or AF)
stated with a confidence of at least 0.8, the ECGs whose 10-s window lane holds anything but sinus rhythm, and the
beats called S or V.
"""
from __future__ import annotations

import argparse
import collections
import csv
import logging
from pathlib import Path

import numpy as np

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io.recording import Recording
from anyecg_model.io.registry import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASSES

LOST_S = ((3.0, 7.0), (3.4, 7.3), (1.6, 4.2), (5.5, 8.1))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--records", type=int, default=30)
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = a.data / "ptbxl500"
    rows = [r for r in csv.DictReader(open(root / "ptbxl_database.csv"))
            if "'NORM'" in r["scp_codes"] and "'SR'" in r["scp_codes"]][10:10 + a.records]
    analyzer = Analyzer(None, device="cpu")
    ectopic = [BEAT_CLASSES.index("S"), BEAT_CLASSES.index("V")]
    count = {k: collections.Counter() for k in ("whole", "lost")}
    for row in rows:
        rec = open_recording(root / (row["filename_hr"] + ".hea"))
        x = rec.read()
        for lost in ((0.0, 0.0),) + LOST_S:
            y = x.copy()
            y[:, int(lost[0] * rec.fs):int(lost[1] * rec.fs)] = 0.0
            f = analyzer.analyze(Recording.from_array(y, rec.fs, list(rec.lead_names), path=f"{row['ecg_id']}.hea"),
                                 ("arrhythmia", "events"))
            c, v = count["lost" if lost[1] else "whole"], f.rhythm_verdict
            c["ECGs"] += 1
            c[f"verdict {v.label}"] += 1
            c["wrong verdict at >= 0.8"] += v.label in ("O", "A") and v.confidence >= 0.8
            c["window lane not all sinus"] += any(e.label != "NSR" for e in f.episodes)
            c["beats"] += len(f.beats.label)
            c["beats called S or V"] += int(np.isin(f.beats.label, ectopic).sum())
    keys = ["ECGs", "verdict N", "verdict O", "verdict A", "verdict ~", "wrong verdict at >= 0.8",
            "window lane not all sinus", "beats", "beats called S or V"]
    print(f"| {len(rows)} PTB-XL NORM + SR ECGs | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, c in count.items():
        print(f"| {name} | " + " | ".join(str(c[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
