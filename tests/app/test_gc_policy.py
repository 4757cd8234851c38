"""The viewer's collector policy (app.gc_policy): a job's large import runs no full collection and is frozen;
opening another recording afterwards runs no whole-heap collection (it aborted the process inside Qt's event).

Each probe runs in a fresh interpreter: freezing, thresholds and imported modules are process-wide."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: A module that makes 60,000 lasting container objects when imported, like a large library.
BULKY = "TABLE = [(i, {'k': [i]}) for i in range(20_000)]\n"

HEADER = """
import gc, sys, threading
sys.path.insert(0, {tmp!r})
from app.gc_policy import import_frozen, settle_startup_heap
full = []  # thread name of every generation-2 collection started
gc.callbacks.append(lambda phase, info: phase == 'start' and info['generation'] == 2
                    and full.append(threading.current_thread().name))
settle_startup_heap()
"""


def _run(code: str, tmp_path: Path) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"),
               ANYECG_JOURNAL_DIR=str(tmp_path / "journal"), PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_import_frozen_runs_no_full_collection_and_freezes_what_it_imported(tmp_path):
    for name in ("bulky_plain", "bulky_frozen"):
        (tmp_path / f"{name}.py").write_text(BULKY)
    code = HEADER.format(tmp=str(tmp_path)) + """
import bulky_plain  # the control: a plain import after the start-up freeze runs full collections
print('plain:', len(full))
full.clear()
thresholds = gc.get_threshold()
frozen = gc.get_freeze_count()
worker = threading.Thread(target=lambda: print('returned:', import_frozen('bulky_frozen')), name='job')
worker.start(); worker.join()
print('frozen:', len(full), gc.get_freeze_count() - frozen, gc.get_threshold() == thresholds)
print('again:', import_frozen('bulky_frozen'))
"""
    out = dict(line.split(": ", 1) for line in _run(code, tmp_path).splitlines() if ": " in line)
    assert int(out["plain"]) > 0
    n_full, n_frozen, restored = out["frozen"].split()
    assert n_full == "0" and int(n_frozen) >= 60_000 and restored == "True"
    assert int(out["returned"]) >= 60_000 and out["again"] == "0"


def test_opening_a_recording_after_an_import_leaves_the_frozen_heap_alone(tmp_path):
    """An unfreeze and whole-heap collection when the next recording opened destroyed pyqtgraph items Qt still
    had events for ("pure virtual method called": the process aborted); the frozen heap stays as it is."""
    (tmp_path / "bulky.py").write_text(BULKY)
    code = HEADER.format(tmp=str(tmp_path)) + """
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
from app.main_window import MainWindow
from anyecg_model.demo import demo_12lead
win = MainWindow()
win.set_recording(demo_12lead())
import_frozen('bulky')
full[:] = []
win.set_recording(demo_12lead())
app.processEvents()
print('full collections on opening:', len(full))
win.close()
sys.stdout.flush()
import os
os._exit(0)  # workers of the demo may still run: the probe is done
"""
    out = _run(code, tmp_path)
    assert "full collections on opening: 0" in out


def test_grouping_and_learning_in_the_viewer_run_no_full_collection_on_their_threads(tmp_path):
    """The Families dock's jobs import SciPy and scikit-learn (~100,000 objects) on first use: before, a dozen
    full collections ran on their threads during those imports (61–94 ms each at the end on the 24-h join)."""
    code = HEADER.format(tmp=str(REPO / "tests" / "app")) + """
import time
import numpy as np
from PySide6 import QtCore, QtWidgets
from conftest import sinus_recording
app = QtWidgets.QApplication([])
from app.main_window import MainWindow
from app.settings import ViewerSettings
win = MainWindow(ViewerSettings(QtCore.QSettings('viewer.ini', QtCore.QSettings.Format.IniFormat)))
win.show()
gc.collect(); gc.freeze()  # the window's objects, as anyecg-viewer settles them after building it
win.set_recording(sinus_recording(minutes=3))
panel, c = win.families, win.editing.controller

def wait(done):
    t0 = time.time()
    while not done() and time.time() - t0 < 120:
        app.processEvents(); time.sleep(0.005)
    assert done()

full.clear()
assert panel.group()
wait(lambda: panel.families is not None)
b = c.store.beats
late = c.store.label_mask() & (b['sample'] >= 60 * c.store.fs)
samples = b['sample'][late].copy()
c.store.delete(b.ids[late].tolist())
c.set_suggestions(samples, ['N'] * len(samples), np.full(len(samples), 0.6))
said = []
panel.learnt.connect(said.append)
assert panel.learn()
wait(lambda: bool(said))
print('learnt:', said[0])
print('modules:', 'sklearn.linear_model' in sys.modules and 'scipy.signal' in sys.modules)
print('full collections on:', sorted(set(full) & {'families', 'learn-patient'}), flush=True)
import os
os._exit(0)  # the pyramid and heart-rate workers may still run: no Qt teardown
"""
    out = _run(code, tmp_path)
    assert "suggestions changed" in out and "modules: True" in out
    assert "full collections on: []" in out
