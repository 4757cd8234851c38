"""USERS.md day 2, an annotator correcting labels, on MIT-BIH 208 (many PVCs and fusion beats) with the shipped
model: open the record with its reference .atr, analyse, walk the review queue with the keyboard (Enter accepts,
V relabels, Delete removes, arrows move on), undo and redo, save under a new annotator name through the dialog,
read the file back with wfdb; the original .atr is untouched."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from scenario_helpers import CTRL, LEFT, K, analyse, button, copy_record, menu_action

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
BEAT_CODES = list("NLRBAaJSVrFejnE/fQ?")


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_annotator_day_on_mitdb_208(qtbot, window, shared_data, tmp_path):
    import wfdb

    hea = copy_record(shared_data / "mitdb", "208", tmp_path / "rec")
    atr = hea.with_suffix(".atr")
    atr_before = sha(atr)
    reference = wfdb.rdann(str(hea.with_suffix("")), "atr")
    ref_beats = int(np.isin(reference.symbol, BEAT_CODES).sum())

    # 1. the record opens with its reference labels: MIT-BIH codes on the beat lane
    assert window.open_path(hea)
    ui = window.editing
    c = ui.controller
    codes = c.store.beats["code"][c.store.label_mask()]
    assert int(np.isin(codes, BEAT_CODES).sum()) == ref_beats and {"N", "V", "F"} <= set(codes)
    assert "beats" in window.trace.lanes()

    # 2. the model runs; its suggestions fill the review queue, least certain first
    findings = analyse(qtbot, window)
    assert abs(len(findings.beats) - ref_beats) < 0.05 * ref_beats
    qtbot.waitUntil(lambda: c.queue is not None and c.queue.total > 0, timeout=60_000)
    total = c.queue.total
    qtbot.keyClick(window.trace, K.Key_F2)
    assert c.editing
    start = c.store.fingerprint()
    qtbot.mouseClick(button(ui.review, "Start / next"), LEFT)
    first = c.selected_beat
    model = c.store.beats["source"] == "model"
    assert c.store.beats.row(first)["confidence"] == pytest.approx(float(np.min(c.store.beats["confidence"][model])))
    qtbot.keyClick(window.trace, K.Key_Return)  # Enter accepts
    assert c.store.beats.row(first)["source"] == "accepted"
    second = c.selected_beat
    assert second != first
    qtbot.keyClicks(window.trace, "V")  # V relabels
    row = c.store.beats.row(second)
    assert row["code"] == "V" and row["source"] == "accepted"
    qtbot.keyClick(window.trace, K.Key_Right)  # arrows move on
    third = c.selected_beat
    assert third not in (first, second)
    n_labels = int(c.store.label_mask().sum())
    qtbot.keyClick(window.trace, K.Key_Delete)  # Delete removes
    assert int(c.store.label_mask().sum()) == n_labels - 1
    assert ui.review.counter.text().startswith("reviewed 2 of ") and f"of {total}" in ui.review.counter.text()
    edited = c.store.fingerprint()

    # undo and redo, without limit
    for _ in range(3):
        qtbot.keyClick(window.trace, K.Key_Z, CTRL)
    assert c.store.fingerprint() == start
    for _ in range(3):
        qtbot.keyClick(window.trace, K.Key_Y, CTRL)
    assert c.store.fingerprint() == edited

    # 4. saves under a new annotator name through Annotate ▸ Save as WFDB annotator…
    menu_action(window, "Annotate/Save as WFDB annotator").trigger()
    dlg = ui.save_dialog
    assert dlg is not None and dlg.name.text()
    dlg.name.selectAll()
    qtbot.keyClicks(dlg.name, "corr")
    save = dlg.buttons.button(dlg.buttons.StandardButton.Save)
    assert save.isEnabled()
    qtbot.mouseClick(save, LEFT)
    saved = hea.with_suffix(".corr")
    qtbot.waitUntil(saved.exists, timeout=10_000)
    back = wfdb.rdann(str(hea.with_suffix("")), "corr")
    beats, _ = c.store.labels()
    order = np.argsort(beats["sample"], kind="stable")
    points = np.asarray(back.symbol) != "+"  # rhythm changes are the episodes, saved alongside
    np.testing.assert_array_equal(back.sample[points], beats["sample"][order])
    assert list(np.asarray(back.symbol)[points]) == list(beats["code"][order])
    assert sum(a.startswith("(") for a in back.aux_note) > 0
    assert sha(atr) == atr_before, "the original .atr is untouched"

    # the next morning: everything was saved and the viewer quit cleanly, so nothing is offered for restore; the
    # model's findings show at once and the saved annotator opens from Annotate ▸ Labels from annotator
    saved_beats, _ = c.store.labels()
    window.close_recording()
    assert window.open_path(hea)
    assert ui.restore_box is None and not c.restore_pending
    qtbot.waitUntil(lambda: "model beats" in window.trace.lanes(), timeout=30_000)  # cached, no Analyze pressed
    qtbot.waitUntil(lambda: c.queue is not None and c.queue.total == total, timeout=30_000)
    next(a for a in ui.labels_menu.actions() if a.text() == "corr").trigger()
    assert ui.restore_box is None
    beats, _ = c.store.labels()
    np.testing.assert_array_equal(np.sort(beats["sample"]), np.sort(saved_beats["sample"]))
    assert sorted(beats["code"]) == sorted(saved_beats["code"])


#: A viewer session that edits three labels of a record and then dies (SIGKILL: the battery ran out).
DYING_SESSION = r"""
import os, signal, sys, time
from PySide6 import QtCore, QtTest, QtWidgets
app = QtWidgets.QApplication([])
from app.main_window import MainWindow
win = MainWindow()
win.show()
assert win.open_path(sys.argv[1])
c = win.editing.controller
K = QtCore.Qt.Key
for key in (K.Key_F2, K.Key_Right, K.Key_Right):
    QtTest.QTest.keyClick(win.trace, key)
