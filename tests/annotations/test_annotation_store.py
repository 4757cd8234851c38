"""The editable store: built from a recording's labels, LightWAVE-style edits, undo/redo, events, snapping."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.annotations import AnnotationError, AnnotationStore, SnapConfig, snap_to_r_peak
from ecg_synth import synthetic_ecg


class Clock:
    """A deterministic clock (Unix s) that ticks one second per call."""

    def __init__(self):
        self.t = 1.7e9

    def __call__(self):
        self.t += 1.0
        return self.t


def make_store(recording):
    return AnnotationStore.from_recording(recording, author="ann", clock=Clock())


def test_store_holds_reference_beats_at_the_simulated_rate(recording):
    store = make_store(recording)
    beats = store.seconds(store.beats["sample"])
    assert len(store.beats) == 70  # 70 bpm for 60 s
    assert 60.0 / np.median(np.diff(beats)) == pytest.approx(70.0, abs=0.3)
    assert set(store.beats["source"]) == {"reference"}
    assert set(store.beats["author"]) == {"atr"}
    (episode,) = [store.episodes.row_at(k) for k in range(len(store.episodes))]
    assert (episode["start"], episode["stop"], episode["code"]) == (0, recording.n_samples, "N")


def test_insert_relabel_move_delete_and_undo_all(recording):
    store = make_store(recording)
    before = store.fingerprint()
    new = store.insert_beat(1000, "V")
    assert store.beats.row(new)["source"] == "manual" and store.beats.row(new)["author"] == "ann"
    store.relabel([new], "A")
    store.move(new, 1010)
    assert store.beats.row(new)["sample"] == 1010 and store.beats.row(new)["code"] == "A"
    first = int(store.beats.ids[0])
    store.delete([first])
    assert first not in store.beats and len(store.beats) == 70
    for _ in range(4):
        store.undo()
    assert store.undo() is None
    assert store.fingerprint() == before
    for _ in range(4):
        store.redo()
    assert store.redo() is None
    assert store.beats.row(new)["sample"] == 1010 and first not in store.beats


def test_new_edit_after_undo_clears_redo_but_keeps_the_log(recording):
    store = make_store(recording)
    a = store.insert_beat(1000, "V")
    store.undo()
    store.insert_beat(2000, "A")
    assert not store.log.can_redo and a not in store.beats
    assert [e["type"] for e in store.log.entries] == ["edit", "undo", "edit"]


def test_relabelled_reference_beat_becomes_a_manual_correction(recording):
    store = make_store(recording)
    target = int(store.beats.ids[10])
    store.relabel([target], "V")
    row = store.beats.row(target)
    assert (row["code"], row["source"], row["author"]) == ("V", "manual", "ann")
    assert store.relabel([target], "V") is None  # no change, nothing logged
    assert len(store.log.entries) == 1


def test_relabel_span_changes_only_the_beats_inside(recording):
    store = make_store(recording)
    fs = store.fs
    store.relabel_span(int(10 * fs), int(20 * fs), "L")
    t = store.seconds(store.beats["sample"])
    inside = (t >= 10) & (t < 20)
    assert set(store.beats["code"][inside]) == {"L"} and set(store.beats["code"][~inside]) == {"N"}
    assert inside.sum() == pytest.approx(70 / 6, abs=1)  # 10 s at 70 bpm
    store.undo()
    assert set(store.beats["code"]) == {"N"}


def test_rhythm_span_splits_the_episode_it_lies_in(recording):
    store = make_store(recording)
    fs = store.fs
    store.set_rhythm(int(20 * fs), int(30 * fs), "(AFIB")
    e = store.episodes
    assert list(zip(e["start"], e["stop"], e["code"])) == [
        (0, 20 * fs, "N"), (20 * fs, 30 * fs, "AFIB"), (30 * fs, recording.n_samples, "N")]
    store.set_rhythm(int(25 * fs), int(40 * fs), "VT")
    assert list(store.episodes["code"]) == ["N", "AFIB", "VT", "N"]
    assert store.episodes["stop"][1] == 25 * fs and store.episodes["start"][3] == 40 * fs
    store.undo()
    store.undo()
    assert len(store.episodes) == 1 and store.episodes["stop"][0] == recording.n_samples


def test_events_report_inserted_updated_removed_ids(recording):
    store = make_store(recording)
    seen = []
    store.events.changed.connect(seen.append)
    new = store.insert_beat(500, "V")
    store.relabel([new], "F")
    store.undo()
    store.undo()
    assert [c.action for c in seen] == ["edit", "edit", "undo", "undo"]
    assert (seen[0].beats.inserted.tolist() == [new] and seen[1].beats.updated.tolist() == [new]
            and seen[3].beats.removed.tolist() == [new])


def test_navigation_finds_next_and_previous_annotations(recording):
    store = make_store(recording)
    s = store.beats["sample"]
    assert store.beats.row(store.step(int(s[3]), +1))["sample"] == s[4]
    assert store.beats.row(store.step(int(s[3]), -1))["sample"] == s[2]
    v = store.insert_beat(int(s[40]) + 100, "V")
    assert store.step(0, +1, code="V") == v and store.step(int(s[-1]), -1, code="V") == v
    assert store.step(int(s[-1]) + 1, +1) is None
    assert store.nearest_beat(int(s[5]) + 3) == int(store.beats.ids[5])
    assert store.nearest_beat(int(s[5]) + 100, max_distance=10) is None


def test_bad_edits_are_refused_with_clear_errors(recording):
    store = make_store(recording)
    with pytest.raises(AnnotationError, match="not an MIT-BIH"):
        store.insert_beat(100, "Z")
    with pytest.raises(AnnotationError, match="outside the recording"):
        store.insert_beat(recording.n_samples + 5, "N")
    with pytest.raises(AnnotationError, match="no annotation with id"):
        store.delete([999_999])
    with pytest.raises(AnnotationError, match="empty"):
        store.set_rhythm(100, 100, "AFIB")
    assert store.log.entries == [] and len(store.beats) == 70


@pytest.mark.parametrize("offset_s", [-0.06, -0.02, 0.03, 0.08])
def test_click_near_a_qrs_snaps_to_its_r_peak(recording, offset_s):
    _, peaks = synthetic_ecg()
    click = int(peaks[20] + offset_s * recording.fs)
    assert abs(snap_to_r_peak(recording, click) - peaks[20]) <= 1
    assert abs(snap_to_r_peak(recording, click, leads=["V1"]) - peaks[20]) <= 1  # negative QRS snaps too


def test_snap_window_limits_the_search(recording):
    _, peaks = synthetic_ecg()
    far = int(peaks[20] + 0.3 * recording.fs)  # 300 ms after the R peak: T wave, not QRS
    snapped = snap_to_r_peak(recording, far, config=SnapConfig(window_s=0.05))
    assert abs(snapped - far) <= 0.05 * recording.fs
    with pytest.raises(AnnotationError):
        SnapConfig(window_s=0.0)


def test_table_compacts_its_slots_and_keeps_every_row():
    from anyecg_model.annotations import BeatTable

    table = BeatTable.from_columns(np.arange(50), sample=np.arange(50) * 10, code=["N"] * 50)
    rng = np.random.default_rng(0)
    for step in range(3000):  # each move takes a new slot; old ones are reclaimed by compaction
        row_id = int(rng.integers(50))
        before = table.row(row_id)
        table.apply([(row_id, before, {**before, "sample": int(rng.integers(10_000)), "code": "V" if step % 2 else "A"})])
    assert table._used < 2 * len(table) + 1100
    assert len(table) == 50 and sorted(table.ids.tolist()) == list(range(50))
    assert np.all(np.diff(table["sample"]) >= 0)
    assert [table.position(i) for i in table.ids.tolist()] == list(range(50))
