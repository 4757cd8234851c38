"""Lead generation keeps the covariance's conditional mean unless a learnt correction beats it on validation."""
from __future__ import annotations

import json

import numpy as np
import torch

from anyecg_model.vocabulary.leads import STANDARD_LEADS
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from anyecg_model.train.finetune.config import FinetuneConfig
from anyecg_model.train.finetune.run import finetune

torch.set_num_threads(1)


def _twelve_lead_corpus(root, n_records: int = 6, seconds: float = 10.0):
    """``n_records`` synthetic 12-lead records (300 Hz, int16 µV), every lead a fixed mix of two sources."""
    rng = np.random.default_rng(0)
    n = int(seconds * 300)
    t = np.arange(n) / 300.0
    mix = rng.normal(0, 1, (12, 2))
    sigs, records = [], []
    for k in range(n_records):
        beats = np.sum([np.exp(-0.5 * ((t - c) / 0.02) ** 2) for c in np.arange(0.4, seconds, 0.8)], axis=0)
        waves = np.stack([beats, np.sin(2 * np.pi * (1.0 + 0.1 * k) * t)])
        sigs.append(np.round(300 * mix @ waves + rng.normal(0, 10, (12, n))).astype(np.int16))
        records.append({"set": "ptbxl500", "record": f"r{k}", "patient": f"p{k}", "split": "val" if k >= 4 else "train",
                        "leads": list(STANDARD_LEADS), "offset": k * n, "length": n, "age": 60.0, "sex": 0.0,
                        "labels": {}})
    (root / "ptbxl500").mkdir(parents=True)
    np.save(root / "ptbxl500" / "signals.npy", np.concatenate(sigs, axis=1))
    (root / "index.json").write_text(json.dumps({"fs": 300.0, "units_per_mv": 1000.0, "records": records}))
    return root


def test_the_covariance_alone_is_epoch_0_and_stays_unless_beaten(tmp_path):
    corpus = _twelve_lead_corpus(tmp_path / "corpus")
    torch.manual_seed(0)
    save_checkpoint(AnyECG.from_size("tiny"), tmp_path / "init", {"name": "tiny", "model_version": "0"})
    rows = []
    best = finetune(FinetuneConfig("leadgen", tmp_path / "out", init=tmp_path / "init", size="tiny", epochs=1,
                                   lr=0.0, batch_size=2, device="cpu", corpus=corpus), on_epoch=rows.append)
    assert [r["epoch"] for r in rows] == [0, 1]
    assert best["epoch"] == 0  # a correction that learnt nothing does not replace the covariance
    assert rows[0]["val"]["PSNR_dB"] > 20  # the conditional mean rebuilds the mixed leads
    assert read_metadata(tmp_path / "out")["training"]["finetune_leadgen"]["best_epoch"] == 0
    assert bool(load_checkpoint(tmp_path / "out").heads["leadgen"].lead_cov.any())
