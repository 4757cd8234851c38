"""The shipped beat classifier (gradient-boosted trees): the analyzer feeds it exactly the features it was trained
on, labels the beats with it when it is present (the beat head when absent), names it in the findings, and
refuses a tampered or pickled file with a clear error."""
from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import AnalysisError, Analyzer
from anyecg_model.analysis.beat_extra_data import record_extra_features
from anyecg_model.analysis.beat_fusion_data import ReferenceBeatAnalyzer, reference_beats
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.model.beat_trees import BEAT_HEAD, CONFIG, WEIGHTS, load_beat_trees
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.vocabulary.labels import BEAT_CLASSES
from anyecg_model.vocabulary.pacing_stimulus import without_lone_paced_calls

pytestmark = pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped beat trees")


@pytest.fixture(scope="module")
def record_208(shared_data):
    """The first 120 s of MIT-BIH 208 (normal beats, PVCs, couplets, fusion beats) and its reference beats."""
    path = shared_data / "mitdb" / "208"
    if not path.with_suffix(".hea").exists():
        pytest.skip("MIT-BIH 208 not unpacked")
    full = open_recording(str(path.with_suffix(".hea")))
    n = int(120 * full.fs)
    rec = Recording.from_array(full.read(0, n), full.fs, full.lead_names, path="208-120s.hea")
    samples, labels = reference_beats(path)
    keep = samples < n
    return rec, samples[keep], labels[keep]


def model_copy(tmp_path, trees: bool = True):
    """The shipped model folder copied to ``tmp_path`` (with or without its beat trees)."""
    d = tmp_path / "model"
    d.mkdir()
    for f in SHIPPED_MODEL_DIR.iterdir():
        if trees or f.name not in (CONFIG, WEIGHTS):
            shutil.copy(f, d / f.name)
    return d


def test_analyzer_features_and_labels_equal_the_training_path_on_a_real_record(record_208, monkeypatch):
    rec, samples, labels = record_208
    ref = ReferenceBeatAnalyzer()
    cache = ref.extract(rec, samples, labels)  # the training cache's inputs of these beats
    analyzer = Analyzer(device="cpu")
    assert analyzer.trees is not None
    monkeypatch.setattr(analyzer, "_r_peaks", ref._r_peaks)  # the same (reference) R peaks
    seen = []
    probabilities = analyzer.trees.probabilities
    monkeypatch.setattr(analyzer.trees, "probabilities", lambda x: seen.append(x) or probabilities(x))
    findings = analyzer.analyze(rec, ("arrhythmia",))
    x = np.concatenate(seen)
    cols = analyzer.trees.extra_columns  # the shipped trees' extra inputs (pacing stimulus, prematurity)
    assert x.shape == (len(samples), 50 + len(cols))
    np.testing.assert_array_equal(x[:, :50], np.concatenate([cache["clinical"], cache["window"]], 1))
    np.testing.assert_array_equal(x[:, 50:], record_extra_features(rec, samples)[1][:, cols])
    # below 400 Hz no paced call stands without a run of them (one 120-s chunk here)
    offline = without_lone_paced_calls(load_beat_trees(SHIPPED_MODEL_DIR).probabilities(x))
    beats = findings.beats
    np.testing.assert_allclose(beats.time_s, cache["time_s"])
    assert list(beats.label) == list(offline.argmax(1))
    np.testing.assert_allclose(beats.confidence, offline.max(1), rtol=1e-6)
    # and they are this record's beats: its PVCs come out V
    v = BEAT_CLASSES.index("V")
    assert np.mean(beats.label[cache["label"] == v] == v) > 0.9
    assert findings.model.beat_classifier.startswith("gradient-boosted beat trees")
    assert findings.to_dict()["model"]["beat_classifier"] == findings.model.beat_classifier


def test_without_trees_the_beat_head_labels_the_beats(tmp_path):
    analyzer = Analyzer(model_copy(tmp_path, trees=False), device="cpu")
    assert analyzer.trees is None and analyzer.info.beat_classifier == BEAT_HEAD
    shipped = Analyzer(device="cpu").info
    assert shipped.beat_classifier != BEAT_HEAD


