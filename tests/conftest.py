"""Shared fixtures. Real-data tests use ``shared_data`` and skip with a reason when ../shared/data is absent.

The tiny model and the simulated recordings used by the tests of several packages (analysis, commands, report,
the time base) live here; fixtures of one package live in that package's conftest.py.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ANYECG_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The unpacked real data sets (mitdb, cinc2017, ptbxl500, ludb, noise, formats)."""
    script = SHARED_DATA / "unpack.sh"
    if not script.exists():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent")
    # unpack.sh re-copies formats/ and noise/ (rm -rf + cp) on every run, which makes them vanish for a
    # moment under concurrent test sessions: run it only when a set is missing
    dest = Path(os.environ.get("ANYECG_DATA", Path.home() / ".cache" / "anyecg" / "data"))
    if all((dest / name / ".unpacked").is_file() for name in ("mitdb", "cinc2017", "ptbxl500", "ludb")) and all(
            (dest / name).is_dir() for name in ("noise", "formats")):
        return dest
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def formats_dir(shared_data: Path) -> Path:
    return shared_data / "formats"


#: The heads of the tiny random-weight test checkpoint: every head the analysis knows.
HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}
#: Metadata of a checkpoint whose anomaly head was trained on (and judges) MLII + V1 two-lead recordings.
TWO_LEAD_ANOMALY = {"anomaly_leads": ["II", "V1"]}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random-weight checkpoint with every head, saved once per session."""
    import torch

    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.checkpoint import save_checkpoint

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads=dict(HEADS))
    d = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "test", **TWO_LEAD_ANOMALY})
    return d


def simulated_ecg(duration_s: float, fs: float, bpm: float, leads=("MLII", "V1"), seed: int = 3) -> np.ndarray:
    import neurokit2 as nk

    rows = [nk.ecg_simulate(duration=duration_s, sampling_rate=fs, heart_rate=bpm, noise=0.01, method="simple",
                            random_state=seed)
            * (1.0 if k == 0 else -0.5) for k in range(len(leads))]
    return np.stack(rows).astype(np.float32)


@pytest.fixture(scope="session")
def simulate():
    """The simulator: ``simulate(duration_s, fs, bpm, leads=("MLII", "V1"))`` → (n_leads, n) mV."""
    return simulated_ecg


@pytest.fixture(scope="session")
def sim_12lead():
    """A NeuroKit2-simulated 12-lead ECG at exactly 70 bpm (10 s, 500 Hz)."""
    import neurokit2 as nk

    from anyecg_model.io import Recording
    from anyecg_model.vocabulary.leads import STANDARD_LEADS

    sig = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, heart_rate_std=0, method="multileads",
                          random_state=7)
    data = np.stack([sig[name].to_numpy() for name in STANDARD_LEADS]).astype(np.float32)
    return Recording.from_array(data, 500.0, list(STANDARD_LEADS), path="sim70.ecg", format="simulated",
                                age=63.0, sex="M")


@pytest.fixture(scope="session")
def holter_3h(tmp_path_factory):
    """The project's synthetic Holter generator, 3 hours, with reference beat and rhythm annotations."""
    from anyecg_model.demo import SyntheticHolterConfig, synthetic_holter

    rec = synthetic_holter(SyntheticHolterConfig(hours=3.0), cache_dir=tmp_path_factory.mktemp("demo"))
    rec.start_time = dt.datetime(2026, 11, 21, 8, 0, 0)
    return rec


@pytest.fixture
def small_findings():
    """Findings of a 30-s two-lead record with every section: three beats (one V), anomaly windows, the record
    class, an AF and a sinus episode, heart rate and AF burden, from model ``anyecg-test`` version 3."""
    from anyecg_model.analysis.findings import AnomalyWindow, Beats, Findings, ModelInfo, RhythmEpisode

    beats = Beats(np.array([0.8, 1.6, 2.4]), np.array([0, 2, 0], np.int8), np.array([0.9, 0.7, 0.95], np.float32))
    return Findings("r.hea", 30.0, 360.0, ["MLII", "V1"], ModelInfo("anyecg-test", "3", "ab" * 32), anomaly_score=0.7,
                    anomaly_windows=[AnomalyWindow(0.0, 10.0, 0.2), AnomalyWindow(10.0, 20.0, 0.9)], beats=beats,
                    record_class_probabilities={"N": 0.1, "A": 0.8, "O": 0.05, "~": 0.05},
                    episodes=[RhythmEpisode(0.0, 20.0, "AF", 0.8), RhythmEpisode(20.0, 30.0, "NSR", 0.6)],
                    heart_rate_bpm={"mean": 75.0, "min": 70.0, "max": 80.0}, af_burden=2 / 3, n_beats=3)
