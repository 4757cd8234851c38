"""Wall time and size of image exports: the viewer's view and spans of the synthetic Holter, PNG and SVG.

Usage: ``QT_QPA_PLATFORM=offscreen python bench/bench_export.py``. Prints a table.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from anyecg_model.demo import synthetic_holter
    from app.export.view_image import ImageOptions
    from app.main_window import MainWindow
    from app.settings import ViewerSettings

    out = Path(tempfile.mkdtemp(prefix="anyecg-export-bench-"))
    settings = ViewerSettings(QtCore.QSettings(str(out / "viewer.ini"), QtCore.QSettings.Format.IniFormat))
    win = MainWindow(settings)
    win.resize(1600, 900)
    win.show()
    win.set_recording(synthetic_holter())
    win.trace.set_view(3600.0, 3610.0)
    win.trace.set_speed(25.0)
    win.trace.wait_rendered()
    app.processEvents()
    rows = []
    for what, dpi, suffix, span in (("view", 150, "png", None), ("view", 300, "png", None), ("view", 300, "svg", None),
                                    ("span 10 s", 300, "png", (3600.0, 3610.0)),
                                    ("span 60 s", 300, "png", (3600.0, 3660.0)),
                                    ("span 60 s", 300, "svg", (3600.0, 3660.0))):
        path = out / f"{what.replace(' ', '_')}_{dpi}.{suffix}"
        t0 = time.perf_counter()
        if span is None:
            win.export.export_view(path, ImageOptions(dpi=dpi))
        else:
            worker = win.export.export_span(*span, ImageOptions(dpi=dpi), path)
            worker.wait()
        rows.append((what, dpi, suffix, time.perf_counter() - t0, path.stat().st_size))
    win.close()
    print(f"{'export':<12} {'dpi':>4} {'format':>6} {'s':>6} {'kB':>7}")
    for what, dpi, suffix, secs, size in rows:
        print(f"{what:<12} {dpi:>4} {suffix:>6} {secs:>6.2f} {size / 1024:>7.0f}")


if __name__ == "__main__":
    main()
