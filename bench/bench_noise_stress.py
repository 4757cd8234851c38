"""Noise stress test (after ANSI/AAMI EC57 and the MIT-BIH Noise Stress Test Database): real electrode noise added
to MIT-BIH records at falling signal-to-noise ratios, the analysis' beats and episodes scored in the noisy stretches.

Usage: python bench/bench_noise_stress.py [--records 118,119,...] [--noise ma,bw] [--snr 24,18,12,6,0,-6]

As in NSTDB, the noise is added to both leads from minute 5 on, in alternating 2-minute stretches noisy and clean
(the first 5 minutes clean, for the analysis' own templates); the noise records are the project's copies of
NSTDB's muscle artefact (``ma``) and baseline wander (``bw``), both recorded at 360 Hz with MIT-BIH's gain.
SNR (dB) = 10 log10(S / N), S = (median QRS peak-to-peak of the lead)² / 8 over the record's reference beats
(EC57's signal power: a sinusoid of that peak-to-peak), N = mean squared noise over the noisy stretches. Scored
only in the noisy stretches, against the reference beats (matched within 150 ms): V Se / +P (V calls on
reference beats of other classes, and on no reference beat, count against +P), beats not judged (reference
beats inside what the quality gate calls unreadable: no label is reported there, by design), V calls per noisy
minute, false VT episodes (starting in the noisy stretches, overlapping no reference VT), AF time starting there
on the records without AF, and the seconds of the whole records the gate calls unreadable. Records 118 and 119
are NSTDB's own (MIT-BIH DS1, which the beat trees were trained on); DS2 records (e.g. 214, 221, 233) are held
out. Noise levels of NSTDB: 24, 18, 12, 6, 0 and -6 dB. The first row is the records without noise.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import wfdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.analysis.analyzer import Analyzer  # noqa: E402
from anyecg_model.io.recording import Recording  # noqa: E402
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASSES, episode_label, is_af  # noqa: E402

DATA = Path.home() / ".cache" / "anyecg" / "data"
TOL_S = 0.15
CLEAN_S, STRETCH_S = 300.0, 120.0


def noisy_mask(n: int, fs: float) -> np.ndarray:
    """Samples that get noise: from CLEAN_S on, alternating STRETCH_S noisy and clean."""
    t = np.arange(n) / fs
    return (t >= CLEAN_S) & (((t - CLEAN_S) // STRETCH_S) % 2 == 0)


def qrs_ptp(x: np.ndarray, beats: np.ndarray, fs: float) -> float:
    """Median peak-to-peak (mV) in ±60 ms around the reference beats."""
    h = int(0.06 * fs)
    vals = [np.ptp(x[max(0, b - h): b + h]) for b in beats[:2000]]
    return float(np.median(vals))


def scaled_noise(sig: np.ndarray, noise: np.ndarray, beats: np.ndarray, fs: float, snr_db: float,
                 mask: np.ndarray) -> np.ndarray:
    """Noise per lead, scaled to ``snr_db`` against that lead's QRS power, zero outside ``mask``."""
    out = np.zeros_like(sig)
    for k in range(sig.shape[0]):
        s = qrs_ptp(sig[k], beats, fs) ** 2 / 8.0
        nz = noise[k % noise.shape[0], : sig.shape[1]] - np.mean(noise[k % noise.shape[0]])
        p = float(np.mean(nz[mask] ** 2))
        out[k] = np.where(mask, nz * np.sqrt(s / (p * 10 ** (snr_db / 10.0))), 0.0)
    return out


