"""Viewer benchmark: redraw latency at every zoom on a 24-hour 12-lead 500 Hz recording, first paint,
pyramid build time and resident memory over a scripted scroll/zoom session.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_viewer.py [--hours 24] [--session-s 120]

The recording is a memory-mapped int16 array (samples × 12 leads, 5 µV per step) tiled from the
real 12-lead demo with a slow baseline drift, written to a temporary folder and deleted afterwards.
A redraw is timed from ``TraceView.set_view`` to the new data being on screen plus a synchronous
full repaint of the plot. Prints a table.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FS = 500.0
GAIN_MV = 0.005
WIDTHS_S = (10, 60, 600, 3600, 6 * 3600, 24 * 3600)


def make_recording(folder: Path, hours: float):
    """Write the int16 memmap and return a Recording over it."""
    from anyecg_model.demo import demo_12lead, memmap_recording

    demo = demo_12lead()
    beat_block = demo.read(0, demo.n_samples, fs=FS)  # 10 s, 12 leads at 500 Hz
    block = np.round(beat_block.T / GAIN_MV).astype(np.int16)  # (5000, 12)
    n = int(hours * 3600 * FS)
    out = np.lib.format.open_memmap(folder / "holter.npy", mode="w+", dtype=np.int16, shape=(n, 12))
    rng = np.random.default_rng(0)
    step = len(block) * 60  # ten minutes per write
    for start in range(0, n, step):
        stop = min(n, start + step)
        tiles = np.tile(block, ((stop - start) // len(block) + 1, 1))[: stop - start]
        drift = (rng.normal(0, 40, size=(1, 12)) * np.sin(np.linspace(0, np.pi, stop - start))[:, None]).astype(np.int16)
        out[start:stop] = tiles + drift
    out.flush()
    del out
    names = demo.lead_names
    return memmap_recording(folder / "holter.npy", FS, names, gain_mv=GAIN_MV,
                            content_hash=f"bench-holter-{hours:g}h-v1", fmt="npy-memmap")


def rss_mb() -> tuple[float, float]:
    """(resident MB, of which anonymous MB): the rest are file-backed pages of memory-mapped files,
    which the kernel drops under pressure."""
    import psutil

    m = psutil.Process().memory_info()
    return m.rss / 2**20, (m.rss - m.shared) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--repeats", type=int, default=40, help="redraws per window width")
    ap.add_argument("--session-s", type=float, default=120.0, help="length of the scripted scroll/zoom session")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="anyecg-bench-"))
    os.environ["ANYECG_CACHE"] = str(tmp / "cache")
    try:
        t = time.perf_counter()
        rec = make_recording(tmp, args.hours)
        print(f"recording: {args.hours:g} h × 12 leads @ {FS:g} Hz int16 memmap, written in {time.perf_counter() - t:.1f} s")
        run(rec, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(rec, args) -> None:
    from PySide6 import QtCore, QtWidgets

    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    settings = ViewerSettings(QtCore.QSettings(os.path.join(os.environ["ANYECG_CACHE"], "bench.ini"),
                                               QtCore.QSettings.Format.IniFormat))
    win = MainWindow(settings)
    win.resize(1600, 900)
    win.show()
    app.processEvents()
    view = win.trace

    t = time.perf_counter()
    win.set_recording(rec)
    view.wait_rendered()
    win.repaint()
    first_paint = time.perf_counter() - t

    t = time.perf_counter()
    deadline = time.perf_counter() + 600
    while not view.has_pyramid() and time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
    pyramid_s = time.perf_counter() - t
    # the heart-rate lane comes from the R-peak detector over 24 h: let it finish before timing redraws
    while win._hr_worker is not None and win._hr_worker.isRunning() and time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
    hr_s = time.perf_counter() - t
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"plot area {view.plot_width_px()} × {view.plot_height_px()} px in a 1600 × 900 window")
    print(f"first paint after choosing the file: {first_paint * 1000:.0f} ms")
    print(f"pyramid build (background): {pyramid_s:.1f} s; heart-rate lane ready after {hr_s:.1f} s")

    rng = np.random.default_rng(1)
    print(f"\n{'window':>8} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'CPU med ms':>11} {'CPU p95 ms':>11}  level")
    rows = []
    for width in WIDTHS_S:
        width = min(width, rec.duration_s)
        times, cpu = [], []
        for _ in range(args.repeats):
            t0 = float(rng.uniform(0, max(0.0, rec.duration_s - width)))
            t, c = time.perf_counter(), time.process_time()
            view.set_view(t0, t0 + width)
            view.wait_rendered()
            view.plot.viewport().repaint()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        times.sort()
        cpu.sort()
        med = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        cmed, cp95 = statistics.median(cpu), cpu[int(0.95 * (len(cpu) - 1))]
        env = view.last_result.envelope
        label = f"{width / 3600:g} h" if width >= 3600 else (f"{width / 60:g} min" if width >= 60 else f"{width:g} s")
        print(f"{label:>8} {med:10.1f} {p95:8.1f} {times[-1]:8.1f} {cmed:11.1f} {cp95:11.1f}  "
              f"{env.level}{' (decimated)' if env.decimated else ''}")
        rows.append((label, med, p95))

    # scripted session: pans, zooms, jumps across the whole record
    rss = [rss_mb()]
    t_end = time.perf_counter() + args.session_s
    next_sample = time.perf_counter() + 10
    actions = 0
    while time.perf_counter() < t_end:
        a = rng.integers(0, 4)
        t0, t1 = view.view_range()
        if a == 0:
            view.pan((t1 - t0) / 4)
        elif a == 1:
            view.zoom_time(float(rng.choice([0.25, 4.0])))
        elif a == 2:
            w = float(rng.choice(WIDTHS_S))
            s = float(rng.uniform(0, max(0.0, rec.duration_s - w)))
            view.set_view(s, s + w)
        else:
            view.pan(-(t1 - t0))
        view.wait_rendered()
        view.plot.viewport().repaint()
        actions += 1
        if time.perf_counter() >= next_sample:
            rss.append(rss_mb())
            next_sample += 10
    rss.append(rss_mb())
    total = [r[0] for r in rss]
    anon = [r[1] for r in rss]
    print(f"\nscripted session: {args.session_s:g} s, {actions} actions")
    for name, series in (("RSS", total), ("anonymous (RSS minus mapped file pages)", anon)):
        growth = (series[-1] - series[0]) / series[0] * 100
        print(f"  {name}: start {series[0]:.0f} MB, max {max(series):.0f} MB, end {series[-1]:.0f} MB ({growth:+.1f} %)")
    win.close()


if __name__ == "__main__":
    main()
