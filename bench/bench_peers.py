"""Ours beside the peers: the same file, the same scripted scroll, in AnyECG, mne-qt-browser and plain pyqtgraph.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_peers.py [FILE] [--hours 24] [--runs 3] [--steps 20]
        [--peers ours,mne,pyqtgraph] [--mne-max-gib 2] [--pyqtgraph-max-gib 3]

The file is the 24-h × 12-lead × 500 Hz EDF+ of ``bench_io.py`` (``bench_open.py`` writes it: a beat annotation
every 0.857 s, ~1 GB), or FILE. Every peer runs in its own interpreter in a 1600 × 900 window (offscreen), one
after the other, the order rotating from run to run (interleaved runs); the load average is recorded before each.

* **ours**: ``MainWindow.open_path(FILE)``, as the viewer opens it; the overview pyramid is built into a cache
  folder shared by the runs (the first run builds it) and the scroll starts once it is there.
* **mne-qt-browser** (``pip install mne-qt-browser``; skipped when absent, not a dependency): ``mne.io.read_raw_edf``
  without preloading, the file's 100 000 beat annotations dropped (drawn as regions they stall it; ours draws its
  lanes), channels typed ECG, ``downsampling="auto"`` with ``ds_method="peak"`` (its default draws every sample).
  MNE reads every sample of the view as float64: widths needing more than ``--mne-max-gib`` (≈ 4.5 × 8 bytes per
  value, as measured at 6 h: 4.6 GiB) are skipped rather than risk the machine.
* **plain pyqtgraph**: a ``PlotWidget`` with one ``PlotDataItem`` per lead (the EDF's int16 samples read whole,
  one float64 time axis shared by the leads), ``setDownsampling(auto=True, mode="peak")``, ``setClipToView(True)``;
  skipped when that would hold more than ``--pyqtgraph-max-gib``.
* **EDFbrowser**: its CPU per page is reported only when ``edfbrowser`` is installed (it has no scripting
  interface, so the scripted scroll cannot drive it; its row then says how to measure by hand).

The scripted scroll: for each width (10 s, 10 min, 1 h, 6 h, 24 h; clamped to the record) ``--steps`` steps of
half a page forward, wrapping at the end (at the record's full width every step shows the same view again: a
repaint, which a peer may skip when the range did not change). A step is timed from setting the view's x range to the end of one
synchronous repaint of the plot's viewport after the peer's data is in (``wait_rendered`` for ours,
``processEvents`` for the others): wall and process CPU. Also: load → first paint (from before opening the
file, imports excluded) and resident memory after the scroll and at its peak (VmHWM). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIDTHS_S = (10.0, 600.0, 3600.0, 6 * 3600.0, 24 * 3600.0)
WINDOW = (1600, 900)
PEERS = ("ours", "mne", "pyqtgraph")
#: Bytes MNE holds per value it shows (float64 data, its copies for scaling and downsampling).
MNE_BYTES_PER_VALUE = 36


def width_label(w: float) -> str:
    return f"{w / 3600:g} h" if w >= 3600 else (f"{w / 60:g} min" if w >= 60 else f"{w:g} s")


def status_mib() -> dict:
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def step_starts(duration: float, width: float, steps: int) -> list[float]:
    """Start times (s) of the scripted steps: half a page forward each, wrapping at the end."""
    span = max(duration - width, 0.0)
    return [((k + 1) * width / 2) % span if span > 0 else 0.0 for k in range(steps)]


# ---------------------------------------------------------------------------------------------------- one peer
def drive(peer: str, path: Path, steps: int, limits: dict) -> dict:
    """Run one peer on ``path`` in this process; returns its measurements."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    t_open = time.perf_counter()
    if peer == "ours":
        show = _ours(path, app)
    elif peer == "mne":
        show = _mne(path, app)
    else:
        show = _pyqtgraph(path, app, limits["pyqtgraph_max_gib"])
    if isinstance(show, str):
        return {"skipped": show}
    set_range, viewport, duration, n_leads, settle, keep = show  # keep: the peer's window, alive until the end
    viewport.repaint()
    first_paint = time.perf_counter() - t_open
    settle()
    out = {"first_paint_s": first_paint, "widths": [], "steps": {}, "skipped_widths": {}}
    for width in WIDTHS_S:
        width = min(width, duration)
        label = width_label(width)
        if label in out["widths"]:
            continue  # a record shorter than the widest widths: each width once
        out["widths"].append(label)
        if peer == "mne":
            need = n_leads * width * limits["fs"] * MNE_BYTES_PER_VALUE / 2**30
            if need > limits["mne_max_gib"]:
                out["skipped_widths"][label] = f"needs ≈ {need:.1f} GiB (> --mne-max-gib)"
                continue
        set_range(0.0, width)  # the first step at a new width is a zoom, not a scroll: not timed
        app.processEvents()
        viewport.repaint()
        wall, cpu = [], []
        for t0 in step_starts(duration, width, steps):
            t, c = time.perf_counter(), time.process_time()
            set_range(t0, t0 + width)
            viewport.repaint()
            wall.append(1000 * (time.perf_counter() - t))
            cpu.append(1000 * (time.process_time() - c))
        out["steps"][label] = {"wall": wall, "cpu": cpu}
    out.update(status_mib())
    del keep
    return out


