"""GUI event-loop gaps while the Families panel groups, and learns, a 24-hour Holter in the viewer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_families_gui.py

The recording is the 24-h MIT-BIH join (:func:`anyecg_model.mitdb_join.join_mitdb`, two leads, 109 494 reference
beats as labels). After the viewer has settled, phase 1 presses *Group beats*, phase 2 *Learn this patient*
(the reference labels kept in the first 5 minutes of each record's half hour, an all-N model's suggestions on
the other beats) and phase 3 undoes the adaptation and learns again (the first learning imports scikit-learn),
each while a 5-ms ``QTimer`` probe ticks on the GUI thread until the panel reports, plus 1 s; a gap is the time
between ticks. Reported per phase: wall time, longest gap, 99th percentile, ticks over 50 ms, and the longest garbage
collection (any thread; it holds the interpreter lock). As ``anyecg-viewer`` does, the start-up heap is settled
(:func:`app.gc_policy.settle_startup_heap`) once the window is built. Journals go to a temporary folder.
"""
from __future__ import annotations

import gc
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gui_responsiveness import PROBE_MS, GcTimes, print_table, viewer_settled  # noqa: E402


def probe_until(app, start, done, tail_s: float = 1.0,
                timeout_s: float = 600.0) -> tuple[np.ndarray, float, list[tuple[float, float, int, int, str]]]:
    """Gaps (ms) of a 5-ms probe from ``start()`` until ``done()`` plus ``tail_s``; the seconds to ``done``; the
    garbage collections meanwhile (:class:`GcTimes` rows)."""
    from PySide6 import QtCore

    collections = GcTimes()
    gc.callbacks.append(collections)
    ticks: list[float] = []
    probe = QtCore.QTimer(interval=PROBE_MS, timerType=QtCore.Qt.TimerType.PreciseTimer)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    t0 = time.perf_counter()
    start()
    finished = None
    while time.perf_counter() - t0 < timeout_s:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if finished is None and done():
            finished = time.perf_counter()
        if finished is not None and time.perf_counter() - finished > tail_s:
            break
    probe.stop()
    gc.callbacks.remove(collections)
    return np.diff(np.array(ticks)) * 1000.0, (finished or time.perf_counter()) - t0, collections.rows


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    os.environ["ANYECG_JOURNAL_DIR"] = tempfile.mkdtemp(prefix="anyecg-journal-")
    from PySide6 import QtWidgets

    from anyecg_model.mitdb_join import join_mitdb
    from anyecg_model.train.data.corpus import DEFAULT_DATA_DIR
    from PySide6 import QtCore

    from app.gc_policy import settle_startup_heap
    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    ini = str(Path(tempfile.mkdtemp()) / "viewer.ini")
    win = MainWindow(ViewerSettings(QtCore.QSettings(ini, QtCore.QSettings.Format.IniFormat)))
    win.resize(1600, 900)
    win.show()
    settle_startup_heap()  # as anyecg-viewer does once start-up is done (see app.gc_policy)
    rec = join_mitdb(DEFAULT_DATA_DIR / "mitdb")
    win.set_recording(rec)
    t0 = time.perf_counter()
    while not viewer_settled(win) and time.perf_counter() - t0 < 300:
        app.processEvents()
        time.sleep(0.01)
    panel, c = win.families, win.editing.controller
    gaps_g, t_g, gc_g = probe_until(app, panel.group, lambda: panel.families is not None)
    store = c.store
    b = store.beats
    starts = np.array([part.offset for part in rec.source.parts])  # each record's first 5 min stay confirmed
    pos = b["sample"] - starts[np.searchsorted(starts, b["sample"], side="right") - 1]
    late = store.label_mask() & (pos >= 300 * store.fs)
    samples = b["sample"][late].copy()
    store.delete(b.ids[late].tolist())
    c.set_suggestions(samples, ["N"] * len(samples), np.full(len(samples), 0.6))
    said: list[str] = []
    panel.learnt.connect(said.append)
    gaps_l, t_l, gc_l = probe_until(app, panel.learn, lambda: bool(said))
    c.undo()  # the annotator takes the adaptation back and learns again (its learner is imported by now)
    gaps_a, t_a, gc_a = probe_until(app, panel.learn, lambda: len(said) > 1)
    rows = [("beats grouped / families", f"{len(panel.families)} / {len(panel.families.ids())}")]
    for name, g, t, col in (("group beats", gaps_g, t_g, gc_g), ("learn this patient", gaps_l, t_l, gc_l),
                            ("undo, learn again", gaps_a, t_a, gc_a)):
        worst = max(col, key=lambda r: r[1], default=None)
        rows += [(f"{name}: wall s", f"{t:.1f}"),
                 (f"{name}: gap max / p99 ms", f"{g.max():.1f} / {np.percentile(g, 99):.1f}"),
                 (f"{name}: ticks > 50 ms", str(int((g > 50).sum()))),
                 (f"{name}: collections / longest", "none" if worst is None else
                  f"{len(col)} / {worst[1]:.0f} ms (generation {worst[2]}, thread {worst[4]})")]
    rows.append(("learn result", said[0] if said else "none"))
    print_table(rows)
    win.close()


if __name__ == "__main__":
    main()
