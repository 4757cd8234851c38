"""The shipped recipe's ``--ship`` writes a complete release: calibration block and beat trees carried over or
refitted, stale trees refused (anyecg_model/train/recipe/release.py)."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.beat_trees import CONFIG as TREES_CONFIG, WEIGHTS as TREES_WEIGHTS, feature_names, \
    load_beat_trees, save_beat_trees
from anyecg_model.model.boosted_trees import export_hist_gbm
from anyecg_model.model.calibration import Calibration
from anyecg_model.model.checkpoint import load_checkpoint, save_checkpoint
from anyecg_model.train.recipe import shipped
from anyecg_model.train.recipe.release import HEAD_FUSED_TREES, ReleaseError, ship_release
from anyecg_model.vocabulary.model_input import PreprocessConfig

NEW = {"model_version": "0.5.0"}
OLD_CAL = {"rhythm": {"temperature": 1.0, "note": "shipped 1"}, "anomaly": {"temperature": 1.0}}
NEW_CAL = {"rhythm": {"temperature": 1.3}, "anomaly": {"temperature": 0.8}}


def _model(seed: int, cfg: PreprocessConfig | None = None) -> AnyECG:
    torch.manual_seed(seed)
    return AnyECG.from_size("tiny", cfg)


def _previous_release(path, model: AnyECG):
    """A release folder as shipped: checkpoint with a calibration block, and beat trees."""
    save_checkpoint(model, path, {"name": "anyecg-small", "model_version": "0.4.1", "calibration": OLD_CAL})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, len(feature_names())))
    clf = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(x, np.digitize(x[:, 0], [-0.5, 0.5]))
    save_beat_trees(export_hist_gbm(clf), path, ["N", "S", "V"], 1.5, {"name": "gradient-boosted beat trees",
                                                                  "model_version": "1.1", "features": feature_names()})
    return {n: (path / n).read_bytes() for n in (TREES_WEIGHTS, TREES_CONFIG)}


def _fail():
    raise AssertionError("calibration refitted although the weights are unchanged")


def test_same_weights_carry_trees_and_calibration_over(tmp_path):
    ship, model = tmp_path / "anyecg-small", _model(0)
    trees = _previous_release(ship, model)
    ship_release(model, ship, {"name": "anyecg-small", "model_version": "0.4.2"}, _fail)
    meta = json.loads((ship / "config.json").read_text())
    assert meta["calibration"] == OLD_CAL and meta["model_version"] == "0.4.2"
    assert {n: (ship / n).read_bytes() for n in trees} == trees  # byte for byte
    assert load_beat_trees(ship).classes == ["N", "S", "V"]
    load_checkpoint(ship)


def test_new_weights_refit_calibration_and_keep_trees(tmp_path):
    ship = tmp_path / "anyecg-small"
    trees = _previous_release(ship, _model(0))
    ship_release(_model(1), ship, {"name": "anyecg-small", **NEW}, lambda: NEW_CAL)
    meta = json.loads((ship / "config.json").read_text())
    assert meta["calibration"] == NEW_CAL
    assert Calibration.from_metadata(meta).rhythm_temperature == 1.3
    assert {n: (ship / n).read_bytes() for n in trees} == trees
    assert not list(tmp_path.glob(".*staging*"))


def test_stale_trees_refuse_the_release_unless_beat_head(tmp_path, caplog):
    ship = tmp_path / "anyecg-small"
    _previous_release(ship, _model(0))
    before = (ship / "model.safetensors").read_bytes()
    other = _model(1, PreprocessConfig(highpass_hz=0.67))
    with pytest.raises(ReleaseError, match="another preprocessing"):
        ship_release(other, ship, NEW, lambda: NEW_CAL)
    assert (ship / "model.safetensors").read_bytes() == before  # the old release untouched
    with caplog.at_level(logging.WARNING):
        ship_release(other, ship, NEW, lambda: NEW_CAL, beat_head=True)
    assert load_beat_trees(ship) is None and "beat head" in caplog.text
    assert json.loads((ship / "config.json").read_text())["calibration"] == NEW_CAL


def test_missing_or_corrupt_trees_refuse_the_release(tmp_path):
    with pytest.raises(ReleaseError, match="no release"):
        ship_release(_model(0), tmp_path / "new", NEW, lambda: NEW_CAL)
    ship = tmp_path / "anyecg-small"
    _previous_release(ship, _model(0))
    (ship / TREES_WEIGHTS).write_bytes(b"tampered")
    with pytest.raises(ReleaseError, match="beat classifier refused|sha"):
        ship_release(_model(0), ship, NEW, lambda: NEW_CAL)


def test_recipe_ship_writes_a_complete_release(tmp_path, monkeypatch):
    """``run_recipe(..., ship=...)`` alone (no further script) yields trees and a calibration record."""
    start, ship = tmp_path / "last-stage", tmp_path / "anyecg-small"
    model = _model(1)
    save_checkpoint(model, start, {"training": {"beats": {"epochs": 1}}})
    trees = _previous_release(ship, _model(0))
    monkeypatch.setattr(shipped, "Corpus", lambda root: None)
    monkeypatch.setattr(shipped, "anomaly_threshold", lambda model, corpus: 0.6)
    monkeypatch.setattr(shipped, "fit_calibration", lambda model, corpus: NEW_CAL)
    out = shipped.run_recipe(tmp_path / "work", [], 0, 0, tmp_path / "corpus", ship, start=start, version="0.5.0")
    meta = json.loads((out / "config.json").read_text())
    assert meta["calibration"] == NEW_CAL and meta["anomaly_threshold"] == 0.6
    assert meta["model_version"] == "0.5.0"
    assert {n: (ship / n).read_bytes() for n in trees} == trees


@pytest.mark.parametrize("version, why", [(None, "MAJOR.MINOR.PATCH"), ("0.5", "MAJOR.MINOR.PATCH"),
                                          ("0.3.0", "not above"), ("0.4.1", "not above")])
def test_recipe_refuses_a_missing_or_old_version_before_training(tmp_path, monkeypatch, version, why):
    """No constant version is stamped: shipping needs one above the replaced release's 0.4.1, checked first."""
    ship = tmp_path / "anyecg-small"
    _previous_release(ship, _model(0))
    before = (ship / "config.json").read_bytes()
    monkeypatch.setattr(shipped, "train_stage", lambda *a, **k: pytest.fail("trained before the version check"))
    with pytest.raises(ReleaseError, match=why):
        shipped.run_recipe(tmp_path / "work", ["mcp"], 1, 0, tmp_path / "corpus", ship, version=version)
    with pytest.raises(ReleaseError, match=why):
        ship_release(_model(0), ship, {"model_version": version}, _fail)
    assert (ship / "config.json").read_bytes() == before


