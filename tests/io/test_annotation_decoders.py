"""Fast annotation decoders against the reference libraries (wfdb.rdann, pyedflib readAnnotations)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest
import wfdb

from anyecg_model.io.readers.edf_header import parse_header, parse_tal, read_tals
from anyecg_model.io.readers.wfdb_annotations import read_annotation_file


def _same_as_rdann(path: Path) -> None:
    mine = read_annotation_file(path)
    # rdann also drops comment notes at sample 0; this decoder keeps them (they are annotations)
    kept = ~((mine["symbol"] == '"') & (mine["sample"] == 0))
    mine = {k: (v[kept] if isinstance(v, np.ndarray) else v) for k, v in mine.items()}
    ref = wfdb.rdann(str(path.with_suffix("")), path.suffix[1:])
    np.testing.assert_array_equal(mine["sample"], ref.sample)
    assert list(mine["symbol"]) == ref.symbol
    np.testing.assert_array_equal(mine["subtype"], ref.subtype)
    np.testing.assert_array_equal(mine["chan"], ref.chan)
    np.testing.assert_array_equal(mine["num"], ref.num)
    assert list(mine["aux"]) == [(a or "").rstrip("\x00") for a in ref.aux_note]


def test_wfdb_annotations_with_every_field(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    sample = np.cumsum(rng.integers(1, 3000, n))  # gaps over 1023 need SKIP words
    sample[100] = sample[99]  # two annotations at one time
    symbols = list(rng.choice(["N", "V", "A", "+", "~", '"'], n))
    aux = ["(AFIB" if s == "+" else ("note text" if s == '"' else "") for s in symbols]
    wfdb.wrann("rec", "ann", sample, symbol=symbols, subtype=rng.integers(0, 3, n), chan=rng.integers(0, 2, n),
               num=rng.integers(0, 4, n), aux_note=aux, fs=250, write_dir=str(tmp_path))
    _same_as_rdann(tmp_path / "rec.ann")
    assert read_annotation_file(tmp_path / "rec.ann")["fs"] == 250


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["100.atr", "100.qrs", "03700181.gqrsh", "1003.atr"])
def test_wfdb_annotations_real_files(formats_dir, name):
    _same_as_rdann(formats_dir / "wfdb" / name)


def test_comment_note_at_sample_zero_is_kept(tmp_path):
    wfdb.wrann("r", "atr", np.array([0, 0, 50]), symbol=['"', "N", "N"], aux_note=["RECORD START", "", ""], fs=100,
               write_dir=str(tmp_path))
    out = read_annotation_file(tmp_path / "r.atr")
    assert list(out["symbol"]) == ['"', "N", "N"] and out["aux"][0] == "RECORD START" and out["fs"] == 100


def test_truncated_annotation_file_does_not_raise(tmp_path):
    wfdb.wrann("r", "atr", np.arange(10, 1000, 10), symbol=["N"] * 99, write_dir=str(tmp_path))
    raw = (tmp_path / "r.atr").read_bytes()
    for cut in range(0, len(raw), 7):
        (tmp_path / "r.atr").write_bytes(raw[:cut])
        out = read_annotation_file(tmp_path / "r.atr")
        assert len(out["sample"]) <= 99 and (np.diff(out["sample"]) >= 0).all()


def test_tal_parsing_edge_cases():
    block = (b"+0\x14\x14\x00+0.3\x14N\x14\x00\x00\x00+1.5\x1512\x14Sleep stage W\x14\x00"
             b"+2\x14a\x14b\x14\x00+x\x14bad\x14\x00-0.5\x14early\x14\x00")
    onsets, durations, texts = parse_tal(block)
    assert onsets.tolist() == [-0.5, 0.3, 1.5, 2.0, 2.0]
    assert durations.tolist() == [0, 0, 12, 0, 0]
    assert texts.tolist() == [b"early", b"N", b"Sleep stage W", b"a", b"b"]
    assert len(parse_tal(b"")[0]) == 0 and len(parse_tal(b"+0\x14\x14\x00")[0]) == 0


def test_edf_annotations_match_pyedflib(tmp_path):
    path = tmp_path / "a.edf"
    w = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": "II", "dimension": "mV", "sample_frequency": 100, "physical_max": 1,
                         "physical_min": -1, "digital_max": 32767, "digital_min": -32768}])
    w.set_number_of_annotation_signals(4)
    onsets = np.round(np.sort(np.random.default_rng(2).uniform(0, 59, 150)), 3)
    for k, onset in enumerate(onsets):
        w.writeAnnotation(float(onset), 0.5 if k % 7 == 0 else -1, ["N", "V", "+(AFIB", "Arousal"][k % 4])
    w.writeSamples([np.zeros(6000)])
    w.close()
    mine = read_tals(path, parse_header(path))
    ref = pyedflib.EdfReader(str(path))
    try:
        ref_on, ref_dur, ref_text = ref.readAnnotations()
    finally:
        ref.close()
    np.testing.assert_allclose(mine[0], ref_on, atol=1e-4)
    np.testing.assert_allclose(np.where(ref_dur < 0, 0, ref_dur), mine[1], atol=1e-4)
    assert [t.decode() for t in mine[2]] == [str(t) for t in ref_text]


def test_negative_subtype_reads_as_a_signed_character(tmp_path):
    """WFDB stores SUB and NUM as signed, CHN as unsigned characters (MIT-BIH 208 has a subtype of -1)."""
    sample = np.array([10, 20, 30, 40, 50])
    wfdb.wrann("r", "atr", sample, symbol=["N", "~", "V", "N", "N"], subtype=np.array([0, -1, -128, 127, 3]),
               chan=np.array([0, 255, 1, 1, 200]), num=np.array([0, 2, 5, 0, 0]), write_dir=str(tmp_path))
    _same_as_rdann(tmp_path / "r.atr")
    out = read_annotation_file(tmp_path / "r.atr")
    assert out["subtype"].tolist() == [0, -1, -128, 127, 3] and out["chan"].tolist() == [0, 255, 1, 1, 200]


@pytest.mark.realdata
def test_mitdb_208_subtypes_match_rdann(shared_data):
    _same_as_rdann(shared_data / "mitdb" / "208.atr")
