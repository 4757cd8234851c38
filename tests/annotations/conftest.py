"""Synthetic ECG recordings with known R peaks for the annotation tests."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.io import Annotations, Recording
from ecg_synth import synthetic_ecg


@pytest.fixture
def recording() -> Recording:
    """60 s at 70 bpm, 250 Hz, leads II and V1, reference ``atr``: every beat N, one rhythm episode (N)."""
    sig, peaks = synthetic_ecg()
    symbols = ["+"] + ["N"] * len(peaks)
    samples = np.concatenate([[0], peaks])
    aux = ["(N"] + [""] * len(peaks)
    ann = Annotations.from_lists(samples, symbols, aux=aux, channel=[0] * len(samples), source="atr")
    return Recording.from_array(sig, 250.0, ["II", "V1"], path="synthetic-70bpm", annotations=ann)


@pytest.fixture(autouse=True)
def journal_dir(tmp_path, monkeypatch):
    """Journals go to a temporary folder, never the user's data folder."""
    root = tmp_path / "journal"
    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(root))
    return root
