"""Fine-tune the beat head of ``small`` on MIT-BIH DS1 records through the training panel, and time it.

The reference labels of the records stand in for a user's corrections. The panel runs offscreen exactly as
in the viewer: the data set is built and written by its thread, the job runs in the worker process, and a
5-ms ``QTimer`` in the window's event loop measures the gaps between its ticks (the GUI's responsiveness)
while the data set is built and while the model trains. Validation: records 101, 203, 223 (the corpus's
DS1 validation records), whole records.

    .venv/bin/python bench/bench_finetune.py [--records 20] [--epochs 5] [--batch-size 32] [--init DIR]
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anyecg_model.model.shipped import SHIPPED_MODEL_DIR  # noqa: E402
from anyecg_model.train.data.corpus import DEFAULT_DATA_DIR, MITDB_DS1, MITDB_VAL  # noqa: E402

TICK_MS = 5


class GapMonitor:
    """Intervals between ticks of a ``TICK_MS`` timer, per phase (ms)."""

    def __init__(self, app):
        from PySide6 import QtCore

        self.app, self.phase, self.gaps = app, "idle", {}
        self._last = time.perf_counter()
        self.timer = QtCore.QTimer(interval=TICK_MS)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.setdefault(self.phase, []).append(1000 * (now - self._last))
        self._last = now

    def run_until(self, done, timeout_s: float) -> None:
        t_end = time.monotonic() + timeout_s
        while not done() and time.monotonic() < t_end:
            self.app.processEvents()
            time.sleep(0.001)

    def summary(self, phase: str) -> tuple[float, float]:
        g = np.array(self.gaps.get(phase, [0.0]))
        return float(g.max()), float(np.percentile(g, 99))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=20)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--init", type=Path, default=SHIPPED_MODEL_DIR if (SHIPPED_MODEL_DIR / "config.json").exists() else None)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR / "mitdb")
    p.add_argument("--screenshot", type=Path, help="save the result page as a PNG")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from app.training.panel import TrainingPanel

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    work = Path(tempfile.mkdtemp(prefix="bench-finetune-"))
    records = list(MITDB_VAL) + [r for r in MITDB_DS1 if r not in MITDB_VAL][: args.records - len(MITDB_VAL)]
    panel = TrainingPanel(None, models_root=work / "models")
    panel.resize(980, 940)
    panel.show()
    mon = GapMonitor(app)
    panel.data_tab.add_paths([args.data / f"{r}.hea" for r in records])
    panel.data_tab.drop_rare.setChecked(True)
    panel.data_tab.val_records.setText(", ".join(MITDB_VAL))
    mon.phase = "build"
    t0 = time.perf_counter()
    panel.build_dataset()
    mon.run_until(lambda: panel.builder.done, 1200)
    app.processEvents()
    t_build = time.perf_counter() - t0
    ds = panel.dataset
    if ds is None or not ds.ok:
        print("data set not usable:", ds.errors if ds else panel.data_tab.status.text())
        return 1
    t = panel.train_tab
    t.epochs.setValue(args.epochs)
    t.batch_size.setValue(args.batch_size)
    t.lr.setValue(args.lr)
    t.device.setCurrentIndex(1)  # CPU
    t.name.setText("bench")
    t.base_model.setCurrentIndex(t.base_model.findData(str(args.init) if args.init else ""))
    mon.phase = "train"
    t1 = time.perf_counter()
    epoch_times = []
    panel.runner.event.connect(lambda e: epoch_times.append(time.perf_counter() - t1) if e.kind == "epoch" else None)
    panel.start()
    mon.run_until(lambda: not panel.runner.running, 3600)
    app.processEvents()
    t_train = time.perf_counter() - t1
    mon.timer.stop()
    if panel.runner.job.state != "finished":
        print("job ended:", panel.runner.job.state, panel.train_tab.status.text())
        return 1
    res = panel.result
    if args.screenshot:
        panel.tabs.setCurrentWidget(panel.result_tab)
        app.processEvents()
        panel.grab().save(str(args.screenshot))
        panel.tabs.setCurrentWidget(panel.train_tab)
        app.processEvents()
        panel.grab().save(str(args.screenshot.with_name(args.screenshot.stem + "-train.png")))
        panel.tabs.setCurrentWidget(panel.data_tab)
        app.processEvents()
        panel.grab().save(str(args.screenshot.with_name(args.screenshot.stem + "-data.png")))
    counts = ds.counts()
    n_train = sum(counts["train"].values())
    n_val = sum(counts["val"].values())
    b, a = res["before"], res["after"]
    gb, gt = mon.summary("build"), mon.summary("train")
    rows = [
        ("machine", f"{platform.machine()}, {os.cpu_count()} CPU(s), torch threads in the worker: all"),
        ("start model", str(args.init) if args.init else "small, random initialisation (no shipped checkpoint)"),
        ("records (train / val)", f"{len(ds.records)} ({len(ds.records) - len(MITDB_VAL)} / {len(MITDB_VAL)})"),
        ("labelled beats (train / val)", f"{n_train + n_val} ({n_train} / {n_val})"),
        ("build + write data set (s)", f"{t_build:.1f}"),
        ("fine-tune job, start to result (s)", f"{t_train:.1f}"),
        ("epoch ends at (s)", ", ".join(f"{x:.0f}" for x in epoch_times)),
        ("total (s)", f"{t_build + t_train:.1f}"),
        ("GUI gap while building: max / p99 (ms)", f"{gb[0]:.1f} / {gb[1]:.1f}"),
        ("GUI gap while training: max / p99 (ms)", f"{gt[0]:.1f} / {gt[1]:.1f}"),
        ("val jκ before → after", f"{b['jkappa']:.3f} → {a['jkappa']:.3f}"),
        ("val accuracy before → after", f"{b['accuracy']:.3f} → {a['accuracy']:.3f}"),
        ("val Se/+P V before → after", f"{b['Se_V']:.3f}/{b['+P_V']:.3f} → {a['Se_V']:.3f}/{a['+P_V']:.3f}"),
        ("val Se/+P S before → after", f"{b['Se_S']:.3f}/{b['+P_S']:.3f} → {a['Se_S']:.3f}/{a['+P_S']:.3f}"),
        ("beats whose prediction changed", str(res["n_changed"])),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
