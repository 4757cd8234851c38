"""`anyecg pretrain-tokenizer` → `anyecg pretrain` on synthetic data, with resume; ambiguous data is refused."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from anyecg_model.cli import main
from anyecg_model.model.checkpoint import load_checkpoint


def test_cli_pretrain_tokenizer_then_backbone_with_resume(tmp_path):
    tok, full = tmp_path / "tok", tmp_path / "full"
    common = ["--synthetic", "8", "--window-s", "3", "--batch-size", "4", "--threads", "1"]
    assert main(["pretrain-tokenizer", *common, "--size", "tiny", "--out", str(tok), "--val-fraction", "0.25"]) == 0
    tokenizer = load_checkpoint(tok)
    assert tokenizer.metadata["training_data"]["val_windows"] == 2
    assert {"val/loss", "val/perplexity", "train/morphology"} <= set(tokenizer.metadata["metrics"])
    tokenizer_state = {k: v for k, v in tokenizer.state_dict().items() if k.startswith("tokenizer.")}
    assert main(["pretrain", *common, "--tokenizer", str(tok), "--out", str(full), "--symmetric"]) == 0
    assert main(["pretrain", *common, "--out", str(full), "--resume", "--epochs", "2"]) == 0
    model = load_checkpoint(full)
    meta = model.metadata
    assert meta["training"]["stage"] == "backbone" and meta["training"]["step"] == 4
    assert [h["stage"] for h in meta["training"]["history"]] == ["tokenizer", "backbone", "backbone"]
    assert "train/mcp" in meta["metrics"] and meta["training_data"]["synthetic_records"] == 8
    assert model.cfg.symmetric_mask
    for k, v in tokenizer_state.items():  # stage 2 leaves the tokenizer frozen
        assert (model.state_dict()[k] == v).all(), k


def test_cli_refuses_ambiguous_data(tmp_path):
    with pytest.raises(SystemExit):
        main(["pretrain-tokenizer", "--out", str(tmp_path)])


def _weights(directory) -> dict:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


def test_cli_run_stopped_mid_epoch_resumes_to_the_same_weights(tmp_path, monkeypatch):
    from anyecg_model.train.pretrain.objectives import TokenizerObjective

    common = ["--synthetic", "8", "--window-s", "3", "--batch-size", "2", "--threads", "1", "--size", "tiny",
              "--epochs", "2"]
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main(["pretrain-tokenizer", *common, "--out", str(whole)]) == 0
    forward, calls = TokenizerObjective.forward, []

    def stopping(self, batch):  # "killed" at the 7th step (epoch 2 of 4 steps each), after the save at step 5
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt
        return forward(self, batch)

    monkeypatch.setattr(TokenizerObjective, "forward", stopping)
    with pytest.raises(KeyboardInterrupt):
        main(["pretrain-tokenizer", *common, "--out", str(part), "--checkpoint-every-steps", "5"])
    monkeypatch.setattr(TokenizerObjective, "forward", forward)
    saved = load_checkpoint(part).metadata["training"]
    assert (saved["step"], saved["epoch"], saved["mid_epoch"]) == (5, 1, True)
    assert main(["pretrain-tokenizer", *common, "--out", str(part), "--resume"]) == 0
    reference, resumed = _weights(whole), _weights(part)
    assert reference.keys() == resumed.keys()
    for k, v in reference.items():
        assert torch.equal(resumed[k], v), k
    assert load_checkpoint(part).metadata["training"]["step"] == 8


def _tiny_with_heads(directory):
    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.checkpoint import save_checkpoint

    torch.manual_seed(0)
    model = AnyECG.from_size("tiny")
    model.add_head("rhythm", {"type": "rhythm"})
    save_checkpoint(model, directory, {"training": {"stage": "finetune", "history": [{"stage": "finetune"}]}})
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_cli_continues_pretraining_from_a_checkpoint_without_touching_it(tmp_path):
    start, out = tmp_path / "start", tmp_path / "more"
    before = _tiny_with_heads(start)
    common = ["--synthetic", "4", "--window-s", "3", "--batch-size", "2", "--threads", "1"]
    assert main(["pretrain", *common, "--init-from", str(start), "--out", str(out)]) == 0
    assert {p.name: p.read_bytes() for p in start.iterdir()} == before  # only read
    first, continued = load_checkpoint(start), load_checkpoint(out)
    assert continued.cfg.heads == {} and continued.cfg.codebook_size == first.cfg.codebook_size
    assert continued.metadata["training_data"]["init_from"] == str(start)
    assert [h["stage"] for h in continued.metadata["training"]["history"]] == ["finetune", "backbone"]
    old, new = first.state_dict(), continued.state_dict()
    assert all(torch.equal(new[k], v) for k, v in old.items() if k.startswith("tokenizer."))  # codebook kept
    assert any(not torch.equal(new[k], v) for k, v in old.items() if k.startswith("backbone."))
    # the same command with --resume goes on from --out; a run started elsewhere is refused
    assert main(["pretrain", *common, "--init-from", str(start), "--out", str(out), "--resume", "--epochs", "2"]) == 0
    assert load_checkpoint(out).metadata["training"]["step"] == 4
    other = tmp_path / "other"
    _tiny_with_heads(other)  # same configs, another tokenizer (seeded alike, so alter it)
    model = load_checkpoint(other)
    with torch.no_grad():
        next(model.tokenizer.parameters()).add_(1.0)
    from anyecg_model.model.checkpoint import save_checkpoint
    save_checkpoint(model, other)
    with pytest.raises(SystemExit, match="was not started from --init-from"):
        main(["pretrain", *common, "--init-from", str(other), "--out", str(out), "--resume", "--epochs", "3"])


@pytest.mark.parametrize("case, message", [
    ("not_a_checkpoint", "not a usable AnyECG checkpoint"),
    ("same_folder", "is the --init-from folder"),
    ("with_tokenizer", "not both"),
    ("nothing", "--tokenizer DIR"),
    ("resume_nothing", "not a usable AnyECG checkpoint"),
])
def test_cli_pretrain_start_errors_are_clear(tmp_path, case, message):
    start = tmp_path / "start"
    _tiny_with_heads(start)
    (tmp_path / "empty").mkdir()
    args = {"not_a_checkpoint": ["--init-from", str(tmp_path / "empty"), "--out", str(tmp_path / "o")],
            "same_folder": ["--init-from", str(start), "--out", str(start)],
            "with_tokenizer": ["--init-from", str(start), "--tokenizer", str(start), "--out", str(tmp_path / "o")],
            "nothing": ["--out", str(tmp_path / "o")],
            "resume_nothing": ["--resume", "--out", str(tmp_path / "empty")]}[case]
    with pytest.raises(SystemExit, match=message):
        main(["pretrain", "--synthetic", "4", *args])


def test_init_from_shipped_names_the_shipped_model():
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
    from anyecg_model.train.pretrain.start import resolve_init

    assert resolve_init("shipped") == SHIPPED_MODEL_DIR and resolve_init("runs/x") == Path("runs/x")


def test_pretrain_resume_of_a_checkpoint_without_trainer_state_is_refused(tmp_path):
    start = tmp_path / "start"
    _tiny_with_heads(start)
    with pytest.raises(SystemExit, match="nothing to resume"):
        main(["pretrain", "--synthetic", "4", "--window-s", "3", "--batch-size", "2", "--out", str(start),
              "--resume"])


@pytest.mark.parametrize("flag", ["--checkpoint-every-steps", "--checkpoint-every-min"])
def test_checkpoint_interval_must_be_positive(tmp_path, flag):
    with pytest.raises(SystemExit, match="must be positive"):
        main(["pretrain-tokenizer", "--synthetic", "4", "--size", "tiny", flag, "0", "--out", str(tmp_path / "o")])
