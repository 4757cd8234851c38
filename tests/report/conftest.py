"""Report fixtures: the real 12-lead that ships with pydicom (the simulated 12-lead and the 3-hour synthetic Holter
are in tests/conftest.py; helpers live in ``report_helpers``)."""
from __future__ import annotations

import datetime as dt

import pytest

from anyecg_model.io import Recording


@pytest.fixture(scope="session")
def demo_12lead() -> Recording:
    """pydicom's waveform_ecg.dcm (10 s, 12 leads, 1000 Hz) with the header fields the file carries."""
    from anyecg_model.demo import demo_12lead as load

    rec = load()
    rec.age, rec.sex = rec.age or 42.0, rec.sex or "F"
    rec.start_time = rec.start_time or dt.datetime(2013, 1, 25, 10, 59, 19)
    return rec
