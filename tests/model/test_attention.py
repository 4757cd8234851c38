"""Cardio-Sparse attention equals its dense-mask reference, with padding, for several w, and never NaNs."""
from __future__ import annotations

import pytest
import torch

from anyecg_model.model.attention import (CardioSparseAttention, cardio_sparse_attention, cardio_sparse_mask,
                                          dense_cardio_attention)


def _inputs(B=2, H=3, S=6, P=9, D=8, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(B, H, S, P, D, generator=g, dtype=dtype) for _ in range(3))
    lead_mask = torch.rand(B, S, generator=g) > 0.3
    lead_mask[:, 0] = True
    patch_mask = torch.ones(B, P, dtype=torch.bool)
    patch_mask[0, -3:] = False  # tail padding
    return q, k, v, lead_mask, patch_mask


@pytest.mark.parametrize("w", [0, 1, 2, 4])
def test_sparse_matches_dense_reference(w):
    q, k, v, lm, pm = _inputs(seed=w)
    sparse = cardio_sparse_attention(q, k, v, lm, pm, w)
    dense = dense_cardio_attention(q, k, v, lm, pm, w)
    assert torch.allclose(sparse, dense, atol=1e-5, rtol=0)


def test_gradients_match_dense_reference():
    q, k, v, lm, pm = _inputs(dtype=torch.float64)
    for t in (q, k, v):
        t.requires_grad_(True)
    g_sparse = torch.autograd.grad(cardio_sparse_attention(q, k, v, lm, pm, 1).square().sum(), (q, k, v))
    g_dense = torch.autograd.grad(dense_cardio_attention(q, k, v, lm, pm, 1).square().sum(), (q, k, v))
    for a, b in zip(g_sparse, g_dense):
        assert torch.allclose(a, b, atol=1e-8)


def test_overlap_keys_counted_once():
    """With identical keys everywhere, weights are uniform over the allowed set: own lead's P keys plus the
    OTHER leads within ±w (the own lead at |Δt| ≤ w is not counted twice)."""
    S, P, w = 3, 5, 1
    q = torch.zeros(1, 1, S, P, 1)
    k = torch.zeros(1, 1, S, P, 1)
    v = torch.zeros(1, 1, S, P, 1)
    v[0, 0, 0, :, 0] = 1.0  # only lead 0 carries value 1
    out = cardio_sparse_attention(q, k, v, torch.ones(1, S, dtype=torch.bool), torch.ones(1, P, dtype=torch.bool), w)
    # query on lead 1 at t=2: keys = 5 own-lead + 2 other leads × 3 times = 11, of which 3 are on lead 0
    assert out[0, 0, 1, 2, 0].item() == pytest.approx(3 / 11)
    # query on lead 0 at t=0: 5 own + 2 leads × 2 times = 9 keys, 5 on lead 0
    assert out[0, 0, 0, 0, 0].item() == pytest.approx(5 / 9)


def test_mask_structure():
    lm = torch.ones(1, 2, dtype=torch.bool)
    pm = torch.ones(1, 4, dtype=torch.bool)
    m = cardio_sparse_mask(lm, pm, 1)[0]
    # token (lead 0, t 0) sees its lead everywhere and lead 1 at t 0..1 only
    assert m[0].tolist() == [True, True, True, True, True, True, False, False]


def test_fully_padded_tokens_do_not_nan():
    q, k, v, lm, pm = _inputs()
    lm[1] = False  # a batch item with no lead at all
    out = cardio_sparse_attention(q, k, v, lm, pm, 1)
    assert torch.isfinite(out).all()
    assert torch.equal(out[1], torch.zeros_like(out[1]))


def test_module_is_finite_and_ignores_padded_values():
    torch.manual_seed(0)
    attn = CardioSparseAttention(16, 4, window=1)
    x = torch.randn(2, 4, 6, 16)
    lm = torch.tensor([[True, True, False, False], [True, True, True, True]])
    pm = torch.ones(2, 6, dtype=torch.bool)
    pm[0, 4:] = False
    y1 = attn(x, lm, pm)
    x2 = x.clone()
    x2[0, 2:] = 1e4  # garbage in absent leads
    x2[0, :, 4:] = -1e4  # garbage in padded patches
    y2 = attn(x2, lm, pm)
    valid = lm[:, :, None] & pm[:, None, :]
    assert torch.isfinite(y2).all()
    assert torch.allclose(y1[valid], y2[valid], atol=1e-5)


