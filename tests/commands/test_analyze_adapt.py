"""`anyecg analyze --adapt-from ANNOTATOR --adapt-until SECONDS`: adapted beat labels in the usual JSON."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from anyecg_model.cli import main
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint
from fam_synth import family_record

HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(AnyECG.from_size("tiny", heads=dict(HEADS)), d, {"name": "anyecg-tiny-test", "model_version": "t"})
    return d


def test_adapted_labels_follow_the_annotator_in_every_file(tmp_path, tiny_model, capsys):
    paths, refs = [], []
    for k in range(2):
        samples, symbols = family_record(tmp_path / f"r{k}", seed=10 + k, duration_s=150.0, p_v=0.15)
        paths.append(str(tmp_path / f"r{k}.hea"))
        refs.append((samples / 250.0, np.array(symbols)))
    out = tmp_path / "out.json"
    args = ["analyze", *paths, "--model", str(tiny_model), "--device", "cpu", "--tasks", "arrhythmia",
            "--json", str(out)]
    assert main(args + ["--adapt-from", "atr", "--adapt-until", "60"]) == 0
    results = json.loads(out.read_text())
    assert len(results) == 2

    def agreement(res, t_ref, sym) -> float:
        t = np.array([b["time_s"] for b in res["beats"]])
        lab = np.array([b["label"] for b in res["beats"]])
        near = np.abs(t[:, None] - t_ref[None]).argmin(1)
        return float(np.mean(lab[t > 60] == sym[near][t > 60]))

    for res, (t_ref, sym) in zip(results, refs):
        assert agreement(res, t_ref, sym) > 0.95
        a = res["adaptation"]
        assert a["annotator"] == "atr" and a["until_s"] == 60 and a["confirmed_beats"] > 50
        assert a["counts_after"]["V"] == sum(b["label"] == "V" for b in res["beats"])
    assert main(args) == 0
    plain = json.loads(out.read_text())
    assert "adaptation" not in plain[0]
    assert max(agreement(r, *ref) for r, ref in zip(plain, refs)) < 0.9  # the random tiny model alone is far off


def test_unknown_annotator_or_options_give_one_clear_line(tmp_path, tiny_model, capsys):
    family_record(tmp_path / "r", seed=1, duration_s=60.0)
    base = ["analyze", str(tmp_path / "r.hea"), "--model", str(tiny_model), "--device", "cpu"]
    assert main(base + ["--adapt-from", "cardiologist"]) == 1
    err = capsys.readouterr().err
    assert "no annotator 'cardiologist'" in err and "annotators: atr" in err and "Traceback" not in err
    assert main(base + ["--adapt-until", "30"]) == 2
    assert "needs --adapt-from" in capsys.readouterr().err
    assert main(base + ["--adapt-from", "atr", "--tasks", "anomaly"]) == 2
    assert main(base + ["--adapt-from", "atr", "--adapt-until", "0.1"]) == 1
    assert "labels no beat in the first 0.1 s" in capsys.readouterr().err
