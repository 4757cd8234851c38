"""Boosted trees exported from scikit-learn: the numpy predictor equals predict_proba; storage never unpickles."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from anyecg_model.model.boosted_trees import (COMPACT_FROM, TreeExportError, export_hist_gbm, load_trees,
                                             save_trees)


def _data(rng: np.random.Generator, n: int, classes: int, nan: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 12))
    y = (np.digitize(x[:, 0] + 0.5 * x[:, 3] * x[:, 5], np.linspace(-1, 1, classes - 1))
         + (rng.random(n) < 0.1)) % classes
    x[rng.random(x.shape) < nan] = np.nan
    return x, y


@pytest.mark.parametrize("classes", [2, 3, 6])
def test_numpy_predictor_equals_scikit_learn_on_random_data(classes):
    rng = np.random.default_rng(classes)
    x, y = _data(rng, 2000, classes, nan=0.05)
    clf = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    trees = export_hist_gbm(clf)
    assert trees.depth > COMPACT_FROM + 1  # the walk drops finished pairs at least twice
    test, _ = _data(rng, 3000, classes, nan=0.1)  # beyond the BLOCK, with missing values
    assert np.abs(trees.predict_proba(test) - clf.predict_proba(test)).max() < 1e-9
    clean, _ = _data(rng, 500, classes, nan=0.0)
    assert np.abs(trees.predict_proba(clean) - clf.predict_proba(clean)).max() < 1e-9


def test_round_trip_through_safetensors_never_unpickles(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x, y = _data(rng, 1500, 4, nan=0.02)
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=1).fit(x, y)
    save_trees(export_hist_gbm(clf), tmp_path / "t.safetensors", tmp_path / "t.json", {"classes": [0, 1, 2, 3]})

    def refuse(*a, **k):
        raise AssertionError("unpickling attempted")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    trees, meta = load_trees(tmp_path / "t.safetensors", tmp_path / "t.json")
    assert meta["classes"] == [0, 1, 2, 3]
    assert np.abs(trees.predict_proba(x) - clf.predict_proba(x)).max() < 1e-9


def test_a_pickle_or_tampered_weights_are_refused(tmp_path):
    rng = np.random.default_rng(1)
    x, y = _data(rng, 800, 3, nan=0.0)
    clf = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(x, y)
    w, c = tmp_path / "t.safetensors", tmp_path / "t.json"
    save_trees(export_hist_gbm(clf), w, c)
    w.write_bytes(pickle.dumps(clf))
    with pytest.raises(TreeExportError, match="SHA-256"):
        load_trees(w, c)
    c.write_text(c.read_text().replace(c.read_text().split('"weights_sha256": "')[1].split('"')[0],
                                       __import__("hashlib").sha256(w.read_bytes()).hexdigest()))
    with pytest.raises(TreeExportError, match="not a safetensors"):
        load_trees(w, c)
    c.write_text('{"format": "something else"}')
    with pytest.raises(TreeExportError, match="not a boosted-trees"):
        load_trees(w, c)


def test_unfitted_model_and_wrong_width_are_clear_errors():
    with pytest.raises(TreeExportError, match="not a fitted"):
        export_hist_gbm(HistGradientBoostingClassifier())
    rng = np.random.default_rng(2)
    x, y = _data(rng, 500, 3, nan=0.0)
    trees = export_hist_gbm(HistGradientBoostingClassifier(max_iter=5).fit(x, y))
    with pytest.raises(TreeExportError, match="features"):
        trees.predict_proba(x[:, :2])
