"""`anyecg report PATH --kind 12lead|holter --out OUT.pdf` works headless on a file on disk."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import wfdb
from report_helpers import analysis_json, page_size_mm, pdf_text

from anyecg_model.commands import report as report_command


def report(argv: list[str]) -> int:
    """``anyecg report ARGV`` without building the other subcommands' parsers (they import torch)."""
    parser = argparse.ArgumentParser(prog="anyecg report")
    report_command.add_arguments(parser)
    return report_command.run(parser.parse_args(argv))


@pytest.fixture()
def wfdb_12lead(sim_12lead, tmp_path):
    """The simulated 12-lead written as a WFDB record with two reference beat labels."""
    data = sim_12lead.read().T.astype(np.float64)
    wfdb.wrsamp("sim70", fs=500, units=["mV"] * 12, sig_name=sim_12lead.lead_names, p_signal=data,
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(tmp_path))
    wfdb.wrann("sim70", "atr", np.array([500, 930]), symbol=["N", "V"], write_dir=str(tmp_path))
    return tmp_path / "sim70.hea"


def test_12lead_from_a_file_with_its_reference_labels(wfdb_12lead, tmp_path):
    out = tmp_path / "r.pdf"
    from anyecg_model.cli import COMMANDS

    assert COMMANDS["report"] == "anyecg_model.commands.report"
    assert report([str(wfdb_12lead), "--kind", "12lead", "--out", str(out), "--no-model", "--paper", "letter"]) == 0
    text = pdf_text(out)[0]
    assert "Reference annotations from the file" in text and "Beats: N 1, V 1" in text
    assert page_size_mm(out) == pytest.approx((279.4, 215.9), abs=0.1)


def test_12lead_with_a_findings_json(wfdb_12lead, sim_12lead, tmp_path):
    findings = tmp_path / "f.json"
    findings.write_text(json.dumps(analysis_json(sim_12lead, generated=["V2"])))
    out = tmp_path / "r.pdf"
    assert report([str(wfdb_12lead), "--out", str(out), "--findings", str(findings),
                 "--speed", "50", "--gain", "5"]) == 0
    text = pdf_text(out)[0]
    assert "AnyECG-S v0.3.1" in text and "V2 GENERATED" in text and "50 mm/s, 5 mm/mV" in text


def test_holter_from_a_file(holter_3h, tmp_path):
    n = int(1800 * holter_3h.fs)
    data = holter_3h.read(0, n).T.astype(np.float64)
    wfdb.wrsamp("holter", fs=holter_3h.fs, units=["mV"] * 2, sig_name=holter_3h.lead_names, p_signal=data,
                fmt=["16"] * 2, adc_gain=[1000.0] * 2, baseline=[0] * 2, write_dir=str(tmp_path))
    ann = holter_3h.annotations
    keep = ann.sample < n
    wfdb.wrann("holter", "atr", ann.sample[keep], symbol=list(ann.symbol[keep]),
               aux_note=[a or "" for a in ann.aux[keep]], write_dir=str(tmp_path))
    out = tmp_path / "h.pdf"
    assert report([str(tmp_path / "holter.hea"), "--kind", "holter", "--out", str(out), "--no-model"]) == 0
    pages = pdf_text(out)
    assert "Span: +0:00:00–+0:30:00 elapsed (30 min 00 s)" in pages[0]  # no start time in the file
    assert "Event strips" in "".join(pages)


def test_bad_input_is_a_clear_error(tmp_path, caplog, wfdb_12lead):
    missing = tmp_path / "nope.hea"
    assert report([str(missing), "--out", str(tmp_path / "x.pdf")]) == 1
    assert "nope.hea" in caplog.text
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert report([str(wfdb_12lead), "--out", str(tmp_path / "y.pdf"), "--findings", str(broken)]) == 1
    assert "broken.json" in caplog.text
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"model": {}, "beats": [], "anomaly": {}}))
    assert report([str(wfdb_12lead), "--out", str(tmp_path / "z.pdf"), "--findings", str(incomplete)]) == 1
    assert "rhythm" in caplog.text
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "z.pdf").exists()


def test_reports_never_import_qt():
    import subprocess
    import sys

    code = ("import sys, anyecg_model.report, anyecg_model.commands.report, anyecg_model.report.model_source; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]; "
            "assert not bad, bad")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0
