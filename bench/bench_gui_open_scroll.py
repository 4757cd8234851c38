"""GUI stalls while the viewer opens the 24-hour recording, and while it is scrolled hour by hour.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_open_scroll.py [--journal-beats 109000]
        [--analyze] [--records N] [--no-freeze]

The recording is the one of ``bench_gui_responsiveness.py`` (the 48 MIT-BIH records joined, lead MLII,
360 Hz, ~24 h; a synthetic Holter without ``~/.cache/anyecg/data/mitdb``). The pyramid cache and the
annotation journal point at temporary folders, so every run builds the pyramid and finds the journal the
run made: none, or with ``--journal-beats N`` one edit of N model beat suggestions never saved (what
the viewer's journal holds after a 24-h analysis whose suggestions were not saved: ~20 MB for 109,000
beats), which the viewer reads when the file opens and asks about.

The window is built as ``anyecg-viewer`` builds it, including :func:`app.gc_policy.settle_startup_heap`
after the window exists (``--no-freeze`` leaves it out). A ``QTimer`` probe ticks every 5 ms on the GUI
thread; a gap is the time between two ticks, and ``gc.callbacks`` times every collection (generation,
duration, thread: a collection on a worker thread holds the GIL, so it stalls the GUI thread too).

* Phase 1, open: the probe runs 0.3 s, then ``set_recording`` is called from a timer (as a menu action
  would be), so its own synchronous work is one of the gaps; probed until the viewer has settled
  (pyramid and heart-rate lane built) and 1 s more. ``--analyze`` warms the model up first and opens
  with "Analyze on open" (the model runs in its own process; its findings arrive during this phase).
* Phase 2, scroll: the view steps hour by hour across the recording, one step every ``--step-ms``
  (100 ms), first at the page width the file opened with (paper speed), then with one hour on screen
  (pyramid levels). Reported: gaps, GC, and the time from each step to its traces being drawn.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gui_responsiveness import (PROBE_MS, GcTimes, joined_mitdb, model_dir, print_table,  # noqa: E402
                                      synthetic)


class Probe:
    """5-ms ``QTimer`` ticks on the GUI thread."""

    def __init__(self) -> None:
        from PySide6 import QtCore

        self.ticks: list[float] = []
        self.timer = QtCore.QTimer(interval=PROBE_MS, timerType=QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def gaps(self, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        """Start times (s) and lengths (ms) of the gaps that start in ``[a, b)``."""
        t = np.array(self.ticks)
        g = np.diff(t) * 1000.0
        sel = (t[:-1] >= a) & (t[:-1] < b)
        return t[:-1][sel], g[sel]


def run_until(app, cond, timeout_s: float) -> bool:
    from PySide6 import QtCore

    end = time.perf_counter() + timeout_s
    while not cond() and time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return cond()


def seed_journal(rec, n_beats: int) -> float:
    """Leave the journal of ``n_beats`` model suggestions and one unsaved edit of the user's after them (without
    that edit the suggestions are never written) for ``rec`` (MB written)."""
    from anyecg_model.annotations import Journal, open_store
    from anyecg_model.annotations.suggestions import set_suggestions

    store = open_store(rec)
    journal = Journal.for_store(store)
    journal.attach(store)
    rng = np.random.default_rng(0)
    samples = np.linspace(rec.fs, rec.n_samples - rec.fs, n_beats).astype(np.int64)
    set_suggestions(store, samples, ["N"] * n_beats, rng.uniform(0.5, 1.0, n_beats))
    store.insert_beat(int(rec.fs // 2), "N")
    journal.close()
    return journal.path.stat().st_size / 1e6


def viewer_model_dir(arg: str | None, tmp: Path) -> tuple[Path, str]:
    """The model folder for ``--analyze``, found without importing torch into this process (the viewer never
    does; the heap it would add changes what a collection costs); random weights only when none is shipped."""
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

    if arg:
        return Path(arg), arg
    if (SHIPPED_MODEL_DIR / "config.json").exists():
        return SHIPPED_MODEL_DIR, "shipped resources/anyecg-small"
    return model_dir(None, tmp)


def summary(label: str, gaps: np.ndarray, gcs: list, gap_starts: np.ndarray | None = None) -> list[tuple[str, str]]:
    rows = [(f"{label}: ticks", f"{len(gaps) + 1}"),
            (f"{label}: max / p99 / median gap (ms)",
             f"{gaps.max():.1f} / {np.percentile(gaps, 99):.1f} / {np.median(gaps):.1f}" if len(gaps) else "n/a"),
            (f"{label}: gaps > 50 ms", f"{int((gaps > 50).sum())}")]
    for gen in (0, 1, 2):
        d = np.array([r[1] for r in gcs if r[2] == gen])
        rows.append((f"{label}: GC gen {gen}: collections, max / total (ms)",
                     f"{len(d)}, {d.max():.1f} / {d.sum():.0f}" if len(d) else "0"))
    if gcs:
        threads = sorted({r[4] for r in gcs})
        rows.append((f"{label}: GC by thread (total ms)",
                     ", ".join(f"{t} {sum(r[1] for r in gcs if r[4] == t):.0f}" for t in threads)))
        worst = max(gcs, key=lambda r: r[1])
        rows.append((f"{label}: longest collection", f"gen {worst[2]}, {worst[1]:.1f} ms on {worst[4]}"))
    if gap_starts is not None and len(gaps):
        k = int(np.argmax(gaps))
        a, b = gap_starts[k], gap_starts[k] + gaps[k] / 1000.0
        in_gc = sum(min(b, r[0] + r[1] / 1000) - max(a, r[0]) for r in gcs if r[0] < b and r[0] + r[1] / 1000 > a)
        rows.append((f"{label}: GC inside the longest gap (ms)", f"{1000 * in_gc:.1f}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0, help="synthetic length when mitdb is absent")
    ap.add_argument("--records", type=int, help="join only the first N mitdb records (quick check)")
    ap.add_argument("--journal-beats", type=int, default=0,
                    help="leave an unsaved journal of this many suggested beats for the recording first")
    ap.add_argument("--analyze", action="store_true", help="open with 'Analyze on open' (model warmed up first)")
    ap.add_argument("--model", help="checkpoint folder for --analyze (default: shipped weights, else random 'small')")
    ap.add_argument("--no-freeze", action="store_true", help="leave out the startup gc.freeze of anyecg-viewer")
    ap.add_argument("--step-ms", type=int, default=100, help="one scroll step every this many ms")
    ap.add_argument("--timeout-s", type=float, default=600.0, help="longest wait for the viewer to settle")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="anyecg-bench-open-"))
    os.environ["ANYECG_CACHE"] = str(tmp / "cache")
    os.environ["ANYECG_JOURNAL_DIR"] = str(tmp / "journal")
    from PySide6 import QtCore, QtWidgets

    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    rec, source = joined_mitdb(args.records) or synthetic(args.hours)
    journal_mb = seed_journal(rec, args.journal_beats) if args.journal_beats else 0.0
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    settings = ViewerSettings(QtCore.QSettings(str(tmp / "bench.ini"), QtCore.QSettings.Format.IniFormat))
    win = MainWindow(settings)
    win.resize(1600, 900)
    win.show()
    model_text = "off"
    if args.analyze:
        mdir, model_text = viewer_model_dir(args.model, tmp)
        win.model.set_model_dir(mdir, remember=False)
        warm: list[float] = []
        win.model.warmedUp.connect(warm.append)
        win.model.set_auto_analyze(True, remember=False)
        run_until(app, lambda: bool(warm) or not win.model.warming(), args.timeout_s)
    heap = len(gc.get_objects())
    froze = "no (--no-freeze)"
    if not args.no_freeze:
        try:
            from app.gc_policy import settle_startup_heap
        except ImportError:
            froze = "no (app.gc_policy absent)"
        else:
            settle_startup_heap()
            froze = f"yes, {gc.get_freeze_count():,} objects"
    gc_times = GcTimes()
    gc.callbacks.append(gc_times)
    probe = Probe()
    probe.timer.start()

    # phase 1: open from a timer slot and probe until the viewer has settled
    marks: dict[str, float] = {}

    def open_file() -> None:
        marks["open"] = time.perf_counter()
        win.set_recording(rec)
        marks["opened"] = time.perf_counter()

    QtCore.QTimer.singleShot(300, open_file)
    run_until(app, lambda: "opened" in marks, 60.0)
    settled = run_until(app, lambda: win.trace.has_pyramid() and (
        "HR bpm" in win.overview.lane_names() or rec.duration_s < 60), args.timeout_s)
    marks["settled"] = time.perf_counter()
    run_until(app, lambda: False, 1.0)
    marks["open_end"] = time.perf_counter()
    restore_asked = getattr(win.editing, "restore_box", None) is not None
    if args.analyze:
        win.model.cancel()

    # phase 2: step hour by hour, at the opening page width and with one hour on screen
    drawn: list[float] = []
    win.trace.rendered.connect(lambda: drawn.append(time.perf_counter()))
    scroll_rows = []
    for name, page_s in (("scroll, paper page", None), ("scroll, 1-h page", 3600.0)):
        win.trace.set_view(0.0, page_s if page_s else win.trace.page_s())
        win.trace.wait_rendered()
        run_until(app, lambda: False, 0.5)
        page = win.trace.page_s()
        starts = np.arange(0.0, max(rec.duration_s - page, 0.0) + 1e-9, 3600.0)
        steps: list[float] = []

        def step() -> None:
            k = len(steps)
            if k >= len(starts):
                timer.stop()
                return
            steps.append(time.perf_counter())
            win.trace.set_view(float(starts[k]), float(starts[k]) + page)

        timer = QtCore.QTimer(interval=args.step_ms)
        timer.timeout.connect(step)
        a = time.perf_counter()
        timer.start()
        run_until(app, lambda: len(steps) >= len(starts) and not timer.isActive(), 600.0)
        win.trace.wait_rendered()
        run_until(app, lambda: False, 0.3)
        b = time.perf_counter()
        d = np.array(drawn)
        lat = []  # each step to the first frame drawn after it (before the next step)
        for s, e in zip(steps, steps[1:] + [b]):
            after = d[(d >= s) & (d < e)]
            if len(after):
                lat.append(1000 * (after[0] - s))
        gs, gg = probe.gaps(a, b)
        scroll_rows += summary(f"{name} ({page:.0f} s, {len(steps)} steps)", gg, gc_times.between(a, b), gs)
        drawn_text = f"{np.median(lat):.1f} / {max(lat):.1f} ({len(lat)} of {len(steps)} drawn)" if lat else "n/a"
        scroll_rows.append((f"{name}: step → traces drawn, median / max (ms)", drawn_text))
    probe.timer.stop()
    gc.callbacks.remove(gc_times)

    gs, gg = probe.gaps(marks["open"] - PROBE_MS / 1000.0, marks["open_end"])
    rows = [
        ("recording", f"{source}, {rec.duration_s / 3600:.2f} h, {len(rec.leads)} lead, {rec.fs:g} Hz"),
        ("journal found on opening", f"{args.journal_beats:,} suggested beats, {journal_mb:.1f} MB"
         + (", restore asked" if restore_asked else "") if args.journal_beats else "none"),
        ("model (Analyze on open)", model_text),
        ("startup gc.freeze", froze),
        ("GC-tracked objects before opening", f"{heap:,}"),
        ("open: set_recording on the GUI thread (ms)", f"{1000 * (marks['opened'] - marks['open']):.0f}"),
        ("open: settled after (s)", f"{marks['settled'] - marks['open']:.1f}" + ("" if settled else " (timed out)")),
        *summary("open → settled + 1 s", gg, gc_times.between(marks["open"], marks["open_end"]), gs),
        *scroll_rows,
    ]
    print_table(rows)
    win.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
