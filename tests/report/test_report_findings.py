"""Where a report's findings come from: the analyze JSON (null sections allowed), the file's labels, leads the file
declares generated, and the model through the findings cache (faked here, so this runs without weights)."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from report_helpers import analysis_json, pdf_text

from anyecg_model.io import Annotations, Recording
from anyecg_model.report import ReportFindings, render_12lead, render_holter
from anyecg_model.report.findings import generated_leads_from_comments, with_generated_leads
from anyecg_model.report.model_cache import cached_model_findings
from anyecg_model.report.model_source import model_findings


def _recording(**kw) -> Recording:
    return Recording.from_array(np.zeros((2, 2500), np.float32), 250.0, ["II", "V1"], path="r.ecg", **kw)


def test_sections_of_tasks_not_run_may_be_null():
    data = {**analysis_json(_recording()), "beats": None, "rhythm": None}
    f = ReportFindings.from_analysis(data)
    assert f.source == "model" and len(f.beat_time_s) == 0 and f.episodes == () and f.record_class is None
    assert f.anomaly == (0.91, "abnormal")
    with pytest.raises(ValueError, match="'rhythm'"):
        ReportFindings.from_analysis({k: v for k, v in data.items() if k != "rhythm"})
    with pytest.raises(ValueError, match="malformed"):
        ReportFindings.from_analysis({**data, "beats": [{"time_s": "soon", "label": "N"}]})


def test_reference_labels_become_aami_classes_and_episodes():
    ann = Annotations.from_lists([100, 300, 500, 700, 200], ["N", "A", "V", "/", "+"],
                                 aux=["", "", "", "", "(AFIB"])
    f = ReportFindings.from_annotations(_recording(annotations=ann))
    assert f.beat_counts() == {"N": 1, "S": 1, "V": 1, "F": 0, "Q": 0, "P": 1}  # paced "/" is its own class
    assert [(e.label, e.start_s, e.end_s, e.name) for e in f.episodes] == [("AFIB", 0.8, 10.0, "atrial fibrillation")]
    assert ReportFindings.from_annotations(_recording()).source == "none"


def test_leads_declared_generated_in_the_file_are_marked():
    assert generated_leads_from_comments(["age: 60", "model: AnyECG"]) == ()
    assert generated_leads_from_comments(["generated leads: V1, V2", "Generated: C3"]) == ("V1", "V2", "V3")
    rec = _recording(comments=["generated leads: V1"])
    f = with_generated_leads(ReportFindings.none(), rec, ["aVF"])
    assert f.generated_leads == ("V1", "aVF")


class _Info:
    name, version, sha256 = "fake", "9", "f" * 64


def _fake_analysis(monkeypatch, *, cached=None, fail=False):
    calls = {"analyze": 0, "store": 0}

    class Analyzer:
        def __init__(self, model_dir=None):
            if fail:
                raise FileNotFoundError("no weights in resources/anyecg-small")
            self.info = _Info()

        def analyze(self, recording, tasks, progress=None, lead_map=None):
            calls["analyze"] += 1
            progress(1.0)
            return types.SimpleNamespace(to_dict=lambda: analysis_json(recording))

    class FindingsCache:
        def load(self, key, info, tasks, lead_map=None):
            return cached

        def store(self, key, tasks, found, lead_map=None):
            calls["store"] += 1

    monkeypatch.setitem(sys.modules, "anyecg_model.analysis.analyzer",
                        types.SimpleNamespace(Analyzer=Analyzer, TASKS=("anomaly",)))
    monkeypatch.setitem(sys.modules, "anyecg_model.analysis.cache", types.SimpleNamespace(FindingsCache=FindingsCache))
    return calls


def test_model_findings_from_cache_or_a_fresh_run(monkeypatch):
    rec = _recording()
    calls = _fake_analysis(monkeypatch)
    assert cached_model_findings(rec) is None and calls["analyze"] == 0
    f = model_findings(rec)
    assert f is not None and f.source == "model" and "AnyECG-S" in f.source_text
    assert calls == {"analyze": 1, "store": 1}
    calls = _fake_analysis(monkeypatch, cached=types.SimpleNamespace(to_dict=lambda: analysis_json(rec)))
    assert cached_model_findings(rec).source == "model" and calls["analyze"] == 0
    assert model_findings(rec).source == "model" and calls["analyze"] == 0  # a cached run is not repeated


def test_model_failure_falls_back_quietly(monkeypatch, caplog):
    _fake_analysis(monkeypatch, fail=True)
    assert model_findings(_recording()) is None
    assert "no weights" in caplog.text


NOT_ASSESSED = ("not assessed: the anomaly model was trained on 12-lead ECGs (I, II, III, aVR, aVL, aVF, V1, V2, V3, "
                "V4, V5, V6); this recording lacks V1, V2")


def _not_assessed(rec) -> ReportFindings:
    data = analysis_json(rec)
    data["anomaly"] = {"score": None, "label": "not assessed", "reason": NOT_ASSESSED, "windows": []}
    return ReportFindings.from_analysis(data)


def test_a_not_assessed_anomaly_is_printed_with_its_reason(demo_12lead, tmp_path):
    """Outside its trained lead set the anomaly head has no verdict: both reports say so, and why, where the
    verdict would be (never silence, never a score)."""
    findings = _not_assessed(demo_12lead)
    assert findings.anomaly is None
    expected = "Anomaly: not assessed — the anomaly model was trained on 12-lead ECGs"
    twelve = " ".join(pdf_text(render_12lead(demo_12lead, tmp_path / "r.pdf", findings=findings))[0].split())
    assert expected in twelve and "lacks V1, V2" in twelve and "score" not in twelve.split("Anomaly:")[1][:80]
    holter = " ".join(pdf_text(render_holter(demo_12lead, tmp_path / "h.pdf", findings=findings))[0].split())
    assert expected in holter and "lacks V1, V2" in holter


def test_an_assessed_anomaly_keeps_its_verdict_on_both_reports(demo_12lead, tmp_path):
    findings = ReportFindings.from_analysis(analysis_json(demo_12lead))
    assert findings.anomaly_not_assessed is None
    for pdf in (render_12lead(demo_12lead, tmp_path / "r.pdf", findings=findings),
                render_holter(demo_12lead, tmp_path / "h.pdf", findings=findings)):
        text = pdf_text(pdf)[0]
        assert "Anomaly: abnormal (score 0.91)" in text and "not assessed" not in text
