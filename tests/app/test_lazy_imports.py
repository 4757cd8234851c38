"""Opening a file imports no heavy library it does not need (issue 19: first paint ≤ 1 s).

torch (~1 s), scipy.signal (~1–2 s), wfdb with pandas (~0.4 s), NeuroKit2, scikit-learn, tqdm (with
importlib.metadata) and the PDF renderers (reportlab's canvas with the report modules, ~0.1 s) are imported only
when a job needs them: an analysis, a display filter, R-peak detection, a WFDB file that only wfdb reads, a
printed report. Each probe runs in a fresh
interpreter so nothing imported by other tests hides an eager import.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.io.writers import write_edf

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "scipy.signal", "scipy.stats", "pandas", "wfdb", "neurokit2", "sklearn", "reportlab.pdfgen", "tqdm")
REPORT = "import sys; print('heavy:', ','.join(m for m in {heavy!r} if m in sys.modules))"


@pytest.fixture()
def edf_file(tmp_path: Path) -> Path:
    """A 20-s, 2-lead EDF of a 1-Hz sawtooth-like beat train (µV-range values in mV)."""
    t = np.arange(0, 20, 1 / 250)
    data = np.stack([np.sin(2 * np.pi * t) ** 15, 0.5 * np.sin(2 * np.pi * t + 0.3) ** 15]).astype(np.float32)
    path = tmp_path / "small.edf"
    write_edf(data, path, fs=250, lead_names=["II", "V1"])
    return path


def _heavy_after(code: str, tmp_path: Path) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"),
               PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", code + "\n" + REPORT.format(heavy=HEAVY)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if x.startswith("heavy:"))
    return [m for m in line.removeprefix("heavy:").strip().split(",") if m]


def test_info_on_an_edf_imports_no_heavy_library(edf_file, tmp_path):
    code = f"from anyecg_model.cli import main; assert main(['info', {str(edf_file)!r}]) == 0"
    assert _heavy_after(code, tmp_path) == []


def test_viewer_opens_a_file_to_first_paint_without_heavy_libraries(edf_file, tmp_path):
    shot = tmp_path / "shot.png"
    code = f"from app.main import main; assert main([{str(edf_file)!r}, '--screenshot', {str(shot)!r}]) == 0"
    assert _heavy_after(code, tmp_path) == []
    assert shot.stat().st_size > 0


def test_viewer_start_collects_garbage_once_not_during_its_imports(edf_file, tmp_path):
    """Start-up's imports and window make ~160,000 lasting objects: no collection traverses them while they are
    made (each full pass grew with the heap); ``settle_startup_heap`` collects once and freezes them."""
    shot = tmp_path / "shot.png"
    code = ("import gc\nimport app.gc_policy as policy\n"
            "seen = []\ngc.callbacks.append(lambda phase, info: phase == 'start' and seen.append(info['generation']))\n"
            "settle = policy.settle_startup_heap\n"
            "def settled():\n    before.extend(seen)\n    return settle()\n"
            "before = []\npolicy.settle_startup_heap = settled\n"
            f"from app.main import main\nseen.clear()\nassert main([{str(edf_file)!r}, '--screenshot', {str(shot)!r}]) == 0\n"
            "print('collections before settling:', len(before))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"),
               PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "collections before settling: 0" in res.stdout


#: what opening a recording that is not a resting ECG, its first paint and the first seconds after it do not
#: need: the training panel (built on first use), the resting header's report modules and the export dialog,
#: image painters and workers (imported by the action that needs them)
DEFERRED = ("app.training.panel", "anyecg_model.train.finetune.job", "anyecg_model.train.data.dataset_builder",
            "anyecg_model.report.measurements", "anyecg_model.report.header", "app.export.dialog",
            "app.export.view_image", "app.export.span_image", "app.export.report_worker")


def test_viewer_imports_what_the_first_paint_does_not_show_only_when_used(edf_file, tmp_path):
    """None of :data:`DEFERRED` at the first paint nor 2 s after it (the training panel built after the paint
    put ~100 ms of GUI-thread work into the first scroll steps); the Fine-tune action then builds it."""
    code = (
        "import os, sys\nfrom PySide6 import QtCore, QtWidgets\napp = QtWidgets.QApplication([])\n"
        "from app.main_window import MainWindow\nwin = MainWindow()\nwin.show()\nat_paint = None\n"
        "def first_paint():\n    global at_paint\n    win.trace.rendered.disconnect(first_paint)\n"
        f"    at_paint = [m for m in {DEFERRED!r} if m in sys.modules]\n"
        "win.trace.rendered.connect(first_paint)\n"
        f"assert win.open_path({str(edf_file)!r})\n"
        "deadline = QtCore.QDeadlineTimer(60_000)\n"
        "while at_paint is None and not deadline.hasExpired():\n"
        "    app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)\n"
        "later = QtCore.QDeadlineTimer(2_000)\n"
        "while not later.hasExpired():\n"
        "    app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)\n"
        "print('at paint:', ','.join(at_paint))\n"
        f"print('2 s later:', ','.join(m for m in {DEFERRED!r} if m in sys.modules), win.training is None)\n"
        "act = next(a for a in win.menu('Model').actions() if a.text().replace('&', '') == 'Fine-tune on my recordings…')\n"
        "act.trigger()\n"
        "print('on use:', win.training is not None and win.training.dock.isVisible())\n"
        "win.close()\nsys.stdout.flush()\nos._exit(0)  # no teardown of running workers: the probe is done\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"),
               PYTHONPATH=str(REPO), ANYECG_MODELS_DIR=str(tmp_path / "models"))
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "at paint: \n" in res.stdout  # none of them before the first paint
    assert "2 s later:  True" in res.stdout  # nor after it: nothing built behind the user's first steps
    assert "on use: True" in res.stdout
