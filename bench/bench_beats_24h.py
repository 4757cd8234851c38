"""Beat labels of `anyecg analyze` on the 24-h MIT-BIH join, scored per record group against the reference.

    python -m anyecg_model.cli analyze /tmp/h24/join.hea --json findings.json        # the real path
    python bench/bench_beats_24h.py findings.json [more.json ...] [--data ~/.cache/anyecg/data]

The join (:mod:`anyecg_model.mitdb_join`, or bench_analyze_24h.py's) holds the 48 records end to end in record
order, so each record's reference beats sit at its offset. Detected beats are matched to reference beats
within 150 ms (nearest, one to one in time order); per class Se (reference beats of the class detected and
given that class) and +P (beats given the class that match a reference beat of it), over the DS2 records
(Q reference beats left out, as in the cache benchmarks), plus the share of each paced record's paced beats
called P and called V, and the VT / SVTA runs and paced rhythm (PACED; MIT-BIH ``(P``) against the reference
rhythm annotations (episode counts and overlap Se / +P, as bench_analyze_24h.py).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import wfdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.analysis.episodes import episode_scores  # noqa: E402
from anyecg_model.train.beat_fusion_train import MITDB_DS2, MITDB_PACED  # noqa: E402
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASSES, episode_label  # noqa: E402

TOL_S = 0.15


def reference_label(code: str) -> str:
    """Episode label of a MIT-BIH rhythm code for scoring: the episode head's (:func:`episode_label`), except the
    paced rhythm ``(P``, which the head has no class for (OTHER) but the analysis reports from its paced beats as
    PACED."""
    return "PACED" if code.strip("\x00").strip().lstrip("(") == "P" else episode_label(code)


def reference(mitdb: Path) -> tuple[dict[str, tuple[float, np.ndarray, np.ndarray]], list]:
    """Per record: (start s, end s, beat times s in the join, class indices; −1 outside the vocabulary), and the
    reference rhythm episodes of the whole join."""
    out, episodes, offset = {}, [], 0.0
    for hea in sorted(mitdb.glob("*.hea")):
        rec = hea.stem
        head = wfdb.rdheader(str(mitdb / rec))
        fs, n = float(head.fs), int(head.sig_len)
        ann = wfdb.rdann(str(mitdb / rec), "atr")
        sym = np.asarray(ann.symbol, object)
        beat = np.array([s in BEAT_CLASS for s in sym])
        label = np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) for s in sym[beat]], np.int64)
        out[rec] = (offset, offset + n / fs, offset + np.asarray(ann.sample)[beat] / fs, label)
        rhythm = [(s, a) for s, y, a in zip(ann.sample, ann.symbol, ann.aux_note) if y == "+" and a.startswith("(")]
        for k, (s, a) in enumerate(rhythm):
            stop = rhythm[k + 1][0] if k + 1 < len(rhythm) else n
            episodes.append((offset + s / fs, offset + stop / fs, reference_label(a)))
        offset += n / fs
    return out, episodes


def match(ref_t: np.ndarray, det_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (reference, detected) of beats within TOL_S, nearest first, each beat used once."""
    j = np.clip(np.searchsorted(det_t, ref_t), 1, max(1, len(det_t) - 1))
    if len(det_t) < 2:
        j = np.zeros(len(ref_t), np.int64)
    j = np.where(np.abs(det_t[j - 1] - ref_t) < np.abs(det_t[j] - ref_t), j - 1, j) if len(det_t) > 1 else j
    ok = np.abs(det_t[j] - ref_t) <= TOL_S if len(det_t) else np.zeros(len(ref_t), bool)
    ri, di = np.flatnonzero(ok), j[ok]
    _, first = np.unique(di, return_index=True)  # a detected beat matches one reference beat only
    return ri[first], di[first]


def score(findings: dict, ref: dict, episodes: list) -> None:
    beats = findings["beats"]
    t = np.array([b["time_s"] for b in beats])
    lab = np.array([BEAT_CLASSES.index(b["label"]) for b in beats], np.int64)
    print(f"\n{findings['model']}")
    q = BEAT_CLASSES.index("Q")
    tp, n_ref, n_det = (np.zeros(len(BEAT_CLASSES)) for _ in range(3))
    for rec in MITDB_DS2:
        t0, t1, rt, rl = ref[rec]
        dl = lab[(t >= t0) & (t < t1)]
        ri, di = match(rt, t[(t >= t0) & (t < t1)])
        keep = (rl[ri] >= 0) & (rl[ri] != q)
        counted = np.setdiff1d(np.arange(len(dl)), di[~keep])  # calls on Q / unknown reference beats left out
        for k in range(len(BEAT_CLASSES)):
            tp[k] += np.sum((rl[ri][keep] == k) & (dl[di][keep] == k))
            n_ref[k] += np.sum(rl == k) if k != q else 0
            n_det[k] += np.sum(dl[counted] == k)  # unmatched calls count against +P
    print(f"DS2 beats ({int(n_ref.sum())} reference, Q out): " + ", ".join(
        f"{c} Se {tp[k] / max(n_ref[k], 1):.3f} +P {tp[k] / max(n_det[k], 1):.3f}"
        for k, c in enumerate(BEAT_CLASSES) if c not in ("Q", "P")) + f"; P calls on DS2 beats {int(n_det[-1])}")
    p, v = BEAT_CLASSES.index("P"), BEAT_CLASSES.index("V")
    for rec in MITDB_PACED:
        t0, t1, rt, rl = ref[rec]
        sel = np.flatnonzero((t >= t0) & (t < t1))
        ri, di = match(rt, t[sel])
        paced = rl[ri] == p
        print(f"paced {rec} (a training record): {int(paced.sum())} matched paced beats, called P "
              f"{np.mean(lab[sel][di][paced] == p):.3f}, called V {np.mean(lab[sel][di][paced] == v):.3f}")
    det = [(e["start_s"], e["end_s"], e["label"]) for e in findings["rhythm"]["episodes"]]
    for name in ("VT", "SVTA", "PACED"):
        s = episode_scores(episodes, det, (name,))
        print(f"{name} episodes: reference {s['n_ref']}, detected {s['n_det']}, Se {s['Se']:.3f}, +P {s['+P']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("findings", nargs="+", type=Path)
    ap.add_argument("--data", type=Path, default=Path.home() / ".cache" / "anyecg" / "data")
    a = ap.parse_args()
    ref, episodes = reference(a.data / "mitdb")
    for f in a.findings:
        score(json.loads(f.read_text()), ref, episodes)


if __name__ == "__main__":
    main()
