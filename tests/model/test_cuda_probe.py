"""The viewer asks whether there is a CUDA GPU without importing torch: a child process answers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]


def test_the_probe_answers_as_torch_does_without_importing_it():
    code = ("import sys; from anyecg_model.model.cuda_probe import cuda_present; "
            "print(cuda_present(), 'torch' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    assert out.stdout.split() == [str(torch.cuda.is_available()), "False"], out.stdout + out.stderr


def test_a_failing_child_means_no_gpu(monkeypatch):
    from anyecg_model.model import cuda_probe

    cuda_probe.cuda_present.cache_clear()
    monkeypatch.setattr(cuda_probe, "_ASK", "raise SystemExit(7)")
    try:
        assert cuda_probe.cuda_present() is False
    finally:
        cuda_probe.cuda_present.cache_clear()
