"""Wall time of report rendering: the 12-lead PDF of the pydicom demo and Holter summaries of synthetic Holters.

Usage: ``python bench/bench_report_render.py [HOURS ...]`` (default 6 24). The synthetic Holters come from
:func:`anyecg_model.demo.synthetic_holter` (generated once into the demo cache, not timed). Prints a table.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from anyecg_model.demo import SyntheticHolterConfig, demo_12lead, synthetic_holter
from anyecg_model.report import ReportFindings, render_12lead, render_holter, summarise


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(hours: list[float]) -> None:
    out = Path(tempfile.mkdtemp(prefix="anyecg-report-bench-"))
    rows = []
    rec = demo_12lead()
    render_12lead(rec, out / "warm.pdf")  # imports and NeuroKit2 warm-up
    t_12 = timed(lambda: render_12lead(rec, out / "r.pdf"))
    rows.append(("12-lead, pydicom demo (10 s, 12 leads, 1000 Hz)", "", t_12, (out / "r.pdf").stat().st_size))
    for h in hours:
        holter = synthetic_holter(SyntheticHolterConfig(hours=h))
        findings = ReportFindings.from_annotations(holter)
        t_sum = timed(lambda: summarise(findings, holter.duration_s))
        t_pdf = timed(lambda: render_holter(holter, out / f"h{h:g}.pdf", findings=findings))
        rows.append((f"Holter summary, synthetic {h:g} h (2 leads, 250 Hz, {len(findings.beat_time_s)} beats)",
                     f"{t_sum:.2f}", t_pdf, (out / f"h{h:g}.pdf").stat().st_size))
    print(f"{'report':<70} {'summary s':>9} {'total s':>8} {'PDF kB':>7}")
    for name, t_sum, t_total, size in rows:
        print(f"{name:<70} {t_sum:>9} {t_total:>8.2f} {size / 1024:>7.0f}")


if __name__ == "__main__":
    main([float(x) for x in sys.argv[1:]] or [6.0, 24.0])
