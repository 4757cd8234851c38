"""The record-level rhythm verdict of short recordings (fused rhythm trees): features, export round trip, the
verdict on a real CinC 2017 record and on unreadable signal, refusal of a broken file, and the cache key."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import AnalysisError, Analyzer
from anyecg_model.analysis.cache import cache_key
from anyecg_model.analysis.findings import ModelInfo
from anyecg_model.analysis.rhythm_features import RHYTHM_FEATURES, RhythmInputs, rhythm_features, sample_entropy
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.model.boosted_trees import export_hist_gbm
from anyecg_model.model.rhythm_trees import (CONFIG, HEAD_FEATURES, WEIGHTS, RhythmTreesError, load_rhythm_trees,
                                             rhythm_classifier_name, save_rhythm_trees)
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.vocabulary.labels import BEAT_CLASSES, RECORD_CLASSES

shipped = pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")


def _inputs(rr: np.ndarray) -> RhythmInputs:
    t = np.concatenate([[0.5], 0.5 + np.cumsum(rr)])
    return RhythmInputs(t, float(t[-1] + 0.5), np.tile([[0.7, 0.1, 0.15, 0.05]], (3, 1)), np.full(3, 10.0))


def test_features_tell_an_irregular_rhythm_from_a_regular_one():
    rng = np.random.default_rng(0)
    regular = rhythm_features(_inputs(np.full(40, 0.8) + rng.normal(0, 0.01, 40)))
    irregular = rhythm_features(_inputs(rng.uniform(0.4, 1.2, 40)))
    i = {n: k for k, n in enumerate(RHYTHM_FEATURES)}
    assert regular[i["hr_bpm"]] == pytest.approx(75, abs=2)
    assert irregular[i["rr_cv"]] > 3 * regular[i["rr_cv"]]
    assert irregular[i["step_median"]] > 0.1 > regular[i["step_median"]]
    assert irregular[i["pnn50"]] > 0.5 > regular[i["pnn50"]]
    assert regular[i["model_N"]] == pytest.approx(0.7)
    few = rhythm_features(_inputs(np.full(2, 0.8)))
    assert np.isnan(few[i["rr_cv"]]) and np.isnan(few[i["sample_entropy"]])  # too few beats: not measurable


def test_sample_entropy_is_low_for_a_repeating_series_and_high_for_noise():
    rng = np.random.default_rng(1)
    assert sample_entropy(np.tile([0.8, 0.6], 30), 2, 0.05) < 0.1
    assert sample_entropy(rng.uniform(0.4, 1.2, 60), 2, 0.05) > 1.0


TREE_FEATURES = [n for n in RHYTHM_FEATURES if not n.startswith("model_")]


def _fitted_trees(tmp_path, tree_weight=1.0, temperature=1.0):
    """Trees fitted on random classical columns, stored with the given fusion weight and temperature."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, len(RHYTHM_FEATURES)))
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0.5)
    X[rng.random(X.shape) < 0.05] = np.nan  # missing features take the learnt direction
    head = rng.dirichlet(np.ones(4), 400)
    X[:, [RHYTHM_FEATURES.index(n) for n in HEAD_FEATURES]] = head
    cols = [RHYTHM_FEATURES.index(n) for n in TREE_FEATURES]
    clf = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X[:, cols], y)
    save_rhythm_trees(export_hist_gbm(clf), tmp_path, TREE_FEATURES, tree_weight, temperature, 65.0,
                      {"name": "test rhythm trees", "model_version": "0"})
    return clf.predict_proba(X[:, cols]), head, X


def test_export_round_trip_gives_scikit_learns_probabilities(tmp_path):
    p_trees, head, X = _fitted_trees(tmp_path)
    trees = load_rhythm_trees(tmp_path)
    assert trees.classes == list(RECORD_CLASSES) and trees.max_duration_s == 65.0
    np.testing.assert_allclose(trees.probabilities(X), p_trees, atol=1e-9)
    assert rhythm_classifier_name(tmp_path).startswith("test rhythm trees 0 (sha256 ")
    _fitted_trees(tmp_path, tree_weight=0.8, temperature=0.9)  # the fusion with the head, calibrated
    z = (0.8 * np.log(p_trees) + 0.2 * np.log(head)) / 0.9
    expected = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(load_rhythm_trees(tmp_path).probabilities(X), expected, atol=1e-9)


