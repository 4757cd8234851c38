"""Families dock on MIT-BIH record 119 (bigeminy): grouping, then real key presses relabel a family in one
undoable edit, split/merge it and step through its members from the most atypical."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore


@pytest.fixture
def dock(qtbot, window, shared_data):
    from app.families import install_families

    panel = install_families(window)
    assert install_families(window) is panel
    assert window.open_path(shared_data / "mitdb" / "119.hea")
    assert panel.group()
    qtbot.waitUntil(lambda: panel.families is not None, timeout=120_000)
    return panel


def _item_with_label(panel, label: str) -> int:
    for row in range(panel.list.count()):
        f = panel.list.item(row).data(QtCore.Qt.ItemDataRole.UserRole)
        if panel.families.summary(f).label == label:
            return row
    raise AssertionError(f"no {label} family")


def test_family_keys_relabel_split_merge_and_step(qtbot, dock, tmp_path):
    store, c = dock.controller.store, dock.controller
    assert dock.list.count() >= 2 and "beats in" in dock.status.text()
    dock.window.grab().save(str(tmp_path / "families.png"))
    row = _item_with_label(dock, "V")
    dock.list.setCurrentRow(row)
    dock.list.setFocus()
    f = dock.selected_family()
    ids = dock.row_ids[dock.families.members(f)]
    assert len(ids) > 400  # record 119's ventricular bigeminy: one family of ~440 PVCs

    def codes():
        return store.beats["code"][np.isin(store.beats.ids, ids)]

    assert (codes() == "V").all()
    n_edits = len(store.log.entries)
    qtbot.keyClick(dock.list, "n")
    assert (codes() == "N").all() and len(store.log.entries) == n_edits + 1  # one edit for the whole family
    assert dock.families.summary(f).label == "N" and "N 100 %" in dock.list.currentItem().text()
    c.undo()
    assert (codes() == "V").all()
    assert dock.families.summary(f).label == "V"  # the dock follows edits made elsewhere

    qtbot.keyClick(dock.list, "]")
    first = dock.families.atypical_members(f)[0]
    assert c.selected_beat == int(dock.row_ids[first])
    qtbot.keyClick(dock.list, "]")
    assert c.selected_beat == int(dock.row_ids[dock.families.atypical_members(f)[1]])
    qtbot.keyClick(dock.list, "[")
    assert c.selected_beat == int(dock.row_ids[first])

    n, size = dock.list.count(), len(ids)
    qtbot.keyClick(dock.list, "/")
    assert dock.list.count() == n + 1
    new = max(dock.families.ids())
    assert len(dock.families.members(f)) + len(dock.families.members(new)) == size
    dock.list.setCurrentRow(next(r for r in range(dock.list.count())
                                 if dock.list.item(r).data(QtCore.Qt.ItemDataRole.UserRole) == new))
    qtbot.keyClick(dock.list, "m")
    assert dock.list.count() == n and new not in dock.families.ids()

    store.delete([int(ids[0])])  # a beat deleted anywhere: the dock asks for a regroup
    assert dock.stale and "Group beats again" in dock.status.text()


def test_class_indices_map_codes_to_aami_classes_once_per_distinct_code():
    import numpy as np

    from anyecg_model.vocabulary.labels import BEAT_CLASSES
    from app.families.learn import class_indices

    codes = np.array(["N", "V", "A", "~", "/", "f", "Q", "N", "+"], object)
    expected = ["N", "V", "S", None, "P", "P", "Q", "N", None]  # ~ and + are not beats
    assert class_indices(codes).tolist() == [-1 if c is None else BEAT_CLASSES.index(c) for c in expected]
    assert class_indices(np.array([], object)).tolist() == []


def test_timers_run_between_icon_batches(qtbot, window, shared_data, monkeypatch):
    """Family icons are drawn a few per event-loop turn, and a timer due after one batch runs before the next
    (0-ms single shots, posted events dispatched ahead of due timers, had let two batches run back to back)."""
    from app.families import install_families

    panel = install_families(window)
    assert window.open_path(shared_data / "mitdb" / "119.hea")
    steps: list[str] = []
    draw = panel._draw_icons
    timer = QtCore.QTimer(singleShot=True, interval=0)
    timer.timeout.connect(lambda: steps.append("timer"))

    def drawn(*args, **kwargs):
        steps.append("icons")
        out = draw(per_turn=1)  # one icon per turn: a batch for each of the record's families
        timer.start()  # due at once: runs before the next batch
        return out

    monkeypatch.setattr(panel, "_draw_icons", drawn)
    assert panel.group()
    qtbot.waitUntil(lambda: panel.families is not None and not panel._pending, timeout=120_000)
    qtbot.wait(20)
    batches = steps.count("icons")
    assert batches >= 4
    assert "icons, icons" not in ", ".join(steps)


def test_e_splits_the_premature_beats_off_a_normal_shaped_family_and_s_relabels_them(qtbot, window, shared_data):
    """Record 232 (sinus bradycardia with RBBB, 1,382 APCs, long pauses): its largest family holds beats of both
    kinds (codes R and A); E splits off the earlier-timed members (the APCs) and selects them, S relabels them in one edit."""
    from app.families import install_families

    dock = install_families(window)
    assert window.open_path(shared_data / "mitdb" / "232.hea")
    assert dock.group()
    qtbot.waitUntil(lambda: dock.families is not None, timeout=120_000)
    store, fam = dock.controller.store, dock.families
    dock.list.setCurrentRow(0)
    dock.list.setFocus()
    f = dock.selected_family()
    before = fam.members(f)

    def codes(members):
        return store.beats.values(dock.row_ids[members], "code", "")

    assert 0.1 < np.mean(codes(before) == "R") < 0.5  # APCs and sinus beats share the family's shape
    n = dock.list.count()
    qtbot.keyClick(dock.list, "e")
    assert dock.list.count() == n + 1
    new = dock.selected_family()
    assert new != f and new == max(fam.ids())  # the split-off family is selected
    early, rest = fam.members(new), fam.members(f)
    assert len(early) + len(rest) == len(before)
    assert np.mean(codes(early) == "A") > 0.95 and np.mean(codes(rest) == "R") > 0.9
    assert np.median(fam.rr[early, 2]) < np.median(fam.rr[rest, 2])

    store.relabel(dock.row_ids[early[:1]].tolist(), "R")  # one of them mislabelled: the family relabel fixes it
    n_edits = len(store.log.entries)
    qtbot.keyClick(dock.list, "s")
    assert len(store.log.entries) == n_edits + 1 and set(codes(early)) == {"S"}
    assert "S 100 %" in dock.list.currentItem().text()
    dock.controller.undo()
    assert codes(early[:1])[0] == "R"