QtTest.QTest.keyClicks(win.trace, "F")  # record 119 has no fusion beats: a real change
QtTest.QTest.keyClick(win.trace, K.Key_Right)
QtTest.QTest.keyClick(win.trace, K.Key_Delete)
QtTest.QTest.keyClick(win.trace, K.Key_Right)
QtTest.QTest.keyClicks(win.trace, "F")
print(c.store.fingerprint(), flush=True)
deadline = time.monotonic() + 5
while time.monotonic() < deadline:  # the journal writes in the background: give it a moment, as a user would
    app.processEvents()
    time.sleep(0.05)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_after_a_crash_reopening_offers_every_edit_and_a_clean_quit_asks_nothing(qtbot, window, shared_data,
                                                                                  tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    hea = copy_record(shared_data / "mitdb", "119", tmp_path / "rec")
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONPATH=str(repo))
    child = subprocess.run([sys.executable, "-c", DYING_SESSION, str(hea)], env=env, cwd=repo,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    fingerprint = child.stdout.strip().splitlines()[-1]

    # 3. on reopening, the app offers to restore every edit
    assert window.open_path(hea)
    ui = window.editing
    box = ui.restore_box
    assert box is not None and "3 edit(s)" in box.text()
    qtbot.mouseClick(box.restore_button, LEFT)
    qtbot.waitUntil(lambda: not ui.controller.restore_pending, timeout=10_000)
    assert ui.controller.store.fingerprint() == fingerprint
    qtbot.keyClick(window.trace, K.Key_Z, CTRL)  # undo reaches back into the restored session
    assert ui.controller.store.fingerprint() != fingerprint

    # running the model and closing cleanly leaves nothing to restore
    other = copy_record(shared_data / "mitdb", "100", tmp_path / "rec")
    assert window.open_path(other)
    analyse(qtbot, window)
    qtbot.waitUntil(lambda: ui.controller.queue is not None and ui.controller.queue.total > 0, timeout=60_000)
    window.close_recording()
    assert window.open_path(other)
    assert ui.restore_box is None
