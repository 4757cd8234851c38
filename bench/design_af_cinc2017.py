"""Design set for the AF rule's thresholds: PhysioNet/CinC 2017 (AliveCor single lead, 300 Hz), AF (A) against
normal (N) and other rhythms (O); noisy (~) records are left out.

Usage:
    python bench/design_af_cinc2017.py features --out /tmp/cinc_af.pkl [--per-class 1200] [--seed 0]
    python bench/design_af_cinc2017.py fit /tmp/cinc_af.pkl

``features`` runs the project's own R-peak detector (:func:`~anyecg_model.signal.rpeaks.detect_r_peaks`) and
P-wave consistency (:mod:`~anyecg_model.signal.atrial`) on every A record and a seeded sample of
``--per-class`` N and O records, and keeps, per RR interval, the windowed irregularity and turning-point ratio
of :func:`~anyecg_model.analysis.af.rr_irregularity` (every beat counted, no beat classes: the view of a
rhythm in which "premature" has no meaning) and the windowed median P-wave consistency. ``fit`` splits the
records by a seeded half (design / check), runs the AF rule alone (no model vote) per interval for a grid of
thresholds, calls a record AF when at least half of its judged intervals are AF, and prints, for the
thresholds that keep the design half's specificity against N+O at least that of the current thresholds (no
new false alarms), the best sensitivity, with their scores on the check half.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import pickle
from pathlib import Path

import numpy as np
import wfdb

from anyecg_model.analysis.af import AfRules, _sliding_median, rr_irregularity
from anyecg_model.signal.atrial import p_wave_consistency
from anyecg_model.signal.rpeaks import detect_r_peaks


def record_features(path: Path, rules: AfRules = AfRules()) -> dict:
    """Per kept RR interval of one record: ``nsd``, ``turning``, ``step`` (its own |ΔRR|/RR), the P-wave
    consistency of its first beat (``p``) and its windowed median (``pmed``)."""
    sig, fields = wfdb.rdsamp(str(path))
    x, fs = sig[:, 0].astype(np.float64), float(fields["fs"])
    peaks = detect_r_peaks(x, fs)
    t = peaks / fs
    irr = rr_irregularity(t, None, rules)
    p = np.nan_to_num(p_wave_consistency(x, fs, peaks), nan=0.0)
    at = np.searchsorted(t, irr.start_s).clip(0, max(len(t) - 1, 0))
    pmed = _sliding_median(p[at], rules.window_rr) if len(at) else np.zeros(0)
    return {"nsd": irr.nsd, "turning": irr.turning, "step": irr.step, "p": p[at] if len(at) else np.zeros(0), "pmed": pmed,
            "n_beats": len(t)}


def features(a: argparse.Namespace) -> None:
    root = a.data / "cinc2017"
    with open(root / "REFERENCE.csv") as fh:
        ref = [(r[0], r[1]) for r in csv.reader(fh)]
    rng = np.random.default_rng(a.seed)
    chosen = [r for r in ref if r[1] == "A"]
    for cls in ("N", "O"):
        pool = [r for r in ref if r[1] == cls]
        chosen += [pool[i] for i in sorted(rng.choice(len(pool), min(a.per_class, len(pool)), replace=False))]
    out = []
    for name, cls in chosen:
        if not (root / f"{name}.hea").exists():
            continue
        out.append({"name": name, "cls": cls, **record_features(root / name)})
    a.out.write_bytes(pickle.dumps(out))
    print(f"{len(out)} records: " + ", ".join(f"{c} {sum(r['cls'] == c for r in out)}" for c in "ANO"))


def rule_share(r: dict, irregular: float, strong: float, turning: tuple[float, float], p_absent: float,
               p_present: float, median_step: float = AfRules().strong_median_step) -> float:
    """The share of a record's judged intervals (a window long enough to judge) that the AF rule calls AF."""
    judged = r["nsd"] > 0
    if not judged.any():
        return 0.0
    rand = (r["turning"] >= turning[0]) & (r["turning"] <= turning[1])
    pervasive = _sliding_median(r["step"], AfRules().window_rr) >= median_step if "step" in r else True
    af = ((r["nsd"] >= strong) & rand & pervasive) | ((r["nsd"] >= irregular) & rand & (r["pmed"] < p_absent))
    af &= r["pmed"] < p_present
    return float(af[judged].mean())


def scores(recs: list[dict], params: tuple) -> dict:
    call = np.array([rule_share(r, *params) >= 0.5 for r in recs])
    is_a = np.array([r["cls"] == "A" for r in recs])
    tp, fp = int((call & is_a).sum()), int((call & ~is_a).sum())
    fp_o = int(sum(c and r["cls"] == "O" for c, r in zip(call, recs)))
    n_o = sum(r["cls"] == "O" for r in recs)
    return {"Se": tp / max(is_a.sum(), 1), "+P": tp / max(tp + fp, 1), "Sp": 1 - fp / max((~is_a).sum(), 1),
            "Sp_O": 1 - fp_o / max(n_o, 1)}


def fit(a: argparse.Namespace) -> None:
    recs = pickle.loads(a.features.read_bytes())
    rng = np.random.default_rng(a.seed)
    half = rng.random(len(recs)) < 0.5
    design = [r for r, h in zip(recs, half) if h]
    check = [r for r, h in zip(recs, half) if not h]
    now = AfRules()
    current = (now.irregular_nsd, now.strong_nsd, now.turning_range, now.p_absent, now.p_present)
    print(f"design {len(design)} records, check {len(check)}")
    print(f"current DS1 thresholds {current}: design {_fmt(scores(design, current))}, "
          f"check {_fmt(scores(check, current))}")
    grid = itertools.product((0.07, 0.08, 0.09, 0.10, 0.11, 0.12), (0.2, 0.25, 0.3),
                             ((0.5, 0.8), (0.45, 0.85), (0.55, 0.8)), (0.4, 0.5, 0.6), (0.6, 0.7, 0.8))
    rows = []
    for irregular, strong, turning, p_absent, p_present in grid:
        if strong < irregular or p_present < p_absent:
            continue
        params = (irregular, strong, turning, p_absent, p_present)
        rows.append((params, scores(design, params)))
    floor = scores(design, current)["Sp"] if a.min_sp is None else a.min_sp
    ok = [r for r in rows if r[1]["Sp"] >= floor]
    ok.sort(key=lambda r: (-r[1]["Se"], -r[1]["Sp"]))
    for params, s in ok[:12]:
        print(f"{params}: design {_fmt(s)}  check {_fmt(scores(check, params))}")


def _fmt(s: dict) -> str:
    return f"Se {s['Se']:.3f} +P {s['+P']:.3f} Sp {s['Sp']:.3f} (O {s['Sp_O']:.3f})"


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("features")
    f.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--per-class", type=int, default=1200)
    f.add_argument("--seed", type=int, default=0)
    g = sub.add_parser("fit")
    g.add_argument("features", type=Path)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--min-sp", type=float, default=None,
                   help="specificity floor on the design half (default: the current thresholds')")
    a = p.parse_args()
    features(a) if a.cmd == "features" else fit(a)


if __name__ == "__main__":
    main()
