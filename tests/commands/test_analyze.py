"""`anyecg analyze` / `anyecg reconstruct` on generated files: many files, per-file errors, outputs."""
from __future__ import annotations

import json

import numpy as np
import pytest
import wfdb

from anyecg_model.cli import main
from anyecg_model.io import open_recording
from anyecg_model.io.writers import write_wfdb


def _record(tmp_path, name, data, fs, leads):
    return str(write_wfdb(np.asarray(data, np.float32), tmp_path / name, fs=fs, lead_names=leads))


@pytest.fixture(scope="module")
def files(tmp_path_factory, simulate):
    d = tmp_path_factory.mktemp("analyze")
    fs = 250.0
    good = _record(d, "good", simulate(40, fs, 75), fs, ["MLII", "V1"])
    one = _record(d, "onelead", simulate(30, fs, 60, leads=("II",)), fs, ["II"])
    short = _record(d, "short", simulate(2, fs, 75), fs, ["MLII", "V1"])
    unknown = _record(d, "resp", simulate(30, fs, 75, leads=("x",)), fs, ["Resp"])
    broken = d / "broken.hea"
    broken.write_text("this is not a header\n")
    return {"good": good, "one": one, "short": short, "unknown": unknown, "broken": str(broken), "dir": d}


def test_batch_keeps_going_past_bad_files_and_fails_overall(files, tiny_model_dir, capsys):
    out = files["dir"] / "findings.json"
    order = [files["broken"], files["good"], files["short"], files["one"], files["unknown"]]
    rc = main(["analyze", *order, "--model", str(tiny_model_dir), "--device", "cpu", "--json", str(out),
               "--annotations"])
    err = capsys.readouterr().err
    assert rc == 1
    for bad, reason in ((files["broken"], ""), (files["short"], "at least"), (files["unknown"], "no lead")):
        line = next(x for x in err.splitlines() if x.startswith("anyecg analyze:") and bad in x)
        assert reason in line
    results = json.loads(out.read_text())
    assert [r["record"] for r in results] == ["good", "onelead"]
    assert results[0]["summary"]["heart_rate_bpm"]["mean"] == pytest.approx(75, abs=3)
    assert results[1]["leads"] == ["II"]
    ann = wfdb.rdann(str(files["dir"] / "good"), "anyecg")
    assert len([s for s in ann.symbol if s != "+"]) == len(results[0]["beats"])


def test_single_file_json_to_stdout(files, tiny_model_dir, capsys):
    rc = main(["analyze", files["good"], "--model", str(tiny_model_dir), "--tasks", "anomaly", "--json", "-"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["record"] == "good" and d["beats"] is None and d["anomaly"]["windows"]


def test_reconstruct_writes_input_and_marked_generated_leads(files, tiny_model_dir, tmp_path):
    out = tmp_path / "rebuilt.hea"
    rc = main(["reconstruct", files["one"], "--leads", "V1,V2", "--out", str(out), "--model", str(tiny_model_dir)])
    assert rc == 0
    rec = open_recording(out)
    src = open_recording(files["one"])
    assert [lead.original_name for lead in rec.leads] == ["II", "V1_gen", "V2_gen"]
    assert any("generated leads" in c and "V1_gen" in c for c in rec.comments)
    np.testing.assert_allclose(rec.read(leads=[0]), src.read(), atol=2e-3)
    assert rec.n_samples == src.n_samples


def test_reconstruct_reports_bad_input(files, tiny_model_dir, tmp_path, capsys):
    rc = main(["reconstruct", files["broken"], "--leads", "V1", "--out", str(tmp_path / "x.hea"),
               "--model", str(tiny_model_dir)])
    assert rc == 1 and files["broken"] in capsys.readouterr().err


@pytest.mark.parametrize("batch", [1, 3, 65536])
def test_findings_json_is_written_in_pieces_as_json_dumps_writes_it(batch):
    import io

    from anyecg_model.commands.analyze import write_json

    payload = {"beats": [{"t": i / 3, "label": "N", "p": [0.1, None, True]} for i in range(50)], "x": "é\n"}
    out = io.StringIO()
    write_json(payload, out, batch=batch)
    assert out.getvalue() == json.dumps(payload, indent=1) + "\n"
