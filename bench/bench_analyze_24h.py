"""`anyecg analyze` on a 24-hour two-lead recording joined at run time from all 48 MIT-BIH records.

Usage: python bench/bench_analyze_24h.py [--model DIR] [--device cpu|cuda] [--records 100,101,...] [--fs HZ]
[--lowpass HZ] [--gain G] [--mains HZ --mains-mv MV] [--lead-names A,B]
[--lead-map FILE=SLOT,...] [--keep]

Builds the joined record as WFDB in a temporary folder (never in the repository): channel 0 is each
record's MLII (records 102 and 104 have none; their first channel, V5/V2, fills the lane), channel 1 the
other lead, named V1 although it is V1, V2, V4 or V5 depending on the record. Times ``anyecg analyze``
(wall clock, the subprocess as a user runs it), then scores the episodes it found against the reference
rhythm annotations: episode sensitivity and positive predictivity by overlap for AF/AFL, VT and SVTA,
AF/AFL *time* sensitivity and positive predictivity (seconds of overlap over the reference's and the
detection's AF/AFL seconds), the AF-burden error, and the detected AF burden of each record whose reference
has no AF/AFL (share of its duration). ``--records`` restricts the join (e.g. the DS2 records only);
``--fs`` resamples the join (polyphase, anti-aliased) to another rate first, as a recorder of that rate would
give it: 128 Hz (SVDB, LTAFDB, NSRDB) or 250 Hz (AFDB, European ST-T) for how the findings hold on other
devices' rates. ``--lowpass`` band-limits it (zero-phase 4th-order Butterworth) as a Holter with a 40-Hz
bandwidth records; ``--gain`` scales it (a low-voltage patient, or a recorder's gain error). ``--mains`` adds
mains interference, a sinusoid of ``--mains-mv`` mV peak at 50 or 60 Hz, to both leads (after any resampling),
as an unshielded recorder on a European or American grid picks it up. ``--lead-names`` renames the two channels
(``ECG1,ECG2``: a Holter whose channels have no standard name, analysed lead-agnostic; with ``--gain -1``, one
recorded with its electrodes the other way round); ``--lead-map`` is passed to ``anyecg analyze``. ``--keep`` keeps the joined record and the findings JSON.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import wfdb

from anyecg_model.analysis.episodes import af_burden, episode_scores
from anyecg_model.vocabulary.labels import episode_label, is_af
from anyecg_model.io.writers import write_wfdb

GROUPS = {"AF/AFL": ("AF", "AFL"), "VT": ("VT",), "SVTA": ("SVTA",)}


def overlap_s(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds where spans of ``a`` and of ``b`` overlap (each list sorted and disjoint)."""
    total, j = 0.0, 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            total += max(0.0, min(e, b[k][1]) - max(s, b[k][0]))
            k += 1
    return total


def join(mitdb: Path, records: list[str]) -> tuple[np.ndarray, float, list[tuple[float, float, str]], list]:
    parts, episodes, offset, bounds = [], [], 0, []
    fs = 360.0
    for rec in records:
        sig, fields = wfdb.rdsamp(str(mitdb / rec))
        names = fields["sig_name"]
        order = [names.index("MLII"), 1 - names.index("MLII")] if "MLII" in names else [0, 1]
        parts.append(sig[:, order].T.astype(np.float32))
        ann = wfdb.rdann(str(mitdb / rec), "atr")
        rhythm = [(s, a) for s, sym, a in zip(ann.sample, ann.symbol, ann.aux_note) if sym == "+" and a.startswith("(")]
        n = sig.shape[0]
        for k, (s, a) in enumerate(rhythm):
            stop = rhythm[k + 1][0] if k + 1 < len(rhythm) else n
            episodes.append(((offset + s) / fs, (offset + stop) / fs, episode_label(a)))
        bounds.append((rec, offset / fs, (offset + n) / fs))
        offset += n
    return np.concatenate(parts, axis=1), fs, episodes, bounds


