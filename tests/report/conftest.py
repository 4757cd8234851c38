"""Report fixtures: the real 12-lead that ships with pydicom, a simulated 70 bpm 12-lead, a 3-hour synthetic Holter
(helpers live in ``report_helpers``)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from anyecg_model.io import Recording
from anyecg_model.vocabulary.leads import STANDARD_LEADS


@pytest.fixture(scope="session")
def demo_12lead() -> Recording:
    """pydicom's waveform_ecg.dcm (10 s, 12 leads, 1000 Hz) with the header fields the file carries."""
    from anyecg_model.demo import demo_12lead as load

    rec = load()
    rec.age, rec.sex = rec.age or 42.0, rec.sex or "F"
    rec.start_time = rec.start_time or dt.datetime(2013, 1, 25, 10, 59, 19)
    return rec


@pytest.fixture(scope="session")
def sim_12lead() -> Recording:
    """A NeuroKit2-simulated 12-lead ECG at exactly 70 bpm (10 s, 500 Hz)."""
    import neurokit2 as nk

    sig = nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, heart_rate_std=0, method="multileads",
                          random_state=7)
    data = np.stack([sig[name].to_numpy() for name in STANDARD_LEADS]).astype(np.float32)
    return Recording.from_array(data, 500.0, list(STANDARD_LEADS), path="sim70.ecg", format="simulated",
                                age=63.0, sex="M")


@pytest.fixture(scope="session")
def holter_3h(tmp_path_factory) -> Recording:
    """The project's synthetic Holter generator, 3 hours, with reference beat and rhythm annotations."""
    from anyecg_model.demo import SyntheticHolterConfig, synthetic_holter

    rec = synthetic_holter(SyntheticHolterConfig(hours=3.0), cache_dir=tmp_path_factory.mktemp("demo"))
    rec.start_time = dt.datetime(2026, 11, 21, 8, 0, 0)
    return rec
