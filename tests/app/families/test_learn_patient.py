"""Learn this patient in the viewer, on MIT-BIH record 119: the annotator's labels in the first 5 minutes, the
model's (here all-N) suggestions after; L adapts the suggestions in one undoable edit, the adaptation is saved
with the recording's annotation journal and applied again to new suggestions after the file is reopened."""
from __future__ import annotations

import shutil

import numpy as np
import pytest


def _reference_then_suggestions(ui, until_s: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """Keep the reference labels before ``until_s``; after it, an all-N model's suggestions instead."""
    store = ui.controller.store
    b = store.beats
    late = store.label_mask() & (b["sample"] >= until_s * store.fs) & np.isin(b["code"], ["N", "V"])
    samples, codes = b["sample"][late].copy(), b["code"][late].copy()
    store.delete(b.ids[late].tolist())
    ui.controller.set_suggestions(samples, ["N"] * len(samples), np.full(len(samples), 0.6))
    return samples, codes


def _suggested(store, samples) -> np.ndarray:
    b = store.beats
    m = b["source"] == "model"
    lookup = dict(zip(b["sample"][m].tolist(), b["code"][m].tolist()))
    return np.array([lookup.get(int(s), "") for s in samples])


def test_learn_key_adapts_suggestions_saves_and_reuses_on_reopen(qtbot, window, shared_data, tmp_path):
    from anyecg_model.families.adapt import adaptation_path
    from app.families import install_families

    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared_data / "mitdb" / f"119.{ext}", tmp_path / f"119.{ext}")
    panel = install_families(window)
    ui = window.editing
    assert window.open_path(tmp_path / "119.hea")
    samples, truth = _reference_then_suggestions(ui)
    assert (truth == "V").sum() > 300 and (_suggested(ui.controller.store, samples) == "N").all()
    n_edits = len(ui.controller.store.log.entries)

    panel.list.setFocus()
    with qtbot.waitSignal(panel.learnt, timeout=120_000):
        qtbot.keyClick(panel.list, "l")
    got = _suggested(ui.controller.store, samples)
    assert np.mean(got[truth == "V"] == "V") > 0.95 and np.mean(got[truth == "N"] == "N") > 0.98
    assert len(ui.controller.store.log.entries) == n_edits + 1  # one edit
    assert "N→V" in panel.learn_status.text() and "saved with the annotation journal" in panel.learn_status.text()
    saved = adaptation_path(window.recording)  # with the journal (ANYECG_JOURNAL_DIR), never beside the file
    assert saved.exists() and not [p for p in tmp_path.iterdir() if p.suffix == ".npz"]
    ui.controller.undo()
    assert (_suggested(ui.controller.store, samples) == "N").all()

    assert window.open_path(tmp_path / "119.hea")  # reopened: fresh labels, the saved adaptation waits
    samples, truth = _reference_then_suggestions(ui)
    with qtbot.waitSignal(panel.learnt, timeout=120_000):
        ui.suggestionsShown.emit(len(samples))  # what a finished analysis announces
    got = _suggested(ui.controller.store, samples)
    assert np.mean(got[truth == "V"] == "V") > 0.95 and "Saved adaptation applied" in panel.learn_status.text()


def test_learning_without_suggestions_says_what_to_do(qtbot, window, shared_data):
    from app.families import install_families

    panel = install_families(window)
    assert window.open_path(shared_data / "mitdb" / "119.hea")
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        assert panel.learn()
    assert "analyse the recording first" in panel.learn_status.text()


