"""The fusion head's training inputs come from the shipped analysis path run on reference beats: every reference
beat once, at its time, with its label, the beat head's representation and the clinical features."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from anyecg_model.analysis.beat_fusion_data import FIELDS, ReferenceBeatAnalyzer
from anyecg_model.io.recording import Recording
from anyecg_model.vocabulary.beat_context import CLINICAL_FEATURES
from anyecg_model.vocabulary.labels import AAMI_BEAT_CLASSES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from beat_synth import paced_signal  # noqa: E402


def test_every_reference_beat_comes_back_once_with_its_inputs(tiny_model_dir):
    fs = 250.0
    signal, samples = paced_signal(duration_s=40.0, fs=fs, paced=False)
    labels = np.arange(len(samples)) % 3  # a label per beat, to see each one reach its own beat
    rec = Recording.from_array(signal.astype(np.float32), fs, ["MLII", "V1"], path="synthetic.ecg")
    out = ReferenceBeatAnalyzer(tiny_model_dir).extract(rec, samples, labels)
    assert set(out) == set(FIELDS)
    assert np.allclose(out["time_s"], samples / fs, atol=1 / 300 + 1e-6)
    assert list(out["label"]) == list(labels)
    n = len(samples)
    assert out["clinical"].shape == (n, len(CLINICAL_FEATURES)) and out["rep"].shape[0] == n
    assert out["window"].shape[0] == n and all(np.isfinite(out[k]).all() for k in ("rep", "clinical", "window"))
    head = out["rep"][:, -len(AAMI_BEAT_CLASSES):]  # the beat head's logits are the representation's last columns
    assert head.shape == (n, len(AAMI_BEAT_CLASSES))
