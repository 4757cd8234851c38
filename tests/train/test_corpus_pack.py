"""Packing a corpus for a training machine: test records stay behind, signals survive within the quantum."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyecg_model.train.data.corpus import Corpus
from anyecg_model.train.data.corpus_pack import decode, encode, pack, unpack
from anyecg_model.train.data.task_windows import PretrainDataset
from anyecg_model.vocabulary.model_input import PreprocessConfig


def _record(name, split, offset, length, leads):
    return {"set": "ludb", "record": name, "patient": name, "split": split, "leads": leads, "offset": offset,
            "length": length, "age": 50.0, "sex": 1.0, "labels": {}}


@pytest.fixture
def corpus_dir(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "corpus"
    (root / "ludb").mkdir(parents=True)
    t = np.arange(9000) / 300.0
    sig = (800 * np.sin(2 * np.pi * 1.2 * t)[None] + rng.normal(0, 30, (2, 9000))).astype(np.int16)
    np.save(root / "ludb" / "signals.npy", sig)
    np.savez(root / "noise.npz", bw=rng.normal(0, 0.1, (2, 6000)).astype(np.float32),
             ma=rng.normal(0, 0.05, (2, 6000)).astype(np.float32))
    records = [_record("a", "train", 0, 3000, ["II", "V1"]), _record("b", "test", 3000, 3000, ["II", "V1"]),
               _record("c", "val", 6000, 3000, ["II"])]
    (root / "index.json").write_text(json.dumps({"fs": 300.0, "units_per_mv": 1000.0, "records": records}))
    return root


def test_encode_decode_round_trip_within_half_a_quantum():
    x = np.random.default_rng(1).integers(-5000, 5000, (3, 1000)).astype(np.int16)
    assert np.array_equal(decode(encode(x, 1), x.shape, 1), x)
    y = decode(encode(x, 8), x.shape, 8)
    assert np.abs(y.astype(int) - x).max() <= 4


def test_pack_keeps_every_non_test_record_and_drops_test(corpus_dir, tmp_path):
    packed = pack(tmp_path / "pack", corpus_dir, quantum_uv=4)
    assert not list(packed.glob("*.npy"))
    corpus = Corpus(unpack(packed, tmp_path / "out"))
    source = Corpus(corpus_dir)
    assert [r.record for r in corpus.records] == ["a", "c"]
    for rec in corpus.records:
        orig = next(r for r in source.records if r.record == rec.record)
        got, want = corpus.signal(rec), source.signal(orig)
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= 0.002 + 1e-6  # mV: half of 4 µV
    assert np.allclose(corpus.noise()["bw"], source.noise()["bw"], atol=1e-3)
    assert len(PretrainDataset(corpus, PreprocessConfig())) == 2  # one 10-s window per record


def test_an_unpacked_corpus_pretrains_and_each_stage_run_is_recorded(corpus_dir, tmp_path):
    from anyecg_model.model.checkpoint import read_metadata
    from anyecg_model.train.recipe.pretrain_corpus import train_stage

    corpus = unpack(pack(tmp_path / "pack", corpus_dir), tmp_path / "out")
    out = tmp_path / "model"
    for stage in ("tokenizer", "mcp", "mcp"):  # a continued masked-code run keeps the first one's record
        train_stage(stage, out, steps=1, batch_size=1, corpus_dir=corpus, device="cpu")
    training = read_metadata(out)["training"]
    assert set(training) == {"tokenizer", "mcp", "mcp_2"}
    assert training["mcp_2"]["steps"] == 1 and training["mcp"]["device"] == "cpu"