def test_tampered_trees_are_refused_clearly(tmp_path):
    d = model_copy(tmp_path)
    data = bytearray((d / WEIGHTS).read_bytes())
    data[-10] ^= 1
    (d / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(AnalysisError, match="SHA-256 does not match.*remove .*beat_trees.json"):
        Analyzer(d, device="cpu")


def test_pickled_trees_are_refused_unread(tmp_path, monkeypatch):
    import hashlib

    d = model_copy(tmp_path)
    (d / WEIGHTS).write_bytes(pickle.dumps({"feature": np.zeros(3)}))
    meta = json.loads((d / CONFIG).read_text())
    meta["weights_sha256"] = hashlib.sha256((d / WEIGHTS).read_bytes()).hexdigest()  # a matching hash
    (d / CONFIG).write_text(json.dumps(meta))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(AnalysisError, match="not a safetensors file"):
        Analyzer(d, device="cpu")


def test_trees_for_other_features_are_refused(tmp_path):
    d = model_copy(tmp_path)
    meta = json.loads((d / CONFIG).read_text())
    meta["features"] = meta["features"][:-1]
    (d / CONFIG).write_text(json.dumps(meta))
    with pytest.raises(AnalysisError, match="features"):
        Analyzer(d, device="cpu")


def test_extra_inputs_are_computed_as_the_training_extraction_computes_them(record_208, tmp_path, monkeypatch):
    """Trees that read the extra inputs (pacing stimulus, prematurity) get, after the 50 earlier ones, exactly
    the columns :mod:`~anyecg_model.analysis.beat_extra_data` extracts for training."""
    from anyecg_model.model.beat_trees import EXTRA_FEATURES

    rec, samples, labels = record_208
    d = model_copy(tmp_path)
    meta = json.loads((d / CONFIG).read_text())
    base = meta["features"][:50]
    wanted = list(EXTRA_FEATURES)  # all 8 (the stored trees read at most that many columns)
    meta["features"] = base + wanted
    (d / CONFIG).write_text(json.dumps(meta))
    analyzer = Analyzer(d, device="cpu")
    assert analyzer.trees.extra_columns == [EXTRA_FEATURES.index(n) for n in wanted]
    ref = ReferenceBeatAnalyzer()
    monkeypatch.setattr(analyzer, "_r_peaks", ref._r_peaks)
    ref.peaks = samples
    seen = []
    probabilities = analyzer.trees.probabilities
    monkeypatch.setattr(analyzer.trees, "probabilities", lambda x: seen.append(x) or probabilities(x))
    analyzer.analyze(rec, ("arrhythmia",))
    x = np.concatenate(seen)
    _, f = record_extra_features(rec, samples)
    assert x.shape == (len(samples), 58)
    np.testing.assert_array_equal(x[:, 50:], f)
    assert (x[:, 50] > 0).all()  # a sharpness was measured on every beat


def test_extra_inputs_out_of_order_or_unknown_are_refused(tmp_path):
    d = model_copy(tmp_path)
    meta = json.loads((d / CONFIG).read_text())
    for extra in (["pre_over_preceding", "pace_sharpness_per_ms"], ["qrs_area"]):
        meta["features"] = meta["features"][:50] + extra
        (d / CONFIG).write_text(json.dumps(meta))
        with pytest.raises(AnalysisError, match="features"):
            Analyzer(d, device="cpu")


def test_amplitude_is_read_relative_to_the_neighbouring_beats():
    """Inputs in mV are divided by the median QRS peak-to-peak of the beats around each in its chunk (all of a
    short chunk's); ratios, durations and the RR inputs are left as they are, a chunk at another gain gives
    the same rows, and a step in amplitude within a chunk is followed within the neighbourhood."""
    from anyecg_model.model.beat_trees import NEIGHBOURS, amplitude_columns, feature_names, relative_amplitude

    names = feature_names()
    mv, ptp = amplitude_columns(names), names.index("qrs_ptp")
    assert {names[i] for i in mv} >= {"qrs_amplitude_mv", "qrs_ptp", "beat_std", "morph_0"}
    assert not {"log_amp_ratio", "qrs_width_ms", "pre_rr_s", "qrs_corr"} & {names[i] for i in mv}
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, (6, len(names))).astype(np.float32)
    x[:, ptp] = [1.0, 2.0, 3.0, 0.4, 0.6, 0.8]
    chunk = np.array([0, 0, 0, 1, 1, 1])
    rel = relative_amplitude(x, chunk)
    np.testing.assert_allclose(rel[:3, ptp], [0.5, 1.0, 1.5])
    np.testing.assert_allclose(rel[3:, ptp], [2 / 3, 1.0, 4 / 3], rtol=1e-6)
    other = [i for i in range(len(names)) if i not in mv]
    np.testing.assert_array_equal(rel[:, other], x[:, other])
    half = x.copy()
    half[:, mv] *= 0.5
    np.testing.assert_allclose(relative_amplitude(half, chunk), rel, rtol=1e-6)
    step = np.ones((200, len(names)), np.float32)
    step[100:, mv] = 0.5  # the electrodes moved: half the amplitude from beat 100 on
    rel = relative_amplitude(step)[:, ptp]
    near = NEIGHBOURS + 1
    np.testing.assert_allclose(rel[:100 - near], 1.0)
    np.testing.assert_allclose(rel[100 + near:], 1.0)


