"""Pre-training windows straight from a folder of recordings (WFDB written here), through the real readers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate

from anyecg_model.vocabulary.leads import STANDARD_LEADS
from anyecg_model.train.data.batch import check_batch
from anyecg_model.train.data.synthetic import simulate_ecg
from anyecg_model.train.data.windows import RecordingWindows, discover_recordings


@pytest.fixture
def wfdb_folder(tmp_path):
    wfdb = pytest.importorskip("wfdb")
    for k, seconds in enumerate((25.0, 8.0)):
        sig, _ = simulate_ecg(seconds, 360.0, 70.0, ("MLII", "V1"), rng=np.random.default_rng(k))
        wfdb.wrsamp(f"rec{k}", fs=360, units=["mV", "mV"], sig_name=["MLII", "V1"], p_signal=sig.T.astype(np.float64),
                    fmt=["212", "212"], write_dir=str(tmp_path), comments=["Age: 64 Sex: F"])
    (tmp_path / "notes.txt").write_text("not an ECG")
    return tmp_path


def test_folder_windows_follow_the_batch_contract(wfdb_folder):
    files = discover_recordings([wfdb_folder])
    assert sorted(f.name for f in files) == ["rec0.hea", "rec1.hea"]  # .dat sidecars and notes skipped
    ds = RecordingWindows([wfdb_folder], window_s=10.0)
    # rec0: 25 s → windows at 0, 10, 20 (the last 5 s = half a window is kept); rec1: 8 s → one window
    assert len(ds) == 4
    batch = default_collate([ds[i] for i in range(len(ds))])
    check_batch(batch, 300)
    slots = [STANDARD_LEADS[i] for i in torch.nonzero(batch["lead_mask"][0]).flatten()]
    assert slots == ["II", "V1"]
    assert batch["patch_mask"].sum(1).tolist() == [10, 10, 5, 8]  # tails masked
    assert torch.isfinite(batch["patches"]).all()
