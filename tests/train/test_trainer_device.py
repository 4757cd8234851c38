"""The trainer's device: the same recipe picks the CUDA GPU when there is one (one per torchrun process), the
CPU otherwise; a GPU asked for on a machine without one is a clear error."""
from __future__ import annotations

import pytest
import torch

from anyecg_model.cli import main
from anyecg_model.train.loop import init_distributed


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)


def test_auto_picks_the_gpu_of_this_process(fake_cuda, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert init_distributed().device == torch.device("cuda:0")
    monkeypatch.setenv("LOCAL_RANK", "1")  # second torchrun process on the node
    assert init_distributed("auto").device == torch.device("cuda:1")
    assert init_distributed("cpu").device == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_auto_is_the_cpu_without_a_gpu_and_cuda_asked_for_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed().device == torch.device("cpu")
    with pytest.raises(SystemExit, match="no CUDA GPU"):
        main(["pretrain-tokenizer", "--synthetic", "4", "--window-s", "3", "--batch-size", "2", "--size", "tiny",
              "--device", "cuda", "--out", str(tmp_path / "tok")])