def test_a_recorder_at_half_the_gain_gets_the_same_beat_labels(record_208, monkeypatch):
    """MIT-BIH 208 written at half its amplitude (as most other recorders write): the shipped trees label its
    beats as at full amplitude, PVCs and fusion beats included (the same reference R peaks both times)."""
    rec, samples, labels = record_208
    assert load_beat_trees(SHIPPED_MODEL_DIR).relative
    out = []
    for gain in (1.0, 0.5):
        scaled = Recording.from_array(gain * rec.read(0, rec.n_samples), rec.fs, rec.lead_names,
                                      path=f"208-{gain}.hea")
        ref = ReferenceBeatAnalyzer()
        ref.peaks = samples
        analyzer = Analyzer(device="cpu")
        monkeypatch.setattr(analyzer, "_r_peaks", ref._r_peaks)
        out.append(analyzer.analyze(scaled, ("arrhythmia",)).beats)
    np.testing.assert_allclose(out[0].time_s, out[1].time_s)
    assert np.mean(out[0].label == out[1].label) > 0.99
    for c in ("V", "F"):
        k = BEAT_CLASSES.index(c)
        assert np.mean(out[1].label[labels == k] == k) > 0.9, c


def test_trees_with_an_unknown_amplitude_reading_are_refused(tmp_path):
    d = model_copy(tmp_path)
    meta = json.loads((d / CONFIG).read_text())
    meta["amplitude"] = "relative to the whole recording"
    (d / CONFIG).write_text(json.dumps(meta))
    with pytest.raises(AnalysisError, match="amplitude"):
        Analyzer(d, device="cpu")


def test_the_trees_read_lead_ii_waveform_where_a_window_has_it():
    """On a 12-lead window the waveform inputs are lead II's (the trees learnt on MIT-BIH's MLII), not lead I's;
    without lead II, the first present lead's."""
    from anyecg_model.model.beat_trees import MORPH_STEP, window_features
    from anyecg_model.vocabulary.leads import STANDARD_LEADS

    S, T = len(STANDARD_LEADS), 210
    morph = np.stack([np.full(T, float(s + 1)) for s in range(S)])[None, None]  # lead s holds the value s + 1
    rr, template, beats = np.zeros((1, 1, 6)), np.zeros((1, 1, 3)), np.ones((1, 1), bool)
    ii, v1 = STANDARD_LEADS.index("II"), STANDARD_LEADS.index("V1")
    twelve = np.ones((1, S), bool)
    wave = window_features(rr, template, morph.astype(np.float32), twelve, beats)[0, 9:9 + T // MORPH_STEP]
    np.testing.assert_array_equal(wave, ii + 1)
    no_ii = twelve.copy()
    no_ii[0, :v1] = False  # a precordial-only recording
    wave = window_features(rr, template, morph.astype(np.float32), no_ii, beats)[0, 9:9 + T // MORPH_STEP]
    np.testing.assert_array_equal(wave, v1 + 1)
