"""Backbone and masked code prediction: shapes, masking semantics, exactness of slot compaction, learning."""
from __future__ import annotations

import torch

from anyecg_model.model.mcp import masked_code_loss, random_token_mask


def test_hidden_shape_and_zero_padding(tiny_model, synthetic_batch):
    b = synthetic_batch
    tiny_model.eval()
    h = tiny_model.backbone(b["patches"], b["lead_mask"], b["patch_mask"])
    valid = b["lead_mask"][:, :, None] & b["patch_mask"][:, None, :]
    assert h.shape == b["patches"].shape[:3] + (tiny_model.cfg.d_model,)
    assert torch.isfinite(h).all() and (h[~valid] == 0).all()


def test_absent_leads_never_influence_the_output(tiny_model, synthetic_batch):
    """Garbage in masked slots changes nothing: absent leads are masked, not fed as tokens."""
    b = synthetic_batch
    tiny_model.eval()
    h1 = tiny_model.backbone(b["patches"], b["lead_mask"], b["patch_mask"])
    noisy = b["patches"].clone()
    noisy[~b["lead_mask"]] = 5.0
    h2 = tiny_model.backbone(noisy, b["lead_mask"], b["patch_mask"])
    assert torch.allclose(h1, h2, atol=1e-5)


def test_batching_with_other_records_does_not_change_a_record(tiny_model, synthetic_batch):
    """A 2-lead record alone (slots compacted) equals the same record inside a 12-lead batch."""
    b = synthetic_batch
    i = int(torch.argmin(b["lead_mask"].sum(1)))
    assert b["lead_mask"][i].sum() < 12 and b["lead_mask"].all(1).any()
    tiny_model.eval()
    full = tiny_model.backbone(b["patches"], b["lead_mask"], b["patch_mask"])[i]
    alone = tiny_model.backbone(b["patches"][i:i + 1], b["lead_mask"][i:i + 1], b["patch_mask"][i:i + 1])[0]
    assert torch.allclose(full, alone, atol=1e-5)


def test_mask_token_replaces_masked_tokens(tiny_model, synthetic_batch):
    b = synthetic_batch
    valid = b["lead_mask"][:, :, None] & b["patch_mask"][:, None, :]
    mask = random_token_mask(valid, 0.5, torch.Generator().manual_seed(0))
    tiny_model.eval()
    h1 = tiny_model.backbone(b["patches"], b["lead_mask"], b["patch_mask"], mask)
    altered = b["patches"].clone()
    altered[mask] = torch.randn_like(altered[mask])  # content under the mask is invisible
    h2 = tiny_model.backbone(altered, b["lead_mask"], b["patch_mask"], mask)
    assert torch.allclose(h1, h2, atol=1e-5)


def test_random_mask_ratio_is_exact_per_record():
    valid = torch.zeros(3, 4, 10, dtype=torch.bool)
    valid[0] = True
    valid[1, :2] = True
    valid[2, 0, :3] = True
    m = random_token_mask(valid, 0.5)
    assert (m & ~valid).sum() == 0
    assert m.flatten(1).sum(1).tolist() == [20, 10, 2]


def test_masked_code_prediction_learns(tiny_model, synthetic_batch):
    b = synthetic_batch
    tiny_model.train()
    tiny_model.tokenizer.loss(b)
    codes = tiny_model.tokenizer.encode(b["patches"], b["lead_mask"], b["patch_mask"])
    opt = torch.optim.AdamW(tiny_model.backbone.parameters(), lr=3e-3)
    losses = []
    for _ in range(10):
        loss, terms = masked_code_loss(tiny_model.backbone, b, codes, 0.5, symmetric=True)
        losses.append(float(loss.detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert set(terms) == {"mcp", "mcp_accuracy"}
    assert losses[-1] < 0.8 * losses[0]
