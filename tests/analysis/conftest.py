"""Fixtures: a tiny random-weight checkpoint with every head, and simulated recordings."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint

torch.set_num_threads(1)
HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}
#: Metadata of a checkpoint whose anomaly head was trained on (and judges) MLII + V1 two-lead recordings.
TWO_LEAD_ANOMALY = {"anomaly_leads": ["II", "V1"]}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads=dict(HEADS))
    d = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "test", **TWO_LEAD_ANOMALY})
    return d


def simulated_ecg(duration_s: float, fs: float, bpm: float, leads=("MLII", "V1"), seed: int = 3) -> np.ndarray:
    import neurokit2 as nk

    rows = [nk.ecg_simulate(duration=duration_s, sampling_rate=fs, heart_rate=bpm, noise=0.01, method="simple",
                            random_state=seed)
            * (1.0 if k == 0 else -0.5) for k in range(len(leads))]
    return np.stack(rows).astype(np.float32)


@pytest.fixture(scope="session")
def simulate():
    """The simulator: ``simulate(duration_s, fs, bpm, leads=("MLII", "V1"))`` → (n_leads, n) mV."""
    return simulated_ecg


@pytest.fixture(scope="session")
def strip_70bpm() -> Recording:
    fs = 360.0
    return Recording.from_array(simulated_ecg(95, fs, 70), fs, ["MLII", "V1"], path="sim70.hea")