def test_a_broken_tree_file_is_refused_with_a_clear_error(tmp_path):
    _fitted_trees(tmp_path)
    data = bytearray((tmp_path / WEIGHTS).read_bytes())
    data[-9] ^= 0xFF
    (tmp_path / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(RhythmTreesError, match="SHA-256"):
        load_rhythm_trees(tmp_path)
    (tmp_path / WEIGHTS).unlink()
    with pytest.raises(RhythmTreesError, match="missing"):
        load_rhythm_trees(tmp_path)
    _fitted_trees(tmp_path)
    meta = json.loads((tmp_path / CONFIG).read_text())
    meta["features"] = meta["features"][:-1]
    (tmp_path / CONFIG).write_text(json.dumps(meta))
    with pytest.raises(RhythmTreesError, match="features"):
        load_rhythm_trees(tmp_path)
    _fitted_trees(tmp_path, tree_weight=0.8)
    meta = json.loads((tmp_path / CONFIG).read_text())
    meta["tree_weight"] = 1.5
    (tmp_path / CONFIG).write_text(json.dumps(meta))
    with pytest.raises(RhythmTreesError, match="tree_weight"):
        load_rhythm_trees(tmp_path)


def test_the_cache_key_changes_with_the_rhythm_trees():
    a = ModelInfo("m", "1", "ab" * 32, rhythm_classifier="gradient-boosted rhythm trees 1.0 (sha256 11111111)")
    b = ModelInfo("m", "1", "ab" * 32, rhythm_classifier="gradient-boosted rhythm trees 1.0 (sha256 22222222)")
    none = ModelInfo("m", "1", "ab" * 32)
    keys = {cache_key("c" * 40, m, ("arrhythmia",)) for m in (a, b, none)}
    assert len(keys) == 3


@shipped
def test_the_analyzer_refuses_a_model_folder_with_broken_rhythm_trees(tmp_path):
    d = tmp_path / "model"
    shutil.copytree(SHIPPED_MODEL_DIR, d)
    (d / WEIGHTS).write_bytes(b"not a safetensors file")
    with pytest.raises(AnalysisError, match="rhythm classifier refused"):
        Analyzer(d, device="cpu")


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(device="cpu")


@shipped
def test_a_real_cinc_record_gets_a_verdict(analyzer, shared_data):
    root = shared_data / "cinc2017"
    if not (root / "REFERENCE.csv").exists():
        pytest.skip("CinC 2017 not unpacked")
    af = [r.split(",")[0] for r in (root / "REFERENCE.csv").read_text().split() if r.endswith(",A")]
    path = next((root / f"{name}.hea" for name in af if (root / f"{name}.hea").exists()), None)
    if path is None:
        pytest.skip("no AF record of CinC 2017 unpacked")
    f = analyzer.analyze(open_recording(path), ("arrhythmia", "events"))
    v = f.rhythm_verdict
    assert v is not None and v.label in RECORD_CLASSES
    assert sum(v.probabilities.values()) == pytest.approx(1.0)
    assert v.af_episodes is not None and (v.note is not None) == ((v.label == "A") != (v.af_episodes > 0))
    d = json.loads(f.to_json())["rhythm"]["verdict"]
    assert d["name"] == {"N": "normal", "A": "AF", "O": "other", "~": "noisy"}[d["label"]]
    assert d["classifier"].startswith("gradient-boosted rhythm trees")
    assert json.loads(f.to_json())["model"]["rhythm_classifier"] == d["classifier"]


@shipped
@pytest.mark.parametrize("name", ["A00591", "A00725"])
def test_a_strip_the_verdict_calls_af_has_no_supraventricular_ectopic_beat(analyzer, shared_data, name):
    """CinC 2017 AF strips too short for an AF episode: the verdict says AF, and their beats called S (7 and 12 of
    them before) read N, as inside an AF episode — not "AF" beside "supraventricular ectopic beats"."""
    path = shared_data / "cinc2017" / f"{name}.hea"
    if not path.exists():
        pytest.skip(f"CinC 2017 {name} not unpacked")
    f = analyzer.analyze(open_recording(path))
    assert f.rhythm_verdict.label == "A" and f.rhythm_verdict.af_episodes == 0
    labels = np.asarray(f.beats.label)
    assert not np.any(labels == BEAT_CLASSES.index("S")) and np.sum(labels == BEAT_CLASSES.index("N")) >= 20


@shipped
@pytest.mark.parametrize("kind", ["flat", "noise"])
def test_unreadable_signal_is_noisy_and_never_af(analyzer, kind):
    fs, n = 300.0, 30 * 300
    if kind == "flat":  # 6 s of beats, then the electrode comes off (a wholly flat file is refused)
        t = np.arange(n) / fs
        x = np.where(t < 6, np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4), 0.0)
    else:
        x = np.random.default_rng(2).normal(0, 2.0, n)
    f = analyzer.analyze(Recording.from_array(x[None].astype(np.float32), fs, ["ECG"], path=f"{kind}.hea"),
                         ("arrhythmia", "events"))
    assert f.rhythm_verdict is not None and f.rhythm_verdict.label != "A"
    if kind == "flat":
        assert f.rhythm_verdict.label == "~" and "unreadable" in f.rhythm_verdict.note