def resampled(data: np.ndarray, fs: float, to_fs: float) -> tuple[np.ndarray, float]:
    """``data`` (leads, n) at ``fs`` Hz resampled to ``to_fs`` Hz by a polyphase anti-aliasing filter."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    ratio = Fraction(to_fs / fs).limit_denominator(1000)
    out = resample_poly(data, ratio.numerator, ratio.denominator, axis=1).astype(np.float32)
    return out, fs * ratio.numerator / ratio.denominator


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--records", default=None)
    p.add_argument("--fs", type=float, default=None, help="resample the join to this rate (Hz) first")
    p.add_argument("--lowpass", type=float, default=None, help="low-pass the join at this frequency (Hz)")
    p.add_argument("--gain", type=float, default=1.0, help="scale the join's amplitudes by this factor")
    p.add_argument("--mains", type=float, default=None, help="add mains interference at this frequency (Hz)")
    p.add_argument("--mains-mv", type=float, default=0.1, help="its amplitude, mV peak")
    p.add_argument("--lead-names", default="MLII,V1", help="names of the two channels written")
    p.add_argument("--lead-map", default=None, help="passed to anyecg analyze (e.g. ECG1=II)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = p.parse_args()
    mitdb = a.data / "mitdb"
    records = a.records.split(",") if a.records else sorted(x.stem for x in mitdb.glob("*.hea"))
    data, fs, ref, bounds = join(mitdb, records)
    if a.fs and a.fs != fs:
        data, fs = resampled(data, fs, a.fs)
    if a.lowpass:
        from scipy.signal import butter, sosfiltfilt

        data = sosfiltfilt(butter(4, a.lowpass, fs=fs, output="sos"), data, axis=1).astype(np.float32)
    data *= a.gain
    if a.mains:
        data += (a.mains_mv * np.sin(2 * np.pi * a.mains * np.arange(data.shape[1]) / fs)).astype(np.float32)
    tmp = Path(tempfile.mkdtemp(prefix="anyecg24h-"))
    hea = write_wfdb(data, tmp / "joined", fs=fs, lead_names=a.lead_names.split(","))
    del data
    out = tmp / "findings.json"
    cmd = [sys.executable, "-m", "anyecg_model.cli", "analyze", str(hea), "--device", a.device, "--json", str(out)]
    if a.model:
        cmd += ["--model", a.model]
    if a.lead_map:
        cmd += ["--lead-map", a.lead_map]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    f = json.loads(out.read_text())
    det = [(e["start_s"], e["end_s"], e["label"]) for e in f["rhythm"]["episodes"]]
    print(f"records: {len(records)}  duration: {f['duration_s'] / 3600:.2f} h  beats: {f['summary']['n_beats']}")
    print(f"anyecg analyze wall time: {wall:.1f} s ({a.device})")
    print("| episodes | Se | +P | reference | detected |")
    print("|---|---|---|---|---|")
    for name, labels in GROUPS.items():
        s = episode_scores(ref, det, labels)
        print(f"| {name} | {s['Se']:.3f} | {s['+P']:.3f} | {s['n_ref']} | {s['n_det']} |")
    ref_af = [(a, b) for a, b, lab in ref if is_af(lab)]
    det_af = [(a, b) for a, b, lab in det if is_af(lab)]
    both = overlap_s(ref_af, det_af)
    ref_t, det_t = sum(b - a for a, b in ref_af), sum(b - a for a, b in det_af)
    print(f"AF/AFL time: Se {both / max(ref_t, 1e-9):.3f}  +P {both / max(det_t, 1e-9):.3f}  "
          f"(reference {ref_t:.0f} s, detected {det_t:.0f} s)")
    ref_b, det_b = af_burden(ref), f["summary"]["af_burden"]
    print(f"AF burden: reference {ref_b:.4f}, detected {det_b:.4f}, error {det_b - ref_b:+.4f}")
    print(f"unreadable: {sum(u['end_s'] - u['start_s'] for u in f['signal_quality']['unreadable']):.0f} s")
    for rec, t0, t1 in bounds:
        if not overlap_s([(t0, t1)], ref_af):
            burden = overlap_s([(t0, t1)], det_af) / (t1 - t0)
            print(f"record {rec} (no AF in reference): detected AF burden {100 * burden:.2f} %")
    if a.keep:
        print(f"kept: {tmp}")
    else:
        for x in tmp.iterdir():
            x.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
