"""Keyboard-first annotation editing in the viewer (pytest-qt): keys and clicks produce the expected labels."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from anyecg_model.annotations import Journal, read_wfdb

FS = 250.0
K = QtCore.Qt.Key
CTRL = QtCore.Qt.KeyboardModifier.ControlModifier


@pytest.fixture(autouse=True)
def journal_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(tmp_path / "journal"))
    return tmp_path / "journal"


@pytest.fixture
def editing(qtbot, window, sinus):
    """The main window with editing installed, the 5-min 75 bpm sinus record open, 10–20 s in view."""
    from app.editing import install_editing

    ui = install_editing(window)
    window.set_recording(sinus)
    window.trace.set_view(10.0, 20.0)
    assert window.trace.wait_rendered()
    return ui


def labels(ui):
    store = ui.controller.store
    mask = store.label_mask()
    return store.beats["sample"][mask], store.beats["code"][mask]


def press(qtbot, ui, key, text="", mods=QtCore.Qt.KeyboardModifier.NoModifier):
    if text:
        qtbot.keyClick(ui.window.trace, text, mods)
    else:
        qtbot.keyClick(ui.window.trace, key, mods)


def repaint(ui) -> None:
    """Paint the trace area now, once the view's data is there (painting waits for it)."""
    assert ui.window.trace.wait_rendered()
    ui.window.trace.plot.viewport().repaint()


def click_at(qtbot, ui, t_s: float, y: float):
    """A real left click on the trace at plot time ``t_s`` (s) and plot ``y`` (mV rows)."""
    trace = ui.window.trace
    scene = trace.viewbox.mapViewToScene(QtCore.QPointF(t_s, y))
    pos = trace.plot.mapFromScene(scene)
    qtbot.mouseClick(trace.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)


def test_f2_toggles_edit_mode_and_keys_do_nothing_outside_it(qtbot, editing):
    c = editing.controller
    before = len(c.store.log.entries)
    press(qtbot, editing, None, "V")
    assert len(c.store.log.entries) == before and not c.editing
    press(qtbot, editing, K.Key_F2)
    assert c.editing and editing.edit_action.isChecked() and "EDIT" in editing.badge.text()
    press(qtbot, editing, K.Key_F2)
    assert not c.editing


def test_click_inserts_a_beat_on_the_r_peak_and_typing_sets_its_code(qtbot, editing, sinus):
    c = editing.controller
    press(qtbot, editing, K.Key_F2)
    peaks = sinus.annotations.sample
    target = int(peaks[(peaks > 14 * FS)][0])
    c.store.delete([c.store.nearest_beat(target)])  # a missed beat to put back
    y = editing.window.trace.lead_offset(0)
    click_at(qtbot, editing, target / FS + 0.04, y)  # 40 ms late: snaps back to the R peak
    new = c.selected_beat
    assert new is not None and c.store.beats.row(new)["sample"] == target
    press(qtbot, editing, None, "V")
    assert c.store.beats.row(new)["code"] == "V" and c.store.beats.row(new)["source"] == "manual"
    press(qtbot, editing, None, "/")
    assert c.store.beats.row(new)["code"] == "/"


def test_snap_off_inserts_where_clicked(qtbot, editing):
    c = editing.controller
    c.settings.snap = False
    c.set_editing(True)
    new = c.insert_at(12.345)
    assert c.store.beats.row(new)["sample"] == round(12.345 * FS)