@shipped
def test_a_long_recording_gets_no_verdict(analyzer):
    t = np.arange(0, 100, 1 / 250)
    x = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)  # 75 bpm spikes for 100 s
    f = analyzer.analyze(Recording.from_array(x[None].astype(np.float32), 250.0, ["II"], path="long.hea"),
                         ("arrhythmia",))
    assert f.rhythm_verdict is None and json.loads(f.to_json())["rhythm"]["verdict"] is None


def _findings_with_verdict():
    from anyecg_model.analysis.findings import Findings, RhythmVerdict

    v = RhythmVerdict("A", {"N": 0.1, "A": 0.8, "O": 0.08, "~": 0.02}, "gradient-boosted rhythm trees 1.0", 0,
                      "AF by the record-level classifier; the beat-level AF rule reports no AF episode")
    return Findings(record="x.hea", duration_s=20.0, fs=300.0, leads=["ECG"], model=ModelInfo("m", "1", "ab" * 32),
                    record_class_probabilities={"N": 0.5, "A": 0.3, "O": 0.2, "~": 0.0}, episodes=[],
                    rhythm_verdict=v)


def test_the_verdict_survives_the_findings_cache_and_reaches_the_report():
    from anyecg_model.analysis.cache import findings_from_arrays, findings_to_arrays
    from anyecg_model.report.findings import ReportFindings
    from anyecg_model.report.header import findings_lines

    f = _findings_with_verdict()
    meta, arrays = findings_to_arrays(f)
    back = findings_from_arrays(json.loads(json.dumps(meta)), arrays)
    assert back.rhythm_verdict == f.rhythm_verdict
    lines = findings_lines(ReportFindings.from_analysis(f.to_dict()))
    assert "Rhythm (record-level verdict): A (atrial fibrillation), confidence 0.80" in lines
    assert any(line.startswith("Note: AF by the record-level classifier") for line in lines)
    assert not any(line.startswith("Rhythm class:") for line in lines)  # the head's class is not shown beside it


@shipped
@pytest.mark.parametrize("name, keeps_s", [("cinc2017/A01469", False), ("ptbxl500/records500/00000/00020_hr", False),
                                           ("ptbxl500/records500/00000/00421_hr", True)])
def test_a_strip_with_no_early_beat_has_no_supraventricular_ectopic_beat(analyzer, shared_data, name, keeps_s):
    """CinC 2017 A01469 (a regular tachycardia at 137 bpm, P waves before every QRS) and PTB-XL 20 (atrial flutter
    at 140 bpm) read S and N at random between identical beats (49 of 137 and 22 of 23 S): with no beat early,
    their S calls read N. PTB-XL 421 (sinus rhythm with an APC, coded PAC) keeps its S beat."""
    path = shared_data / f"{name}.hea"
    if not path.exists():
        pytest.skip(f"{name} not unpacked")
    f = analyzer.analyze(open_recording(path))
    assert f.rhythm_verdict is not None and len(f.beats) >= 10
    s = np.asarray(f.beats.label) == BEAT_CLASSES.index("S")
    assert s.any() == keeps_s
    assert np.sum(np.asarray(f.beats.label) == BEAT_CLASSES.index("N")) >= 8


@shipped
def test_a_normal_strip_whose_first_second_is_settling_artefact_reads_no_vt(analyzer, shared_data):
    """CinC 2017 A02421 (normal sinus rhythm by its reference): its first second, while the fingers settle on the
    electrodes, gave four 'beats' 0.3 s apart called V at 0.79-0.97 and a VT episode at 0.00-0.97 s."""
    path = shared_data / "cinc2017" / "A02421.hea"
    if not path.exists():
        pytest.skip("CinC 2017 not unpacked")
    f = analyzer.analyze(open_recording(path), ("arrhythmia", "events"))
    assert len(f.beats) > 20 and not [e for e in f.episodes if e.label == "VT"]


@shipped
@pytest.mark.parametrize("name, v_kept", [("cinc2017/A02565", False), ("ptbxl500/records500/00000/00255_hr", True)])
def test_v_calls_on_a_strip_the_verdict_reads_normal_are_unclassifiable(analyzer, shared_data, name, v_kept):
    """CinC 2017 A02565 (normal by its reference; verdict normal at 0.93) had 10 V calls on noisy complexes: they
    read Q. PTB-XL 255 (coded PVC; verdict "other") keeps its V beats."""
    path = shared_data / f"{name}.hea"
    if not path.exists():
        pytest.skip(f"{name} not unpacked")
    f = analyzer.analyze(open_recording(path))
    labels = np.asarray(f.beats.label)
    assert np.any(labels == BEAT_CLASSES.index("V")) == v_kept
    assert np.any(labels == BEAT_CLASSES.index("Q")) != v_kept
    assert (f.rhythm_verdict.label == "N") != v_kept
