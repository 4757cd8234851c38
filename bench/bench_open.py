"""Opening a long recording: launch → first paint of ``python main.py FILE``, and resident memory (peak, steady).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_open.py [FILE] [--hours 24] [--runs 3] [--dir /tmp]

Without FILE the 24-h × 12-lead × 500 Hz EDF+ of ``bench_io.py`` is written first (a beat annotation every
0.857 s, ~1 GB; kept in ``--dir`` as ``bench-open-24h.edf`` and reused). Each run is a fresh interpreter started as
``main.py FILE`` is, with hooks added from outside the app (no app code changes for the bench):

* *launch → first paint*: wall time from just before the process is spawned to the end of the trace view's first
  paint with the file's samples (the first ``rendered`` after the file is set, then a synchronous repaint);
* *first open* runs get an empty cache folder (the pyramid is built), *reopen* runs the cache of a first open;
* memory from ``/proc/self/status``: RSS at first paint; after the overview pyramid and heart-rate lane are
  built and the view was set to 10 s, 10 min, 1 h, 6 h and 24 h (*steady*, with its anonymous and file-backed
  parts); the peak (VmHWM) over the whole run.

Modules are compiled once into a temporary ``PYTHONPYCACHEPREFIX`` by a warm-up launch, as an installed app has
them (this machine sets ``PYTHONDONTWRITEBYTECODE``: every launch would compile ~140 modules, ~0.2 s; ``--no-bytecode``
measures that). Prints a table (min and median of the runs) and the load average before each run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

DRIVER = r"""
import gc, json, os, sys, time
T0 = float(os.environ["BENCH_T0"])
MODE = os.environ["BENCH_MODE"]

def status():
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out

def report(**kw):
    print("BENCH " + json.dumps(kw), flush=True)

import app.main as app_main
import app.gc_policy as policy

def hook(mw):
    from PySide6 import QtCore
    original = mw.MainWindow.set_recording

    def set_recording(self, recording):
        original(self, recording)

        def first_paint():
            self.trace.rendered.disconnect(first_paint)
            self.trace.plot.viewport().repaint()
            cpu = os.times()
            report(event="paint", s=time.time() - T0, cpu_s=cpu.user + cpu.system, **status())
            if MODE == "paint":
                sys.stdout.flush()
                os._exit(0)
            QtCore.QTimer.singleShot(0, lambda: settle(self))

        self.trace.rendered.connect(first_paint)

    def settle(win):
        t = time.time()
        deadline = t + 900
        app = QtCore.QCoreApplication.instance()
        while time.time() < deadline and not (win.trace.has_pyramid() and not (
                win._hr_worker is not None and win._hr_worker.isRunning())):
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        built = time.time() - T0
        d = win.recording.duration_s
        for width in (10.0, 600.0, 3600.0, 6 * 3600.0, 24 * 3600.0):
            width = min(width, d)
            start = max(0.0, min(d - width, d / 3))
            win.trace.set_view(start, start + width)
            win.trace.wait_rendered()
            win.trace.plot.viewport().repaint()
        gc.collect()
        end = time.time() + 2
        while time.time() < end:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        report(event="steady", built_s=built, **status())
        sys.stdout.flush()
        os._exit(0)

    mw.MainWindow.set_recording = set_recording

# hooked when main() settles its start-up heap (window built, before the file is opened): importing the window's
# module here, before main(), would run its imports outside main's start-up (with the collector on)
settle_startup_heap = policy.settle_startup_heap

def settle_and_hook():
    import app.main_window as mw
    hook(mw)
    return settle_startup_heap()

