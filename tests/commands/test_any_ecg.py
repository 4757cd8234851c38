"""Any ECG in: leads named ``ECG`` (or CM2, ML5 …) are analysed, ``--lead-map`` and ``--fs`` on analyze / report."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import AnalysisError, input_leads
from anyecg_model.cli import main
from anyecg_model.io import RecordingError, open_recording
from anyecg_model.vocabulary.leads import is_non_ecg
from anyecg_model.io.writers import write_wfdb


@pytest.fixture(scope="module")
def ecg_file(tmp_path_factory, simulate) -> str:
    """A generated single-lead record whose one lead is named ``ECG``, 30 s at 300 Hz, 72 bpm."""
    d = tmp_path_factory.mktemp("anyecg")
    return str(write_wfdb(simulate(30, 300.0, 72, leads=("ECG",)), d / "alive", fs=300.0, lead_names=["ECG"]))


def _analyze_json(capsys, *args) -> tuple[int, dict, str]:
    rc = main(["analyze", *args, "--device", "cpu", "--json", "-"])
    captured = capsys.readouterr()
    return rc, json.loads(captured.out) if captured.out.strip() else {}, captured.err


def test_a_lead_named_ecg_gets_beats_and_rhythm_as_the_assumed_rhythm_lead(ecg_file, tiny_model_dir, capsys):
    rc, d, _ = _analyze_json(capsys, ecg_file, "--model", str(tiny_model_dir))
    assert rc == 0 and d["lead_mapping"] == {"ECG": "I"} and d["lead_assumed"] == ["ECG"] and d["rhythm_lead"] == "ECG"
    assert d["summary"]["heart_rate_bpm"]["mean"] == pytest.approx(72, abs=3) and len(d["beats"]) >= 30
    assert d["rhythm"]["record_class"]["label"] and d["rhythm"]["episodes"]
    assert main(["analyze", ecg_file, "--model", str(tiny_model_dir), "--tasks", "arrhythmia"]) == 0
    assert "leads ECG→I (assumed)" in capsys.readouterr().out
    assert main(["info", ecg_file]) == 0
    assert "model leads: ECG→I (assumed)" in capsys.readouterr().out


def test_lead_map_sets_the_slot_and_is_no_assumption(ecg_file, tiny_model_dir, capsys):
    rc, d, _ = _analyze_json(capsys, ecg_file, "--model", str(tiny_model_dir), "--tasks", "arrhythmia",
                             "--lead-map", "ECG=II")
    assert rc == 0 and d["lead_mapping"] == {"ECG": "II"} and d["lead_assumed"] == []
    rc, d, err = _analyze_json(capsys, ecg_file, "--model", str(tiny_model_dir), "--lead-map", "Pleth=II")
    assert rc == 1 and "alive" in err and "'Pleth'" in err and "leads are ECG" in err
    rc, _, err = _analyze_json(capsys, ecg_file, "--model", str(tiny_model_dir), "--lead-map", "ECG")
    assert rc == 2 and "FILE_LEAD=SLOT" in err


def test_the_lead_map_changes_what_the_model_sees(tiny_model_dir, simulate):
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.io.recording import Recording

    rec = Recording.from_array(simulate(30, 250.0, 70, leads=("x",)), 250.0, ["ECG"], path="one.hea")
    analyzer = Analyzer(tiny_model_dir, device="cpu")
    as_i = analyzer.analyze(rec, ("arrhythmia",))
    as_v1 = analyzer.analyze(rec, ("arrhythmia",), lead_map={"ECG": "V1"})
    assert as_v1.lead_mapping == {"ECG": "V1"} and as_i.lead_mapping == {"ECG": "I"}
    assert as_v1.record_class_probabilities != as_i.record_class_probabilities  # the input slot differs


def test_fs_gives_the_rate_of_a_file_without_one(tmp_path, tiny_model_dir, simulate, capsys):
    path = tmp_path / "signal.npy"
    np.save(path, simulate(20, 250.0, 80, leads=("II",)))
    rc, _, err = _analyze_json(capsys, str(path), "--model", str(tiny_model_dir))
    assert rc == 1 and "give fs" in err
    rc, d, _ = _analyze_json(capsys, str(path), "--model", str(tiny_model_dir), "--fs", "250", "--tasks", "arrhythmia")
    assert rc == 0 and d["fs"] == 250.0 and d["duration_s"] == 20.0 and d["lead_mapping"] == {"ch1": "I"}
    with pytest.raises(SystemExit):
        main(["analyze", str(path), "--fs", "-360"])
    assert "positive" in capsys.readouterr().err
    with pytest.raises(RecordingError, match="not a positive number"):
        open_recording(path, fs=0.0)


def test_report_takes_fs_and_lead_map(tmp_path, simulate, caplog):
    path = tmp_path / "signal.npy"
    np.save(path, simulate(12, 250.0, 80, leads=("II",)))
    out = tmp_path / "r.pdf"
    assert main(["report", str(path), "--fs", "250", "--no-model", "--out", str(out)]) == 0 and out.stat().st_size
    with caplog.at_level(logging.ERROR):
        assert main(["report", str(path), "--fs", "250", "--lead-map", "V9=II", "--out", str(out)]) == 1
    assert "'V9'" in caplog.text and "ch1" in caplog.text


# ------------------------------------------------------------------------------------------- real data
@pytest.mark.parametrize("rel", ["cinc2017/A00243.hea", "formats/edf/cardio_sample.edf"])
def test_real_single_lead_files_analyse_end_to_end_with_the_shipped_model(shared_data, rel, capsys):
    rc, d, err = _analyze_json(capsys, str(shared_data / rel), "--tasks", "arrhythmia,events")
    assert rc == 0, err
    assert d["lead_mapping"] == {"ECG": "I"} and d["lead_assumed"] == ["ECG"]
    assert len(d["beats"]) >= 20 and 40 <= d["summary"]["heart_rate_bpm"]["mean"] <= 120
    assert d["rhythm"]["record_class"]["label"] in ("N", "A", "O", "~") and d["rhythm"]["episodes"]


def test_a_paced_holter_with_unnamed_channels_wired_upside_down(shared_data, tmp_path, capsys):
    """MIT-BIH 107's first 2 minutes written as channels ECG1/ECG2, both inverted: read as II (turned upright) and
    V1, its paced beats found, and the one-line text says paced, not the rhythm head's class."""
    rec = open_recording(shared_data / "mitdb" / "107.hea")
    path = write_wfdb(-rec.read(0, int(120 * rec.fs)), tmp_path / "holter", fs=rec.fs, lead_names=["ECG1", "ECG2"])
    rc, d, err = _analyze_json(capsys, str(path), "--tasks", "arrhythmia,events")
    assert rc == 0, err
    assert d["lead_mapping"] == {"ECG1": "II", "ECG2": "V1"} and d["lead_inverted"] == ["ECG1"]
    labels = [b["label"] for b in d["beats"]]
    assert labels.count("P") > 0.9 * len(labels)
    assert main(["analyze", str(path), "--device", "cpu", "--tasks", "arrhythmia,events"]) == 0
    line = capsys.readouterr().out
    assert "rhythm paced (" in line and "ECG1→II (assumed, upside down), ECG2→V1 (assumed)" in line


def _open_any(path: Path):
    """The recording of ``path``, or None when it is not a recording (annotation file, data of a header …)."""
    for fs in (None, 250.0):  # a CSV without a time column needs its rate (formats/csv is 250 Hz)
        try:
            return open_recording(path, fs=fs)
        except RecordingError:
            continue
    return None


def test_no_readable_ecg_file_is_refused_for_its_lead_names(formats_dir):
    seen, analysed, refused = set(), [], []
    for path in sorted(p for p in formats_dir.rglob("*") if p.is_file()):
        rec = _open_any(path)
        if rec is None or rec.provenance.path in seen:
            continue
        seen.add(rec.provenance.path)
        try:
            input_leads(rec)
            analysed.append(path.name)
        except AnalysisError:
            if not all(is_non_ecg(n) for n in rec.lead_names):  # pleth-only or numerics records hold no ECG
                refused.append(f"{path.relative_to(formats_dir)}: {rec.lead_names}")
    assert refused == [], "files refused for their lead names"
    assert {"cardio_sample.edf", "test01_00s.dat", "03700181.dat"} <= set(analysed) and len(analysed) >= 20
