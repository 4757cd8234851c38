"""VT and SVTA episodes re-scored on cached chunk outputs of a MIT-BIH join, per record subset.

Usage:
    python bench/bench_af_rule.py cache --records 100,101,...,234 --out /tmp/vt/all48.pkl   # the model, once
    python bench/bench_run_rule.py /tmp/vt/all48.pkl --subset ds1 --sweep   # writes all48.plain.pkl too
    python bench/bench_run_rule.py /tmp/vt/all48.plain.pkl --subset ds2 --min-confidence 0.9 --corroborated 0.6

The findings are rebuilt through the one :class:`~anyecg_model.analysis.builder.FindingsBuilder` with the
given :class:`~anyecg_model.analysis.episodes.RunRules` (under a checkout without them, as the product was
before runs needed beats, the rules are ignored: the "before" numbers; give it the ``.plain.pkl`` the first
run writes beside the cache, which loads without this checkout's classes). Episodes are scored per record of the
subset (reference and detections clipped to the record, EC57-style overlap, :func:`episode_scores`), the
counts summed; AF/AFL time Se / +P over the subset's records shows that AF did not move.
"""
from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analyze_24h import overlap_s  # noqa: E402

from anyecg_model.analysis.builder import FindingsBuilder, FindingsRules  # noqa: E402
from anyecg_model.analysis.episodes import episode_scores  # noqa: E402
from anyecg_model.train.data.corpus import MITDB_DS1, MITDB_DS2  # noqa: E402
from anyecg_model.vocabulary.labels import is_af  # noqa: E402

try:
    from anyecg_model.analysis.episodes import RunRules
except ImportError:  # a checkout from before runs needed beats
    RunRules = None

SUBSETS = {"ds1": set(MITDB_DS1), "ds2": set(MITDB_DS2), "all": None}


def detections(c: dict, min_conf: float | None, corroborated: float | None) -> list[tuple[float, float, str]]:
    r = c["rules"]  # plain fields (the cache loads under a checkout without RunRules too)
    fields = {f.name: r[f.name] for f in dataclasses.fields(FindingsRules) if f.name in r}
    if RunRules is not None:
        fields["runs"] = RunRules(**({} if min_conf is None else {"min_confidence": min_conf}),
                                  **({} if corroborated is None else {"min_confidence_corroborated": corroborated}))
    builder = FindingsBuilder(c["info"], c["model"], c["tasks"], FindingsRules(**fields))
    for part in c["parts"]:
        builder.add(part)
    return [(e.start_s, e.end_s, e.label) for e in builder.findings().episodes]


def clip(eps, t0: float, t1: float):
    return [(max(a, t0), min(b, t1), lab) for a, b, lab in eps if a < t1 and b > t0]


def scores(c: dict, det, subset: str) -> dict[str, tuple]:
    keep = SUBSETS[subset]
    out = {}
    for name, labels in {"VT": ("VT",), "SVTA": ("SVTA",)}.items():
        tp_r = tp_d = n_r = n_d = 0
        for rec, t0, t1 in c["bounds"]:
            if keep is not None and rec not in keep:
                continue
            s = episode_scores(clip(c["ref"], t0, t1), clip(det, t0, t1), labels)
            n_r, n_d = n_r + s["n_ref"], n_d + s["n_det"]
            tp_r += round(s["Se"] * s["n_ref"]) if s["n_ref"] else 0
            tp_d += round(s["+P"] * s["n_det"]) if s["n_det"] else 0
        out[name] = (tp_r / max(n_r, 1), tp_d / max(n_d, 1), n_r, n_d, tp_r, tp_d)
    ref_af = [(a, b) for rec, t0, t1 in c["bounds"] if keep is None or rec in keep
              for a, b, lab in clip(c["ref"], t0, t1) if is_af(lab)]
    det_af = [(a, b) for rec, t0, t1 in c["bounds"] if keep is None or rec in keep
              for a, b, lab in clip(det, t0, t1) if is_af(lab)]
    both = overlap_s(ref_af, det_af)
    ref_t, det_t = sum(b - a for a, b in ref_af), sum(b - a for a, b in det_af)
    out["AF/AFL time"] = (both / max(ref_t, 1e-9), both / max(det_t, 1e-9))
    return out


def line(label: str, s: dict) -> str:
    vt, sv, af = s["VT"], s["SVTA"], s["AF/AFL time"]
    return (f"| {label} | {vt[0]:.3f} / {vt[1]:.3f} | {vt[3]} ({vt[5]} true) vs {vt[2]} | {sv[0]:.3f} / {sv[1]:.3f} | "
            f"{sv[3]} ({sv[5]} true) vs {sv[2]} | {af[0]:.3f} / {af[1]:.3f} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("cache", type=Path)
    p.add_argument("--subset", choices=SUBSETS, default="all")
    p.add_argument("--min-confidence", type=float, default=None)
    p.add_argument("--corroborated", type=float, default=None)
    p.add_argument("--sweep", action="store_true", help="a grid of both floors")
    a = p.parse_args()
    c = pickle.loads(a.cache.read_bytes())
    if "builder" in c:  # bench_af_rule.py's cache: keep what rebuilds the findings, as plain data
        b = c.pop("builder")
        c.update(info=b.info, model=b.model, tasks=b.tasks,
                 rules={f.name: getattr(b.rules, f.name) for f in dataclasses.fields(b.rules) if f.name != "runs"})
        a.cache.with_suffix(".plain.pkl").write_bytes(pickle.dumps(c))
    print("| rules | VT Se / +P | VT detected vs reference | SVTA Se / +P | SVTA detected vs reference "
          "| AF/AFL time Se / +P |")
    print("|---|---|---|---|---|---|")
    grid = [(a.min_confidence, a.corroborated)]
    if a.sweep:
        floors = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97)
        grid = [(m, k) for m in floors[2:] for k in floors if k <= m]
    for m, k in grid:
        det = detections(c, m, k)
        print(line("before" if RunRules is None else f"floor {m}, corroborated {k}", scores(c, det, a.subset)))


if __name__ == "__main__":
    main()
