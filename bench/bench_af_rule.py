"""The AF detector alone, re-run cheaply on cached chunk outputs of a MIT-BIH join.

Usage:
    python bench/bench_af_rule.py cache --records 100,103,... --out /tmp/ds2.pkl   # runs the model once
    python bench/bench_af_rule.py score /tmp/ds2.pkl [--rules '{"irregular_nsd": 0.1}'] [--per-record]

``cache`` joins the records as :mod:`bench_analyze_24h` does (same leads, same reference rhythm), runs the
shipped model over it in this process (the analyzer's own chunks) and pickles the chunk results with the
reference and the record bounds (outside the repository). ``score`` rebuilds the findings from the cache
through the one :class:`~anyecg_model.analysis.builder.FindingsBuilder` with the given
:class:`~anyecg_model.analysis.af.AfRules` (JSON of the fields to change) and prints the same AF/AFL scores as
``bench_analyze_24h.py``: time Se / +P, episodes, burden, and the detected AF burden of each record whose
reference has no AF/AFL. Re-scoring takes seconds, so the AF rule can be studied without re-running the model;
the numbers equal ``anyecg analyze``'s on the same join as long as the model and the chunk work are unchanged
(DS2 join, 2026-12-07: the same 0.463 / 0.920 time Se / +P, 35 episodes and per-record burdens).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analyze_24h import join, overlap_s  # noqa: E402

from anyecg_model.analysis.af import AfRules  # noqa: E402
from anyecg_model.analysis.episodes import af_burden, episode_scores  # noqa: E402
from anyecg_model.vocabulary.labels import is_af  # noqa: E402


def cache(a: argparse.Namespace) -> None:
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.io import open_recording
    from anyecg_model.io.writers import write_wfdb

    records = a.records.split(",")
    data, fs, ref, bounds = join(a.data / "mitdb", records)
    with tempfile.TemporaryDirectory(prefix="anyecg-af-") as tmp:
        hea = write_wfdb(data, Path(tmp) / "joined", fs=fs, lead_names=["MLII", "V1"])
        del data
        rec = open_recording(hea)
        an = Analyzer(a.model, device=a.device)
        parts = list(an.iter_analyze(rec))
        builder = an.builder(rec)
    a.out.write_bytes(pickle.dumps({"parts": parts, "ref": ref, "bounds": bounds, "records": records,
                                    "builder": builder}))
    print(f"cached {len(parts)} chunks of {len(records)} records to {a.out}")


def score(a: argparse.Namespace) -> None:
    c = pickle.loads(a.cache.read_bytes())
    builder = c["builder"]
    changes = json.loads(a.rules) if a.rules else {}
    if "turning_range" in changes:
        changes["turning_range"] = tuple(changes["turning_range"])
    builder.rules = dataclasses.replace(builder.rules, af=dataclasses.replace(builder.rules.af, **changes))
    for part in c["parts"]:
        builder.add(part)
    f = builder.findings()
    ref = c["ref"]
    det = [(e.start_s, e.end_s, e.label) for e in f.episodes]
    s = episode_scores(ref, det, ("AF", "AFL"))
    ref_af = [(x, y) for x, y, lab in ref if is_af(lab)]
    det_af = [(x, y) for x, y, lab in det if is_af(lab)]
    both = overlap_s(ref_af, det_af)
    ref_t, det_t = sum(y - x for x, y in ref_af), sum(y - x for x, y in det_af)
    print(f"rules: {builder.rules.af}")
    print(f"AF/AFL time: Se {both / max(ref_t, 1e-9):.3f}  +P {both / max(det_t, 1e-9):.3f}  "
          f"(reference {ref_t:.0f} s, detected {det_t:.0f} s)")
    print(f"AF/AFL episodes: Se {s['Se']:.3f}  +P {s['+P']:.3f}  ({s['n_ref']} ref., {s['n_det']} det.)")
    print(f"AF burden: reference {af_burden(ref):.4f}, detected {f.af_burden:.4f}")
    for rec, t0, t1 in c["bounds"]:
        mine = overlap_s([(t0, t1)], ref_af)
        found = overlap_s([(t0, t1)], det_af)
        if not mine:
            print(f"record {rec} (no AF in reference): detected AF burden {100 * found / (t1 - t0):.2f} %")
        elif a.per_record:
            mine_af = [(max(x, t0), min(y, t1)) for x, y in ref_af if x < t1 and y > t0]
            print(f"record {rec} (AF/AFL {mine:.0f} s): detected {found:.0f} s, of which "
                  f"{overlap_s(mine_af, det_af):.0f} s in the reference's AF/AFL")


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cache")
    c.add_argument("--data", type=Path, default=Path.home() / ".cache/anyecg/data")
    c.add_argument("--records", required=True)
    c.add_argument("--model", default=None)
    c.add_argument("--device", default="cpu")
    c.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("cache", type=Path)
    s.add_argument("--rules", default=None, help="JSON of AfRules fields to change")
    s.add_argument("--per-record", action="store_true")
    a = p.parse_args()
    cache(a) if a.cmd == "cache" else score(a)


if __name__ == "__main__":
    main()
