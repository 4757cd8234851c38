"""The user data set builder: labels from the store or tables, counts, splits by record/patient, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.train.data.corpus import CORPUS_FS, Corpus
from anyecg_model.train.data.dataset_builder import DatasetConfig, DatasetError, build_dataset, read_label_table

from beat_synth import beat_record


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("beats")
    for i in range(5):
        beat_record(d / f"r{i}", seed=i, duration_s=40.0)
    return [d / f"r{i}.hea" for i in range(5)]


def test_store_labels_count_every_annotated_beat_and_split_whole_records(records):
    ds = build_dataset(DatasetConfig("beats", records, val_fraction=0.3, seed=1))
    assert ds.ok, ds.errors
    per_record = {r["record"]: r for r in ds.record_counts()}
    from anyecg_model.io import open_recording

    for path in records:
        ann = open_recording(path).annotations
        row = per_record[path.stem]
        assert row["N"] == int(np.sum(ann.symbol == "N")) and row["V"] == int(np.sum(ann.symbol == "V"))
    counts = ds.counts()
    assert counts["all"]["N"] == counts["train"]["N"] + counts["val"]["N"]
    splits = {r.split for r in ds.records}
    assert splits == {"train", "val"}  # never by beat: each record sits wholly in one split
    val_share = sum(len(r.beat_class) for r in ds.records if r.split == "val") / sum(len(r.beat_class)
                                                                                     for r in ds.records)
    assert 0.15 < val_share < 0.65


def test_a_folder_yields_its_records_once(records):
    ds = build_dataset(DatasetConfig("beats", [records[0].parent]))
    assert sorted(r.record for r in ds.records) == sorted(p.stem for p in records)


def test_patients_from_a_table_stay_together(records, tmp_path):
    table = tmp_path / "labels.csv"
    rows = ["record,label,patient_id"] + [f"r{i},{'A' if i % 2 else 'N'},{i // 2}" for i in range(5)]
    table.write_text("\n".join(rows) + "\n")
    for seed in range(4):
        ds = build_dataset(DatasetConfig("rhythm", records, labels="table", table=table, seed=seed,
                                         min_class_examples=1, val_fraction=0.3))
        by_patient: dict[str, set] = {}
        for r in ds.records:
            by_patient.setdefault(r.patient, set()).add(r.split)
        assert all(len(s) == 1 for s in by_patient.values())
        assert {r.record: r.label for r in ds.records}["r1"] == 1  # A → RECORD_CLASSES index 1


def test_cinc_reference_table_is_read_without_a_header(tmp_path):
    (tmp_path / "REFERENCE.csv").write_text("A00001,N\nA00002,A\nA00003,~\n")
    table = read_label_table(tmp_path / "REFERENCE.csv")
    assert {k: v.label for k, v in table.items()} == {"A00001": "N", "A00002": "A", "A00003": "~"}


def test_one_class_only_is_refused_before_training(tmp_path):
    files = []
    for i in range(3):
        beat_record(tmp_path / f"n{i}", seed=i, duration_s=20.0, p_v=0.0)
        files.append(tmp_path / f"n{i}.hea")
    ds = build_dataset(DatasetConfig("beats", files))
    assert any("one class only (N)" in e for e in ds.errors)
    with pytest.raises(DatasetError, match="one class only"):
        ds.write_corpus(tmp_path / "corpus")
    assert not (tmp_path / "corpus" / "index.json").exists()


def test_no_labels_is_refused(tmp_path):
    for i in range(2):
        beat_record(tmp_path / f"u{i}", seed=i, duration_s=20.0, annotate=False)
    ds = build_dataset(DatasetConfig("beats", [tmp_path]))
    assert any("no beats labels in 2 file(s)" in e for e in ds.errors)
    assert any("without beats labels" in w for w in ds.warnings)


def test_short_and_unreadable_records_are_named_and_left_out(records, tmp_path):
    beat_record(tmp_path / "short", seed=9, duration_s=3.0)
    (tmp_path / "broken.edf").write_bytes(b"0       not really an EDF header")
    ds = build_dataset(DatasetConfig("beats", records + [tmp_path / "short.hea", tmp_path / "broken.edf"]))
    assert ds.ok
    assert any("short.hea" in w and "shorter than the 5 s" in w for w in ds.warnings)
    assert any("broken.edf" in w for w in ds.warnings)
    assert "short" not in {r.record for r in ds.records}
    only_short = build_dataset(DatasetConfig("beats", [tmp_path / "short.hea"]))
    assert only_short.errors


def test_a_rare_class_is_an_error_unless_dropped(records):
    ds = build_dataset(DatasetConfig("beats", records[:2], min_class_examples=50))
    assert any("class V has" in e and "at least 50" in e for e in ds.errors)
    dropped = build_dataset(DatasetConfig("beats", records[:2] + records[2:], min_class_examples=10))
    assert dropped.ok


def test_one_patient_cannot_be_split(records):
    ds = build_dataset(DatasetConfig("beats", records[:1]))
    assert any("cannot be split" in e for e in ds.errors)


def test_written_corpus_reads_back_with_beats_at_300_hz(records, tmp_path):
    ds = build_dataset(DatasetConfig("beats", records, seed=2))
    out = ds.write_corpus(tmp_path / "corpus")
    corpus = Corpus(out)
    assert [r.record for r in corpus.records] == [r.record for r in ds.records]
    assert [r.split for r in corpus.records] == [r.split for r in ds.records]
    lab = corpus.labels("mitdb")
    first = ds.records[0]
    got = lab["beat_sample"][lab["beat_record"] == 0]
    np.testing.assert_array_equal(got, np.round(first.beat_sample * CORPUS_FS / first.fs))
    # the R wave of the first labelled beat is where the label says (MLII peak within 20 ms)
    sig = corpus.signal(corpus.records[0])[0]
    s = int(got[0])
    assert abs(int(np.argmax(np.abs(sig[s - 30:s + 30]))) - 30) <= 6
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["counts"] == ds.counts() and len(manifest["records"]) == len(ds.records)


def test_mitdb_reference_labels_match_the_published_beat_counts(shared_data):
    """MIT-BIH record 100: 2239 N-class beats (N, L, R, e, j) and 33 S-class (A), 1 V (Arrhythmia Database
    directory); record 119 has 444 PVCs."""
    mitdb = shared_data / "mitdb"
    ds = build_dataset(DatasetConfig("beats", [mitdb / "100.hea", mitdb / "119.hea"], drop_rare=False,
                                     min_class_examples=1))
    rows = {r["record"]: r for r in ds.record_counts()}
    assert rows["100"]["N"] == 2239 and rows["100"]["S"] == 33 and rows["100"]["V"] == 1
    assert rows["119"]["V"] == 444


def test_cinc_records_take_their_rhythm_class_from_reference_csv(shared_data):
    """CinC 2017: each record's class is its REFERENCE.csv row (N, A, O, ~), counted once per record."""
    root = shared_data / "cinc2017"
    rows = [line.split(",") for line in (root / "REFERENCE.csv").read_text().split()][:24]
    files = [root / f"{rec}.hea" for rec, _ in rows]
    ds = build_dataset(DatasetConfig("rhythm", files, labels="table", table=root / "REFERENCE.csv",
                                     min_class_examples=1))
    got = {r.record: "NAO~"[r.label] for r in ds.records}
    short = {Path(w.split(": ")[1]).stem for w in ds.warnings if "shorter than" in w}
    assert got == {rec: lab for rec, lab in rows if rec not in short}
    assert sum(ds.counts()["all"].values()) == len(got)