def test_learnt_suggestions_are_prepared_off_the_gui_thread_and_written_in_later_turns(qtbot, window, sinus,
                                                                                       monkeypatch, tmp_path):
    """The ~100,000 suggestions of a 24-h recording are prepared in the worker; the GUI thread commits them in
    a later event-loop turn than the worker's report and orders the review queue in a turn after that (each
    step checked to run outside the previous one's call), in one journalled edit that one undo takes back."""
    import sys
    import threading

    import anyecg_model.annotations.suggestions as suggestions
    from app.editing import controller as editing_controller
    from app.families import install_families
    from app.families import panel as panel_module

    preparing: list[bool] = []  # per preparation: on the GUI thread
    prepare = suggestions.prepare_suggestions

    def recorded(*args, **kwargs):
        preparing.append(threading.current_thread() is threading.main_thread())
        return prepare(*args, **kwargs)

    monkeypatch.chdir(tmp_path)  # '<sinus>' has no file: nothing may be written, here or anywhere
    monkeypatch.setattr(suggestions, "prepare_suggestions", recorded)
    monkeypatch.setattr(panel_module, "prepare_suggestions", recorded, raising=False)
    steps: list[str] = []  # the order in which the steps ran
    inside: dict[str, set[str]] = {}  # per step: the functions of the earlier steps on the call stack then

    def step(name, earlier, call=None):
        def wrapped(*args, **kwargs):
            steps.append(name)
            frames, callers = sys._getframe(1), set()
            while frames is not None:
                callers.add(frames.f_code.co_name)
                frames = frames.f_back
            inside[name] = callers & earlier
            return call(*args, **kwargs) if call else None
        return wrapped

    monkeypatch.setattr(editing_controller, "commit_suggestions",
                        step("commit", {"_on_relabelled"}, editing_controller.commit_suggestions))
    panel = install_families(window)
    ui = window.editing
    window.set_recording(sinus)
    _reference_then_suggestions(ui, until_s=120.0)
    store = ui.controller.store
    n_suggested, n_edits = int((store.beats["source"] == "model").sum()), len(store.log.entries)
    panel.learnt.connect(step("learnt", {"_on_relabelled", "commit"}))
    preparing.clear()
    panel.list.setFocus()
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        qtbot.keyClick(panel.list, "l")
    assert "suggestions changed" in panel.learn_status.text() and "not saved" in panel.learn_status.text()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".npz"]
    assert preparing and not any(preparing)  # every preparation off the GUI thread
    assert steps == ["commit", "learnt"]
    assert not inside["commit"] and not inside["learnt"]  # each step in an event-loop turn of its own
    assert len(store.log.entries) == n_edits + 1 and store.log.done[-1].by_model  # one edit, journalled like all
    assert int((store.beats["source"] == "model").sum()) == n_suggested
    ui.controller.undo()
    assert (store.beats["code"][store.beats["source"] == "model"] == "N").all()


def test_a_due_timer_runs_between_the_commit_and_the_queue_order(qtbot, window, sinus, monkeypatch, tmp_path):
    """The commit of the learnt suggestions and the review queue's order are separate event-loop turns that let
    a due timer (the GUI's own, or the responsiveness probe) run between them: a 0-ms single shot is a posted
    event, dispatched ahead of due timers, so the two 10–30 ms steps had run back to back."""
    from PySide6 import QtCore

    from app.editing import controller as editing_controller
    from app.families import install_families

    monkeypatch.chdir(tmp_path)
    steps: list[str] = []
    timer = QtCore.QTimer(singleShot=True, interval=0)
    timer.timeout.connect(lambda: steps.append("timer"))
    commit = editing_controller.commit_suggestions

    def committed(*args, **kwargs):
        steps.append("commit")
        out = commit(*args, **kwargs)
        timer.start()  # due at once: runs before any later step of the edit
        return out

    monkeypatch.setattr(editing_controller, "commit_suggestions", committed)
    panel = install_families(window)
    ui = window.editing
    window.set_recording(sinus)
    _reference_then_suggestions(ui, until_s=120.0)
    monkeypatch.setattr(ui.controller, "reorder_queue", lambda: steps.append("order"))
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        assert panel.learn()
    assert steps == ["commit", "timer", "order"]


def test_a_file_less_recordings_adaptation_reapplied_says_it_is_this_sessions(qtbot, window, sinus, monkeypatch,
                                                                              tmp_path):
    """'<sinus>' has no file: its adaptation lives for the session only, so re-applying it to new suggestions must
    not claim a saved adaptation."""
    from app.families import install_families

    monkeypatch.chdir(tmp_path)
    panel = install_families(window)
    ui = window.editing
    window.set_recording(sinus)
    samples, _ = _reference_then_suggestions(ui, until_s=120.0)
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        assert panel.learn()
    ui.controller.undo()
    with qtbot.waitSignal(panel.learnt, timeout=60_000):
        ui.suggestionsShown.emit(len(samples))  # what a finished analysis announces
    text = panel.learn_status.text()
    assert "suggestions changed" in text and "Saved adaptation" not in text
    assert "this session" in text.lower() and "not saved" in text
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".npz"]
