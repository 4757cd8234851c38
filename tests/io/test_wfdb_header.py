"""The WFDB header parser of :mod:`anyecg_model.io.readers.wfdb_header` reads headers as ``wfdb.rdheader`` does,
and ``anyecg info`` on a WFDB record imports neither wfdb (with pandas) nor scipy.signal nor torch (issue 19:
``info`` on a small file ≤ 0.3 s)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.io.readers.wfdb_annotations import SYMBOLS
from anyecg_model.io.readers.wfdb_header import parse_header
from anyecg_model.io.writers import write_wfdb

REPO = Path(__file__).resolve().parents[2]
FIELDS = ("n_sig", "fs", "sig_len", "base_time", "base_date", "base_datetime", "file_name", "fmt", "samps_per_frame",
          "skew", "byte_offset", "adc_gain", "baseline", "units", "sig_name", "comments")


def _same_as_wfdb(hea: Path) -> None:
    import wfdb

    ours = parse_header(hea.read_text(encoding="utf-8", errors="replace"))
    theirs = wfdb.rdheader(str(hea.with_suffix("")))
    if getattr(theirs, "seg_name", None) is not None:
        assert ours is None, f"{hea}: multi-segment headers are left to wfdb"
        return
    assert ours is not None, f"{hea}: not parsed"
    for name in FIELDS:
        assert getattr(ours, name) == getattr(theirs, name, None), f"{hea}: {name}"


HEADERS = {
    "full": "r1 2 360/1(0) 650000 10:20:30.500 14/03/1998\n"
            "r1.dat 212 200(1024)/mV 11 1024 995 0 0 MLII\n"
            "r1.dat 212x2:3+8 0/uV 11 1024 1011 0 0 V1 lead\n# 69 M 1085 1629 x1\n#  Aldomet, Inderal\n",
    "defaults": "rec 1\nrec.dat 16\n",
    "no length": "rec 1 500\nrec.dat 16 1000.5 12 7\n",
    "minutes only": "rec 1 128 100 5:07\nrec.dat 80 100(-3)/mmHg\n",
}


@pytest.mark.parametrize("name", list(HEADERS))
def test_written_headers_read_as_wfdb_reads_them(tmp_path, name):
    hea = tmp_path / ("r1.hea" if name == "full" else "rec.hea")
    hea.write_text(HEADERS[name])
    _same_as_wfdb(hea)


def test_headers_wfdb_must_explain_are_left_to_it():
    assert parse_header("multi/2 1 360 100\nseg1 50\nseg2 50\n") is None
    assert parse_header("rec 2 360 100\nrec.dat 16\n") is None, "two signals declared, one line"
    assert parse_header("rec 1 360 100 25:61:99\nrec.dat 16\n") is None, "an impossible time"
    assert parse_header("# only a comment\n") is None


def test_real_headers_read_as_wfdb_reads_them(shared_data):
    heads = sorted((shared_data / "mitdb").glob("*.hea"))[:12] + sorted((shared_data / "ludb").rglob("*.hea"))[:5] \
        + sorted((shared_data / "cinc2017").rglob("*.hea"))[:5] + sorted((shared_data / "ptbxl500").rglob("*.hea"))[:5] \
        + sorted((shared_data / "formats" / "wfdb").rglob("*.hea"))
    assert len(heads) > 20
    for hea in heads:
        _same_as_wfdb(hea)


def test_annotation_symbols_are_wfdbs_label_table():
    from wfdb.io.annotation import ann_label_table

    expected = np.array([f"#{c}" for c in range(64)], dtype=object)
    expected[np.asarray(ann_label_table["label_store"], int)] = list(ann_label_table["symbol"])
    assert SYMBOLS.tolist() == expected.tolist()


def test_info_on_a_wfdb_record_imports_no_heavy_library(tmp_path):
    t = np.arange(0, 20, 1 / 250)
    data = np.stack([np.sin(2 * np.pi * t) ** 15, 0.5 * np.sin(2 * np.pi * t + 0.3) ** 15]).astype(np.float32)
    hea = write_wfdb(data, tmp_path / "small.hea", fs=250, lead_names=["II", "V1"])
    code = (f"from anyecg_model.cli import main; assert main(['info', {str(hea)!r}]) == 0\n"
            "import sys; print('heavy:', ','.join(m for m in ('wfdb', 'pandas', 'scipy.signal', 'torch') "
            "if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(REPO), ANYECG_CACHE=str(tmp_path / "c"))
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "leads:       II V1" in res.stdout
    assert res.stdout.splitlines()[-1] == "heavy: "
