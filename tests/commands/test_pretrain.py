"""`anyecg pretrain-tokenizer` → `anyecg pretrain` on synthetic data, with resume; ambiguous data is refused."""
from __future__ import annotations

import pytest

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
