"""A technician reads the rhythm on the clean channel: where the rhythm lead is unreadable over much of a chunk,
another lead carries the R peaks, the unreadable lead is left out like a lead off, the findings say so, and the
12-lead anomaly (which needs that lead) is not assessed."""
from __future__ import annotations

import json

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.cache import findings_from_arrays, findings_to_arrays
from anyecg_model.analysis.findings import Findings, ModelInfo, UnreadableSpan
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.model.rhythm_trees import CONFIG
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.signal.quality import cleaner_lead
from anyecg_model.vocabulary.labels import BEAT_CLASSES
from test_builder import FS, beats_ecg

def _ecg(n_s: float = 60.0) -> np.ndarray:
    """One lead (mV) of a 75-bpm ECG at FS Hz (the builder tests' QRS-and-T beats)."""
    return beats_ecg(np.arange(0.4, n_s, 0.8), n_s, leads=("II",))[0]


def test_the_rhythm_lead_is_kept_unless_much_of_it_is_unreadable():
    clean = np.stack([_ecg(), -0.6 * _ecg()])
    assert cleaner_lead(clean, 0, FS)[0] == 0
    short_loss = clean.copy()
    short_loss[0, int(10 * FS):int(15 * FS)] = 0.0  # 5 s of 60: under a fifth, the rhythm lead stays
    row, spans, _ = cleaner_lead(short_loss, 0, FS, 0.0, (0.0, 60.0))
    assert row == 0 and len(spans) == 1
    long_loss = clean.copy()
    long_loss[0, int(10 * FS):int(40 * FS)] = 0.0  # half the chunk: the other, clean lead
    row, spans, _ = cleaner_lead(long_loss, 0, FS)
    assert row == 1 and len(spans) == 0
    both = long_loss.copy()
    both[1, int(12 * FS):int(40 * FS)] = 0.0  # the other lead hardly better: keep the rhythm lead
    assert cleaner_lead(both, 0, FS)[0] == 0


def test_the_replacement_survives_the_findings_cache_and_the_json():
    f = Findings(record="x.hea", duration_s=20.0, fs=300.0, leads=["II", "V5"], model=ModelInfo("m", "1", "ab" * 32),
                 rhythm_lead="II", rhythm_lead_replaced=[(0.0, 20.0, "V5")])
    back = findings_from_arrays(*findings_to_arrays(f))
    assert back.rhythm_lead_replaced == [(0.0, 20.0, "V5")]
    assert json.loads(f.to_json())["rhythm_lead_replaced"] == [{"start_s": 0.0, "end_s": 20.0, "lead": "V5"}]


def test_each_unreadable_span_names_the_lead_it_was_judged_on():
    """The gate judges the lead the R peaks come from: the rhythm lead, or the lead that replaced it there."""
    f = Findings(record="x.hea", duration_s=900.0, fs=300.0, leads=["II", "V5"], model=ModelInfo("m", "1", "ab" * 32),
                 rhythm_lead="II", rhythm_lead_replaced=[(300.0, 600.0, "V5")],
                 unreadable=[UnreadableSpan(10.0, 12.0, "noisy"), UnreadableSpan(320.0, 330.0, "flat"),
                             UnreadableSpan(610.0, 611.0, "noisy")])
    assert f.unreadable_leads() == ["II", "V5", "II"]
    spans = json.loads(f.to_json())["signal_quality"]["unreadable"]
    assert [u["lead"] for u in spans] == ["II", "V5", "II"]
    assert Findings(record="y.hea", duration_s=1.0, fs=1.0, leads=["ECG"], model=f.model,
                    unreadable=[UnreadableSpan(0.0, 1.0, "flat")]).unreadable_leads() == [None]


@pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")
@pytest.mark.parametrize("kind", ["flat", "noise"])
def test_a_12_lead_ecg_with_lead_ii_lost_reads_its_rhythm_on_another_lead(shared_data, kind):
    """PTB-XL 00001 (normal, sinus) with lead II off or buried in noise: before, the whole ECG was unreadable (the
    gate read lead II only) and had no beats; now lead I carries the R peaks and the findings are those of the
    other 11 leads, and the anomaly, which needs all 12, is not assessed."""
    rec = open_recording(shared_data / "ptbxl500" / "records500" / "00000" / "00001_hr.hea")
    x = rec.read()
    ii = list(rec.lead_names).index("II")
    x[ii] = 0.0 if kind == "flat" else x[ii] + np.random.default_rng(0).normal(0, 2.0, x.shape[1]).astype(np.float32)
    f = Analyzer(None, device="cpu").analyze(Recording.from_array(x, rec.fs, list(rec.lead_names), path="ii.hea"),
                                             ("arrhythmia", "events", "anomaly"))
    assert f.rhythm_lead == "II" and f.rhythm_lead_replaced == [(0.0, 10.0, "I")]
    assert f.unreadable == [] and len(f.beats.label) >= 10
    assert set(BEAT_CLASSES[i] for i in f.beats.label) == {"N"} and f.rhythm_verdict.label == "N"
    assert f.anomaly_label == "not assessed" and "II" in f.anomaly_not_assessed


@pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")
def test_a_two_lead_holter_is_not_read_on_its_second_lead_alone():
    """With one lead left the model reads too little (MIT-BIH 208 with its first channel off for 10 min: AF at
    0.99 from V1's faint P waves): a two-lead recording's unreadable stretch stays unreadable."""
    from anyecg_model.analysis.analyzer import MIN_LEADS_TO_SWITCH

    assert MIN_LEADS_TO_SWITCH == 3
    x = np.stack([_ecg(30.0), -0.6 * _ecg(30.0)])
    x[0] = 0.0
    f = Analyzer(None, device="cpu").analyze(Recording.from_array(x, FS, ["MLII", "V1"], path="off.hea"),
                                             ("arrhythmia",))
    assert f.rhythm_lead_replaced == [] and [u.reason for u in f.unreadable] == ["flat"] and len(f.beats.label) == 0
