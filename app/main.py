"""``anyecg-viewer [PATH] [--demo [12lead|holter]] [--analyze] [--screenshot OUT.png [--window START,END]]``.

``--screenshot`` renders the initial view offscreen at 1600 × 900, saves it and exits (for docs, tests
and bug reports); ``--window`` takes seconds or ``h:mm:ss`` times. A resting 12-lead opens in the
clinical 3 × 4 layout; ``--layout stacked|3x4`` chooses.
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

SCREENSHOT_SIZE = (1600, 900)
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="anyecg-viewer", description="AnyECG Workstation: review ECG recordings.")
    p.add_argument("path", nargs="?", help="ECG file to open")
    p.add_argument("--demo", nargs="?", const="12lead", choices=("12lead", "holter"),
                   help="open a built-in demo (a real 12-lead DICOM ECG, or a synthetic multi-hour Holter)")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the initial view offscreen, save it and exit")
    p.add_argument("--window", metavar="START,END", help="initial view in seconds or h:mm:ss, e.g. 3600,3610")
    p.add_argument("--layout", choices=("stacked", "3x4"),
                   help="initial trace layout (default: 3x4 for a resting 12-lead, stacked otherwise)")
    p.add_argument("--theme", choices=("light", "dark"), help="colour theme (remembered)")
    p.add_argument("--analyze", action="store_true",
                   help="run the model on the file as it opens; with --screenshot, wait for the visible findings")
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

    p.add_argument("--model", metavar="DIR", help=f"model checkpoint folder for this run (default: {SHIPPED_MODEL_DIR})")
    return p


def parse_window(text: str) -> tuple[float, float]:
    from .navigation import parse_time

    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"--window needs START,END, got {text!r}")
    t0, t1 = parse_time(parts[0]), parse_time(parts[1])
    if t1 <= t0:
        raise ValueError(f"--window end {t1:g} s must be after its start {t0:g} s")
    return t0, t1


def main(argv: list[str] | None = None) -> int:
    gc.disable()  # start-up allocates ~160,000 lasting objects: one collection in settle_startup_heap, not several
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    window_range = None
    if args.window:
        try:
            window_range = parse_window(args.window)
        except ValueError as exc:
            print(f"anyecg-viewer: {exc}", file=sys.stderr)
            return 2
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .platform_check import EXIT_MISSING_SYSTEM, check_platform

    problem = check_platform(os.environ)
    if problem is not None:  # Qt would abort the process (exit 134) with a hint about one library
        print(problem.message(), file=sys.stderr)
        return EXIT_MISSING_SYSTEM
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("AnyECG Workstation")
    log.info("Qt platform: %s", app.platformName())
    from .main_window import MainWindow

    win = MainWindow()
    if args.theme:
        win.set_theme(args.theme)
    if args.model:  # before --analyze, whose warm-up loads the model
        win.model.set_model_dir(args.model, remember=False)
    if args.analyze:
        win.model.set_auto_analyze(True, remember=False)
    if args.screenshot:
        win.resize(*SCREENSHOT_SIZE)
    win.show()
    from .gc_policy import settle_startup_heap

    settle_startup_heap()  # start-up's objects are never traversed by a collection again (see app.gc_policy)
    gc.enable()
    opened = True
    if args.path:
        opened = win.open_path(args.path)
    elif args.demo or args.screenshot:
        win.open_demo(args.demo or "12lead")
    if window_range is not None and win.recording is not None:
        win.trace.set_view(*window_range)
    if args.layout is not None:
        win.set_clinical_layout(args.layout == "3x4")
    if args.screenshot:
        if args.analyze and not win.model.wait_for_view():
            print("anyecg-viewer: the model's findings for the view did not arrive in time", file=sys.stderr)
        return _screenshot(app, win, args.screenshot, window_range, opened)
    return app.exec()


def _screenshot(app, win, out: str, window_range, opened: bool) -> int:
    from PySide6 import QtCore

    if win.recording is not None and window_range is not None:
        t0, t1 = window_range
        if (t1 - t0) * win.recording.fs > 64 * win.trace.plot_width_px():
            # wide windows are drawn from the pyramid: wait for it
            deadline = QtCore.QDeadlineTimer(120_000)
            while not win.trace.has_pyramid() and not deadline.hasExpired():
                app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        win.trace.set_view(t0, t1)
    for _ in range(5):
        app.processEvents()
    win.trace.wait_rendered()
    win.header.wait()  # a resting ECG's measurements, not "Measuring…"
    app.processEvents()
    ok = win.grab().save(out)
    win.close()
    if not ok:
        print(f"anyecg-viewer: cannot write {out}", file=sys.stderr)
        return 1
    return 0 if opened else 1


if __name__ == "__main__":
    sys.exit(main())
