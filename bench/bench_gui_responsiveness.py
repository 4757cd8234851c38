"""GUI responsiveness while the model analyses a 24-hour recording in the viewer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_responsiveness.py [--hours 24] [--model DIR]

The recording is the 48 MIT-BIH Arrhythmia records joined end to end at run time (lead MLII, or the first
lead of records without it, 360 Hz, about 24 h) from ``~/.cache/anyecg/data/mitdb``; without that folder a
synthetic Holter of ``--hours`` is used (the table says which). The model is ``resources/anyecg-small`` when
present, else a random-weight model of the same ``small`` size (same compute). The findings cache points at a
temporary folder, so every run computes.

The model is loaded and exercised once before the file is opened (as the viewer does at startup when
"Analyze on open" is on), then the start-up heap is frozen as ``anyecg-viewer`` freezes it
(:mod:`app.gc_policy`). Phase 1 opens the file with "Analyze on open" and times the visible window's
findings. Phase 2 waits until the viewer has settled (pyramid and heart-rate lane built), then runs a full
analysis while a ``QTimer`` probe ticks every 5 ms on the GUI thread, and 3 s after it; a gap is the time
between consecutive ticks. The longest gap after the model's findings are drawn (other panels reacting to
``analysisFinished``, among them the annotation editor taking every beat as a review suggestion) is also
reported apart. While probing, the loop waits for events (as ``QApplication.exec`` does) instead of spinning,
so the GUI process takes no CPU from the analysis. Journals go to a temporary folder, so the editor never
waits on a restore question. ``--baseline-s`` first probes the idle viewer with the file open and no model,
for comparison. Reported: longest gap, 99th percentile, ticks over 50 ms, full garbage collections, the
time from opening the file to the visible window's findings being drawn, and the analysis time.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
log = logging.getLogger("bench_gui_responsiveness")

MITDB = Path.home() / ".cache" / "anyecg" / "data" / "mitdb"
PROBE_MS = 5


def joined_mitdb(n_records: int | None = None):
    """The mitdb records (all, or the first ``n_records``) one after the other as one lead at 360 Hz; None
    when the folder is absent."""
    from anyecg_model.io import open_recording
    from anyecg_model.io.recording import Recording

    heads = sorted(MITDB.glob("*.hea"))[:n_records] if MITDB.is_dir() else []
    if not heads:
        return None
    parts = []
    for h in heads:
        rec = open_recording(str(h))
        lead = rec.lead_names.index("MLII") if "MLII" in rec.lead_names else 0
        parts.append(rec.read(0, rec.n_samples, [lead])[0])
    x = np.concatenate(parts)[None].astype(np.float32)
    return Recording.from_array(x, 360.0, ["MLII"], path=f"mitdb-joined-{len(heads)}.hea"), f"{len(heads)} mitdb records joined"


def synthetic(hours: float):
    from anyecg_model.demo import SyntheticHolterConfig, synthetic_holter

    return synthetic_holter(SyntheticHolterConfig(hours=hours)), f"synthetic {hours:g}-h Holter (mitdb absent)"


def model_dir(arg: str | None, tmp: Path) -> tuple[Path, str]:
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

    if arg:
        return Path(arg), arg
    if (SHIPPED_MODEL_DIR / "config.json").exists():
        return SHIPPED_MODEL_DIR, "shipped resources/anyecg-small"
    import torch

    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.checkpoint import save_checkpoint

    torch.manual_seed(0)
    heads = {n: {"type": n} for n in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}
    d = tmp / "small-random"
    save_checkpoint(AnyECG.from_size("small", heads=heads), d, {"name": "anyecg-small-random", "model_version": "bench"})
    return d, "random-weight 'small' (no shipped weights yet)"


def probe_gaps(app, seconds: float, start=None) -> np.ndarray:
    """Event-loop gaps (ms) over ``seconds`` of a 5-ms probe."""
    from PySide6 import QtCore

    ticks: list[float] = []
    probe = QtCore.QTimer(interval=PROBE_MS, timerType=QtCore.Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    if start is not None:
        start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    probe.stop()
    return np.diff(np.array(ticks)) * 1000.0


def probe_idle(app, win, rec, seconds: float) -> np.ndarray:
    """Gaps of the viewer with ``rec`` open and no analysis (the machine's own background noise)."""
    win.set_recording(rec)
    gaps = probe_gaps(app, seconds)
    win.close_recording()
    return gaps


class GcTimes:
    """Every collection while installed: ``(start s, duration ms, generation, collected, thread name)``."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, int, int, str]] = []
        self._start: dict[int, float] = {}

    def __call__(self, phase: str, info: dict) -> None:
        now = time.perf_counter()
        key = threading.get_ident()
        if phase == "start":
            self._start[key] = now
        elif key in self._start:
            t0 = self._start.pop(key)
            self.rows.append((t0, (now - t0) * 1000.0, info["generation"], info["collected"],
                              threading.current_thread().name))

    def between(self, a: float, b: float) -> list[tuple[float, float, int, int, str]]:
        return [r for r in self.rows if a <= r[0] < b]


def viewer_settled(win) -> bool:
    """The open recording's pyramid and heart-rate lane are built (the viewer's own work after opening is done)."""
    return win.trace.has_pyramid() and "HR bpm" in win.overview.lane_names()


def print_table(rows: list[tuple[str, str]]) -> None:
    """Print ``(quantity, value)`` rows as a two-column markdown table."""
    width = max(len(k) for k, _ in rows)
    print(f"{'quantity'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 40}")
    for k, v in rows:
        print(f"{k.ljust(width)} | {v}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0, help="synthetic length when mitdb is absent")
    ap.add_argument("--model", help="checkpoint folder (default: shipped weights, else random 'small')")
    ap.add_argument("--records", type=int, help="join only the first N mitdb records (quick check)")
    ap.add_argument("--baseline-s", type=float, default=0.0,
                    help="first probe the idle viewer with the file open for this long, without the model")
    ap.add_argument("--timeout-s", type=float, default=7200.0, help="give up after this long")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="anyecg-bench-gui-"))
    os.environ["ANYECG_CACHE"] = str(tmp / "cache")
    os.environ["ANYECG_JOURNAL_DIR"] = str(tmp / "journal")  # a journal left by an earlier run would hold
    # the editor back behind its "restore edits?" question, and the findings would never become suggestions
    from PySide6 import QtCore, QtWidgets

    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    made = joined_mitdb(args.records) or synthetic(args.hours)
    rec, source = made
    mdir, model_text = model_dir(args.model, tmp)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    settings = ViewerSettings(QtCore.QSettings(str(tmp / "bench.ini"), QtCore.QSettings.Format.IniFormat))
    win = MainWindow(settings)
    win.resize(1600, 900)
    win.show()
    win.model.set_model_dir(mdir, remember=False)
    baseline = probe_idle(app, win, rec, args.baseline_s) if args.baseline_s > 0 else None
    warm: list[float] = []
    win.model.warmedUp.connect(warm.append)
    win.model.set_auto_analyze(True, remember=False)  # loads and exercises the model, as at startup
    warm_deadline = time.perf_counter() + args.timeout_s
    while not warm and time.perf_counter() < warm_deadline:
        finished = not win.model.warming()
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if finished and not warm:
            break  # the warm-up failed: the analysis below reports why

    from app.gc_policy import settle_startup_heap

    settle_startup_heap()  # as anyecg-viewer does once start-up is done (see app.gc_policy)
    gc_times = GcTimes()
    gc.callbacks.append(gc_times)
    # phase 1: open the file with "Analyze on open" and time the visible window's findings
    marks: dict[str, float] = {}
    win.model.viewFindingsReady.connect(lambda: marks.setdefault("view", time.perf_counter()))
    win.model.analysisFinished.connect(lambda _f: marks.setdefault("done", time.perf_counter()))
    win.model.findingsDrawn.connect(lambda: marks.setdefault("model_done", time.perf_counter()))
    t_open = time.perf_counter()
    win.set_recording(rec)
    t_opened = time.perf_counter()  # the viewer's own synchronous open ends here; the analysis starts after
    while "view" not in marks and time.perf_counter() < t_open + args.timeout_s:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if win.model.failed_message:
            win.close()
            raise SystemExit(f"analysis failed: {win.model.failed_message}")
    win.model.cancel()
    # phase 2: once the viewer has settled (pyramid and heart-rate lane built), probe a full analysis
    settle = time.perf_counter() + args.timeout_s
    while not viewer_settled(win) and time.perf_counter() < settle:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    ticks: list[float] = []
    probe = QtCore.QTimer(interval=PROBE_MS, timerType=QtCore.Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    t_start = time.perf_counter()
    win.model.analyze()
    next_report = t_start + 60.0
    while "done" not in marks and time.perf_counter() < t_start + args.timeout_s:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if win.model.failed_message:
            win.close()
            raise SystemExit(f"analysis failed: {win.model.failed_message}")
        if time.perf_counter() >= next_report and len(ticks) > 2:  # progress for long runs
            next_report += 60.0
            g = np.diff(np.array(ticks)) * 1000.0
            log.warning("%.0f s: %.1f%% analysed; gaps max %.1f ms, p99 %.1f ms, %d > 50 ms",
                        time.perf_counter() - t_start, 100 * win.model.panel.progress.value() / 1000,
                        g.max(), np.percentile(g, 99), int((g > 50).sum()))
    after = time.perf_counter() + 3.0  # keep probing: other panels react to the finished analysis too
    while time.perf_counter() < after:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    probe.stop()
    gc.callbacks.remove(gc_times)
    full = [(t0, ms) for t0, ms, generation, _, _ in gc_times.rows if generation == 2]
    end = marks.get("done", time.perf_counter())
    t = np.array(ticks)
    gaps = np.diff(t) * 1000.0
    # gaps that start after the model's own finishing work: other panels reacting to the finished analysis,
    # among them the editor taking the beats as suggestions
    tail = gaps[t[:-1] >= marks.get("model_done", end)]
    for k in np.argsort(gaps)[::-1][:3]:  # where the longest gaps fell, for chasing them
        log.warning("gap %.1f ms at %.2f s after the analysis started (%.2f s from its end)", gaps[k],
                    t[k] - t_start, t[k] - end)
    for t0, ms in full:
        log.warning("full collection of %.1f ms at %.2f s after the analysis started", ms, t0 - t_start)
    f = win.model.findings
    store = win.editing.controller.store
    suggested = int(np.sum(store.beats["source"] == "model")) if store is not None else 0
    rows = [
        ("recording", f"{source}, {rec.duration_s / 3600:.2f} h, {len(rec.leads)} lead, {rec.fs:g} Hz"),
        ("model", f"{model_text} on {win.model.status_label.text()}"),
        ("model warm-up before opening (s)", f"{warm[0]:.1f}" if warm else "n/a"),
        ("probe interval (ms)", f"{PROBE_MS}"),
        *([] if baseline is None else [
            (f"idle viewer, no model, {args.baseline_s:g} s: max / p99 gap (ms)",
             f"{baseline.max():.1f} / {np.percentile(baseline, 99):.1f} ({int((baseline > 50).sum())} > 50 ms)")]),
        ("ticks", f"{len(ticks)}"),
        ("max gap (ms)", f"{gaps.max():.1f}"),
        ("p99 gap (ms)", f"{np.percentile(gaps, 99):.1f}"),
        ("median gap (ms)", f"{np.median(gaps):.1f}"),
        ("gaps > 50 ms", f"{int((gaps > 50).sum())}"),
        ("full (generation-2) collections from opening to the end, longest (ms)",
         f"{len(full)}, {max((ms for _, ms in full), default=0):.0f}"),
        ("  of which after the findings are drawn (other panels, suggestions): longest gap (ms)",
         f"{tail.max():.1f}" if len(tail) else "n/a"),
        ("first findings for the view after opening (s)",
         f"{marks['view'] - t_open:.2f}" if "view" in marks else "not reached"),
        ("  of which the viewer's synchronous open (s)", f"{t_opened - t_open:.2f}"),
        ("full analysis, probed (s)", f"{end - t_start:.0f}" + ("" if "done" in marks else " (timed out)")),
        ("beats found", f"{len(f.beats) if f is not None and f.beats is not None else 'n/a'}"),
        ("beats handed to the annotation editor as suggestions", f"{suggested}"),
    ]
    print_table(rows)
    win.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
