"""The same scripted redraws in mne-qt-browser, for the ratio reported in docs/BENCHMARKS.md.

    pip install mne mne-qt-browser      # into the venv, for this benchmark only (not a dependency)
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_viewer_mne.py [--hours 6]

The recording is the one ``bench_viewer.py`` writes (the real 12-lead demo tiled over ``--hours`` at
500 Hz), given to MNE as a ``RawArray`` (float64 volts, held in RAM: that is how MNE works). A redraw
is timed from ``setXRange`` on the browser's plot to the end of a synchronous repaint of its view,
like ours, with the browser's own min/max decimation switched on (``downsampling="auto"``,
``ds_method="peak"``; its default draws every sample). Prints the same table as ``bench_viewer.py``
plus the browser's resident memory.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FS = 500.0
WIDTHS_S = (10, 60, 600, 3600, 6 * 3600, 24 * 3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    import mne
    import psutil
    from PySide6 import QtWidgets

    from anyecg_model.demo import demo_12lead

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    demo = demo_12lead()
    block = demo.read(0, demo.n_samples, fs=FS).astype(np.float64) * 1e-3  # volts
    n = int(args.hours * 3600 * FS)
    data = np.tile(block, (1, n // block.shape[1] + 1))[:, :n]
    info = mne.create_info(demo.lead_names, FS, ch_types="ecg")
    raw = mne.io.RawArray(data, info, verbose="error")
    del data
    mne.viz.set_browser_backend("qt")
    t = time.perf_counter()
    fig = raw.plot(duration=10.0, n_channels=12, show=False, block=False, scalings=dict(ecg=1e-3),
                   precompute=False, verbose="error")
    fig.mne.downsampling = "auto"
    fig.mne.ds_method = "peak"
    fig.resize(1600, 900)
    fig.show()
    app.processEvents()
    fig.mne.view.viewport().repaint()
    print(f"mne-qt-browser {__import__('mne_qt_browser').__version__}, mne {mne.__version__}: "
          f"{args.hours:g} h × 12 leads @ {FS:g} Hz; first paint {1000 * (time.perf_counter() - t):.0f} ms; "
          f"RSS {psutil.Process().memory_info().rss / 2**20:.0f} MB; load {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(1)
    duration = raw.times[-1]
    print(f"\n{'window':>8} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'CPU med ms':>11} {'CPU p95 ms':>11}")
    for width in WIDTHS_S:
        if width > duration + 1.0:
            continue
        width = min(width, duration)
        times, cpu = [], []
        for _ in range(args.repeats):
            t0 = float(rng.uniform(0, max(0.0, duration - width)))
            t, c = time.perf_counter(), time.process_time()
            fig.mne.plt.setXRange(t0, t0 + width, padding=0)
            app.processEvents()
            fig.mne.view.viewport().repaint()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        times.sort()
        cpu.sort()
        label = f"{width / 3600:g} h" if width >= 3600 else (f"{width / 60:g} min" if width >= 60 else f"{width:g} s")
        print(f"{label:>8} {statistics.median(times):10.1f} {times[int(0.95 * (len(times) - 1))]:8.1f} "
              f"{times[-1]:8.1f} {statistics.median(cpu):11.1f} {cpu[int(0.95 * (len(cpu) - 1))]:11.1f}")
    print(f"RSS after: {psutil.Process().memory_info().rss / 2**20:.0f} MB")
    fig.close()


if __name__ == "__main__":
    main()