def test_sparse_equals_dense_for_any_grid():
    """Property: for any grid size, window and padding pattern the two implementations agree."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25, deadline=None)
    @given(S=st.integers(1, 5), P=st.integers(1, 7), w=st.integers(0, 8), seed=st.integers(0, 10_000))
    def check(S, P, w, seed):
        g = torch.Generator().manual_seed(seed)
        q, k, v = (torch.randn(2, 2, S, P, 4, generator=g, dtype=torch.float64) for _ in range(3))
        lm = torch.rand(2, S, generator=g) > 0.4
        pm = torch.rand(2, P, generator=g) > 0.3
        assert torch.allclose(cardio_sparse_attention(q, k, v, lm, pm, w),
                              dense_cardio_attention(q, k, v, lm, pm, w), atol=1e-10)

    check()


def _einsum_band_attention(q, k, v, lead_mask, patch_mask, window=1):
    """The cross-lead band as it was computed before issue 19's third pass (einsum over unfolded views): the
    oracle of the bmm version, which must give the same numbers to the bit."""
    import math

    import torch.nn.functional as F

    from anyecg_model.model.attention import token_validity

    B, H, S, P, Dh = q.shape
    w = window
    q = q * (1.0 / math.sqrt(Dh))
    valid = token_validity(lead_mask, patch_mask)
    neg = torch.finfo(q.dtype).min
    own = torch.einsum("bhspd,bhsqd->bhspq", q, k).masked_fill(~valid[:, None, :, None, :], neg)
    k_band = F.pad(k, (0, 0, w, w)).unfold(3, 2 * w + 1, 1)
    v_band = F.pad(v, (0, 0, w, w)).unfold(3, 2 * w + 1, 1)
    valid_band = F.pad(valid, (w, w)).unfold(2, 2 * w + 1, 1)
    cross = torch.einsum("bhspd,bhtpdw->bhspwt", q, k_band)
    eye = torch.eye(S, dtype=torch.bool)
    cross_ok = valid_band.permute(0, 2, 3, 1)[:, None, :, :] & ~eye[:, None, None, :]
    cross = cross.masked_fill(~cross_ok[:, None], neg)
    attn = torch.softmax(torch.cat([own, cross.flatten(-2)], dim=-1), dim=-1)
    a_own, a_cross = attn.split([P, (2 * w + 1) * S], dim=-1)
    out = torch.einsum("bhspq,bhsqd->bhspd", a_own, v)
    out = out + torch.einsum("bhspwt,bhtpdw->bhspd", a_cross.unflatten(-1, (2 * w + 1, S)), v_band)
    has_key = valid.any(2)[:, :, None] | cross_ok.flatten(-2).any(-1)
    return out * has_key[:, None, :, :, None].to(out.dtype)


@pytest.mark.parametrize("B,H,S,P,D,w", [(30, 4, 2, 10, 40, 1), (3, 4, 12, 10, 40, 1), (2, 3, 6, 9, 8, 0),
                                          (2, 3, 6, 9, 8, 2), (1, 2, 1, 7, 16, 1)])
def test_band_by_bmm_equals_the_einsum_version_to_the_bit(B, H, S, P, D, w):
    """Issue 19: the band's operands are built from contiguous slices, not copied from unfolded views; the
    findings of a recording must not move, so the attention must not move by a single bit. q, k and v are
    strided views of one projection, as in :class:`CardioSparseAttention`."""
    g = torch.Generator().manual_seed(S * 100 + w)
    qkv = torch.randn(B, S, P, 3, H, D, generator=g).permute(3, 0, 4, 1, 2, 5)
    lead_mask = torch.rand(B, S, generator=g) > 0.3
    lead_mask[:, 0] = True
    patch_mask = torch.ones(B, P, dtype=torch.bool)
    patch_mask[0, -3:] = False
    with torch.inference_mode():
        new = cardio_sparse_attention(qkv[0], qkv[1], qkv[2], lead_mask, patch_mask, w)
        old = _einsum_band_attention(qkv[0], qkv[1], qkv[2], lead_mask, patch_mask, w)
    assert torch.equal(new, old)
