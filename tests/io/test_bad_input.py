"""Bad input never crashes, hangs or eats memory: mutated headers and truncated files for every reader.

Each case must either open (and then read its first and last windows) or raise RecordingError that
names the file. Anything else (IndexError, struct.error, MemoryError …) is a bug.
"""
from __future__ import annotations

import shutil
import signal
import struct
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyedflib
import pytest
import wfdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file

from anyecg_model.io import RecordingError, open_recording

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                    derandomize=True)
INTERESTING = ["0", "-1", "-360", "1e12", "1000000000000", "nan", "inf", "abc", "", "999999", "1000000", "0.0",
               "../x.dat", "/etc/passwd", "\xff\xfe", "2147483648", "212", "16x99999", "8:99999"]


@contextmanager
def _no_hang(seconds=20):
    def alarm(signum, frame):
        raise AssertionError(f"reader hung for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _open_and_read(path: Path, **kw) -> None:
    with _no_hang():
        try:
            rec = open_recording(path, **kw)
        except RecordingError as exc:
            assert exc.path is not None and exc.problem
            return
        for start in (0, max(0, rec.n_samples - 500)):
            try:
                x = rec.read(start, start + 500)
            except RecordingError:
                continue
            assert x.shape == (len(rec.leads), min(500, rec.n_samples - start))
            assert x.dtype == np.float32


def _fresh(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return folder


def _wfdb_record(folder: Path, fmt="212") -> Path:
    t = np.arange(1000) / 250
    sig = np.stack([np.sin(t), np.cos(t)], axis=1)
    wfdb.wrsamp("r", fs=250, units=["mV", "mV"], sig_name=["I", "II"], p_signal=sig, fmt=[fmt, fmt],
                adc_gain=[50, 50], baseline=[0, 0], write_dir=str(folder))
    wfdb.wrann("r", "atr", np.array([10, 300, 700]), symbol=["N", "V", "N"], write_dir=str(folder))
    return folder / "r.hea"


@SETTINGS
@given(line=st.integers(0, 2), field=st.integers(0, 9), value=st.sampled_from(INTERESTING),
       fmt=st.sampled_from(["16", "212", "80"]))
def test_wfdb_mutated_header(tmp_path, line, field, value, fmt):
    hea = _wfdb_record(_fresh(tmp_path, "w"), fmt)
    lines = hea.read_text().splitlines()
    tokens = lines[line].split()
    tokens[min(field, len(tokens) - 1)] = value
    lines[line] = " ".join(tokens)
    hea.write_bytes("\n".join(lines).encode("utf-8", errors="surrogateescape") + b"\n")
    _open_and_read(hea)


@SETTINGS
@given(keep=st.integers(0, 5000), target=st.sampled_from(["r.dat", "r.hea", "r.atr"]))
def test_wfdb_truncated_files(tmp_path, keep, target):
    hea = _wfdb_record(_fresh(tmp_path, "t"))
    path = hea.parent / target
    path.write_bytes(path.read_bytes()[:keep])
    _open_and_read(hea)


def _edf(folder: Path) -> Path:
    path = folder / "x.edf"
    w = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{"label": n, "dimension": "mV", "sample_frequency": 100, "physical_max": 5,
                         "physical_min": -5, "digital_max": 32767, "digital_min": -32768} for n in ("I", "II")])
    w.writeAnnotation(1.0, -1, "N")
    w.writeSamples([np.sin(np.arange(500) / 10), np.cos(np.arange(500) / 10)])
    w.close()
    return path


@SETTINGS
@given(offset=st.integers(0, 767), value=st.sampled_from(INTERESTING))
def test_edf_mutated_header(tmp_path, offset, value):
    path = _edf(_fresh(tmp_path, "e"))
    raw = bytearray(path.read_bytes())
    patch = value.encode("latin-1", errors="replace")[:8].ljust(8)
    raw[offset:offset + len(patch)] = patch
    path.write_bytes(bytes(raw))
    _open_and_read(path)


@SETTINGS
@given(keep=st.integers(0, 3000))
def test_edf_truncated(tmp_path, keep):
    path = _edf(_fresh(tmp_path, "et"))
    path.write_bytes(path.read_bytes()[:keep])
    _open_and_read(path)


def _ishne(folder: Path, n=400, leads=3) -> Path:
    header = bytearray(522)
    header[:8] = b"ISHNE1.0"
    struct.pack_into("<iiii", header, 10, 0, n, 522, 522)
    struct.pack_into("<h", header, 156, leads)
    struct.pack_into("<12h", header, 158, *([5, 6, 7] + [0] * 9))
    struct.pack_into("<12h", header, 206, *([2500] * 12))
    struct.pack_into("<h", header, 272, 200)
    path = folder / "h.ecg"
    path.write_bytes(bytes(header) + (np.arange(n * leads) % 100).astype("<i2").tobytes())
    return path


@SETTINGS
@given(offset=st.sampled_from([10, 14, 18, 22, 156, 206, 272]), value=st.integers(-2**31, 2**31 - 1),
       keep=st.one_of(st.none(), st.integers(0, 3000)))