def _ours(path: Path, app):
    from PySide6 import QtCore

    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    settings = ViewerSettings(QtCore.QSettings(os.path.join(os.environ["ANYECG_CACHE"], "bench.ini"),
                                               QtCore.QSettings.Format.IniFormat))
    win = MainWindow(settings)
    win.resize(*WINDOW)
    win.show()
    app.processEvents()
    if not win.open_path(path):
        return f"cannot open {path}"
    view = win.trace
    view.wait_rendered()

    def set_range(t0: float, t1: float) -> None:
        view.set_view(t0, t1)
        view.wait_rendered()

    def settle() -> None:
        deadline = time.perf_counter() + 1800
        while not view.has_pyramid() and time.perf_counter() < deadline:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        while win._hr_worker is not None and win._hr_worker.isRunning() and time.perf_counter() < deadline:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)

    return set_range, view.plot.viewport(), win.recording.duration_s, len(win.recording.leads), settle, win


def _mne(path: Path, app):
    try:
        import mne
        import mne_qt_browser  # noqa: F401
    except ImportError:
        return "not installed (pip install mne-qt-browser)"
    mne.set_log_level("ERROR")
    raw = mne.io.read_raw_edf(str(path), preload=False, verbose="error")
    raw.set_annotations(None)
    raw.set_channel_types({ch: "ecg" for ch in raw.ch_names})
    mne.viz.set_browser_backend("qt")
    fig = raw.plot(duration=10.0, n_channels=len(raw.ch_names), show=False, block=False, scalings=dict(ecg=1e-3),
                   precompute=False, verbose="error")
    fig.mne.downsampling = "auto"
    fig.mne.ds_method = "peak"
    fig.resize(*WINDOW)
    fig.show()
    app.processEvents()

    def set_range(t0: float, t1: float) -> None:
        fig.mne.plt.setXRange(t0, t1, padding=0)
        app.processEvents()

    return set_range, fig.mne.view.viewport(), float(raw.times[-1]), len(raw.ch_names), lambda: None, (raw, fig)


