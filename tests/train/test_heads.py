"""Task heads on the tiny model: shapes, finiteness, masking, and a checkpoint round trip."""
from __future__ import annotations

import numpy as np
import torch

from anyecg_model.vocabulary.labels import AAMI_BEAT_CLASSES, EPISODE_LABELS, RECORD_CLASSES
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import load_checkpoint, save_checkpoint
from anyecg_model.vocabulary.model_input import MORPH_AFTER, MORPH_BEFORE, N_RR_FEATURES, N_TEMPLATE_FEATURES

torch.set_num_threads(1)
HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}


def _model() -> AnyECG:
    torch.manual_seed(0)
    return AnyECG.from_size("tiny", heads=dict(HEADS)).eval()


def _batch(B=2, S=12, P=10, K=5) -> dict:
    g = torch.Generator().manual_seed(1)
    lead_mask = torch.zeros(B, S, dtype=torch.bool)
    lead_mask[0, :2] = True
    lead_mask[1] = True
    return {
        "patches": torch.randn(B, S, P, 300, generator=g) * 0.3,
        "lead_mask": lead_mask,
        "patch_mask": torch.ones(B, P, dtype=torch.bool),
        "rhythm_features": torch.rand(B, N_RR_FEATURES, generator=g),
        "beat_patch": torch.randint(0, P, (B, K), generator=g),
        "beat_rr": torch.rand(B, K, N_RR_FEATURES, generator=g),
        "beat_template": torch.rand(B, K, N_TEMPLATE_FEATURES, generator=g),
        "beat_morph": torch.randn(B, K, S, MORPH_BEFORE + MORPH_AFTER, generator=g),
        "beat_mask": torch.ones(B, K, dtype=torch.bool),
    }


def test_head_outputs_have_task_shapes_and_are_finite():
    model, batch = _model(), _batch()
    with torch.no_grad():
        h = model.embed(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        out = {
            "anomaly": model.heads["anomaly"](h, batch),
            "rhythm": model.heads["rhythm"](h, batch),
            "beats": model.heads["beats"](h, batch),
            "leadgen": model.heads["leadgen"](h, batch),
        }
        seq = model.heads["ultralong"].window_features(h, batch)[None]
        episodes, state = model.heads["ultralong"](seq)
    assert out["anomaly"].shape == (2,)
    assert out["rhythm"].shape == (2, len(RECORD_CLASSES))
    assert out["beats"].shape == (2, 5, len(AAMI_BEAT_CLASSES))
    assert out["leadgen"].shape == (2, 12, 10, 300)
    assert episodes.shape == (1, 2, len(EPISODE_LABELS))
    for v in [*out.values(), episodes]:
        assert torch.isfinite(v).all()


def test_ultralong_streaming_equals_one_pass():
    head = _model().heads["ultralong"]
    seq = torch.randn(1, 12, head.inp[0].normalized_shape[0])
    with torch.no_grad():
        whole, _ = head(seq)
        first, state = head(seq[:, :5])
        second, _ = head(seq[:, 5:], state)
    assert torch.allclose(torch.cat([first, second], 1), whole, atol=1e-5)


def test_absent_leads_do_not_change_beat_logits():
    model, batch = _model(), _batch()
    with torch.no_grad():
        h = model.embed(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        a = model.heads["beats"](h, batch)
        batch["beat_morph"][0, :, 5:] = 99.0  # slots absent from item 0
        b = model.heads["beats"](h, batch)
    assert torch.allclose(a[0], b[0])


def test_checkpoint_round_trip_keeps_head_outputs(tmp_path):
    model, batch = _model(), _batch()
    save_checkpoint(model, tmp_path)
    loaded = load_checkpoint(tmp_path)
    with torch.no_grad():
        h1 = model.embed(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        h2 = loaded.embed(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        np.testing.assert_allclose(model.heads["beats"](h1, batch), loaded.heads["beats"](h2, batch), atol=1e-6)


def test_lead_generation_prior_rebuilds_a_linearly_dependent_lead_exactly():
    """With the lead covariance fitted, a hidden lead III is II − I (Einthoven) from the present leads."""
    head = _model().heads["leadgen"]
    g = torch.Generator().manual_seed(3)

    def window():
        x = torch.randn(12, 10, 300, generator=g)
        x[2] = x[1] - x[0]  # III = II - I
        return x

    assert head.fit_covariance((window(), torch.ones(12, dtype=torch.bool)) for _ in range(20)) == 20
    assert head.fit_covariance([(window(), torch.zeros(12, dtype=torch.bool))]) == 0  # incomplete: skipped
    x = window()[None]
    present = torch.ones(1, 12, dtype=torch.bool)
    present[0, 2] = False
    given = x.clone()
    given[:, 2] = 0.0
    rebuilt = head.conditional_mean(given, present)
    assert torch.allclose(rebuilt[0, 2], x[0, 2], atol=0.02)
    assert torch.allclose(rebuilt[0, :2], x[0, :2], atol=0.02)  # present leads pass through
