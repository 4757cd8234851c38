"""Keyboard-first annotation editing in the viewer (pytest-qt): keys, clicks and drags produce the expected
labels; undo / redo and the edit counter follow."""
from __future__ import annotations

import numpy as np
import pytest
from editing_helpers import CTRL, FS, K, click_at, labels, press, repaint


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
    afib = next(a for a in c.gestures.span_menu.actions() if a.text() == "AFIB")
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


def test_one_edit_repaints_only_the_visible_beats(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    lane = c.label_lane
    c.insert_at(15.05)
    repaint(editing)
    visible = np.sum((c.store.beats["sample"] >= 10 * FS) & (c.store.beats["sample"] <= 20.5 * FS))
    assert 0 < lane.last_drawn <= visible + 2
    assert lane.last_drawn < len(c.store.beats) / 10


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


def test_edit_counter_follows_edits_undo_and_redo(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    counts = []
    for act in (lambda: c.insert_at(15.05), lambda: c.insert_at(16.05), c.undo, c.undo, c.redo):
        act()
        counts.append(editing.badge.text().split("· ")[1])
    assert counts == ["1 edit(s)", "2 edit(s)", "1 edit(s)", "0 edit(s)", "1 edit(s)"]
    assert editing.window.statusBar().currentMessage().startswith("Redo: insert")
