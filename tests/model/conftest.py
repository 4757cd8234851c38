"""Fixtures of the model tests: one CPU thread, deterministic seeds, a tiny model and a synthetic batch."""
from __future__ import annotations

import pytest
import torch
from torch.utils.data import default_collate

torch.set_num_threads(1)


@pytest.fixture
def tiny_model():
    from anyecg_model.model.anyecg import AnyECG

    torch.manual_seed(0)
    return AnyECG.from_size("tiny")


@pytest.fixture(scope="module")
def synthetic_batch():
    """8 synthetic 5-s windows (some with lead subsets, some demography unknown) as one batch."""
    from anyecg_model.train.data.synthetic import SyntheticECGDataset

    ds = SyntheticECGDataset(8, window_s=5.0, seed=3)
    return default_collate([ds[i] for i in range(len(ds))])
