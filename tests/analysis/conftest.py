"""Fixtures of the analysis tests: one torch thread and a simulated two-lead strip (the tiny checkpoint and the
simulator are in tests/conftest.py)."""
from __future__ import annotations

import pytest
import torch

from anyecg_model.io.recording import Recording

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def strip_70bpm(simulate) -> Recording:
    fs = 360.0
    return Recording.from_array(simulate(95, fs, 70), fs, ["MLII", "V1"], path="sim70.hea")
