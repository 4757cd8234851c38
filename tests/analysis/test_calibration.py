"""Calibrated confidence (issue 15): the checkpoint's ``calibration`` temperatures soften the rhythm and anomaly
probabilities exactly as softmax(logits / T) and sigmoid(logit / T); without the block nothing changes; a bad
block is refused with a clear error; the anomaly decision stays the uncalibrated one."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.builder import FindingsRules
from anyecg_model.io.recording import Recording
from anyecg_model.model.calibration import Calibration, CalibrationError
from anyecg_model.model.checkpoint import load_checkpoint
from anyecg_model.model.checkpoint_meta import CheckpointError
from anyecg_model.vocabulary.labels import RECORD_CLASSES
from tests.conftest import simulated_ecg

FS = 250.0


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_temperatures_give_softmax_and_sigmoid_of_the_scaled_logits():
    z = np.random.default_rng(0).normal(0, 4, (50, 4))
    cal = Calibration(rhythm_temperature=1.7, anomaly_temperature=0.6)
    np.testing.assert_allclose(cal.rhythm_probabilities(softmax(z)), softmax(z / 1.7), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cal.anomaly_probability(z[:, 0]), 1 / (1 + np.exp(-z[:, 0] / 0.6)), rtol=1e-9)
    # the threshold moves with the probability: the same logits are called abnormal
    raw = 1 / (1 + np.exp(-z[:, 0]))
    assert np.array_equal(raw >= 0.65, cal.anomaly_probability(z[:, 0]) >= cal.anomaly_threshold(0.65))
    assert cal.anomaly_threshold(0.65) != pytest.approx(0.65)


def test_no_block_changes_nothing():
    cal = Calibration.from_metadata({})
    p = softmax(np.random.default_rng(1).normal(0, 3, (8, 4)))
    assert cal == Calibration() and np.array_equal(cal.rhythm_probabilities(p), p)
    assert cal.anomaly_threshold(0.65) == 0.65
    assert FindingsRules.from_metadata({"anomaly_threshold": 0.65}).anomaly_threshold == 0.65


@pytest.mark.parametrize("block, words", [
    ({"rhythm": {"temperature": 0}}, "rhythm temperature must be a finite number > 0"),
    ({"anomaly": {"temperature": -1.2}}, "anomaly temperature must be a finite number > 0"),
    ({"rhythm": {"temperature": float("nan")}}, "finite number > 0, got nan"),
    ({"rhythm": {"temperature": float("inf")}}, "finite number > 0"),
    ({"rhythm": {"temperature": "1.2"}}, "finite number > 0"),
    ({"rhythm": {"temperature": True}}, "finite number > 0"),
    ({"rhythm": {"split": "val"}}, "needs a 'temperature'"),
    ({"beats": {"temperature": 1.1}}, "unknown head(s) ['beats']"),
    ([1.2], "expected a mapping"),
])
def test_a_bad_block_is_refused_with_a_clear_error(block, words):
    with pytest.raises(CalibrationError) as err:
        Calibration.from_metadata({"calibration": block})
    assert words in str(err.value)


def calibrated_copy(src, dst, block):
    shutil.copytree(src, dst)
    meta = json.loads((dst / "config.json").read_text())
    meta["calibration"] = block
    (dst / "config.json").write_text(json.dumps(meta, allow_nan=True))
    return dst


def test_a_checkpoint_with_a_bad_temperature_is_refused_on_load(tiny_model_dir, tmp_path):
    d = calibrated_copy(tiny_model_dir, tmp_path / "bad", {"anomaly": {"temperature": float("nan")}})
    with pytest.raises(CheckpointError, match="config.json: calibration: the anomaly temperature"):
        load_checkpoint(d)


def test_a_calibrated_checkpoint_softens_the_findings_and_keeps_the_decisions(tiny_model_dir, tmp_path):
    t_rhythm, t_anomaly = 2.5, 3.0
    d = calibrated_copy(tiny_model_dir, tmp_path / "cal", {"rhythm": {"temperature": t_rhythm, "split": "val"},
                                                          "anomaly": {"temperature": t_anomaly}})
    meta = json.loads((d / "config.json").read_text())
    meta["anomaly_threshold"] = 0.65
    (d / "config.json").write_text(json.dumps(meta))
    rec = Recording.from_array(simulated_ecg(60.0, FS, 72.0, leads=("II", "V1")), FS, ["II", "V1"], path="s.hea")
    plain = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    cal = Analyzer(d, device="cpu", chunk_s=30.0)
    parts = list(plain.iter_analyze(rec))
    f0, f1 = plain.analyze(rec), cal.analyze(rec)
    # rhythm: the duration-weighted mean of the windows' softmax(logits / T)
    prob = np.concatenate([p.record_class_prob for p in parts])
    w = np.concatenate([p.window_end_s - p.window_start_s for p in parts])[:, None]
    expected = (softmax(np.log(prob) / t_rhythm) * w).sum(0) / w.sum()
    got = np.array([f1.record_class_probabilities[c] for c in RECORD_CLASSES])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got.max() < max(f0.record_class_probabilities.values())  # softer than uncalibrated
    # anomaly: sigmoid(logit / T) per window and for the mean logit; the label is the uncalibrated one
    logits = np.concatenate([p.anomaly_logit for p in parts])
    np.testing.assert_allclose([x.score for x in f1.anomaly_windows], 1 / (1 + np.exp(-logits / t_anomaly)),
                               rtol=1e-6)
    assert f1.anomaly_score == pytest.approx(1 / (1 + np.exp(-logits.mean() / t_anomaly)))
    assert f1.anomaly_threshold == pytest.approx(1 / (1 + np.exp(-np.log(0.65 / 0.35) / t_anomaly)))
    assert f1.anomaly_label == ("abnormal" if logits.mean() >= np.log(0.65 / 0.35) else "normal")
    assert f0.anomaly_threshold == pytest.approx(0.5) and f0.anomaly_score == pytest.approx(
        1 / (1 + np.exp(-logits.mean())))


def test_the_shipped_checkpoint_documents_both_heads_calibration():
    from anyecg_model.model.checkpoint_meta import read_metadata
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

    meta = read_metadata(SHIPPED_MODEL_DIR)
    Calibration.from_metadata(meta)  # valid
    for head in ("rhythm", "anomaly"):
        entry = meta["calibration"][head]
        assert entry["fitted_on"] and entry["fitted_temperature"] > 0 and len(entry["fitted_temperature_90"]) == 2
