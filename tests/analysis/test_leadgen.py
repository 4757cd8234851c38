"""Generated leads from the headless core: a recorded lead marked for replacement is not used as input."""
from __future__ import annotations

import numpy as np
import torch

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.leadgen import generate_leads
from anyecg_model.vocabulary.leads import STANDARD_LEADS
from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint

V1, V2, V3 = (STANDARD_LEADS.index(x) for x in ("V1", "V2", "V3"))


def _with_v2_between_v1_and_v3(x):
    """Independent leads except V2 = (V1 + V3) / 2: V2 is predictable only from its neighbours."""
    x[V2] = 0.5 * (x[V1] + x[V3])
    return x


def _recording(simulate, v2_noise: bool) -> Recording:
    data = np.stack([simulate(10, 500.0, 60 + 3 * k, leads=("II",), seed=k)[0] for k in range(12)])
    data = _with_v2_between_v1_and_v3(data)
    if v2_noise:  # the recorded V2 is ruined
        data[V2] = np.random.default_rng(0).normal(0, 0.6, data.shape[1])
    return Recording.from_array(data.astype(np.float32), 500.0, list(STANDARD_LEADS), path="sim.hea")


def test_a_recorded_lead_marked_for_replacement_is_rebuilt_from_the_other_leads(simulate, tmp_path):
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads={"leadgen": {"type": "leadgen"}})
    g = torch.Generator().manual_seed(1)
    windows = []
    for _ in range(10):
        x = _with_v2_between_v1_and_v3(torch.randn(12, 10, model.cfg.patch_len, generator=g))
        x[V2] += 0.1 * torch.randn(10, model.cfg.patch_len, generator=g)  # full rank: V2 also has its own part
        windows.append((x, torch.ones(12, dtype=torch.bool)))
    model.heads["leadgen"].fit_covariance(windows)  # the correction starts at zero: the output is the prior
    save_checkpoint(model, tmp_path, {"name": "leadgen-test", "model_version": "t"})
    analyzer = Analyzer(tmp_path, device="cpu")

    clean = _recording(simulate, v2_noise=False)
    from_clean = generate_leads(analyzer, clean, ["V2"]).data[0]
    from_noisy = generate_leads(analyzer, _recording(simulate, v2_noise=True), ["V2"]).data[0]
    np.testing.assert_allclose(from_noisy, from_clean, atol=1e-5)  # the ruined V2 itself is never an input
    truth = clean.read()[V2]
    core = slice(500, -500)  # away from the band-pass edges
    assert np.corrcoef(from_clean[core], truth[core])[0, 1] > 0.95
    assert 0.8 < np.ptp(from_clean[core]) / np.ptp(truth[core]) < 1.25
