"""Writers: round trips keep samples within one ADC step and every annotation (`anyecg convert` / `anyecg info`
are in tests/commands/test_info_convert.py)."""
from __future__ import annotations

import numpy as np
import pytest
import wfdb
from annotated_recording import annotated_recording

from anyecg_model.io import Annotations, Recording, open_recording
from anyecg_model.io.writers import write_csv, write_edf, write_wfdb, write_wfdb_annotations


@pytest.mark.parametrize("suffix", ["", ".edf", ".bdf", ".csv"])
def test_round_trip(tmp_path, suffix):
    rec = annotated_recording()
    out = tmp_path / f"copy{suffix}"
    writer = {"": write_wfdb, ".edf": write_edf, ".bdf": write_edf, ".csv": write_csv}[suffix]
    writer(rec, out)
    back = open_recording(out if suffix else tmp_path / "copy.hea")
    assert back.lead_names == rec.lead_names and back.fs == rec.fs
    assert back.n_samples >= rec.n_samples
    step = 1e-3 if suffix in ("", ".csv") else 2 * 3.3 / 65535
    np.testing.assert_allclose(back.read(0, rec.n_samples), rec.read(), atol=step)
    if suffix != ".csv":
        assert back.annotations.counts() == rec.annotations.counts()
        np.testing.assert_array_equal(np.sort(back.annotations.sample), np.sort(rec.annotations.sample))
        assert back.annotations.rhythm_episodes(back.n_samples)[:2] == [(500, 1500, "AFIB"), (1500, 2000, "N")]
        assert back.start_time == rec.start_time and back.sex == "F" and back.age == 57


@pytest.mark.parametrize("suffix", [".edf", ".bdf"])
def test_edf_of_a_recording_without_start_time_reads_back_unknown(tmp_path, suffix):
    """No acquisition time is invented: the file says 'Startdate X' (EDF+) and reopens with the start unknown."""
    t = np.arange(2500) / 250.0
    rec = Recording.from_array(np.sin(2 * np.pi * t)[None].astype(np.float32), 250.0, ["II"], path="synthetic")
    assert rec.start_time is None
    out = write_edf(rec, tmp_path / f"no_start{suffix}")
    recording_field = out.read_bytes()[88:168].decode("ascii")
    assert recording_field.startswith("Startdate X ")
    back = open_recording(out)
    assert back.start_time is None
    np.testing.assert_allclose(back.read(0, rec.n_samples), rec.read(), atol=2 * 1.001 / 65535 * 2)
    again = write_edf(back, tmp_path / f"again{suffix}")  # and it stays unknown through a second copy
    assert open_recording(again).start_time is None


def test_wfdb_is_readable_by_wfdb_python(tmp_path):
    rec = annotated_recording()
    write_wfdb(rec, tmp_path / "r.hea", gain=400)
    ref = wfdb.rdrecord(str(tmp_path / "r"))
    np.testing.assert_allclose(ref.p_signal.T, rec.read(), atol=1 / 400)
    ann = wfdb.rdann(str(tmp_path / "r"), "atr")
    assert "(AFIB" in ann.aux_note and ann.symbol.count("V") == 3


def test_wfdb_nan_samples_come_back_as_nan(tmp_path):
    data = np.ones((1, 100), np.float32)
    data[0, 10:20] = np.nan
    write_wfdb(data, tmp_path / "n", fs=100, lead_names=["II"])
    back = open_recording(tmp_path / "n.hea").read()
    assert np.isnan(back[0, 10:20]).all() and np.isfinite(back[0, :10]).all()


def test_wfdb_annotation_writer_is_importable_alone(tmp_path):
    path = write_wfdb_annotations(tmp_path / "rec", "test", [30, 10, 20], ["N", "V", "+"], ["", "", "(AFIB"], fs=360)
    ann = wfdb.rdann(str(tmp_path / "rec"), "test")
    assert list(ann.sample) == [10, 20, 30] and ann.symbol == ["V", "+", "N"] and path.name == "rec.test"
    assert write_wfdb_annotations(tmp_path / "rec", "none", [], []) is None


def test_failed_write_leaves_no_partial_file(tmp_path):
    class Broken:
        pass

    with pytest.raises(Exception):
        write_edf(Broken(), tmp_path / "x.edf")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", ["", ".edf"])
def test_large_amplitudes_are_not_clipped(tmp_path, suffix):
    data = np.array([np.linspace(-80, 120, 1000)], np.float32)  # beyond ±32.767 mV of 1-µV steps
    (write_wfdb if not suffix else write_edf)(data, tmp_path / f"big{suffix}", fs=100, lead_names=["II"])
    back = open_recording(tmp_path / (f"big{suffix}" if suffix else "big.hea"))
    np.testing.assert_allclose(back.read(0, 1000)[0], data[0], atol=200 / 65535 * 2)


def test_comment_at_sample_zero_survives_wfdb(tmp_path):
    ann = Annotations.from_lists([0, 100], ['"', "N"], aux=["RECORD START", ""], source="edf+")
    rec = Recording.from_array(np.zeros((1, 500), np.float32), 100, ["II"], annotations=ann)
    write_wfdb(rec, tmp_path / "c")
    back = open_recording(tmp_path / "c.hea").annotations
    assert list(back.symbol) == ['"', "N"] and back.aux[0] == "RECORD START"