def _edf_int16(path: Path) -> tuple[list, float, float]:
    """Every signal of an EDF as int16 digital samples (the annotation signal left out), its rate and mV step."""
    import numpy as np

    from anyecg_model.io.readers.edf_header import parse_header

    hdr = parse_header(path)
    signals = [i for i in range(len(hdr.labels)) if not hdr.is_annotation(i)]
    offsets = np.concatenate([[0], np.cumsum(hdr.spr)])[:-1] * 2
    spr = int(hdr.spr[signals[0]])
    leads = [np.empty(hdr.n_records * spr, np.int16) for _ in signals]
    per_read = max(1, (64 << 20) // hdr.record_bytes)
    with open(path, "rb") as fh:
        for r0 in range(0, hdr.n_records, per_read):
            n = min(per_read, hdr.n_records - r0)
            fh.seek(hdr.header_bytes + r0 * hdr.record_bytes)
            block = np.frombuffer(fh.read(n * hdr.record_bytes), np.uint8).reshape(n, hdr.record_bytes)
            for k, sig in enumerate(signals):
                leads[k][r0 * spr:(r0 + n) * spr] = block[:, offsets[sig]:offsets[sig] + 2 * spr].copy().view("<i2").ravel()
    step = float((hdr.phys_max[signals[0]] - hdr.phys_min[signals[0]]) /
                 (hdr.dig_max[signals[0]] - hdr.dig_min[signals[0]]))
    return leads, spr / hdr.record_s, step


def _pyqtgraph(path: Path, app, max_gib: float):
    import numpy as np
    import pyqtgraph as pg

    from anyecg_model.io.readers.edf_header import parse_header

    hdr = parse_header(path)
    n_sig = sum(not hdr.is_annotation(i) for i in range(len(hdr.labels)))
    n = hdr.n_records * int(max(hdr.spr))
    need = (n_sig * 2 + 8) * n / 2**30
    if need > max_gib:
        return f"would hold ≈ {need:.1f} GiB (> --pyqtgraph-max-gib)"
    leads, fs, step_mv = _edf_int16(path)
    x = np.arange(len(leads[0]), dtype=np.float64) / fs
    plot = pg.PlotWidget()
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    spacing = 3.0 / step_mv  # 3 mV between leads, in ADC steps
    for k, y in enumerate(leads):
        item = plot.plot(x, y, pen=pg.mkPen("k", width=1))
        item.setPos(0, -k * spacing)
    plot.resize(*WINDOW)
    plot.show()
    plot.setXRange(0.0, 10.0, padding=0)
    plot.setYRange(-(len(leads) - 0.5) * spacing, 0.5 * spacing, padding=0)
    app.processEvents()

    def set_range(t0: float, t1: float) -> None:
        plot.setXRange(t0, t1, padding=0)
        app.processEvents()

    return set_range, plot.viewport(), len(x) / fs, len(leads), lambda: None, plot


# ---------------------------------------------------------------------------------------------------- orchestration
def run_peer(peer: str, path: Path, args, cache: Path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), ANYECG_CACHE=str(cache),
               ANYECG_JOURNAL_DIR=str(cache / "journal"), XDG_CONFIG_HOME=str(cache / "config"), PYTHONPATH=str(REPO))
    cmd = [sys.executable, __file__, str(path), "--child", peer, "--steps", str(args.steps),
           "--mne-max-gib", str(args.mne_max_gib), "--pyqtgraph-max-gib", str(args.pyqtgraph_max_gib)]
    res = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=args.timeout_s)
    line = next((x for x in res.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return {"skipped": f"failed (exit {res.returncode}): {res.stderr.strip().splitlines()[-1:] or ''}"}
    return json.loads(line[7:])


def edfbrowser_row() -> str:
    exe = shutil.which("edfbrowser")
    if exe is None:
        return "EDFbrowser: not installed (no `edfbrowser` on PATH): not measured."
    return (f"EDFbrowser: installed ({exe}) but not scriptable: measure its CPU per page by hand "
            "(open FILE, `pidstat -u -p PID 1` while paging with PgDn at each width).")


def summarise(results: dict[str, list[dict]], loads: list[float], path: Path, args) -> None:
    print(f"\n{path.name}: {path.stat().st_size / 2**20:.0f} MiB; {args.runs} interleaved run(s) × {args.steps} "
          f"steps per width; window {WINDOW[0]} × {WINDOW[1]}; load average before the runs "
          f"{min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("\nStep = set the x range → the peer's data in → one synchronous repaint. Wall ms: median (p95) of every "
          "step of every run, min of the runs' medians; CPU ms: median.\n")
    peers = [p for p in results if results[p]]
    header = "| width | " + " | ".join(f"{p}: median (p95) / min-run-median | {p}: CPU" for p in peers) + " |"
    print(header)
    print("|---" * (1 + 2 * len(peers)) + "|")
    labels: list[str] = []  # the widths measured (clamped to the record), narrowest first
    for runs in results.values():
        for r in runs:
            for label in r.get("widths", []):
                if label not in labels:
                    labels.append(label)
    for label in labels:
        cells = []
        for p in peers:
            runs = [r for r in results[p] if "steps" in r]
            steps = [r["steps"].get(label) for r in runs if r["steps"].get(label)]
            if not steps:
                why = next((r.get("skipped_widths", {}).get(label) or r.get("skipped") for r in results[p]
                            if r.get("skipped_widths", {}).get(label) or r.get("skipped")), "—")
                cells += [f"skipped: {why}", "—"]
                continue
            wall = sorted(v for s in steps for v in s["wall"])
            cpu = [v for s in steps for v in s["cpu"]]
            p95 = wall[max(0, math.ceil(0.95 * len(wall)) - 1)]  # nearest rank
            best = min(statistics.median(s["wall"]) for s in steps)
            cells += [f"{statistics.median(wall):.1f} ({p95:.1f}) / {best:.1f}", f"{statistics.median(cpu):.1f}"]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n| peer | load → first paint (s), min / median | RSS after the scroll (MiB), median | peak RSS (MiB), max |")
    print("|---|---|---|---|")
    for p in peers:
        runs = [r for r in results[p] if "first_paint_s" in r]
        if not runs:
            print(f"| {p} | {results[p][0].get('skipped', 'failed')} | — | — |")
            continue
        fp = [r["first_paint_s"] for r in runs]
        print(f"| {p} | {min(fp):.2f} / {statistics.median(fp):.2f} | "
              f"{statistics.median(r['VmRSS'] for r in runs):.0f} | {max(r['VmHWM'] for r in runs):.0f} |")
    print("\n" + edfbrowser_row())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", help="recording (default: the generated 24-h 12-lead 500 Hz EDF+)")
    ap.add_argument("--hours", type=float, default=24.0, help="length of the generated file")
    ap.add_argument("--dir", default=tempfile.gettempdir(), help="folder for the generated file")
    ap.add_argument("--runs", type=int, default=3, help="interleaved runs of every peer")
    ap.add_argument("--steps", type=int, default=20, help="timed scroll steps per width and run")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    ap.add_argument("--mne-max-gib", type=float, default=2.0, help="skip MNE widths needing more memory than this")
    ap.add_argument("--pyqtgraph-max-gib", type=float, default=3.0, help="skip plain pyqtgraph above this")
    ap.add_argument("--timeout-s", type=float, default=1800.0, help="longest run of one peer")
    ap.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        sys.path.insert(0, str(REPO))
        path = Path(args.file)
        from anyecg_model.io.readers.edf_header import parse_header

        hdr = parse_header(path)
        limits = {"mne_max_gib": args.mne_max_gib, "pyqtgraph_max_gib": args.pyqtgraph_max_gib,
                  "fs": float(max(hdr.spr)) / hdr.record_s}
        print("RESULT " + json.dumps(drive(args.child, path, args.steps, limits)), flush=True)
        os._exit(0)  # skip tearing down three GUI stacks
    sys.path.insert(0, str(REPO / "bench"))
    from bench_open import make_file

    path = Path(args.file) if args.file else make_file(Path(args.dir), args.hours)
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    cache = Path(tempfile.mkdtemp(prefix="anyecg-bench-peers-"))
    results: dict[str, list[dict]] = {p: [] for p in peers}
    loads = []
    try:
        for run in range(args.runs):
            order = peers[run % len(peers):] + peers[:run % len(peers)]
            for peer in order:
                loads.append(os.getloadavg()[0])
                t = time.perf_counter()
                results[peer].append(run_peer(peer, path, args, cache))
                print(f"run {run + 1}, {peer}: {time.perf_counter() - t:.0f} s (load before {loads[-1]:.2f})",
                      flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    summarise(results, loads, path, args)


if __name__ == "__main__":
    main()
