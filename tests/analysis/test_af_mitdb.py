"""Real data: MIT-BIH records without AF get (almost) none from the shipped model and the AF rule — 232 (sinus
bradycardia, frequent APCs, pauses up to 6 s: irregular RR with P waves), 208 (PVCs, trigeminy) and 200
(ventricular bigeminy runs, sinus rhythm with P waves between them)."""
from __future__ import annotations

import dataclasses

import pytest

from anyecg_model.analysis.af import AfRules
from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io import open_recording
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

pytestmark = pytest.mark.skipif(not SHIPPED_MODEL_DIR.exists(), reason="no shipped model")

#: The AF rule of v0.4.0, before irregularity had to be pervasive (BENCHMARKS, "AF third pass").
BEFORE = AfRules(strong_median_step=0.0, pervasive_without_p=False, min_af_share=0.0,
                 supraventricular_in_rhythm=False, trim_sinus_edges=False, bridge_gap_s=0.0)


def af_burden(analyzer: Analyzer, rec, parts, rules: AfRules) -> float:
    builder = analyzer.builder(rec)
    builder.rules = dataclasses.replace(builder.rules, af=rules)
    for p in parts:
        builder.add(p)
    return builder.findings().af_burden


@pytest.mark.parametrize("record", ["232", "208", "200"])
def test_records_without_af_have_an_af_burden_under_1_percent(shared_data, record):
    path = shared_data / "mitdb" / f"{record}.hea"
    if not path.exists():
        pytest.skip(f"MIT-BIH {record} not unpacked")
    rec = open_recording(str(path))
    analyzer = Analyzer(None, device="cpu")
    parts = list(analyzer.iter_analyze(rec))
    assert af_burden(analyzer, rec, parts, AfRules()) < 0.01
    if record == "232":  # the irregular rhythm with P waves that irregularity alone called AF
        assert af_burden(analyzer, rec, parts, BEFORE) > 0.01
    if record == "200":  # a 35-s episode over sinus beats with P waves between ventricular bigeminy runs
        assert af_burden(analyzer, rec, parts, AfRules(trim_sinus_edges=False)) > 0.01


def test_af_in_201_is_stated_at_a_confidence_of_at_least_one_half(shared_data):
    """201 (paroxysmal AF): its AF episodes are found and none is stated under 0.5 (the confidence policy;
    the synthetic tests of test_af_confidence.py cover the head's silent vote, which halved it before)."""
    path = shared_data / "mitdb" / "201.hea"
    if not path.exists():
        pytest.skip("MIT-BIH 201 not unpacked")
    rec = open_recording(str(path))
    analyzer = Analyzer(None, device="cpu")
    builder = analyzer.builder(rec)
    for p in analyzer.iter_analyze(rec):
        builder.add(p)
    af = [e for e in builder.findings().episodes if e.label in ("AF", "AFL")]
    assert sum(e.end_s - e.start_s for e in af) > 300.0
    assert min(e.confidence for e in af) >= 0.5
