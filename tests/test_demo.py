"""Built-in demos: the real 12-lead from pydicom and the deterministic synthetic Holter."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.demo import SyntheticHolterConfig, demo_12lead, synthetic_holter

SMALL = SyntheticHolterConfig(hours=0.5)


def test_real_12_lead_demo():
    rec = demo_12lead()
    assert rec.lead_names == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert rec.fs == 1000.0 and rec.duration_s == pytest.approx(10.0)
    lead2 = rec.read(leads=["II"])[0]
    assert 0.5 < np.ptp(lead2) < 5.0, "millivolt-scale QRS complexes"


def test_synthetic_holter_is_deterministic_and_cached(tmp_path):
    a = synthetic_holter(SMALL, cache_dir=tmp_path / "a")
    b = synthetic_holter(SMALL, cache_dir=tmp_path / "b")
    assert a.format == "synthetic" and "synthetic" in a.comments[0]
    assert a.provenance.content_hash == b.provenance.content_hash
    np.testing.assert_array_equal(a.read(100_000, 101_000), b.read(100_000, 101_000))
    np.testing.assert_array_equal(a.annotations.sample, b.annotations.sample)
    again = synthetic_holter(SMALL, cache_dir=tmp_path / "a")
    assert again.path == a.path


def test_synthetic_holter_physiology(tmp_path):
    rec = synthetic_holter(SMALL, cache_dir=tmp_path)
    assert rec.lead_names == ["MLII", "V1"] and rec.duration_s == pytest.approx(1800.0)
    episodes = rec.annotations.rhythm_episodes(rec.n_samples)
    labels = [e[2] for e in episodes]
    assert {"N", "AFIB", "SVTA", "B"} <= set(labels)
    beats = rec.annotations.beats()
    counts = beats.counts()
    assert counts["V"] > 10 and counts["A"] > 0 and counts["N"] > 1000

    def rr_in(label):
        s0, s1, _ = next(e for e in episodes if e[2] == label)
        inside = beats.sample[(beats.sample >= s0) & (beats.sample < s1)]
        return np.diff(inside) / rec.fs

    sinus, af, svt = rr_in("N"), rr_in("AFIB"), rr_in("SVTA")
    assert 55 < 60 / np.median(sinus) < 95, "sinus rate"
    assert 140 < 60 / np.median(svt) < 170, "supraventricular tachycardia"
    cv = lambda rr: np.std(rr) / np.mean(rr)  # noqa: E731
    assert cv(af) > 2 * cv(sinus), "atrial fibrillation is irregularly irregular"
    # every annotated beat sits on an R wave of MLII (the largest deflection near it)
    x = rec.read(0, int(120 * rec.fs), leads=["MLII"])[0]
    early = beats.sample[beats.sample < len(x) - 20]
    peaks = np.array([s - 10 + np.argmax(np.abs(x[s - 10:s + 10])) for s in early if s >= 10])
    assert np.median(np.abs(peaks - early[early >= 10])) <= 2