def test_ishne_mutated_and_truncated(tmp_path, offset, value, keep):
    path = _ishne(_fresh(tmp_path, "i"))
    raw = bytearray(path.read_bytes())
    if offset in (156, 206, 272):
        struct.pack_into("<h", raw, offset, max(-32768, min(32767, value)))
    else:
        struct.pack_into("<i", raw, offset, value)
    path.write_bytes(bytes(raw[:keep] if keep is not None else raw))
    _open_and_read(path)


@SETTINGS
@given(offset=st.integers(0, 4000), garbage=st.binary(min_size=1, max_size=16), keep=st.integers(100, 200000))
def test_dicom_mutated_and_truncated(tmp_path, offset, garbage, keep):
    path = _fresh(tmp_path, "d") / "w.dcm"
    raw = bytearray(Path(get_testdata_file("waveform_ecg.dcm")).read_bytes())
    raw[offset:offset + len(garbage)] = garbage
    path.write_bytes(bytes(raw[:keep]))
    _open_and_read(path)


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("0123456789.,;-e \tabcNn\n\xff")), max_size=400))
def test_csv_random_text(tmp_path, text):
    path = _fresh(tmp_path, "c") / "x.csv"
    path.write_text(text, encoding="utf-8")
    _open_and_read(path, fs=100)


@SETTINGS
@given(keep=st.integers(0, 400), fs=st.sampled_from([None, 0.0, -5.0, float("nan"), 250.0]))
def test_numpy_truncated_and_bad_rates(tmp_path, keep, fs):
    path = _fresh(tmp_path, "n") / "x.npy"
    np.save(path, np.ones((2, 50), np.float32))
    path.write_bytes(path.read_bytes()[:keep])
    _open_and_read(path, fs=fs)


XML_SAMPLES = ["scp/Example.scp", "hl7aecg/Example_aECG.xml", "philips/philips_1_03.xml", "philips/philips_1_04.xml",
               "muse/muse_example1.xml", "schiller/schiller_sample.xml"]


@pytest.mark.realdata
@pytest.mark.parametrize("sample", XML_SAMPLES)
def test_vendor_files_truncated_and_mutated(formats_dir, tmp_path, sample):
    raw = (formats_dir / sample).read_bytes()

    @settings(max_examples=5, deadline=None, derandomize=True)
    @given(cut=st.floats(0.01, 0.99), offset=st.floats(0, 0.99), garbage=st.sampled_from([b"-", b"<", b"9999999", b"&x;", b"\xff"]))
    def check(cut, offset, garbage):
        path = tmp_path / Path(sample).name
        mutated = bytearray(raw)
        pos = int(offset * len(raw))
        mutated[pos:pos + len(garbage)] = garbage
        path.write_bytes(bytes(mutated[:int(cut * len(raw))]) if cut < 0.5 else bytes(mutated))
        _open_and_read(path)

    check()


def test_nan_and_inf_values_do_not_crash(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[np.nan, np.inf, -np.inf, 1.0] * 50], np.float64))
    rec = open_recording(tmp_path / "x.npy", fs=100)
    x = rec.read()
    assert np.isnan(x[0, :3]).all() and x[0, 3] == 1.0
    (tmp_path / "y.csv").write_text("II\nnan\ninf\n1.5\n")
    assert open_recording(tmp_path / "y.csv", fs=10).read().shape == (1, 3)


def test_segment_outside_folder_refused(tmp_path):
    (tmp_path / "m.hea").write_text("m/2 1 250 2000\n../other 1000\nseg2 1000\n")
    with pytest.raises(RecordingError, match="outside"):
        open_recording(tmp_path / "m.hea")


@pytest.mark.parametrize("ns", [b"9999", b"-1  ", b"abcd"])
def test_edf_absurd_signal_count(tmp_path, ns):
    path = _edf(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[252:256] = ns
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordingError):
        open_recording(path)


def test_ishne_absurd_sample_count(tmp_path):
    path = _ishne(tmp_path)
    raw = bytearray(path.read_bytes())
    struct.pack_into("<i", raw, 14, 2**31 - 1)
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="truncated"):
        open_recording(path)


@pytest.mark.realdata
@pytest.mark.parametrize("damage", [lambda b: b[:12], lambda b: b.replace(b"v102s.dat", b"v102s.xxx"), lambda b: b""])
def test_damaged_middle_segment_reports_at_read(formats_dir, tmp_path, damage):
    folder = tmp_path / "fixed1"
    shutil.copytree(formats_dir / "wfdb" / "multi-segment" / "fixed1", folder)
    for p in folder.iterdir():
        p.chmod(0o644)
    seg = folder / "v102s_2.hea"
    seg.write_bytes(damage(seg.read_bytes()))
    try:
        rec = open_recording(folder / "v102s.hea")
    except RecordingError:
        return  # refused at open: also fine
    assert np.isfinite(rec.read(0, 100)).all()
    with pytest.raises(RecordingError):
        rec.read(80000, 80100)
