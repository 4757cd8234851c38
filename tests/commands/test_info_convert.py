"""`anyecg info` (text and JSON, one line per bad file) and `anyecg convert` (WFDB → EDF+ → WFDB)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from annotated_recording import annotated_recording

from anyecg_model.cli import COMMANDS
from anyecg_model.commands import convert, info
from anyecg_model.io import open_recording
from anyecg_model.io.writers import write_wfdb, write_wfdb_annotations


def main(argv: list[str]) -> int:
    """Run ``anyecg info|convert`` without importing every other subcommand (some load torch)."""
    import argparse

    module = {"info": info, "convert": convert}[argv[0]]
    assert COMMANDS[argv[0]] == module.__name__
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv[1:]))


@pytest.mark.realdata
def test_convert_mitdb_record_to_edf_and_back(formats_dir, tmp_path, capsys):
    src = formats_dir / "wfdb" / "100"
    assert main(["convert", str(src), str(tmp_path / "100.edf")]) == 0
    assert main(["convert", str(tmp_path / "100.edf"), str(tmp_path / "again.hea")]) == 0
    a, b = open_recording(src), open_recording(tmp_path / "again.hea")
    np.testing.assert_allclose(b.read(0, a.n_samples), a.read(), atol=0.005)  # 212 step 1/200 mV
    assert len(b.annotations) == len(a.annotations)
    assert b.annotations.counts() == a.annotations.counts()


def test_info_json_keys_and_bad_file(tmp_path, capsys):
    write_wfdb(annotated_recording(), tmp_path / "r")
    assert main(["info", "--json", str(tmp_path / "r.hea")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["format", "fs", "leads", "n_samples", "duration_s", "units", "start_time", "age", "sex",
                         "annotations"]
    assert out["fs"] == 250 and out["annotations"]["V"] == 3 and out["annotations"]["(AFIB"] == 1
    bad = tmp_path / "bad.edf"
    bad.write_bytes(b"0       " + b"\x00" * 50)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err


def test_info_text_lists_each_annotator(tmp_path, capsys):
    write_wfdb(annotated_recording(), tmp_path / "r")
    write_wfdb_annotations(tmp_path / "r", "qrs", [100, 320], ["N", "N"], fs=250)
    assert main(["info", str(tmp_path / "r.hea")]) == 0
    out = capsys.readouterr().out
    assert "annotations (atr): " in out and "annotations (qrs): N 2" in out and "rate:        250 Hz" in out
