"""Large-file IO benchmark: a 24-hour 12-lead 500 Hz recording written as EDF+ and as WFDB format 16.

Every beat is annotated (~100 800 annotations in 24 h), so opening includes reading them.
Measures, for each file: open-to-metadata time, 10-s window read time (median and 95th percentile
over random windows) and resident-memory growth (RSS and USS via psutil) while reading. The files
(~1 GB each) live in a temporary folder that is deleted afterwards. Prints a Markdown table.

    python bench/bench_io.py [--hours 24] [--windows 200] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import gc
import logging
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import psutil

from anyecg_model.io import Annotations, Lead, Provenance, Recording, open_recording
from anyecg_model.vocabulary.leads import STANDARD_LEADS
from anyecg_model.io.writers import write_edf, write_wfdb

log = logging.getLogger("bench_io")
FS = 500.0


class SyntheticSource:
    """A deterministic ECG-like 12-lead signal generated per window (never held whole), in mV."""

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        t = np.arange(start, stop) / FS
        beat = np.exp(-((t % 0.857) - 0.3) ** 2 / 2e-4)  # 70 bpm spikes
        base = 0.1 * np.sin(2 * np.pi * 0.25 * t)
        return np.stack([(0.5 + 0.1 * k) * beat + base for k in lead_idx]).astype(np.float32)


def synthetic_recording(hours: float) -> Recording:
    """12 leads at 500 Hz with a beat annotation at every spike (70 bpm: ~100 800 beats in 24 h)."""
    n = int(hours * 3600 * FS)
    leads = [Lead(name, name, FS) for name in STANDARD_LEADS]
    beats = np.arange(0.3 * FS, n, 0.857 * FS).round().astype(np.int64)
    annotations = Annotations.from_lists(beats, np.where(np.arange(len(beats)) % 50 == 0, "V", "N"), source="atr")
    return Recording(leads=leads, fs=FS, n_samples=n, source=SyntheticSource(),
                     provenance=Provenance("<synthetic>", "synthetic", ""), adc_resolution_mv=[0.001] * 12,
                     annotations=annotations)


def measure(path: Path, windows: int, rng: np.random.Generator) -> dict:
    proc = psutil.Process()
    gc.collect()
    rss0, uss0 = proc.memory_info().rss, proc.memory_full_info().uss
    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        rec = open_recording(path)
        _ = (rec.lead_names, rec.fs, rec.n_samples, rec.start_time)
        opens.append(time.perf_counter() - t0)
    n10 = int(10 * rec.fs)
    starts = rng.integers(0, rec.n_samples - n10, size=windows)
    times = []
    for s in starts:
        t0 = time.perf_counter()
        x = rec.read(int(s), int(s) + n10)
        times.append(time.perf_counter() - t0)
        assert x.shape == (12, n10)
    assert len(rec.annotations) > 0
    rss1, uss1 = proc.memory_info().rss, proc.memory_full_info().uss
    return {
        "file": path.name, "size_mb": path.stat().st_size / 2**20 if path.suffix != ".hea" else
        path.with_suffix(".dat").stat().st_size / 2**20,
        "open_median_s": float(np.median(opens)), "open_first_s": opens[0],
        "win_median_ms": 1e3 * float(np.median(times)), "win_p95_ms": 1e3 * float(np.percentile(times, 95)),
        "rss_growth_mb": (rss1 - rss0) / 2**20, "uss_growth_mb": (uss1 - uss0) / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--dir", default=None, help="folder for the temporary files (default: system temp)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rec = synthetic_recording(args.hours)
    rng = np.random.default_rng(0)
    import anyecg_model.io.readers.edf_reader  # noqa: F401  (imports are not the reader's memory)
    import anyecg_model.io.readers.wfdb_reader  # noqa: F401
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for name, writer in (("holter.edf", write_edf), ("holter.hea", write_wfdb)):
            path = Path(tmp) / name
            t0 = time.perf_counter()
            writer(rec, path)
            write_s = time.perf_counter() - t0
            log.info("wrote %s in %.1f s", name, write_s)
            rows.append({**measure(path, args.windows, rng), "write_s": write_s})
    header = ("| file | size (MB) | write (s) | open, first (s) | open, median of 5 (s) | 10-s window median (ms) "
              "| 10-s window p95 (ms) | RSS growth (MB) | USS growth (MB) |")
    lines = [header, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['file']} | {r['size_mb']:.0f} | {r['write_s']:.1f} | {r['open_first_s']:.3f} | "
                     f"{r['open_median_s']:.3f} | {r['win_median_ms']:.2f} | {r['win_p95_ms']:.2f} | "
                     f"{r['rss_growth_mb']:.1f} | {r['uss_growth_mb']:.1f} |")
    print(f"{args.hours:g} h × 12 leads × {FS:g} Hz, {len(rec.annotations)} beat annotations, "
          f"{args.windows} random 10-s windows (all leads); load average {psutil.getloadavg()[0]:.1f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
