"""The lanes drawn from the store: rhythm edits reach the overview, the beat-type filter, lane order, the
suggestions tag, and codes, confidences and rhythm names that never run together."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from editing_helpers import FS, repaint


def test_rhythm_edits_reach_the_overview_bar(qtbot, editing):
    c = editing.controller
    c.set_editing(True)
    c.set_span(int(60 * FS), int(90 * FS))
    c.set_span_rhythm("AFIB")
    assert "rhythm" in editing.window.overview.lane_names()
    c.undo()
    assert "rhythm" not in editing.window.overview.lane_names()


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