def score(findings, ref_t: np.ndarray, ref_y: np.ndarray, ref_vt: list[tuple[float, float]], noisy_s, fs: float):
    """Counts over the noisy stretches: reference V beats, found, V calls, right ones, reference beats not judged,
    false VT episodes, AF seconds, unreadable seconds (whole record), reference beats, noisy minutes."""
    def in_noise(t):
        return noisy_s[np.clip((np.asarray(t) * fs).astype(int), 0, len(noisy_s) - 1)]

    b = findings.beats
    bt, bl = np.asarray(b.time_s), np.asarray(b.label)
    sel = in_noise(bt)
    bt, bl = bt[sel], bl[sel]
    rsel = in_noise(ref_t)
    rt, ry = ref_t[rsel], ref_y[rsel]
    j = np.clip(np.searchsorted(bt, rt), 1, max(1, len(bt) - 1)) if len(bt) else np.zeros(len(rt), int)
    if len(bt):
        j = np.where(np.abs(bt[j - 1] - rt) <= np.abs(bt[j] - rt), j - 1, j)
        ok = np.abs(bt[j] - rt) <= TOL_S
    else:
        ok = np.zeros(len(rt), bool)
    V = BEAT_CLASSES.index("V")
    ref_v = ry == V
    found = ref_v & ok & (bl[j] == V if len(bt) else False)
    calls = bl == V
    right = np.zeros(len(bt), bool)
    right[j[found]] = True
    bad = np.array([(u.start_s, u.end_s) for u in findings.unreadable]).reshape(-1, 2)
    unjudged = int(sum(np.sum((rt >= a) & (rt < e)) for a, e in bad))
    vt = [(e.start_s, e.end_s) for e in findings.episodes or [] if e.label == "VT" and in_noise([e.start_s])[0]]
    false_vt = sum(not any(a < e1 and z > e0 for a, z in ref_vt) for e0, e1 in vt)
    af_s = sum(e.end_s - e.start_s for e in findings.episodes or [] if is_af(e.label) and in_noise([e.start_s])[0])
    unread = float(sum(e - a for a, e in bad))
    minutes = float(noisy_s.sum()) / fs / 60.0
    return np.array([ref_v.sum(), found.sum(), calls.sum(), right.sum(), unjudged, false_vt, af_s, unread,
                     len(rt), minutes], float)


def run(analyzer, names: list[str], data: Path, noise: np.ndarray | None, snr: float | None) -> np.ndarray:
    """Summed :func:`score` counts over ``names`` with ``noise`` at ``snr`` dB (None: clean)."""
    tot = np.zeros(10)
    for name in names:
        rec = wfdb.rdrecord(str(data / "mitdb" / name))
        ann = wfdb.rdann(str(data / "mitdb" / name), "atr")
        fs, sig = float(rec.fs), rec.p_signal.T.astype(np.float64)
        sym = np.asarray(ann.symbol, object)
        keep = np.array([s in BEAT_CLASS for s in sym])
        beats = np.asarray(ann.sample)[keep]
        y = np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in sym[keep]])
        mask = noisy_mask(sig.shape[1], fs)
        x = sig if noise is None else sig + scaled_noise(sig, noise, beats, fs, snr, mask)
        r = Recording.from_array(x.astype(np.float32), fs, list(rec.sig_name), path=f"<{name}>")
        f = analyzer.analyze(r, ("arrhythmia", "events"))
        rhythm = [(s / fs, a) for s, yy, a in zip(ann.sample, ann.symbol, ann.aux_note)
                  if yy == "+" and a.startswith("(")]
        ref_vt = [(t0, rhythm[k + 1][0] if k + 1 < len(rhythm) else sig.shape[1] / fs)
                  for k, (t0, a) in enumerate(rhythm) if episode_label(a) == "VT"]
        s = score(f, beats / fs, y, ref_vt, mask, fs)
        if any(is_af(a) for _, a in rhythm):
            s[6] = 0.0  # AF time is counted on records without AF only
        tot += s
    return tot


def row(label: str, snr: str, t: np.ndarray) -> str:
    se = t[1] / t[0] if t[0] else float("nan")
    ppv = t[3] / t[2] if t[2] else float("nan")
    return (f"| {label} | {snr} | {se:.3f} / {ppv:.3f} | {t[2] / t[9]:.1f} | {int(t[4])} of {int(t[8])} | "
            f"{int(t[5])} | {t[6]:.0f} | {t[7]:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", default="118,119")
    ap.add_argument("--noise", default="ma,bw")
    ap.add_argument("--snr", default="24,18,12,6,0,-6")
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    analyzer = Analyzer(device="cpu")
    names = [n.strip() for n in args.records.split(",") if n.strip()]
    print(f"records {', '.join(names)}; noisy stretches from minute 5, 2 min noisy / 2 min clean")
    print("| noise | SNR dB | V Se / +P | V calls per noisy min | reference beats not judged | false VT | "
          "AF s (records without AF) | unreadable s |")
    print("|---|---|---|---|---|---|---|---|")
    print(row("none (clean)", "—", run(analyzer, names, args.data, None, None)), flush=True)
    for kind in args.noise.split(","):
        noise = wfdb.rdrecord(str(args.data / "noise" / kind)).p_signal.T.astype(np.float64)
        for snr in (float(v) for v in args.snr.split(",")):
            print(row(kind, f"{snr:g}", run(analyzer, names, args.data, noise, snr)), flush=True)


if __name__ == "__main__":
    main()