def test_ship_without_version_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        shipped.main(["--work", str(tmp_path), "--stages", "", "--ship", str(tmp_path / "out")])
    assert "--version" in capsys.readouterr().err


def test_fitted_temperature_softens_an_overconfident_anomaly_head():
    """The shared fit (recipe and bench/calibrate_heads.py): logits 4x too large are fitted T ≈ 4."""
    from types import SimpleNamespace

    from anyecg_model.train.calibration_fit import fit_head_temperature
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 2, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-true_logit))).astype(int)
    pred = SimpleNamespace(y=y, score=4 * true_logit, record=np.arange(4000))
    assert 3.2 < fit_head_temperature("anomaly", pred) < 5.0


def test_shipped_config_holds_only_keys_a_release_writes(tmp_path, monkeypatch):
    """Every top-level key of the shipped config.json is one today's ``--ship`` writes (and the code reads or
    keeps as provenance): no stale setting such as the retired ``af_from_rhythm`` threshold misleads a reader."""
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
    start, ship = tmp_path / "last-stage", tmp_path / "anyecg-small"
    save_checkpoint(_model(0), start, {"training": {}})
    _previous_release(ship, _model(0))
    monkeypatch.setattr(shipped, "Corpus", lambda root: None)
    monkeypatch.setattr(shipped, "anomaly_threshold", lambda model, corpus: 0.6)
    monkeypatch.setattr(shipped, "fit_calibration", lambda model, corpus: NEW_CAL)
    out = shipped.run_recipe(tmp_path / "work", [], 0, 0, tmp_path / "corpus", ship, start=start, version="0.5.0")
    written = set(json.loads((out / "config.json").read_text()))
    stale = set(json.loads((SHIPPED_MODEL_DIR / "config.json").read_text())) - written
    assert not stale, f"shipped config.json keys no release writes: {sorted(stale)}"


def _fused_trees(path) -> dict[str, bytes]:
    """Stand-ins for the anomaly and rhythm trees' files beside a release (carried over as bytes, never parsed)."""
    files = {n: f"{n} of the previous weights".encode() for pair in HEAD_FUSED_TREES for n in pair}
    for name, data in files.items():
        (path / name).write_bytes(data)
    return files


def test_head_fused_trees_follow_the_weights(tmp_path, caplog):
    """Same weights: the fused anomaly and rhythm trees are carried over byte for byte; new weights: left out, with
    a warning naming their refit (they were fused with the old heads' outputs)."""
    ship = tmp_path / "anyecg-small"
    model = _model(0)
    _previous_release(ship, model)
    fused = _fused_trees(ship)
    ship_release(model, ship, {"name": "anyecg-small", "model_version": "0.4.2"}, _fail)
    assert {n: (ship / n).read_bytes() for n in fused} == fused
    with caplog.at_level(logging.WARNING):
        ship_release(_model(1), ship, {"name": "anyecg-small", **NEW}, lambda: NEW_CAL)
    assert not any((ship / n).exists() for n in fused)
    assert "anomaly_trees.json left out" in caplog.text and "rhythm_trees.json left out" in caplog.text
    assert "anomaly_fusion" in caplog.text and "rhythm_trees_train" in caplog.text
