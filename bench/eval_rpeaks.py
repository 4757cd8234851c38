"""R-peak detection on all 48 MIT-BIH records: sensitivity and positive predictivity (150 ms window).

Usage: python bench/eval_rpeaks.py [DATA_DIR]   (default ~/.cache/anyecg/data)
Prints one row per record and the gross totals (every beat counted once across records), once counting
every sample and once as ANSI/AAMI EC57 does for QRS detection, leaving out ventricular flutter and
fibrillation: the ``(VFL``/``(VF`` rhythm episodes and ``[``…``]`` spans (only record 207 has them), where
the reference annotates flutter waves, not beats.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import wfdb
from wfdb.processing import compare_annotations

from anyecg_model.signal.rpeaks import detect_r_peaks
from anyecg_model.vocabulary.labels import BEAT_SYMBOLS


def flutter_spans(ann) -> list[tuple[int, int]]:
    """Sample spans of ventricular flutter/fibrillation: ``(VFL``/``(VF`` episodes and ``[``…``]`` marks."""
    spans, start = [], None
    for sample, sym, aux in zip(ann.sample, ann.symbol, ann.aux_note):
        rhythm = aux.strip("\x00") if sym == "+" else None
        if start is None and (sym == "[" or rhythm in ("(VFL", "(VF")):
            start = sample
        elif start is not None and (sym == "]" or (rhythm is not None and rhythm not in ("(VFL", "(VF"))):
            spans.append((start, sample))
            start = None
    if start is not None:
        spans.append((start, int(ann.sample[-1]) + 1))
    return spans


def outside(x: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    keep = np.ones(len(x), bool)
    for a, b in spans:
        keep &= (x < a) | (x >= b)
    return x[keep]


def main(data: Path) -> None:
    mitdb = data / "mitdb"
    records = sorted(p.stem for p in mitdb.glob("*.hea"))
    tp = fp = fn = 0
    ec57 = np.zeros(3, np.int64)  # tp, fp, fn without ventricular flutter
    t0 = time.perf_counter()
    print(f"{'record':>6} {'beats':>6} {'Se':>7} {'+P':>7}")
    for rec in records:
        sig, fields = wfdb.rdsamp(str(mitdb / rec), channels=[0])
        ann = wfdb.rdann(str(mitdb / rec), "atr")
        ref = np.array([s for s, sym in zip(ann.sample, ann.symbol) if sym in BEAT_SYMBOLS])
        fs = fields["fs"]
        det = detect_r_peaks(sig[:, 0], fs)
        cmp = compare_annotations(ref, det, int(0.15 * fs))
        tp += cmp.tp
        fp += cmp.fp
        fn += cmp.fn
        print(f"{rec:>6} {len(ref):>6} {cmp.tp / max(1, cmp.tp + cmp.fn):7.4f} {cmp.tp / max(1, cmp.tp + cmp.fp):7.4f}",
              flush=True)
        spans = flutter_spans(ann)
        if spans:
            cmp = compare_annotations(outside(ref, spans), outside(det, spans), int(0.15 * fs))
        ec57 += (cmp.tp, cmp.fp, cmp.fn)
    print(f"{'total':>6} {tp + fn:>6} {tp / (tp + fn):7.4f} {tp / (tp + fp):7.4f}   ({time.perf_counter() - t0:.0f} s)")
    t, f, n = ec57
    print(f"{'EC57':>6} {t + n:>6} {t / (t + n):7.4f} {t / (t + f):7.4f}   (ventricular flutter left out)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.home() / ".cache/anyecg/data")