def test_arrows_walk_annotations_delete_removes_and_undo_redo_restore(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    samples, _ = labels(editing)
    press(qtbot, editing, K.Key_Right)
    first = c.store.beats.row(c.selected_beat)["sample"]
    press(qtbot, editing, K.Key_Right)
    second = c.store.beats.row(c.selected_beat)["sample"]
    press(qtbot, editing, K.Key_Left)
    assert c.store.beats.row(c.selected_beat)["sample"] == first
    k = int(np.searchsorted(samples, first))
    assert samples[k + 1] == second  # next annotation, none skipped
    press(qtbot, editing, K.Key_Delete)
    assert first not in labels(editing)[0]
    assert c.store.beats.row(c.selected_beat)["sample"] == second  # selection moves on
    press(qtbot, editing, K.Key_Z, mods=CTRL)
    assert first in labels(editing)[0]
    press(qtbot, editing, K.Key_Y, mods=CTRL)
    assert first not in labels(editing)[0]
    for _ in range(3):
        press(qtbot, editing, K.Key_Z, mods=CTRL)
    assert np.array_equal(labels(editing)[0], samples)


def test_span_relabel_and_rhythm_palette(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    c.set_span(int(30 * FS), int(40 * FS))
    press(qtbot, editing, None, "L")
    samples, codes = labels(editing)
    inside = (samples >= 30 * FS) & (samples < 40 * FS)
    assert set(codes[inside]) == {"L"} and inside.sum() == pytest.approx(12.5, abs=1)  # 10 s at 75 bpm
    assert "L" not in set(codes[~inside])
    c.set_span(int(60 * FS), int(90 * FS))
    afib = next(a for a in c.span_menu.actions() if a.text() == "AFIB")
    afib.trigger()
    e = c.store.episodes
    assert list(zip(e["start"], e["stop"], e["code"])) == [(60 * FS, 90 * FS, "AFIB")]
    assert c.span is None and c.selected_episode == int(e.ids[0])
    press(qtbot, editing, K.Key_Delete)
    assert len(c.store.episodes) == 0


def test_number_keys_use_the_user_palette(qtbot, editing):
    c = editing.controller
    c.settings.palette = ["F", "E", "Q"]
    c.set_editing(True)
    press(qtbot, editing, K.Key_Right)
    sel = c.selected_beat
    press(qtbot, editing, None, "2")
    assert c.store.beats.row(sel)["code"] == "E"


@pytest.fixture
def suggested(editing):
    """Model suggestions 12 ms after the reference beats in 10–20 s: confidences rising from 0.40 to 0.99,
    every third one a V."""
    c = editing.controller
    s = c.store.beats["sample"]
    ref = s[(s > 10 * FS) & (s < 20 * FS)]
    codes = ["V" if i % 3 == 0 else "N" for i in range(len(ref))]
    conf = np.linspace(0.4, 0.99, len(ref))
    top = [[(cd, p), ("N" if cd == "V" else "V", (1 - p) * 0.7), ("A", (1 - p) * 0.3)] for cd, p in zip(codes, conf)]
    c.set_suggestions(ref + 3, codes, conf, top)
    c.set_editing(True)
    return ref


def test_review_queue_enter_accepts_backspace_rejects_and_counts(qtbot, editing, suggested):
    c, dock = editing.controller, editing.review
    assert editing.window.trace.lanes().keys() >= {"beats", "suggestions"}
    dock.rebuild()
    total = len(suggested)
    assert dock.counter.text() == f"reviewed 0 of {total} — {total} remaining"
    dock.start()
    first = c.selected_beat
    assert c.store.beats.row(first)["confidence"] == pytest.approx(0.4)  # least certain first
    press(qtbot, editing, K.Key_Return)
    assert c.store.beats.row(first)["source"] == "accepted"
    second = c.selected_beat
    assert second != first and c.store.beats.row(second)["source"] == "model"
    press(qtbot, editing, K.Key_Backspace)
    assert c.store.beats.row(second)["source"] == "rejected"
    third = c.selected_beat
    press(qtbot, editing, None, "3")
    assert c.store.beats.row(third)["code"] == "A" and c.store.beats.row(third)["source"] == "accepted"
    assert dock.counter.text() == f"reviewed 3 of {total} — {total - 3} remaining"
    samples, codes = labels(editing)
    assert len(samples) == 374  # two accepted suggestions replaced their reference beats one for one
    assert list(codes).count("A") == 1
    press(qtbot, editing, K.Key_Z, mods=CTRL)
    assert dock.counter.text() == f"reviewed 2 of {total} — {total - 2} remaining"


def test_bulk_accept_above_threshold(qtbot, editing, suggested):
    c = editing.controller
    n = c.bulk_accept(0.9)
    conf = np.linspace(0.4, 0.99, len(suggested))
    assert n == int(np.sum(conf >= 0.9)) and n > 0
    assert len(labels(editing)[0]) == 374


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


def test_one_edit_repaints_only_the_visible_beats(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    lane = c.label_lane
    c.insert_at(15.05)
    repaint(editing)
    visible = np.sum((c.store.beats["sample"] >= 10 * FS) & (c.store.beats["sample"] <= 20.5 * FS))
    assert 0 < lane.last_drawn <= visible + 2
    assert lane.last_drawn < len(c.store.beats) / 10


def test_model_findings_become_suggestions(qtbot, editing, sinus):
    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo, RhythmEpisode

    s = sinus.annotations.sample
    beats = Beats(s[:20] / FS + 0.01, np.where(np.arange(20) % 5 == 0, 2, 0).astype(np.int8),
                  np.linspace(0.5, 0.95, 20).astype(np.float32))
    findings = Findings("<sinus>", sinus.duration_s, FS, ["MLII", "V1"], ModelInfo("t", "0", "x"), beats=beats,
                        episodes=[RhythmEpisode(2.0, 8.0, "AF", 0.6)])
    with qtbot.waitSignal(editing.suggestionsShown, timeout=5000):
        assert editing.show_findings(findings) == 20
    store = editing.controller.store
    model = store.beats["source"] == "model"
    assert model.sum() == 20 and set(store.beats["code"][model]) == {"N", "V"}
    assert list(store.episodes["code"]) == ["AF"]
    assert editing.review.counter.text() == "reviewed 0 of 20 — 20 remaining"


def test_rhythm_edits_reach_the_overview_bar(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    c.set_span(int(60 * FS), int(90 * FS))
    c.set_span_rhythm("AFIB")
    assert "rhythm" in editing.window.overview.lane_names()
    c.undo()
    assert "rhythm" not in editing.window.overview.lane_names()


def test_palette_is_validated_and_remembered(qtbot, editing):
    from anyecg_model.annotations import AnnotationError

    editing.set_palette(["V", "F", "/"])
    assert editing.window.settings.get_str("editing/palette", "") == "V F /"
    with pytest.raises(AnnotationError, match="not an MIT-BIH"):
        editing.set_palette(["V", "XX"])
    assert editing.controller.settings.palette == ["V", "F", "/"]


def test_dragged_beat_moves_to_the_r_peak_where_it_is_dropped(qtbot, editing, sinus):
    c = editing.controller
    c.set_editing(True)
    peaks = sinus.annotations.sample
    k = int(np.searchsorted(peaks, 12 * FS))
    beat = c.store.nearest_beat(int(peaks[k]))
    c.store.move(beat, int(peaks[k]) + 20)  # off the peak by 80 ms
    c.move_to(beat, (peaks[k] - 10) / FS)  # dropped 40 ms early: lands on the R peak
    assert c.store.beats.row(beat)["sample"] == peaks[k]
    c.undo()
    assert c.store.beats.row(beat)["sample"] == peaks[k] + 20


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


def test_beat_type_filter_applies_to_the_live_lanes(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    editing.window.trace.set_view(0.0, 60.0)
    for act in editing.window.beat_filter_menu.actions():
        if act.text() == "N":
            act.setChecked(False)
    assert editing.window.trace.wait_rendered()
    editing.window.trace.grab()
    drawn = c.label_lane.visible_rows()["code"]
    assert len(drawn) > 0 and set(drawn) == {"V"}


def test_lanes_keep_their_order_when_suggestions_arrive(qtbot, editing):
    """The file's lanes stay above the model's when an analysis adds suggestions (go_live used to re-append
    the reference beat and rhythm lanes below the model's lanes)."""
    from app.lanes import BandLaneItem, BeatLaneItem

    trace, c = editing.window.trace, editing.controller
    trace.add_lane("rhythm", BandLaneItem("rhythm", np.array([0.0]), np.array([300.0]), ["N"]))  # the file's
    for name in ("model anomaly", "model beats", "model rhythm"):  # the model's overlays, added after the file's
        trace.add_lane(name, BeatLaneItem(name, np.array([11.0]), ["N"]))
    assert list(trace.lanes()) == ["beats", "rhythm", "model anomaly", "model beats", "model rhythm"]
    s = c.store.beats["sample"]
    ref = s[(s > 10 * FS) & (s < 20 * FS)]
    c.set_suggestions(ref + 3, ["N"] * len(ref), np.full(len(ref), 0.9))
    assert list(trace.lanes()) == ["beats", "suggestions", "rhythm", "model anomaly", "model beats", "model rhythm"]
    assert trace.lanes()["beats"] is c.label_lane and trace.lanes()["rhythm"] is c.rhythm_lane
    c.set_suggestions(ref[:0], [], np.zeros(0))  # suggestions gone and back: the same rows
    assert "suggestions" not in trace.lanes()
    c.set_suggestions(ref + 3, ["N"] * len(ref), np.full(len(ref), 0.9))
    assert list(trace.lanes()) == ["beats", "suggestions", "rhythm", "model anomaly", "model beats", "model rhythm"]


def test_suggestion_lane_carries_a_model_tag(qtbot, editing, suggested, monkeypatch):
    """Like every model lane, the suggestions lane says "model …", in a gap its labels leave free; the labels
    lane has no tag."""
    import app.editing.lanes as editing_lanes
    from app.lanes import paint_tag

    tags = []
    monkeypatch.setattr(editing_lanes, "paint_tag", lambda painter, tr, item, text, *a, **k: (
        tags.append((item.name, text)), paint_tag(painter, tr, item, text, *a, **k))[1], raising=False)
    trace = editing.window.trace
    assert trace.wait_rendered()
    image = trace.grab().toImage()
    assert ("suggestions", "model suggestions") in tags
    assert not any(name == "beats" for name, _ in tags)
    lane = trace.lanes()["suggestions"]
    box = lane.tag_rect
    assert box is not None and lane.toolTip() == "model suggestions"
    assert lane.tag_text in ("model suggestions", "model")  # the short form where beats leave less room
    assert all(right <= box.left() or left >= box.right() for left, right, _ in lane.last_texts)  # covers none
    # the tag is drawn: its purple text lies in its box
    dpr = image.devicePixelRatio()
    origin = trace.plot.mapTo(trace, QtCore.QPoint(0, 0))
    purple = sum(1 for y in range(int((origin.y() + box.top()) * dpr), int((origin.y() + box.bottom()) * dpr))
                 for x in range(int((origin.x() + box.left()) * dpr), int((origin.x() + box.right()) * dpr))
                 if (lambda c: 50 < c.red() < 140 and c.green() < 90 and c.blue() > 100)(image.pixelColor(x, y)))
    assert purple > 10


def test_findings_of_a_closed_recording_never_become_suggestions(qtbot, editing, sinus):
    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo

    s = sinus.annotations.sample
    findings = Findings("<sinus>", sinus.duration_s, FS, ["MLII", "V1"], ModelInfo("t", "0", "x"),
                        beats=Beats(s[:20] / FS, np.zeros(20, np.int8), np.full(20, 0.9, np.float32)))
    shown = []
    editing.suggestionsShown.connect(shown.append)
    assert editing.show_findings(findings) == 20
    editing.open_labels(sinus)  # opened again before the next event-loop turn commits them: a new store
    qtbot.wait(50)
    assert not shown and not np.any(editing.controller.store.beats["source"] == "model")


def test_crowded_suggestions_drop_their_confidences_not_their_codes(qtbot, editing, suggested):
    lane, plot = editing.controller.suggestion_lane, editing.window.trace.plot
    repaint(editing)
    assert lane.last_drawn > 0 and lane.last_with_confidence  # 10 s in view: "V 0.93" fits between beats
    editing.window.trace.set_view(0.0, 120.0)

    def zoomed_out() -> bool:  # the view box applies the range over the next event-loop turns
        repaint(editing)
        return lane.last_px_per_s < 2000 / 120.0

    qtbot.waitUntil(zoomed_out)
    assert lane.last_drawn == len(suggested) and not lane.last_with_confidence


def test_confidences_of_close_neighbours_never_run_together(qtbot, editing):
    """Couplets among wide RR intervals (as on MIT-BIH 208): the average spacing leaves room for "V 0.66", the
    couplet does not; every text keeps clear of the next, and the roomy beats keep their confidence."""
    c = editing.controller
    beats = []
    t = 10.3
    while t < 19.5:
        beats += [t, t + 0.3]  # a couplet, then a long pause
        t += 1.6
    c.set_suggestions(np.round(np.array(beats) * FS).astype(int), ["V", "F"] * (len(beats) // 2),
                      np.linspace(0.4, 0.9, len(beats)))
    c.set_editing(True)
    repaint(editing)
    texts = c.suggestion_lane.last_texts
    assert len(texts) == len(beats)
    assert all(a[1] <= b[0] for a, b in zip(texts, texts[1:]))  # no overlap ("F 0.66V 0.43")
    assert any(" " in t for *_, t in texts)


def test_reference_and_suggested_rhythm_names_never_overlap(qtbot, editing):
    c = editing.controller
    c.store.set_rhythm(0, int(60 * FS), "N")  # the labelled sinus rhythm
    c.set_suggestions([], [], [], episodes=[(int(10.5 * FS), int(18 * FS), "AF", 0.7)])
    c.set_editing(True)
    editing.window.trace.set_view(10.0, 20.0)
    repaint(editing)
    drawn = c.rhythm_lane.last_texts
    names = [t for *_, t in drawn]
    assert "AF?" in names and "N" in names  # the reference sinus rhythm and the model's AF
    boxes = [box for _, box, _ in drawn]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


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


def test_edit_counter_follows_edits_undo_and_redo(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    counts = []
    for act in (lambda: c.insert_at(15.05), lambda: c.insert_at(16.05), c.undo, c.undo, c.redo):
        act()
        counts.append(editing.badge.text().split("· ")[1])
    assert counts == ["1 edit(s)", "2 edit(s)", "1 edit(s)", "0 edit(s)", "1 edit(s)"]
    assert editing.window.statusBar().currentMessage().startswith("Redo: insert")


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


@pytest.mark.realdata
def test_rhythm_names_of_mitdb_201_zoomed_out_are_whole(qtbot, window, shared_data, tmp_path):
    """MIT-BIH 201 (AFIB, SVTA, trigeminy …) over its whole half hour: each rhythm name drawn is whole (or a
    short form that is itself a label) and lies inside its own band, never cut to "NS" or "A"."""
    import shutil

    from app.editing import install_editing
    from app.lanes import SHORT_LABELS

    for ext in ("hea", "dat", "atr"):
        shutil.copy(shared_data / "mitdb" / f"201.{ext}", tmp_path)
    ui = install_editing(window)
    assert window.open_path(str(tmp_path / "201.hea"))
    c = ui.controller
    c.set_editing(True)
    window.trace.set_view(0.0, window.recording.duration_s)
    repaint(ui)
    codes = set(c.store.episodes["code"])
    drawn = c.rhythm_lane.last_texts
    assert len(drawn) >= 5 and "AFIB" in codes
    assert {t for *_, t in drawn} <= codes | {SHORT_LABELS[x] for x in codes if x in SHORT_LABELS}
    assert all(box.right() <= band.right() for band, box, _ in drawn)
