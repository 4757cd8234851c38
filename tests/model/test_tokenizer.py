"""Rhythm Quantizer: codes, loss terms, learning, codebook statistics, and read-only thread-safe inference."""
from __future__ import annotations

import threading

import torch

from anyecg_model.model.codebook import CosineCodebook, usage_stats
from anyecg_model.model.tokenizer import dwt_matrix, normalised_dwt


def _buffers(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_encode_gives_codes_and_minus_one_at_padding(tiny_model, synthetic_batch):
    b = synthetic_batch
    codes = tiny_model.tokenizer.encode(b["patches"], b["lead_mask"], b["patch_mask"])
    valid = b["lead_mask"][:, :, None] & b["patch_mask"][:, None, :]
    assert codes.shape == valid.shape and codes.dtype == torch.long
    assert (codes[~valid] == -1).all()
    assert ((codes[valid] >= 0) & (codes[valid] < tiny_model.cfg.codebook_size)).all()


def test_loss_terms_are_logged_and_finite(tiny_model, synthetic_batch):
    tiny_model.train()
    total, terms = tiny_model.tokenizer.loss(synthetic_batch)
    assert set(terms) == {"morphology", "frequency", "demography", "codebook", "commitment", "perplexity",
                          "code_usage"}
    assert torch.isfinite(total) and all(torch.isfinite(v) for v in terms.values())
    parts = sum(terms[k] for k in ("morphology", "frequency", "demography", "codebook"))
    parts = parts + tiny_model.cfg.commitment_weight * terms["commitment"]
    assert torch.allclose(total.detach(), parts, atol=1e-5)
    assert 1.0 <= terms["perplexity"] <= tiny_model.cfg.codebook_size
    total.backward()
    assert tiny_model.tokenizer.demography_head.weight.grad.abs().sum() > 0


def test_unknown_demography_is_out_of_the_loss(tiny_model, synthetic_batch):
    batch = dict(synthetic_batch, age=torch.full((8,), float("nan")), sex=torch.full((8,), float("nan")))
    tiny_model.train()
    _, terms = tiny_model.tokenizer.loss(batch)
    assert terms["demography"] == 0.0


def test_training_reduces_reconstruction_error(tiny_model, synthetic_batch):
    tok = tiny_model.tokenizer.train()
    opt = torch.optim.AdamW(tok.parameters(), lr=3e-3)
    first = None
    for _ in range(12):
        total, terms = tok.loss(synthetic_batch)
        first = first if first is not None else float(terms["morphology"])
        opt.zero_grad()
        total.backward()
        opt.step()
    assert float(terms["morphology"]) < 0.7 * first


def test_dwt_view_matches_pywt():
    import numpy as np
    import pywt

    matrix, sizes = dwt_matrix(300, "db6", 4)
    x = np.random.default_rng(0).normal(size=300)
    ref = np.concatenate(pywt.wavedec(x, "db6", mode="periodization", level=4))
    assert np.allclose(x @ matrix, ref, atol=1e-5) and sum(sizes) == len(ref) and len(sizes) == 5
    z = normalised_dwt(torch.tensor(x, dtype=torch.float32)[None], torch.from_numpy(matrix), sizes)
    for block in torch.split(z[0], sizes):
        assert abs(float(block.mean())) < 1e-5 and abs(float(block.std(unbiased=False)) - 1) < 1e-3


def test_usage_stats():
    perplexity, usage = usage_stats(torch.tensor([0, 1, 2, 3]), 8)
    assert abs(float(perplexity) - 4.0) < 1e-4 and float(usage) == 0.5
    perplexity, _ = usage_stats(torch.tensor([5, 5, 5]), 8)
    assert abs(float(perplexity) - 1.0) < 1e-5


def test_codebook_updates_only_in_training_with_grad():
    torch.manual_seed(0)
    cb = CosineCodebook(16, 4, ema=True, kmeans_init=True)
    z = torch.nn.functional.normalize(torch.randn(64, 4), dim=1)
    before = _buffers(cb)
    cb.eval()
    cb(z)
    cb.train()
    with torch.no_grad():
        cb(z)
    assert all(torch.equal(before[k], v) for k, v in cb.state_dict().items())
    cb(z)  # training + grad: k-means init and an EMA step
    assert bool(cb.initialised) and not torch.equal(before["embed"], cb.embed)


def test_dead_codes_are_restarted():
    torch.manual_seed(0)
    cb = CosineCodebook(8, 4, ema=True, kmeans_init=False, decay=0.5)
    z = torch.nn.functional.normalize(torch.randn(256, 4), dim=1)
    for _ in range(20):
        cb.train()
        cb(z)
    _, usage = usage_stats(cb.assign(z), 8)
    assert float(usage) > 0.5


def test_inference_is_read_only_and_thread_safe(tiny_model, synthetic_batch):
    b = synthetic_batch
    tiny_model.train()
    tiny_model.tokenizer.loss(b)  # initialise the codebook the way training does
    tiny_model.eval()
    before = _buffers(tiny_model)
    results: dict[int, torch.Tensor] = {}

    def work(i: int) -> None:
        for _ in range(3):
            results[i] = tiny_model.tokenizer.encode(b["patches"], b["lead_mask"], b["patch_mask"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert torch.equal(results[0], results[1])
    tiny_model.train()  # even in training mode, encode (no_grad) must not touch statistics
    tiny_model.tokenizer.encode(b["patches"], b["lead_mask"], b["patch_mask"])
    assert all(torch.equal(before[k], v) for k, v in tiny_model.state_dict().items())


def test_batch_without_any_signal_gives_zero_loss_touching_every_parameter(tiny_model, synthetic_batch):
    batch = dict(synthetic_batch, lead_mask=torch.zeros_like(synthetic_batch["lead_mask"]))
    tiny_model.train()
    total, terms = tiny_model.tokenizer.loss(batch)
    total.backward()
    assert float(total.detach()) == 0.0 and all(float(v) == 0.0 for v in terms.values())
    assert all(p.grad is not None for p in tiny_model.tokenizer.parameters())
