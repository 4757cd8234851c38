"""EDF/BDF reader: values against pyedflib, EDF+ annotations, multi-rate leads, lenient header path."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pyedflib
import pytest

from anyecg_model.io import RecordingError, open_recording
from anyecg_model.io.readers.edf_reader import read_annotations


def _write_edf(path, fs=(250, 125), n_s=8, bdf=False, annotations=()):
    n_sig = len(fs)
    ftype = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    w = pyedflib.EdfWriter(str(path), n_sig, file_type=ftype)
    headers = []
    data = []
    for i, f in enumerate(fs):
        t = np.arange(n_s * f) / f
        data.append(np.sin(2 * np.pi * (i + 1) * t) * 1.5)
        headers.append({"label": ["ECG II", "V1", "V2"][i], "dimension": "mV", "sample_frequency": f,
                        "physical_max": 5.0, "physical_min": -5.0,
                        "digital_max": 8388607 if bdf else 32767, "digital_min": -8388608 if bdf else -32768})
    w.setSignalHeaders(headers)
    w.setStartdatetime(dt.datetime(2024, 3, 1, 8, 30, 0))
    w.setSex(1)
    w.setBirthdate(dt.date(1960, 5, 2))
    for onset, text in annotations:
        w.writeAnnotation(onset, -1, text)
    w.writeSamples(data)
    w.close()
    return data


@pytest.mark.parametrize("bdf", [False, True])
def test_generated_edf_matches_pyedflib(tmp_path, bdf):
    path = tmp_path / ("x.bdf" if bdf else "x.edf")
    data = _write_edf(path, bdf=bdf, annotations=[(1.0, "N"), (2.0, "+(AFIB"), (3.5, "V")])
    rec = open_recording(path)
    assert rec.format == ("bdf" if bdf else "edf")
    assert rec.fs == 250 and rec.lead_names == ["II", "V1"] and rec.lead_fs == [250.0, 125.0]
    assert rec.n_samples == 8 * 250 and rec.start_time == dt.datetime(2024, 3, 1, 8, 30)
    assert rec.sex == "M" and rec.age == 63
    ref = pyedflib.EdfReader(str(path))
    try:
        np.testing.assert_allclose(rec.read(300, 900, leads=[0])[0], ref.readSignal(0, 300, 600), atol=1e-6)
        slow = rec.read(300, 900, leads=["V1"])[0]
        np.testing.assert_allclose(slow[::2], ref.readSignal(1, 150, 300), atol=1e-6)
    finally:
        ref.close()
    np.testing.assert_allclose(rec.read(0, 2000)[0], data[0], atol=10 / 32767)
    ann = rec.annotations
    assert list(ann.symbol) == ["N", "+", "V"] and list(ann.sample) == [250, 500, 875]
    assert ann.aux[1] == "(AFIB" and set(ann.source) == {"edf+"}


def test_lenient_header_opens_with_a_warning(tmp_path):
    path = tmp_path / "odd.edf"
    _write_edf(path)
    raw = bytearray(path.read_bytes())
    raw[236:244] = b"-1      "  # unknown record count: edflib refuses, EDF allows it while recording
    path.write_bytes(bytes(raw))
    rec = open_recording(path)
    assert rec.n_samples == 8 * 250
    assert any("lenient" in c for c in rec.comments)
    with pytest.raises(RecordingError, match="compliant"):
        open_recording(path, lenient=False)


@pytest.mark.realdata
def test_real_edf_samples(formats_dir):
    path = formats_dir / "edf" / "cardio_sample.edf"
    rec = open_recording(path)
    ref = pyedflib.EdfReader(str(path))
    try:
        np.testing.assert_allclose(rec.read(1000, 4000)[0], ref.readSignal(0, 1000, 3000), atol=1e-6)
    finally:
        ref.close()
    assert rec.fs == 300 and rec.lead_names == ["ECG"] and rec.units == ["mV"]


@pytest.mark.realdata
def test_noncompliant_real_edf_opens_leniently(formats_dir, tmp_path):
    path = formats_dir / "edf" / "test_generator_2.edf"
    rec = open_recording(path)
    assert rec.fs == 200 and len(rec.leads) == 11 and rec.n_samples == 600 * 200
    assert "lenient" in rec.comments[0]
    # pyedflib reads a copy whose non-ASCII unit bytes are blanked: the lenient values must agree
    raw = bytearray(path.read_bytes())
    header = 256 * 13
    raw[:header] = bytes(b if 32 <= b < 127 else 32 for b in raw[:header])
    fixed = tmp_path / "fixed.edf"
    fixed.write_bytes(bytes(raw))
    ref = pyedflib.EdfReader(str(fixed))
    try:
        for i, lead in enumerate(rec.leads):
            scale = 1e-3 if lead.units == "mV" and ref.getPhysicalDimension(i) == "uV" else 1.0
            np.testing.assert_allclose(rec.read(1000, 1400, leads=[i])[0], ref.readSignal(i, 1000, 400) * scale,
                                       rtol=1e-5, atol=1e-6)
    finally:
        ref.close()


@pytest.mark.realdata
def test_annotation_only_edf(formats_dir):
    path = formats_dir / "edf" / "test_edfann.edf"
    with pytest.raises(RecordingError, match="no signals"):
        open_recording(path)
    ann = read_annotations(path, fs=100)
    assert len(ann) == 856 and ann.aux[0].startswith("Sleep stage")
    ref = pyedflib.EdfReader(str(path))
    try:
        onsets, _, texts = ref.readAnnotations()
    finally:
        ref.close()
    np.testing.assert_array_equal(ann.sample, np.round(onsets * 100).astype(int))
    assert list(ann.aux) == [str(t) for t in texts]


@pytest.mark.parametrize("duration", [b"0       ", b"-1      "])
def test_a_zero_or_negative_record_duration_is_refused_naming_the_field(tmp_path, duration):
    path = tmp_path / "x.edf"
    _write_edf(path)
    raw = bytearray(path.read_bytes())
    raw[244:252] = duration  # the data record duration field of the fixed header, seconds
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="data record duration") as err:
        open_recording(path)
    assert str(path) in str(err.value)
