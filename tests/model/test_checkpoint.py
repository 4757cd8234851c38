"""Checkpoints: exact round trip with configs, no unpickling, and errors that name what is wrong."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from anyecg_model.model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from anyecg_model.vocabulary.labels import label_vocabularies
from anyecg_model.vocabulary.model_input import PreprocessConfig


@pytest.fixture
def saved(tiny_model, tmp_path, synthetic_batch):
    tiny_model.train()
    tiny_model.tokenizer.loss(synthetic_batch)  # non-trivial codebook buffers
    tiny_model.preprocess_cfg = PreprocessConfig(mains_hz=60.0)
    save_checkpoint(tiny_model, tmp_path / "ck", {"label_vocabularies": {"beat": ["N", "S", "V", "F", "Q"]},
                                                  "metrics": {"auroc": 0.5}})
    return tiny_model, tmp_path / "ck"


def test_round_trip_is_exact(saved, synthetic_batch, monkeypatch):
    model, path = saved
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("checkpoint loading must not unpickle"))
    loaded = load_checkpoint(path)
    assert loaded.cfg == model.cfg and loaded.preprocess_cfg.mains_hz == 60.0
    assert loaded.metadata["label_vocabularies"]["beat"] == ["N", "S", "V", "F", "Q"]
    assert loaded.metadata["lead_slots"][6] == "V1"
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    b = synthetic_batch
    model.eval()
    args = (b["patches"], b["lead_mask"], b["patch_mask"])
    assert torch.equal(model.embed(*args), loaded.embed(*args))
    assert torch.equal(model.tokenizer.encode(*args), loaded.tokenizer.encode(*args))


def test_corrupt_json_is_a_clear_error(saved):
    _, path = saved
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="config.json: corrupt JSON"):
        load_checkpoint(path)


def test_corrupt_weights_are_a_clear_error(saved):
    _, path = saved
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    meta = json.loads((path / "config.json").read_text())
    meta.pop("weights_sha256")
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="corrupt safetensors"):
        load_checkpoint(path)


def test_mixed_checkpoint_is_detected_by_hash(saved):
    _, path = saved
    state = load_file(str(path / "model.safetensors"))
    save_file(state, str(path / "model.safetensors"), metadata={"format": "other"})
    with pytest.raises(CheckpointError, match="does not match the hash"):
        load_checkpoint(path)


def _rewrite(path, mutate):
    state = load_file(str(path / "model.safetensors"))
    mutate(state)
    save_file(state, str(path / "model.safetensors"))
    meta = json.loads((path / "config.json").read_text())
    meta.pop("weights_sha256")
    (path / "config.json").write_text(json.dumps(meta))


def test_missing_unknown_and_misshaped_keys_are_named(saved):
    _, path = saved

    def mutate(state):
        del state["backbone.mask_token"]
        state["backbone.extra"] = torch.zeros(2)
        state["backbone.mcp_head.bias"] = torch.zeros(3)

    _rewrite(path, mutate)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    msg = str(err.value)
    assert "missing keys: backbone.mask_token" in msg and "unknown keys: backbone.extra" in msg
    assert "backbone.mcp_head.bias (3,)" in msg


def test_unknown_config_field_is_refused(saved):
    _, path = saved
    meta = json.loads((path / "config.json").read_text())
    meta["model"]["flux_capacitor"] = 1
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="flux_capacitor"):
        load_checkpoint(path)


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path)


def test_heads_listed_in_the_config_are_saved_and_rebuilt(tmp_path):
    from torch import nn

    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.head_registry import HEAD_TYPES, register_head

    @register_head("test_pooled_linear")
    class PooledLinear(nn.Module):
        def __init__(self, cfg, n_out: int = 2):
            super().__init__()
            self.linear = nn.Linear(cfg.d_model, n_out)

    try:
        model = AnyECG.from_size("tiny")
        model.add_head("demo", {"type": "test_pooled_linear", "n_out": 3})
        save_checkpoint(model, tmp_path / "ck")
        loaded = load_checkpoint(tmp_path / "ck")
        assert loaded.cfg.heads == {"demo": {"type": "test_pooled_linear", "n_out": 3}}
        assert torch.equal(loaded.heads["demo"].linear.weight, model.heads["demo"].linear.weight)
        meta = json.loads((tmp_path / "ck" / "config.json").read_text())
        meta["model"]["heads"]["demo"]["type"] = "no_such_head"
        (tmp_path / "ck" / "config.json").write_text(json.dumps(meta))
        with pytest.raises(CheckpointError, match="no_such_head"):
            load_checkpoint(tmp_path / "ck")
    finally:
        HEAD_TYPES.pop("test_pooled_linear", None)


def test_a_checkpoint_with_another_label_set_is_refused(saved):
    """The heads' outputs are read under the vocabulary's names: a checkpoint trained on other labels
    (here the rhythm classes in another order) is refused, naming the vocabulary, not read silently wrong."""
    _, path = saved
    meta = json.loads((path / "config.json").read_text())
    meta["label_vocabularies"] = {**label_vocabularies(), "rhythm": ["A", "N", "O", "~"]}
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"rhythm \['A', 'N', 'O', '~'\]"):
        load_checkpoint(path)
    meta["label_vocabularies"] = {**label_vocabularies(), "mitdb_rhythm_to_episode": {"N": "NSR"}}
    (path / "config.json").write_text(json.dumps(meta))
    assert load_checkpoint(path).metadata["label_vocabularies"]["beats"] == ["N", "S", "V", "F", "Q"]


def test_the_shipped_checkpoint_matches_the_vocabulary():
    from anyecg_model.model.checkpoint import check_vocabularies, read_metadata
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

    shipped = SHIPPED_MODEL_DIR
    if not (shipped / "config.json").exists():
        pytest.skip("no shipped model in resources/anyecg-small")
    check_vocabularies(read_metadata(shipped), shipped / "config.json")
