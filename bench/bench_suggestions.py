"""The annotation editor taking a 24-hour analysis's beats as review suggestions: GUI event-loop gaps.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_suggestions.py [--beats 109226] [--runs 3]

The viewer (start-up heap frozen as ``anyecg-viewer`` freezes it) opens a 24.07-h single-lead recording at
360 Hz (noise: the traces do not matter here) and waits until its pyramid and heart-rate lane are built. Each
run hands the editor one model run's findings, ``--beats`` beats at random times with random classes and
confidences plus 100 AF episodes (the size of a full analysis of the joined MIT-BIH recording), through
``EditingUI.show_findings``, the slot the model panel's ``analysisFinished`` calls. The first run adds
suggestions to an empty store; later runs replace the previous run's (a re-analysis). A 5-ms ``QTimer``
probe ticks on the GUI thread from 0.1 s before to 2.5 s after; a gap is the time between ticks. Also
reported: the autosave journal's size after the run (it journals each run as one entry) and when the run's
entry first reached it, from the call. One edit of the user's comes first: a journal takes the model's
suggestions only once the user has edited (until then they are held in memory and never written).
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gui_responsiveness import PROBE_MS, print_table, viewer_settled  # noqa: E402

FS = 360.0
HOURS = 24.07


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beats", type=int, default=109_226, help="beats per model run")
    ap.add_argument("--runs", type=int, default=3, help="model runs handed to the editor one after the other")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="anyecg-bench-sugg-"))
    os.environ["ANYECG_CACHE"] = str(tmp / "cache")
    os.environ["ANYECG_JOURNAL_DIR"] = str(tmp / "journal")
    from PySide6 import QtCore, QtWidgets

    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo, RhythmEpisode
    from anyecg_model.io.recording import Recording
    from app.gc_policy import settle_startup_heap
    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    rng = np.random.default_rng(0)
    n = int(HOURS * 3600 * FS)
    rec = Recording.from_array((rng.standard_normal(n) * 0.05).astype(np.float32)[None], FS, ["MLII"],
                               path="noise-24h.hea")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    win = MainWindow(ViewerSettings(QtCore.QSettings(str(tmp / "bench.ini"), QtCore.QSettings.Format.IniFormat)))
    win.resize(1600, 900)
    win.show()
    settle_startup_heap()
    win.set_recording(rec)
    deadline = time.perf_counter() + 300
    while not viewer_settled(win) and time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
    store = win.editing.controller.store
    store.insert_beat(int(FS), "N")  # the user's first edit: from now on each run's suggestions are journalled
    rows = []
    for run in range(args.runs):
        t = np.sort(rng.uniform(0, n / FS, args.beats))
        findings = Findings(rec.path, n / FS, FS, ["MLII"], ModelInfo("bench", "0", "-"),
                            beats=Beats(t, rng.integers(0, 5, args.beats).astype(np.int8),
                                        rng.random(args.beats).astype(np.float32)),
                            episodes=[RhythmEpisode(k * 600.0, k * 600.0 + 120.0, "AF", 0.8) for k in range(100)])
        ticks: list[float] = []
        probe = QtCore.QTimer(interval=PROBE_MS, timerType=QtCore.Qt.TimerType.PreciseTimer)
        probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
        probe.start()
        called: list[float] = []
        QtCore.QTimer.singleShot(100, lambda: called.append(time.perf_counter()) or win.editing.show_findings(findings))
        journal = win.editing.controller.journal
        size = journal.path.stat().st_size
        written = None
        end = time.perf_counter() + 2.6
        while time.perf_counter() < end:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if written is None and journal.path.stat().st_size > size:
                written = time.perf_counter() - called[0]
        probe.stop()
        gaps = np.diff(np.array(ticks)) * 1000.0
        store = win.editing.controller.store
        rows.append((f"run {run + 1} ({'added to an empty store' if run == 0 else 'replacing the last run'})",
                     f"max {gaps.max():.1f} ms, p99 {np.percentile(gaps, 99):.1f} ms, "
                     f"{int((gaps > 50).sum())} > 50 ms; suggestions {int(np.sum(store.beats['source'] == 'model'))}; "
                     f"journal {journal.path.stat().st_size / 1e6:.1f} MB, entry in it "
                     + (f"{written:.2f} s after the findings arrived" if written is not None else "not within 2.5 s")))
    print_table(rows)
    win.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
