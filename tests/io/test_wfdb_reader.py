"""WFDB reader: values against wfdb-python's physical signals, lazy windows, annotations, unsafe headers."""
from __future__ import annotations

import numpy as np
import pytest
import wfdb

from anyecg_model.io import RecordingError, open_recording
from anyecg_model.io.readers.wfdb_reader import FileSource, WfdbSource
from anyecg_model.io.readers.wfdb_segments import SegmentedSource

SINGLE = ["100", "100skew", "310derive", "311derive", "a103l", "binformats", "flacformats", "s0010_re",
          "test01_00s", "test01_00s_skew"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", SINGLE)
def test_values_match_wfdb_physical(formats_dir, name):
    rec = open_recording(formats_dir / "wfdb" / f"{name}.hea")
    n = min(rec.n_samples, 1500)
    ref = wfdb.rdrecord(str(formats_dir / "wfdb" / name), sampfrom=0, sampto=n, return_res=32)
    got = rec.read(0, n)
    scale = np.array([1e-3 if u == "uV" else 1.0 for u in ref.units], np.float32)[:, None]
    np.testing.assert_allclose(got, ref.p_signal.T * scale, rtol=1e-5, atol=1e-6, equal_nan=True)
    # a window in the middle equals the same slice of a whole read
    mid = rec.read(n // 3, n // 3 + 100)
    np.testing.assert_array_equal(mid, got[:, n // 3:n // 3 + 100])


@pytest.mark.realdata
def test_mitdb_record_100_metadata_and_annotations(formats_dir):
    rec = open_recording(formats_dir / "wfdb" / "100")
    assert isinstance(rec.source, FileSource)
    assert rec.fs == 360 and rec.n_samples == 650000 and rec.lead_names == ["MLII", "V5"]
    assert rec.age == 69 and rec.sex == "M" and rec.units == ["mV", "mV"]
    atr = wfdb.rdann(str(formats_dir / "wfdb" / "100"), "atr")
    sources = set(rec.annotations.source)
    assert {"atr", "qrs"} <= sources
    mine = rec.annotations.select(rec.annotations.source == "atr")
    assert len(mine) == len(atr.sample) and list(mine.symbol[:3]) == atr.symbol[:3]
    # 30 minutes of mostly sinus rhythm: ~2270 beats, i.e. 60-90 beats/min
    bpm = mine.beat_mask().sum() / (rec.duration_s / 60)
    assert 60 < bpm < 90
    assert "(N" in rec.annotations.counts()


@pytest.mark.realdata
def test_multifrequency_record_keeps_per_signal_rates(formats_dir):
    rec = open_recording(formats_dir / "wfdb" / "03700181")
    assert rec.lead_fs == [500.0, 125.0, 125.0] and rec.fs == 500
    ref = wfdb.rdrecord(str(formats_dir / "wfdb" / "03700181"), sampfrom=100, sampto=120, smooth_frames=False)
    got = rec.read(400, 480)
    np.testing.assert_allclose(got[0], ref.e_p_signal[0], atol=1e-4)  # ECG at its own 500 Hz
    np.testing.assert_allclose(got[1, ::4], ref.e_p_signal[1], atol=1e-3)  # ABP held between samples
    assert rec.annotations.counts() == {'"': 1, "N": 1150}  # gqrs's own comment note at sample 0, and the beats
    assert rec.annotations.sample.max() <= rec.n_samples


@pytest.mark.realdata
def test_multisegment_variable_layout(formats_dir):
    rec = open_recording(formats_dir / "wfdb" / "multi-segment" / "s25047" / "s25047-2704-05-04-10-44.hea")
    assert isinstance(rec.source, SegmentedSource)
    assert rec.lead_names == ["II", "V", "ABP"] and rec.units == ["mV", "mV", "mmHg"]
    assert rec.n_samples == 543240
    x = rec.read(0, 100)
    assert np.isnan(x).all()  # the first segment is an empty '~' gap
    y = rec.read(30000, 30100)
    assert np.isfinite(y[:2]).all()


@pytest.mark.realdata
@pytest.mark.parametrize("record,source", [("fixed1/v102s", SegmentedSource),
                                           ("s25047/s25047-2704-05-04-10-44", SegmentedSource),
                                           ("041s/041s", WfdbSource)])  # 041s has multi-frequency segments
def test_multisegment_values_match_wfdb(formats_dir, record, source):
    base = formats_dir / "wfdb" / "multi-segment" / record
    rec = open_recording(f"{base}.hea")
    assert isinstance(rec.source, source)
    for start in (0, rec.n_samples // 3, rec.n_samples - 700):
        ref = wfdb.rdrecord(str(base), sampfrom=start, sampto=start + 600, return_res=32)
        order = [ref.sig_name.index(name) for name in rec.lead_names]
        np.testing.assert_allclose(rec.read(start, start + 600), ref.p_signal.T[order], atol=1e-5)


@pytest.mark.realdata
def test_cinc_style_mat_and_header(shared_data):
    hea = sorted((shared_data / "cinc2017").glob("*.hea"))[0]
    rec = open_recording(hea.with_suffix(".mat"))
    ref = wfdb.rdrecord(str(hea.with_suffix("")))
    assert rec.fs == 300 and rec.n_samples == ref.sig_len
    np.testing.assert_allclose(rec.read(0, 500)[0], ref.p_signal[:500, 0], atol=1e-6)


def _write_record(folder, name="rec", n=2000, fmt="16", gain=200):
    t = np.arange(n) / 250
    sig = np.stack([np.sin(2 * np.pi * 1.2 * t), 0.5 * np.cos(2 * np.pi * 1.2 * t)], axis=1)
    wfdb.wrsamp(name, fs=250, units=["mV", "mV"], sig_name=["I", "II"], p_signal=sig, fmt=[fmt, fmt],
                adc_gain=[gain, gain], baseline=[0, 0], write_dir=str(folder))
    return folder / f"{name}.hea", sig


@pytest.mark.parametrize("fmt", ["16", "212", "80", "24", "32"])
def test_generated_record_roundtrip_by_format(tmp_path, fmt):
    gain = 60 if fmt == "80" else 200
    hea, sig = _write_record(tmp_path, fmt=fmt, gain=gain)
    rec = open_recording(hea)
    assert rec.lead_names == ["I", "II"] and rec.fs == 250
    step = 1 / gain
    np.testing.assert_allclose(rec.read(), sig.T, atol=step)


def test_header_naming_files_outside_the_folder_is_refused(tmp_path):
    hea, _ = _write_record(tmp_path)
    for bad in ("../rec.dat", "/etc/passwd", "sub/rec.dat", "..\\rec.dat"):
        text = hea.read_text().replace("rec.dat", bad)
        evil = tmp_path / "evil.hea"
        evil.write_text(text.replace("rec 2", "evil 2", 1))
        with pytest.raises(RecordingError, match="outside the record's folder"):
            open_recording(evil)


def test_truncated_signal_file_is_reported(tmp_path):
    hea, _ = _write_record(tmp_path)
    dat = tmp_path / "rec.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(RecordingError, match="truncated"):
        open_recording(hea)


def test_absurd_counts_are_refused_without_allocation(tmp_path):
    hea, _ = _write_record(tmp_path)
    lines = hea.read_text().splitlines()
    (tmp_path / "huge.hea").write_text(lines[0].replace("rec 2 250 2000", "huge 2 250 1000000000000") + "\n"
                                       + "\n".join(lines[1:]) + "\n")
    with pytest.raises(RecordingError, match="out of range"):
        open_recording(tmp_path / "huge.hea")
    (tmp_path / "many.hea").write_text("many 1000000 250 2000\n")
    with pytest.raises(RecordingError, match="signals"):
        open_recording(tmp_path / "many.hea")
    (tmp_path / "zero.hea").write_text(lines[0].replace("rec 2 250", "zero 2 0") + "\n" + "\n".join(lines[1:]))
    with pytest.raises(RecordingError):
        open_recording(tmp_path / "zero.hea")


def test_non_utf8_comment_is_tolerated_and_binary_header_refused(tmp_path):
    hea, _ = _write_record(tmp_path)
    with open(hea, "ab") as fh:
        fh.write(b"# M\xe9dication: none\n")
    assert open_recording(hea).n_samples == 2000
    hea.write_bytes(b"rec 2 250 2000\n\x00\x01\x02")
    with pytest.raises(RecordingError, match="binary"):
        open_recording(hea)


@pytest.mark.parametrize("stamp,start", [
    ("2014-05-08 05:05:15", "2014-05-08T05:05:15"),  # the CinC 2017 validation headers
    ("2014-05-08T05:05:15.250", "2014-05-08T05:05:15.250000"),
    ("05:05:15 08/05/2014", "2014-05-08T05:05:15"),  # WFDB's own order still reads
])
def test_a_record_line_with_an_iso_date_opens_with_its_start_time(tmp_path, stamp, start):
    hea, sig = _write_record(tmp_path)
    lines = hea.read_text().splitlines()
    lines[0] = f"rec 2 250 2000 {stamp}"
    hea.write_text("\n".join(lines) + "\n")
    rec = open_recording(hea)
    assert rec.start_time.isoformat() == start and rec.n_samples == 2000
    np.testing.assert_allclose(rec.read(), sig.T, atol=1 / 200)


@pytest.mark.parametrize("rate", ["-360", "0", "0/1000", "abc"])
def test_a_zero_or_negative_rate_is_refused_naming_the_file_and_field(tmp_path, rate):
    hea, _ = _write_record(tmp_path)
    lines = hea.read_text().splitlines()
    lines[0] = lines[0].replace("rec 2 250", f"rec 2 {rate}")
    hea.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match="sampling frequency field") as err:
        open_recording(hea)
    assert str(hea) in str(err.value) and repr(rate) in str(err.value)
