"""Edits reach files and survive: saving an annotator (never over an existing one unasked), reopening it, the
autosave journal's restore question and its failure message."""
from __future__ import annotations

import numpy as np
from editing_helpers import CTRL, FS, K, press

from anyecg_model.annotations import Journal, read_wfdb


def test_save_dialog_protects_existing_annotators(qtbot, editing, tmp_path):
    from app.editing.dialogs import SaveAnnotatorDialog
    from PySide6 import QtWidgets

    (tmp_path / "sinus.atr").write_bytes(b"")
    dlg = SaveAnnotatorDialog(str(tmp_path / "sinus.hea"), default="atr")
    qtbot.addWidget(dlg)
    save = dlg.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and "exists" in dlg.target.text()
    dlg.replace.setChecked(True)
    assert save.isEnabled() and dlg.values() == (str(tmp_path / "sinus"), "atr", True)
    dlg.name.setText("a b")
    assert not save.isEnabled()
    dlg.name.setText("corr")
    assert save.isEnabled() and dlg.values()[2] is False


def test_saved_annotator_reads_back_the_edited_labels(qtbot, editing, tmp_path):
    c = editing.controller
    c.set_editing(True)
    press(qtbot, editing, K.Key_Right)
    press(qtbot, editing, None, "A")
    path = editing.save_wfdb(str(tmp_path / "sinus"), "corr")
    assert path == tmp_path / "sinus.corr"
    back = read_wfdb(tmp_path / "sinus", "corr", FS, c.store.n_samples)
    assert back.beats.equals(c.store.labels()[0], compare_ids=False)
    assert editing.save_wfdb(str(tmp_path / "sinus"), "corr") is None  # exists: refused, message shown
    assert "exists" in editing.last_message.text()


def test_reopening_offers_to_restore_every_edit(qtbot, window, editing, sinus):
    c = editing.controller
    c.set_editing(True)
    press(qtbot, editing, K.Key_Right)
    press(qtbot, editing, None, "A")
    press(qtbot, editing, K.Key_Right)
    press(qtbot, editing, K.Key_Delete)
    expected = c.store.fingerprint()
    window.close_recording()
    window.set_recording(sinus)
    box = editing.restore_box
    assert box is not None and "2 edit(s)" in box.text()
    assert not c.set_editing(True)  # no editing until the question is answered
    box.restore_button.click()
    qtbot.waitUntil(lambda: not c.restore_pending)
    assert c.store.fingerprint() == expected and c.store.log.can_undo
    c.set_editing(True)
    press(qtbot, editing, K.Key_Z, mods=CTRL)
    assert Journal.for_store(c.store).inspect().n_edits == 1  # journalling continues after restore


def test_saved_annotator_can_be_reopened_from_the_menu(qtbot, window, tmp_path, sinus):
    import wfdb

    from app.editing import install_editing

    sig = sinus.read().T.astype(np.float64)
    wfdb.wrsamp("rec", fs=FS, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=sig, fmt=["16", "16"],
                write_dir=str(tmp_path))
    wfdb.wrann("rec", "atr", sinus.annotations.sample, list(sinus.annotations.symbol), write_dir=str(tmp_path))
    ui = install_editing(window)
    assert window.open_path(tmp_path / "rec.hea")
    c = ui.controller
    c.set_editing(True)
    c.select_beat(int(c.store.beats.ids[5]))
    press(qtbot, ui, None, "A")
    assert ui.save_wfdb(str(tmp_path / "rec"), "corr") == tmp_path / "rec.corr"
    expected = c.store.labels()[0]
    corr = next(a for a in ui.labels_menu.actions() if a.text() == "corr")
    corr.trigger()
    assert c.store.beats.equals(expected, compare_ids=False)
    assert (tmp_path / "rec.atr").stat().st_size > 0 and "A" not in set(
        wfdb.rdann(str(tmp_path / "rec"), "atr").symbol)


def test_autosave_failure_is_reported_once(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    c.insert_at(14.0)  # the first edit creates the journal file
    c.journal._fh.close()  # the disk went away under the journal
    c.insert_at(15.0)
    assert "autosave failed" in c.journal.error
    qtbot.waitUntil(lambda: getattr(editing, "last_message", None) is not None)
    assert "Save your annotations" in editing.last_message.text()
    first = editing.last_message
    c.insert_at(16.0)
    assert editing.last_message is first


def test_running_the_model_then_quitting_leaves_nothing_to_restore(qtbot, window, editing, sinus, suggested,
                                                                   journal_dir):
    """Suggestions are the model's, not edits: no "Restore unsaved edits?" after a clean quit, no journal."""
    c = editing.controller
    assert "0 edit(s)" in editing.badge.text()
    window.close_recording()
    assert not any(journal_dir.rglob("*.jsonl"))
    window.set_recording(sinus)
    assert editing.restore_box is None and not c.restore_pending


def test_restored_suggestions_are_queued_at_once(qtbot, window, editing, sinus, suggested):
    """Edits made on suggestions survive; after the restore the review queue counts them without Start."""
    c, dock = editing.controller, editing.review
    dock.start()
    press(qtbot, editing, K.Key_Return)
    press(qtbot, editing, K.Key_Backspace)
    expected = c.store.fingerprint()
    window.close_recording()
    window.set_recording(sinus)
    box = editing.restore_box
    assert box is not None and "2 edit(s)" in box.text()
    box.restore_button.click()
    qtbot.waitUntil(lambda: not c.restore_pending)
    assert c.store.fingerprint() == expected
    total = len(suggested)
    assert dock.counter.text() == f"reviewed 2 of {total} — {total - 2} remaining"
    assert dock.upcoming.count() > 0


def test_findings_that_arrive_during_the_restore_question_follow_its_answer(qtbot, window, editing, sinus):
    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo

    c = editing.controller
    c.set_editing(True)
    press(qtbot, editing, K.Key_Right)
    press(qtbot, editing, None, "A")
    window.close_recording()
    window.set_recording(sinus)
    s = sinus.annotations.sample
    findings = Findings("<sinus>", sinus.duration_s, FS, ["MLII", "V1"], ModelInfo("t", "0", "x"),
                        beats=Beats(s[:20] / FS, np.zeros(20, np.int8), np.full(20, 0.8, np.float32)))
    assert editing.show_findings(findings) == 0  # cached findings of the reopened file, question still open
    with qtbot.waitSignal(editing.suggestionsShown, timeout=5000):
        editing.restore_box.discard_button.click()
    assert int((c.store.beats["source"] == "model").sum()) == 20
