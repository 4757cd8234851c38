"""`anyecg evaluate` names a missing GPU in one line instead of a traceback."""
from __future__ import annotations

import argparse

import torch

from anyecg_model.commands import evaluate


def test_evaluate_names_a_missing_gpu_instead_of_a_traceback(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    args = parser.parse_args(["--task", "beats", "--device", "cuda", "--model", str(tmp_path)])
    assert evaluate.run(args) == 1
    assert "no CUDA GPU" in capsys.readouterr().err
