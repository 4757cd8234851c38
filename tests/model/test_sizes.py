"""Registered sizes: tiny/small stay CPU-sized; base/large/xl match the paper's parameter counts within 5 %."""
from __future__ import annotations

import json

import pytest
import torch

from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.config import MODEL_SIZES, ModelConfig, model_config
from anyecg_model.vocabulary.model_input import PreprocessConfig

PAPER_PARAMS = {"base": 254e6, "large": 500e6, "xl": 1.7e9}


@pytest.mark.parametrize("size", ["base", "large", "xl"])
def test_paper_sizes_within_five_percent(size):
    with torch.device("meta"):
        model = AnyECG(model_config(size))
    n = model.n_parameters()
    assert abs(n - PAPER_PARAMS[size]) / PAPER_PARAMS[size] < 0.05, n


def test_small_is_cpu_friendly():
    with torch.device("meta"):
        n = AnyECG(model_config("small")).n_parameters()
    assert 1e6 <= n <= 5e6
    cfg = model_config("small")
    assert cfg.codebook_size * cfg.code_dim <= 1024 * 32


@pytest.mark.parametrize("size", sorted(MODEL_SIZES))
def test_configs_round_trip_through_json(size):
    cfg = model_config(size, heads={"anomaly": {"type": "anomaly"}})
    again = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg
    p = PreprocessConfig(mains_hz=60.0, denoise_wavelet="db6")
    assert PreprocessConfig.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_model_config_returns_independent_copies():
    a = model_config("tiny")
    a.heads["x"] = {"type": "anomaly"}
    assert model_config("tiny").heads == {}


@pytest.mark.parametrize("bad", [{"d_model": 65}, {"window": -1}, {"mask_ratio": 1.0}, {"lead_slots": ("I", "I")}])
def test_invalid_configs_are_refused(bad):
    with pytest.raises(ValueError):
        model_config("tiny", **bad)


def test_window_longer_than_max_patches_is_refused(tiny_model):
    x = torch.zeros(1, 12, 61, 300)
    with pytest.raises(ValueError, match="max_patches"):
        tiny_model.embed(x, torch.ones(1, 12, dtype=torch.bool), torch.ones(1, 61, dtype=torch.bool))
