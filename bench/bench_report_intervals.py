"""Report intervals (PR, QRS, QT on lead II) against LUDB's cardiologist delineation of lead II.

Usage: ``python bench/bench_report_intervals.py [N_RECORDS]`` (reads ~/.cache/anyecg/data/ludb).
QRS duration is not printed by reports (see ``anyecg_model/report/measurements.py``).
Prints, per interval, how often the report prints a value and the median / 90th-percentile absolute
error of printed values against the reference median over annotated beats (ms).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import wfdb

from anyecg_model.report.measurements import measure_resting_ecg
from anyecg_model.report.strips import baseline_corrected
from anyecg_model.report.twelve_lead import TwelveLeadConfig

#: The 12-lead report measures the rhythm strip after its display high-pass; so does this benchmark.
HIGHPASS_HZ = TwelveLeadConfig().highpass_hz

LUDB = Path(os.environ.get("ANYECG_DATA", Path.home() / ".cache/anyecg/data")) / "ludb" / "data"


def reference(record: str, fs: float) -> dict[str, float]:
    """Median PR/QRS/QT (ms) from LUDB lead II waves: '(' onset, 'p'/'N'/'t' peak, ')' offset."""
    ann = wfdb.rdann(str(LUDB / record), "ii")
    waves = []
    sym, smp = ann.symbol, ann.sample
    for k, s in enumerate(sym):
        if s in "pNt" and 0 < k < len(sym) - 1 and sym[k - 1] == "(" and sym[k + 1] == ")":
            waves.append((s, smp[k - 1], smp[k + 1]))
    pr, qrs, qt = [], [], []
    for k, (s, on, off) in enumerate(waves):
        if s != "N":
            continue
        qrs.append(off - on)
        if k > 0 and waves[k - 1][0] == "p":
            pr.append(on - waves[k - 1][1])
        if k + 1 < len(waves) and waves[k + 1][0] == "t":
            qt.append(waves[k + 1][2] - on)
    ms = 1000.0 / fs
    return {name: float(np.median(v)) * ms for name, v in (("pr", pr), ("qrs", qrs), ("qt", qt)) if v}


def main(n: int) -> None:
    errors: dict[str, list[float]] = {"pr": [], "qt": []}
    printed = {k: 0 for k in errors}
    counted = {k: 0 for k in errors}
    for rec in range(1, n + 1):
        sig, fields = wfdb.rdsamp(str(LUDB / str(rec)), channel_names=["ii"])
        fs = float(fields["fs"])
        ref = reference(str(rec), fs)
        m = measure_resting_ecg(baseline_corrected(sig[:, 0], fs, HIGHPASS_HZ), fs)
        for name in errors:
            if name not in ref:
                continue
            counted[name] += 1
            value = getattr(m, f"{name}_ms")
            if value is not None:
                printed[name] += 1
                errors[name].append(abs(value - ref[name]))
    print(f"LUDB records 1..{n}, lead II, report intervals vs reference delineation")
    print(f"{'interval':>8} {'printed':>9} {'median |err| ms':>16} {'p90 |err| ms':>13}")
    for name, e in errors.items():
        e_arr = np.array(e)
        med = f"{np.median(e_arr):.0f}" if e_arr.size else "-"
        p90 = f"{np.percentile(e_arr, 90):.0f}" if e_arr.size else "-"
        print(f"{name.upper():>8} {printed[name]:>4}/{counted[name]:<4} {med:>16} {p90:>13}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
