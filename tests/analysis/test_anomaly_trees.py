"""The fused anomaly trees (averaged-beat features + the anomaly head's logit): exported exactly, measured on a
known synthetic 12-lead beat, scoring real 12-lead PTB-XL records as the recipe does, leaving other lead sets to
today's rule, refusing corrupt files with a clear error, and keyed into the findings cache."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import AnalysisError, Analyzer
from anyecg_model.analysis.cache import cache_key
from anyecg_model.analysis.findings import ModelInfo
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.model.anomaly_trees import (ANOMALY_HEAD, CONFIG, FEATURES, WEIGHTS, AnomalyTreesError,
                                              load_anomaly_trees, save_anomaly_trees)
from anyecg_model.model.boosted_trees import export_hist_gbm
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.analysis.anomaly_data import record_inputs
from anyecg_model.signal.resting_features import FEATURES as RESTING, TWELVE_LEADS, resting_features

SHIPPED = (SHIPPED_MODEL_DIR / CONFIG).exists()


def test_exported_trees_equal_scikit_learn_after_a_round_trip(tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, len(FEATURES)))
    x[rng.random(x.shape) < 0.05] = np.nan  # unmeasured features are NaN
    y = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, -1]) + rng.normal(0, 0.5, 300) > 0).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=30, max_features=0.5, random_state=1).fit(x, y)
    save_anomaly_trees(export_hist_gbm(clf), tmp_path, temperature=2.0, threshold=0.4, meta={"name": "t"})
    trees = load_anomaly_trees(tmp_path)
    np.testing.assert_allclose(trees.logit(x[:, :-1], x[:, -1]), clf.decision_function(x) / 2.0, atol=1e-9)
    assert trees.threshold == 0.4


def synthetic_twelve_lead(fs: float = 500.0, hr: float = 60.0, qrs_ms: float = 100.0, st_v2_mv: float = 0.0):
    """10 s of 12 leads: Gaussian P, QRS (R ~ 1 mV) and T waves at ``hr`` bpm; a flat ST shift in V2."""
    t = np.arange(int(10 * fs)) / fs
    x = np.zeros((12, len(t)))
    sd = qrs_ms / 1000 / 6  # ±3 sd span the QRS
    for r in np.arange(0.5, 10, 60 / hr):
        p = 0.12 * np.exp(-0.5 * ((t - r + 0.16) / 0.02) ** 2)
        qrs = np.exp(-0.5 * ((t - r) / sd) ** 2)
        tw = 0.3 * np.exp(-0.5 * ((t - r - 0.3) / 0.04) ** 2)
        st = ((t > r + 3 * sd) & (t < r + 0.22)).astype(float)
        for k in range(12):
            x[k] += p + qrs * (1.0 if k != 3 else -1.0) + tw + (st_v2_mv * st if TWELVE_LEADS[k] == "V2" else 0)
    return x, fs, np.round((np.arange(0.5, 10, 60 / hr)) * fs).astype(int)


def test_averaged_beat_measurements_of_a_known_synthetic_ecg():
    x, fs, peaks = synthetic_twelve_lead(hr=75.0, qrs_ms=100.0, st_v2_mv=0.2)
    f = dict(zip(RESTING, resting_features(x, fs, peaks)))
    assert f["hr_bpm"] == pytest.approx(75.0, abs=0.5)
    assert 70 <= f["qrs_ms"] <= 120
    assert 120 <= f["pr_ms"] <= 220
    assert f["V2_st60_mv"] > 0.1 and abs(f["V3_st60_mv"]) < 0.05  # the ST elevation is in V2 alone
    assert f["II_t_mv"] > 0.2 and f["aVR_r_mv"] < 0.1  # upright T; aVR's QRS negative
    narrow = dict(zip(RESTING, resting_features(*synthetic_twelve_lead(hr=75.0, qrs_ms=60.0))))
    assert narrow["qrs_ms"] < f["qrs_ms"] - 15  # a wider QRS measures wider


def test_a_strip_without_beats_gives_nan_not_an_error():
    row = resting_features(np.zeros((12, 5000)), 500.0, np.zeros(0, int))
    assert row.shape == (len(RESTING),) and np.isnan(row).all()


@pytest.fixture(scope="module")
def analyzer():
    if not SHIPPED:
        pytest.skip("no shipped anomaly trees")
    return Analyzer(device="cpu")


@pytest.fixture(scope="module")
def ptbxl_record(shared_data):
    path = shared_data / "ptbxl500" / "records500" / "00000" / "00009_hr.hea"
    if not path.exists():
        pytest.skip("PTB-XL not unpacked")
    return open_recording(path)


def test_a_real_12_lead_record_gets_the_fused_score_of_the_recipe(analyzer, ptbxl_record):
    f = analyzer.analyze(ptbxl_record, ("anomaly",))
    assert f.anomaly_classifier == analyzer.anomaly_trees.name == f.model.anomaly_classifier
    assert f.anomaly_threshold == analyzer.anomaly_trees.threshold
    resting, logit = record_inputs(analyzer, ptbxl_record)  # the training table's inputs of this record
    assert np.isfinite(resting[:10]).all()
    expected = 1 / (1 + np.exp(-analyzer.anomaly_trees.logit(resting[None], np.array([logit]))[0]))
    assert f.anomaly_score == pytest.approx(expected, abs=1e-9)
    assert f.to_dict()["anomaly"]["classifier"].startswith("fused anomaly trees")


def test_a_two_lead_record_keeps_the_not_assessed_rule(analyzer, ptbxl_record):
    two = Recording.from_array(ptbxl_record.read(0, ptbxl_record.n_samples, [1, 6]), ptbxl_record.fs,
                               ["II", "V1"], path="two-lead.hea")
    f = analyzer.analyze(two, ("anomaly",))
    assert f.anomaly_label == "not assessed" and f.anomaly_score is None and f.anomaly_classifier is None


def model_copy(tmp_path):
    d = tmp_path / "model"
    shutil.copytree(SHIPPED_MODEL_DIR, d)
    return d


@pytest.mark.skipif(not SHIPPED, reason="no shipped anomaly trees")
def test_corrupt_or_missing_tree_files_are_refused_with_a_clear_error(tmp_path):
    d = model_copy(tmp_path)
    data = bytearray((d / WEIGHTS).read_bytes())
    data[-20] ^= 0xFF
    (d / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(AnalysisError, match="anomaly classifier refused.*SHA-256.*remove .*anomaly_trees.json"):
        Analyzer(d, device="cpu")
    (d / WEIGHTS).unlink()
    with pytest.raises(AnomalyTreesError, match="missing"):
        load_anomaly_trees(d)
    shutil.copy(SHIPPED_MODEL_DIR / WEIGHTS, d / WEIGHTS)
    meta = json.loads((d / CONFIG).read_text())
    (d / CONFIG).write_text(json.dumps({**meta, "features": meta["features"][::-1]}))
    with pytest.raises(AnomalyTreesError, match="not this version"):
        load_anomaly_trees(d)


def test_the_findings_cache_key_names_the_anomaly_trees():
    head = ModelInfo("m", "1", "abc")
    fused = ModelInfo("m", "1", "abc", anomaly_classifier="fused anomaly trees 1.0 (sha256 ce384177)")
    other = ModelInfo("m", "1", "abc", anomaly_classifier="fused anomaly trees 1.0 (sha256 00000000)")
    keys = {cache_key("h" * 40, m, ("anomaly",)) for m in (head, fused, other)}
    assert len(keys) == 3 and head.anomaly_classifier == ANOMALY_HEAD