policy.settle_startup_heap = settle_and_hook
sys.argv = ["main.py", sys.argv[1]]
sys.exit(app_main.main([sys.argv[1]]))
"""


def make_file(folder: Path, hours: float) -> Path:
    """The 12-lead 500 Hz EDF+ of ``bench_io.py`` (written once, reused)."""
    path = folder / f"bench-open-{hours:g}h.edf"
    if path.exists():
        return path
    sys.path.insert(0, str(REPO / "bench"))
    from bench_io import synthetic_recording

    from anyecg_model.io.writers import write_edf

    t = time.perf_counter()
    write_edf(synthetic_recording(hours), path)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s", flush=True)
    return path


def run_once(path: Path, mode: str, cache: Path, config: Path, bytecode: Path | None) -> dict:
    """One launch of the viewer on ``path``: the events the driver reported."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), BENCH_MODE=mode,
               ANYECG_CACHE=str(cache), ANYECG_JOURNAL_DIR=str(cache / "journal"), XDG_CONFIG_HOME=str(config),
               PYTHONPATH=str(REPO))
    if bytecode is not None:  # compiled modules as an installed app has them (see --no-bytecode)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    env["BENCH_T0"] = repr(time.time())
    res = subprocess.run([sys.executable, "-c", DRIVER, str(path)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=1200)
    events = {}
    for line in res.stdout.splitlines():
        if line.startswith("BENCH "):
            ev = json.loads(line[6:])
            events[ev.pop("event")] = ev
    if "paint" not in events:
        raise SystemExit(f"the viewer did not paint (exit {res.returncode}):\n{res.stderr[-3000:]}")
    return events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", help="recording to open (default: the generated 24-h 12-lead EDF+)")
    ap.add_argument("--hours", type=float, default=24.0, help="length of the generated file")
    ap.add_argument("--runs", type=int, default=3, help="launches per row")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="folder for the generated file")
    ap.add_argument("--paint-only", action="store_true", help="only the launch → first paint row (no pyramid built)")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="leave PYTHONDONTWRITEBYTECODE as it is (every launch then compiles the app's modules)")
    args = ap.parse_args()
    path = Path(args.file) if args.file else make_file(Path(args.dir), args.hours)
    tmp = Path(tempfile.mkdtemp(prefix="anyecg-bench-open-"))
    rows: dict[str, list[dict]] = {"first open": [], "reopen (cached pyramid)": [], "first paint only": []}
    loads = []
    try:
        warm = tmp / "warm"
        bytecode = None if args.no_bytecode else tmp / "pycache"
        run_once(path, "paint" if args.paint_only else "settle", warm, tmp / "config", bytecode)  # warm-up
        kinds = [("first open", "fresh", "settle"), ("reopen (cached pyramid)", "warm", "settle"),
                 ("first paint only", "warm", "paint")]
        if args.paint_only:
            kinds, rows = kinds[2:], {"first paint only": []}
        for k in range(args.runs):  # interleaved: first open, reopen, first paint only
            fresh = tmp / f"fresh{k}"
            for name, which, mode in kinds:
                cache = fresh if which == "fresh" else warm
                loads.append(os.getloadavg()[0])
                rows[name].append(run_once(path, mode, cache, tmp / "config", bytecode))
            shutil.rmtree(fresh, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = path.stat().st_size / 2**20
    print(f"\n{path.name}: {size:.0f} MiB; {args.runs} runs per row, interleaved; load average before the runs "
          f"{min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
          f"{'no bytecode cache' if args.no_bytecode else 'bytecode compiled once'}")

    def stat(values: list[float], fmt: str) -> str:
        return f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))}" if values else "—"

    def median(values: list[float]) -> str:
        return f"{statistics.median(values):.0f}" if values else "—"

    print("\n| run | launch → first paint (s), min / median | its CPU (s) | RSS at first paint (MiB) | overview built (s) "
          "| steady RSS (MiB) | of which anonymous / file, median | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in rows.items():
        paint = [r["paint"] for r in runs]
        steady = [r["steady"] for r in runs if "steady" in r]
        peak = [r["steady"]["VmHWM"] if "steady" in r else r["paint"]["VmHWM"] for r in runs]
        print(f"| {name} | {stat([p['s'] for p in paint], '{:.2f}')} | {stat([p['cpu_s'] for p in paint], '{:.2f}')} | {stat([p['VmRSS'] for p in paint], '{:.0f}')} "
              f"| {stat([s['built_s'] for s in steady], '{:.1f}')} | {stat([s['VmRSS'] for s in steady], '{:.0f}')} "
              f"| {median([s['RssAnon'] for s in steady])} / {median([s['RssFile'] for s in steady])} "
              f"| {stat(peak, '{:.0f}')} |")


if __name__ == "__main__":
    main()
