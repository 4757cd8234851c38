"""Cardio-Sparse attention vs a dense N×N-masked reference: time and peak memory on this machine.

Cases: 12 leads × 60 s and 12 leads × 10 min of 1-s tokens (N = 720 and 7200), batch 1, 4 heads of 32 dims
(the ``small`` width), w = 1, forward only (inference) and forward + backward (training) for 60 s.
Each measurement runs in a fresh subprocess; peak memory is the growth of the process's peak RSS over a
warmed-up baseline. Prints a markdown table.

    .venv/bin/python bench/bench_attention.py [--threads 1] [--reps 3]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

CASES = [("12 × 60 s", 60, False), ("12 × 60 s", 60, True), ("12 × 10 min", 600, False)]


def _measure(method: str, P: int, backward: bool, reps: int, threads: int) -> dict:
    import torch

    from anyecg_model.model.attention import cardio_sparse_attention, dense_cardio_attention

    torch.set_num_threads(threads)
    fn = cardio_sparse_attention if method == "sparse" else dense_cardio_attention
    B, H, S, Dh = 1, 4, 12, 32
    g = torch.Generator().manual_seed(0)
    small = [torch.randn(B, H, S, 4, Dh, generator=g) for _ in range(3)]
    fn(*small, torch.ones(B, S, dtype=torch.bool), torch.ones(B, 4, dtype=torch.bool), 1)  # warm-up kernels
    q, k, v = (torch.randn(B, H, S, P, Dh, generator=g, requires_grad=backward) for _ in range(3))
    lead_mask, patch_mask = torch.ones(B, S, dtype=torch.bool), torch.ones(B, P, dtype=torch.bool)
    lead_mask[:, 9:] = False  # a realistic 9-of-12-lead record
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        if backward:
            fn(q, k, v, lead_mask, patch_mask, 1).square().sum().backward()
        else:
            with torch.no_grad():
                fn(q, k, v, lead_mask, patch_mask, 1)
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"ms": 1000 * min(times), "peak_mb": (peak - base) / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--one", nargs=3, metavar=("METHOD", "P", "BACKWARD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        method, P, backward = args.one
        print(json.dumps(_measure(method, int(P), backward == "1", args.reps, args.threads)))
        return
    rows = []
    for label, P, backward in CASES:
        res = {}
        for method in ("sparse", "dense"):
            out = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--reps", str(args.reps),
                                  "--one", method, str(P), "1" if backward else "0"],
                                 capture_output=True, text=True, check=True)
            res[method] = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((label, "fwd+bwd" if backward else "fwd", res))
    print(f"| input | pass | N tokens | sparse ms | dense ms | sparse peak MB | dense peak MB |")
    print("|---|---|---|---|---|---|---|")
    for (label, kind, res), (_, P, _) in zip(rows, CASES):
        s, d = res["sparse"], res["dense"]
        print(f"| {label} | {kind} | {12 * P} | {s['ms']:.1f} | {d['ms']:.1f} | {s['peak_mb']:.0f} | {d['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
