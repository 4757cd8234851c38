"""Mean ± standard deviation over seeds of ``bench/eval_tasks.py --json`` results.

Usage: python bench/aggregate_seeds.py RUN.json [RUN.json ...] [--json OUT]

Rows with the same name (model and test set, e.g. "AnyECG-small, ptbxl500") in several files are one
configuration trained with different seeds; every metric is printed as mean ± std (sample standard
deviation, n - 1) with the number of seeds. Counts (``n_beats``, ``n_records``, ``n_leads``) are printed as is.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

COUNTS = ("n_beats", "n_records", "n_leads")


def aggregate(runs: list[dict]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """task → row name → metric → values over the runs that have that row."""
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for run in runs:
        for task, rows in run.items():
            for name, metrics in rows.items():
                for key, value in metrics.items():
                    if isinstance(value, (int, float)):
                        out[task][name][key].append(float(value))
    return out


def fmt(values: list[float], key: str) -> str:
    if key in COUNTS:
        return str(int(values[0]))
    v = np.asarray(values)
    if len(v) == 1:
        return f"{v[0]:.3f}"
    return f"{v.mean():.3f} ± {v.std(ddof=1):.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--json", type=Path, default=None, help="also write mean, std and n per metric")
    a = p.parse_args()
    agg = aggregate([json.loads(r.read_text()) for r in a.runs])
    summary: dict = {}
    for task, rows in agg.items():
        keys = list(dict.fromkeys(k for m in rows.values() for k in m))
        print(f"\n## {task}\n")
        print("| model | seeds | " + " | ".join(keys) + " |")
        print("|---" * (len(keys) + 2) + "|")
        for name, metrics in rows.items():
            n = max(len(v) for v in metrics.values())
            print(f"| {name} | {n} | " + " | ".join(fmt(metrics[k], k) if k in metrics else "" for k in keys) + " |")
            summary.setdefault(task, {})[name] = {
                k: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "n": len(v)}
                for k, v in metrics.items()}
    if a.json:
        a.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
