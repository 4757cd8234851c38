"""Saving without loss: WFDB annotator files (new name, never the .atr), CSV and EDF+ exports, atomic writes."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import wfdb

from anyecg_model.annotations import (AnnotationError, AnnotationStore, accept, read_csv, read_edf_annotations,
                                      read_wfdb, reject, save_csv, save_edf_annotations, save_wfdb, set_suggestions)
from anyecg_model.io import Annotations


@pytest.fixture
def edited(recording) -> AnnotationStore:
    """Every kind of field set: manual beats with aux, subtype and lead-specific channel, an accepted model beat
    with confidence and top classes, a rejected one, a non-beat mark, and rhythm episodes with a gap."""
    store = AnnotationStore.from_recording(recording, author="dr_a")
    s = store.beats["sample"]
    store.insert_beat(int(s[3]) + 60, "V", aux="couplet?", subtype=2, channel=1)
    store.insert_beat(int(s[4]) + 40, "~", aux="noisy")
    store.relabel([int(store.beats.ids[8])], "A")
    set_suggestions(store, [int(s[12]) + 2, int(s[13]) + 2], ["V", "F"], [0.81, 0.42],
                    [[("V", 0.81), ("N", 0.15), ("F", 0.04)], [("F", 0.42), ("V", 0.40), ("N", 0.18)]])
    model = store.beats.ids[store.beats["source"] == "model"].tolist()
    accept(store, [model[0]])
    reject(store, [model[1]])
    store.set_rhythm(int(20 * store.fs), int(30 * store.fs), "AFIB", aux="paroxysm")
    store.delete_episodes([int(store.episodes.ids[-1])])  # the trailing N: a gap from 30 s to the end
    return store


def write_record(folder, recording):
    """A WFDB record (header, signal, .atr) in ``folder`` to save beside."""
    sig = recording.read().T.astype(np.float64)
    wfdb.wrsamp("syn", fs=recording.fs, units=["mV", "mV"], sig_name=["II", "V1"], p_signal=sig,
                fmt=["16", "16"], write_dir=str(folder))
    ann = recording.annotations
    wfdb.wrann("syn", "atr", ann.sample, list(ann.symbol), aux_note=list(ann.aux), write_dir=str(folder))
    return folder / "syn"


def test_wfdb_round_trip_keeps_every_field(tmp_path, recording, edited):
    record = write_record(tmp_path, recording)
    atr_before = (tmp_path / "syn.atr").read_bytes()
    path = save_wfdb(edited, record, "corr")
    assert path == tmp_path / "syn.corr"
    assert (tmp_path / "syn.atr").read_bytes() == atr_before
    back = read_wfdb(record, "corr", recording.fs, recording.n_samples)
    beats, episodes = edited.labels()
    assert back.beats.equals(beats, compare_ids=False)
    assert back.episodes.equals(episodes, compare_ids=False)
    accepted = back.beats.row(int(back.beats.ids[back.beats["source"] == "accepted"][0]))
    assert accepted["confidence"] == 0.81 and accepted["top"][0] == ["V", 0.81]
    assert "rejected" not in set(back.beats["source"])
    assert list(back.episodes["stop"]) == [int(20 * edited.fs), int(30 * edited.fs)]  # the gap survives


def test_saved_file_is_plain_wfdb_for_other_tools(tmp_path, recording, edited):
    record = write_record(tmp_path, recording)
    save_wfdb(edited, record, "corr")
    ann = wfdb.rdann(str(record), "corr")
    beats, episodes = edited.labels()
    assert len(ann.sample) == len(beats) + len(episodes)
    manual = ann.symbol.index("V")
    assert (ann.subtype[manual], ann.chan[manual], ann.aux_note[manual]) == (2, 1, "couplet?")
    assert [a for a, s in zip(ann.aux_note, ann.symbol) if s == "+"] == ["(N", "(AFIB"]
    (tmp_path / "syn.corr.anyecg.json").unlink()  # without the sidecar: WFDB fields, rhythm tiles the record
    plain = read_wfdb(record, "corr", recording.fs, recording.n_samples)
    assert list(plain.beats["code"]) == list(beats["code"]) and list(plain.beats["aux"]) == list(beats["aux"])
    assert list(plain.episodes["code"]) == ["N", "AFIB"] and plain.episodes["stop"][-1] == recording.n_samples


def test_existing_annotators_are_never_overwritten_unless_named_on_purpose(tmp_path, recording, edited):
    record = write_record(tmp_path, recording)
    atr = (tmp_path / "syn.atr").read_bytes()
    with pytest.raises(AnnotationError, match="exists"):
        save_wfdb(edited, record, "atr")
    save_wfdb(edited, record, "corr")
    edited.insert_beat(100, "Q")
    with pytest.raises(AnnotationError, match="exists"):
        save_wfdb(edited, record, "corr")
    save_wfdb(edited, record, "corr", replace=True)
    assert (tmp_path / "syn.atr").read_bytes() == atr
    assert "Q" in read_wfdb(record, "corr", recording.fs, recording.n_samples).beats["code"]
    for bad in ("", "a.b", "hea", "../x", "x" * 40):
        with pytest.raises(AnnotationError, match="annotator name"):
            save_wfdb(edited, record, bad)


def test_a_failed_save_leaves_the_old_file_and_no_debris(tmp_path, recording, edited, monkeypatch):
    record = write_record(tmp_path, recording)
    save_wfdb(edited, record, "corr")
    old = (tmp_path / "syn.corr").read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())

    def disk_full(*args, **kwargs):
        (tmp_path / [p for p in tmp_path.iterdir() if p.name.startswith(".anyecg-save-")][0].name / "syn.corr"
         ).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wfdb, "wrann", disk_full)
    edited.insert_beat(100, "Q")
    with pytest.raises(OSError):
        save_wfdb(edited, record, "corr", replace=True)
    assert (tmp_path / "syn.corr").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_stale_sidecar_is_ignored(tmp_path, recording, edited):
    record = write_record(tmp_path, recording)
    save_wfdb(edited, record, "corr")
    ann = wfdb.rdann(str(record), "corr")
    wfdb.wrann("syn", "corr", ann.sample[:-1], ann.symbol[:-1], aux_note=ann.aux_note[:-1], write_dir=str(tmp_path))
    back = read_wfdb(record, "corr", recording.fs, recording.n_samples)
    assert set(back.beats["source"]) == {"reference"}  # the WFDB fields only


def test_csv_round_trip_keeps_suggestions_and_labels(tmp_path, edited):
    path = save_csv(edited, tmp_path / "labels.csv")
    back = read_csv(path, edited.fs, edited.n_samples)
    assert back.beats.equals(edited.beats, compare_ids=False)
    assert back.episodes.equals(edited.episodes, compare_ids=False)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(AnnotationError, match="bad.csv"):
        read_csv(tmp_path / "bad.csv", edited.fs, edited.n_samples)


def test_edf_plus_export_has_every_label_at_its_time(tmp_path, edited):
    path = save_edf_annotations(edited, tmp_path / "labels.edf")
    beats, episodes = edited.labels()
    got = read_edf_annotations(path, edited.fs)
    assert [(s, t) for s, stop, t in got if stop is None] == list(zip(beats["sample"].tolist(), beats["code"]))
    assert [(s, stop, t) for s, stop, t in got if stop is not None] == [
        (a, b, "(" + c) for a, b, c in zip(episodes["start"].tolist(), episodes["stop"].tolist(), episodes["code"])]
    # no start time given: the file says so ("Startdate X"), it does not invent one
    from anyecg_model.io.readers.edf_header import parse_header

    assert parse_header(path).start is None
    dated = save_edf_annotations(edited, tmp_path / "dated.edf", start_time=dt.datetime(2024, 5, 6, 7, 8, 9))
    assert parse_header(dated).start == dt.datetime(2024, 5, 6, 7, 8, 9)


@pytest.mark.realdata
def test_mitdb_record_round_trips_through_a_new_annotator(shared_data, tmp_path):
    src = shared_data / "mitdb"
    for ext in ("hea", "dat", "atr"):
        (tmp_path / f"208.{ext}").write_bytes((src / f"208.{ext}").read_bytes())
    header = wfdb.rdheader(str(tmp_path / "208"))
    ann = wfdb.rdann(str(tmp_path / "208"), "atr")
    reference = Annotations.from_lists(ann.sample, ann.symbol, ann.subtype, ann.chan, ann.aux_note, "atr")
    store = AnnotationStore.from_annotations(reference, header.fs, header.sig_len, author="t")
    assert {"V", "F"} <= set(store.beats["code"])
    v = store.beats.ids[store.beats["code"] == "V"][:50].tolist()
    store.relabel(v, "F")
    save_wfdb(store, tmp_path / "208", "corr")
    back = read_wfdb(tmp_path / "208", "corr", header.fs, header.sig_len)
    assert back.beats.equals(store.labels()[0], compare_ids=False)
    assert back.episodes.equals(store.labels()[1], compare_ids=False)
    atr = wfdb.rdann(str(tmp_path / "208"), "atr")
    assert np.array_equal(atr.sample, ann.sample) and atr.symbol == ann.symbol


def test_reopening_the_record_restores_the_saved_annotator_exactly(tmp_path, recording, edited):
    from anyecg_model.annotations import annotators, open_store
    from anyecg_model.io import open_recording

    record = write_record(tmp_path, recording)
    save_wfdb(edited, record, "corr")
    reopened = open_recording(str(record) + ".hea")
    assert {"atr", "corr"} <= set(annotators(reopened.annotations))
    atr = open_store(reopened)
    assert len(atr.beats) == 70 and set(atr.beats["author"]) == {"atr"}  # one annotator, not both
    corr = open_store(reopened, "corr")
    beats, episodes = edited.labels()
    assert corr.beats.equals(beats, compare_ids=False) and corr.episodes.equals(episodes, compare_ids=False)
    with pytest.raises(AnnotationError, match="no annotator 'xyz'"):
        open_store(reopened, "xyz")


def _same_wfdb_fields(a, b) -> None:
    np.testing.assert_array_equal(a.sample, b.sample)
    assert a.symbol == b.symbol
    np.testing.assert_array_equal(a.subtype, b.subtype)
    np.testing.assert_array_equal(a.chan, b.chan)
    np.testing.assert_array_equal(a.num, b.num)
    assert [(x or "").rstrip("\x00") for x in a.aux_note] == [(x or "").rstrip("\x00") for x in b.aux_note]


def test_negative_subtype_saves_and_reads_back_as_written(tmp_path, recording):
    """A subtype of -1 (as on MIT-BIH 208's ``~``) opened through the reader saves and reads back unchanged."""
    from anyecg_model.annotations import open_store
    from anyecg_model.io import open_recording

    record = write_record(tmp_path, recording)
    ann = wfdb.rdann(str(record), "atr")
    subtype = np.zeros(len(ann.sample), int)
    subtype[5], subtype[6] = -1, 3
    wfdb.wrann("syn", "atr", ann.sample, ann.symbol, subtype=subtype, aux_note=ann.aux_note, write_dir=str(tmp_path))
    store = open_store(open_recording(str(record) + ".hea"))
    save_wfdb(store, record, "corr")
    _same_wfdb_fields(wfdb.rdann(str(record), "corr"), wfdb.rdann(str(record), "atr"))


def test_labels_wfdb_cannot_hold_get_a_clear_message_and_nothing_is_written(tmp_path, recording):
    record = write_record(tmp_path, recording)
    store = AnnotationStore.from_recording(recording)
    store.insert_beat(int(12.5 * store.fs), "V", subtype=300)
    before = store.beats.select(np.ones(len(store.beats), bool))
    listing = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AnnotationError) as caught:
        save_wfdb(store, record, "corr")
    message = str(caught.value)
    assert "subtype outside -128..127" in message and "V at 0:00:12.500 (subtype 300)" in message
    assert "Nothing was written" in message and "must only contain" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert store.beats.equals(before)


@pytest.mark.realdata
def test_mitdb_208_saves_unedited_and_reads_back_identically(shared_data, tmp_path):
    """Annotate ▸ Save as WFDB annotator on 208 with no edits: the new annotator equals the .atr field by field."""
    from anyecg_model.annotations import open_store
    from anyecg_model.io import open_recording

    for ext in ("hea", "dat", "atr"):
        (tmp_path / f"208.{ext}").write_bytes((shared_data / "mitdb" / f"208.{ext}").read_bytes())
    store = open_store(open_recording(str(tmp_path / "208.hea")))
    save_wfdb(store, tmp_path / "208", "corr")
    atr = wfdb.rdann(str(tmp_path / "208"), "atr")
    assert -1 in atr.subtype
    _same_wfdb_fields(wfdb.rdann(str(tmp_path / "208"), "corr"), atr)
