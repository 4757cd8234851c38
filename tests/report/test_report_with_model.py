"""The report prints what the real analysis API returns: a tiny random-weight checkpoint run through
``Analyzer`` and the findings cache (the numbers are meaningless; the plumbing is what is tested)."""
from __future__ import annotations

import pytest
from report_helpers import pdf_text

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.checkpoint import save_checkpoint

    torch.set_num_threads(1)
    torch.manual_seed(0)
    heads = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}
    directory = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(AnyECG.from_size("tiny", heads=heads), directory,
                    {"name": "anyecg-tiny-report", "model_version": "0.0"})
    return directory


def test_model_findings_reach_the_page(tiny_checkpoint, demo_12lead, tmp_path, monkeypatch):
    from anyecg_model.report import render_12lead
    from anyecg_model.report.model_cache import cached_model_findings
    from anyecg_model.report.model_source import model_findings

    monkeypatch.setenv("ANYECG_CACHE", str(tmp_path / "cache"))
    assert cached_model_findings(demo_12lead, model_dir=tiny_checkpoint) is None  # nothing cached yet
    findings = model_findings(demo_12lead, model_dir=tiny_checkpoint)
    assert findings is not None and findings.source == "model"
    assert len(findings.beat_time_s) >= 8  # ~61 bpm for 10 s
    assert set(findings.beat_label) <= {"N", "S", "V", "F", "Q"}
    assert findings.record_class is not None and findings.anomaly is not None
    cached = cached_model_findings(demo_12lead, model_dir=tiny_checkpoint)
    assert cached is not None and list(cached.beat_time_s) == pytest.approx(list(findings.beat_time_s), abs=1e-3)
    text = pdf_text(render_12lead(demo_12lead, tmp_path / "r.pdf", findings=findings))[0]
    assert "Model findings: anyecg-tiny-report v0.0" in text and "Rhythm class:" in text
    # the tiny checkpoint ships no beat trees: its beat head labelled the beats (the line may wrap)
    assert "beat labels: beat head" in " ".join(text.split())
