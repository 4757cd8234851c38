"""One device chooser: ``auto`` picks CUDA when there is one; a device the machine lacks is a clear error."""
from __future__ import annotations

import pytest
import torch

from anyecg_model.analysis.analyzer import AnalysisError, resolve_device
from anyecg_model.model.device import DeviceUnavailable, choose_device


def test_auto_is_cuda_when_available_else_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert choose_device("auto") == torch.device("cpu") and choose_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert choose_device("auto") == torch.device("cuda")


def test_a_missing_device_is_named(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
        choose_device("cuda:1")
    with pytest.raises(DeviceUnavailable, match="MPS"):
        choose_device("mps")
    with pytest.raises(AnalysisError, match="no CUDA GPU"):
        resolve_device("cuda")
