"""12-lead cart and export formats: values by documented scaling and Einthoven's law (III = II − I)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from anyecg_model.io import RecordingError, open_recording
from anyecg_model.vocabulary.leads import STANDARD_LEADS


def _einthoven_error(rec, n=None) -> float:
    x = rec.read(0, n or rec.n_samples, leads=["I", "II", "III"])
    return float(np.nanmedian(np.abs(x[2] - (x[1] - x[0]))))


def test_dicom_waveform_matches_pydicom_scaling():
    path = get_testdata_file("waveform_ecg.dcm")
    rec = open_recording(path)
    assert rec.format == "dicom" and rec.fs == 1000 and rec.n_samples == 10000
    assert rec.lead_names == list(STANDARD_LEADS)
    assert rec.sex == "F" and rec.age == 42 and rec.start_time == dt.datetime(2013, 1, 25, 10, 59, 19)
    assert rec.comments == ["device: Mortara Instrument, Inc. el250"]  # Manufacturer + model name
    ref = pydicom.dcmread(path).waveform_array(0)  # µV
    np.testing.assert_allclose(rec.read(0, 100), ref[:100].T / 1000, atol=1e-6)
    assert _einthoven_error(rec) < 0.01


@pytest.mark.realdata
def test_hl7_aecg(formats_dir):
    rec = open_recording(formats_dir / "hl7aecg" / "Example_aECG.xml")
    assert rec.format == "hl7aecg" and rec.fs == 500 and rec.n_samples == 5000
    assert sorted(rec.lead_names) == sorted(STANDARD_LEADS)
    assert rec.sex == "M" and rec.age == 46 and rec.start_time == dt.datetime(2002, 11, 22, 9, 10)
    # first digits of lead I are "-2 -2 -2" with scale 2.5 µV
    np.testing.assert_allclose(rec.read(0, 3, leads=["I"])[0], [-0.005] * 3, atol=1e-7)
    assert _einthoven_error(rec) < 0.01


@pytest.mark.realdata
def test_ishne_holter_with_annotations(formats_dir):
    rec = open_recording(formats_dir / "ishne" / "ECG_P28.01.ecg")
    assert rec.format == "ishne" and rec.fs == 1000 and rec.n_samples == 95573
    assert rec.lead_names == list(STANDARD_LEADS) and rec.adc_resolution_mv == [0.005] * 12
    assert rec.start_time == dt.datetime(2000, 1, 1, 7, 0, 0)
    raw = np.fromfile(formats_dir / "ishne" / "ECG_P28.01.ecg", "<i2", offset=522, count=12 * 10).reshape(10, 12)
    np.testing.assert_allclose(rec.read(0, 10), raw.T * 0.005, atol=1e-7)
    beats = rec.annotations.beats()
    bpm = 60 * rec.fs / np.median(np.diff(beats.sample))
    assert 40 < bpm < 100 and len(beats) > 80


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["philips_1_03.xml", "philips_1_04.xml"])
def test_philips_sierra(formats_dir, name):
    rec = open_recording(formats_dir / "philips" / name)
    assert rec.format == "philips" and rec.fs == 500 and rec.n_samples == 5500
    assert rec.lead_names == list(STANDARD_LEADS) and rec.sex == "M" and rec.age in (50, 60)
    assert _einthoven_error(rec, 5000) < 0.01
    assert 0.2 < np.nanmax(np.abs(rec.read(0, 5000, leads=["II"]))) < 5  # QRS amplitude in mV


@pytest.mark.realdata
def test_ge_muse_derives_limb_leads(formats_dir):
    rec = open_recording(formats_dir / "muse" / "muse_example1.xml")
    assert rec.format == "muse" and rec.fs == 500 and rec.n_samples == 5000
    assert rec.lead_names == list(STANDARD_LEADS)
    assert any("derived" in c for c in rec.comments)
    x = rec.read(0, 5000, leads=["aVR", "I", "II"])
    np.testing.assert_allclose(x[0], -(x[1] + x[2]) / 2, atol=1e-5)
    assert 0.2 < np.abs(x[2]).max() < 5


@pytest.mark.realdata
def test_schiller(formats_dir):
    rec = open_recording(formats_dir / "schiller" / "schiller_sample.xml")
    assert rec.format == "schiller" and rec.fs == 500 and rec.n_samples == 5000
    assert rec.lead_names == list(STANDARD_LEADS)
    np.testing.assert_allclose(rec.read(0, 3, leads=["I"])[0], [-0.060, -0.059, -0.059], atol=1e-6)
    assert _einthoven_error(rec) < 0.01


@pytest.mark.realdata
def test_csv_single_column_needs_rate(formats_dir):
    path = formats_dir / "csv" / "edb_e0103_lead1_250hz.csv"
    with pytest.raises(RecordingError, match="sampling rate"):
        open_recording(path)
    rec = open_recording(path, fs=250)
    assert rec.n_samples == 30000 and rec.duration_s == 120
    np.testing.assert_allclose(rec.read(0, 3)[0], [0.455, 0.46, 0.45], atol=1e-6)


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_csv_time_column_and_header(tmp_path, delim):
    t = np.arange(1000) / 360
    ii = np.sin(2 * np.pi * t)
    lines = [delim.join(["time_ms", "II [uV]", "V1"])]
    lines += [delim.join(f"{v:.6f}" for v in (tt * 1000, a * 1000, a / 2)) for tt, a in zip(t, ii)]
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n")
    rec = open_recording(path)
    assert rec.fs == pytest.approx(360, rel=1e-3)
    assert rec.lead_names == ["II", "V1"] and rec.units == ["mV", "mV"]
    np.testing.assert_allclose(rec.read(0, 1000)[0], ii, atol=1e-5)


def test_numpy_npy_and_npz(tmp_path):
    data = np.random.default_rng(0).normal(size=(3, 2000)).astype(np.float32)
    np.save(tmp_path / "a.npy", data.T)
    rec = open_recording(tmp_path / "a.npy", fs=250)
    np.testing.assert_array_equal(rec.read(), data)
    np.savez(tmp_path / "b.npz", signal=data, fs=np.array(500.0), leads=np.array(["I", "II", "V1"]))
    rec = open_recording(tmp_path / "b.npz")
    assert rec.fs == 500 and rec.lead_names == ["I", "II", "V1"]
    with pytest.raises(RecordingError, match="fs"):
        open_recording(tmp_path / "a.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(RecordingError):
        open_recording(tmp_path / "obj.npy", fs=100)


@pytest.mark.realdata
def test_scp_ecg_huffman_second_differences(formats_dir):
    rec = open_recording(formats_dir / "scp" / "Example.scp")
    assert rec.format == "scp" and rec.fs == 500 and rec.n_samples == 5000
    assert sorted(rec.lead_names) == sorted(STANDARD_LEADS) and rec.sex == "M"
    assert rec.start_time == dt.datetime(2002, 11, 22, 9, 10)
    assert _einthoven_error(rec) < 1e-6
    # the example is the same ECG as the HL7 aECG example: identical samples after decoding
    hl7 = open_recording(formats_dir / "hl7aecg" / "Example_aECG.xml")
    np.testing.assert_allclose(rec.read(0, 5000, leads=["I", "II", "V1"]), hl7.read(0, 5000, leads=["I", "II", "V1"]),
                               atol=1e-6)
