"""Issue 19 (throughput): the analyzer's faster path gives the findings of the path it replaced. The reference is
the same analyzer with the beat morphology encoded for every beat place of a window, padding included (as
before), on a generated two-lead recording with premature wide beats analysed by the tiny random model."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from anyecg_model.analysis.analyzer import Analyzer, input_leads
from anyecg_model.io.recording import Recording
from anyecg_model.model.heads import MorphologyEncoder


def _with_ectopy(x: np.ndarray, fs: float, seed: int = 7) -> np.ndarray:
    """Wide, tall deflections (premature ventricular-like beats) added every few seconds to both leads."""
    rng = np.random.default_rng(seed)
    x = x.copy()
    w = int(0.07 * fs)
    for c in np.arange(int(3 * fs), x.shape[1] - int(fs), int(4.3 * fs)):
        c += int(rng.integers(-int(0.2 * fs), int(0.2 * fs)))
        x[:, c - w:c + w] += np.array([[1.8], [-1.2]]) * np.hanning(2 * w)
    return x


@pytest.fixture(scope="module")
def recording(simulate) -> Recording:
    fs = 360.0
    return Recording.from_array(_with_ectopy(simulate(95, fs, 85, seed=5), fs), fs, ["MLII", "V1"], path="ect.hea")


def test_findings_equal_those_with_every_beat_place_encoded(tiny_model_dir, recording, monkeypatch):
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    fast = analyzer.analyze(recording)
    calls = []
    original = MorphologyEncoder.forward

    def padded(self, seg, lead_mask, beat_mask=None):
        calls.append(int(seg.shape[0] * seg.shape[1]))
        return original(self, seg, lead_mask)

    monkeypatch.setattr(MorphologyEncoder, "forward", padded)
    reference = analyzer.analyze(recording)
    assert calls and fast.n_beats > 100
    np.testing.assert_array_equal(fast.beats.time_s, reference.beats.time_s)
    np.testing.assert_array_equal(fast.beats.label, reference.beats.label)
    np.testing.assert_allclose(fast.beats.confidence, reference.beats.confidence, atol=1e-5)
    assert fast.anomaly_score == pytest.approx(reference.anomaly_score, abs=1e-6)
    assert [(e.start_s, e.end_s, e.label) for e in fast.episodes] == \
        [(e.start_s, e.end_s, e.label) for e in reference.episodes]
    assert fast.record_class_probabilities == pytest.approx(reference.record_class_probabilities, abs=1e-6)
    assert fast.af_burden == pytest.approx(reference.af_burden, abs=1e-9)
    assert fast.heart_rate_bpm == reference.heart_rate_bpm


def test_padding_beat_places_are_not_encoded():
    torch.manual_seed(0)
    enc = MorphologyEncoder().eval()
    seg = torch.randn(3, 5, 4, 210)
    lead_mask = torch.tensor([[True, True, False, False]] * 3)
    beat_mask = torch.tensor([[True, True, True, False, False], [True] * 5, [False] * 5])
    with torch.inference_mode():
        full = enc(seg, lead_mask)
        masked = enc(seg, lead_mask, beat_mask)
    torch.testing.assert_close(masked[beat_mask], full[beat_mask], atol=1e-6, rtol=1e-5)
    assert not masked[~beat_mask].any()


def test_prefetched_chunks_give_the_findings_of_one_after_the_other(tiny_model_dir, recording):
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    tasks = ("anomaly", "arrhythmia", "events")
    prefetched = list(analyzer.iter_analyze(recording, tasks))  # fixed order: signal work on a second thread
    sequential = list(analyzer.iter_analyze(recording, tasks, order=lambda: []))  # callable order: one by one
    assert [p.start_s for p in prefetched] == [p.start_s for p in sequential] == [0.0, 30.0, 60.0, 90.0]
    assert [p.progress for p in prefetched] == [p.progress for p in sequential]
    for a, b in zip(prefetched, sequential):
        np.testing.assert_array_equal(a.r_peaks_s, b.r_peaks_s)
        np.testing.assert_array_equal(a.p_wave, b.p_wave)
        np.testing.assert_array_equal(a.beats.label, b.beats.label)
        np.testing.assert_array_equal(a.anomaly_logit, b.anomaly_logit)
        np.testing.assert_array_equal(a.episode_prob, b.episode_prob)  # the GRU state carried alike
    fast, reference = (analyzer.collect(recording, tasks, parts) for parts in (prefetched, sequential))
    assert fast.to_json() == reference.to_json()


def test_cancelling_stops_the_prefetched_run(tiny_model_dir, recording):
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    seen = []
    for part in analyzer.iter_analyze(recording, ("anomaly",), cancelled=lambda: len(seen) >= 1):
        seen.append(part.start_s)
    assert seen == [0.0]


def test_morphology_codes_computed_ahead_give_the_findings_of_the_beat_head_computing_them(tiny_model_dir, recording,
                                                                                           monkeypatch):
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    ahead = analyzer.analyze(recording)
    inputs = analyzer._chunk_inputs(recording, 0.0, 30.0, input_leads(recording))
    assert inputs["morphology"] and all(code is not None for code in inputs["morphology"])
    monkeypatch.setattr(Analyzer, "_morphology", lambda self, batch, tasks: None)  # the head encodes them itself
    assert ahead.n_beats > 100
    assert ahead.to_json() == analyzer.analyze(recording).to_json()


def test_tokens_pooled_once_give_the_findings_of_each_head_pooling_them(tiny_model_dir, recording, monkeypatch):
    from anyecg_model.analysis import analyzer as analyzer_module

    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    once = analyzer.analyze(recording)
    monkeypatch.setattr(analyzer_module, "pool_tokens", lambda h, lead_mask, patch_mask: None)  # each head pools
    assert once.to_json() == analyzer.analyze(recording).to_json()


def test_morphology_codes_are_left_to_the_beat_head_while_the_model_thread_waits(tiny_model_dir, recording):
    import threading

    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=30.0)
    leads, waits = input_leads(recording), threading.Event()
    assert analyzer._chunk_inputs(recording, 0.0, 30.0, leads, model_waits=waits)["morphology"] is not None
    waits.set()
    assert analyzer._chunk_inputs(recording, 0.0, 30.0, leads, model_waits=waits)["morphology"] is None


def test_the_analyzer_caps_onednns_kernel_cache_unless_the_user_set_it():
    """One compiled kernel per beat count (a new one nearly every chunk) made memory grow with the hours."""
    import os
    import subprocess
    import sys

    from pathlib import Path

    import anyecg_model

    root = str(Path(anyecg_model.__file__).resolve().parents[1])  # the code under test, whatever the cwd
    code = "import os, anyecg_model.analysis.analyzer; print(os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY'))"
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    env["PYTHONPATH"] = root
    run = dict(env=env, cwd=root, capture_output=True, text=True, check=True)
    assert 0 < int(subprocess.run([sys.executable, "-c", code], **run).stdout) <= 64
    env["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = "7"
    assert subprocess.run([sys.executable, "-c", code], **run).stdout.strip() == "7"


def test_beat_trees_on_either_thread_give_the_same_findings(recording, monkeypatch):
    import threading

    analyzer = Analyzer(device="cpu", chunk_s=30.0)  # the shipped model: its beats come from the beat trees
    assert analyzer.trees is not None
    leads, waits = input_leads(recording), threading.Event()
    assert analyzer._chunk_inputs(recording, 0.0, 30.0, leads, model_waits=waits)["tree_prob"] is not None
    waits.set()
    assert analyzer._chunk_inputs(recording, 0.0, 30.0, leads, model_waits=waits)["tree_prob"] is None
    ahead = analyzer.analyze(recording)
    chunk_inputs = Analyzer._chunk_inputs

    def always_waiting(self, rec, start_s, end_s, leads, tasks, model_waits=None):  # trees on the model thread
        return chunk_inputs(self, rec, start_s, end_s, leads, tasks, waits)

    monkeypatch.setattr(Analyzer, "_chunk_inputs", always_waiting)
    assert ahead.n_beats > 100
    assert analyzer.analyze(recording).to_json() == ahead.to_json()
