"""open_recording: format sniffing, extension fallback, and one clear error for files that are not ECGs."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from anyecg_model.io import RecordingError, open_recording
from anyecg_model.io.registry import detect_format


def test_sniffing_beats_a_misleading_extension(tmp_path):
    dcm = tmp_path / "ecg.txt"
    shutil.copy(get_testdata_file("waveform_ecg.dcm"), dcm)
    assert open_recording(dcm).format == "dicom"


@pytest.mark.parametrize("head,name,fmt", [
    (b"0       rest", "x.bin", "edf"),
    (b"\xffBIOSEMI", "x.bin", "edf"),
    (b"ISHNE1.0", "x.bin", "ishne"),
    (b"\x93NUMPY", "x.bin", "numpy"),
    (b'<?xml version="1.0"?><!-- c --><AnnotatedECG xmlns="urn:hl7-org:v3">', "x", "hl7aecg"),
    (b"<restingecgdata>", "x.xml", "philips"),
    (b"<RestingECG>", "x.xml", "muse"),
    (b"<com.xiriuz.sema.xml.schillerEDI.SchillerEDI>", "x.xml", "schiller"),
    ('<?xml version="1.0" encoding="utf-16"?><restingecgdata>'.encode("utf-16"), "x.xml", "philips"),
    (b"1,2,3\n", "x.csv", "csv"),
    (b"\x00\x01", "x.scp", "scp"),
])
def test_detect_format(tmp_path, head, name, fmt):
    assert detect_format(tmp_path / name, head) == fmt


def test_record_name_without_extension_opens_wfdb(tmp_path):
    import wfdb

    wfdb.wrsamp("r", fs=100, units=["mV"], sig_name=["II"], p_signal=np.zeros((100, 1)), fmt=["16"],
                write_dir=str(tmp_path))
    assert open_recording(tmp_path / "r").format == "wfdb"
    assert open_recording(tmp_path / "r.dat").format == "wfdb"


@pytest.mark.parametrize("setup,message", [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "directory"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)), "unknown file format"),
    (lambda p: p.write_bytes("ÿþ random text".encode("latin-1")), "unknown file format"),
])
def test_bad_paths_give_one_clear_error(tmp_path, setup, message):
    path = tmp_path / "thing.bin"
    setup(path)
    with pytest.raises(RecordingError, match=message) as info:
        open_recording(path)
    assert str(path) in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "x.edf"
    path.write_bytes(b"0       ")
    path.chmod(0)
    with pytest.raises(RecordingError, match="permission"):
        open_recording(path)


def test_reader_crash_becomes_recording_error(tmp_path):
    path = tmp_path / "x.edf"
    path.write_bytes(b"0       " + b"garbage" * 10)
    with pytest.raises(RecordingError, match="x.edf"):
        open_recording(path)


def test_unknown_forced_format(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("1\n2\n")
    with pytest.raises(RecordingError, match="unknown format name"):
        open_recording(path, format="nope")


def test_unreadable_file_reported_even_as_root(tmp_path, monkeypatch):
    path = tmp_path / "x.edf"
    path.write_bytes(b"0       ")
    monkeypatch.setattr("anyecg_model.io.registry.os.access", lambda p, mode: False)
    with pytest.raises(RecordingError, match="permission denied"):
        open_recording(path)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["wfdb/100.hea", "wfdb/03700181.hea", "edf/cardio_sample.edf", "ishne/ECG_P28.01.ecg",
                                  "wfdb/multi-segment/fixed1/v102s.hea"])
def test_recordings_pickle_for_worker_processes(formats_dir, name):
    import pickle

    rec = open_recording(formats_dir / name)
    copy = pickle.loads(pickle.dumps(rec))
    np.testing.assert_array_equal(copy.read(1000, 1500), rec.read(1000, 1500))
    assert len(pickle.dumps(rec)) < 5_000_000  # the signal itself is not pickled
