"""A lead-off is not a rhythm: an ECG with a stretch of lost signal gets the findings of its readable part. The RR
interval across the loss is unknown (not a pause, not a reason to call the next beat premature), the model reads
a window with a lead-off as the shorter window it is, and a slow 10-s ECG keeps its P waves measured."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer, _readable_patches
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.model.rhythm_trees import CONFIG
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.vocabulary.labels import BEAT_CLASSES


def test_patches_wholly_inside_unreadable_signal_are_masked_like_padding():
    mask = np.ones((2, 5), bool)
    mask[1, 4] = False  # tail padding stays padding
    starts = np.array([0.0, 5.0])  # 1-s patches
    out = _readable_patches(mask, np.array([[1.5, 4.0], [5.0, 7.5]]), starts, 1.0)
    assert out[0].tolist() == [True, True, False, False, True]  # 1-2 s only partly lost: kept
    assert out[1].tolist() == [False, False, True, True, False]
    assert np.array_equal(_readable_patches(mask, np.zeros((0, 2)), starts, 1.0), mask)


def test_a_window_with_nothing_readable_keeps_its_mask():
    mask = np.ones((1, 4), bool)
    assert np.array_equal(_readable_patches(mask, np.array([[0.0, 10.0]]), np.array([0.0]), 1.0), mask)


@pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")
@pytest.mark.parametrize("lost", [(3.0, 7.0), (3.4, 7.3)])
def test_a_normal_ecg_with_a_lead_off_reads_normal(shared_data, lost):
    """PTB-XL 00001 (sinus rhythm, normal ECG) with 4 s lost on every lead: before, the verdict read "other
    rhythm" (the RR across the loss made every beat premature; P waves unmeasured among 7 beats) and the window
    lane OTHER; now the findings of the readable part: normal, sinus, no ectopic beat."""
    rec = open_recording(shared_data / "ptbxl500" / "records500" / "00000" / "00001_hr.hea")
    x = rec.read()
    x[:, int(lost[0] * rec.fs):int(lost[1] * rec.fs)] = 0.0
    f = Analyzer(None, device="cpu").analyze(Recording.from_array(x, rec.fs, list(rec.lead_names), path="lost.hea"),
                                             ("arrhythmia", "events"))
    assert [u.reason for u in f.unreadable] == ["flat"]
    assert f.rhythm_verdict.label == "N"
    assert {e.label for e in f.episodes} == {"NSR"}
    assert set(BEAT_CLASSES[i] for i in f.beats.label) == {"N"}


@pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")
def test_too_few_readable_rr_intervals_get_no_rhythm_verdict():
    """40 bpm with 4 of 10 s lost leaves two readable RR intervals: the rhythm trees would guess from NaN features
    (PTB-XL 00060 with a lead-off read "other rhythm" at 0.99); the verdict says it was not judged, and why."""
    fs = 250.0
    t = np.arange(int(10 * fs)) / fs
    x = np.zeros_like(t)
    for b in (0.5, 2.0, 3.5, 8.5, 10.0):
        x += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2)
    x += 0.02 * np.random.default_rng(0).standard_normal(len(t))
    x[int(4 * fs):int(8 * fs)] = 0.0
    f = Analyzer(None, device="cpu").analyze(
        Recording.from_array(x[None].astype(np.float32), fs, ["ECG"], path="slow-lost.hea"), ("arrhythmia",))
    v = f.rhythm_verdict
    assert v.label == "~" and v.probabilities["~"] == 1.0
    assert v.note.startswith("not judged") and "RR interval" in v.note


def test_unmeasured_p_waves_are_not_absent_ones():
    from anyecg_model.analysis.rhythm_features import RHYTHM_FEATURES, RhythmInputs, rhythm_features

    peaks = np.arange(0.5, 10.0, 0.8)
    x = RhythmInputs(peaks, 10.0, np.zeros((0, 4)), np.zeros(0), p_wave=np.full(len(peaks), np.nan))
    f = rhythm_features(x)
    for name in ("p_consistency_median", "p_absent_share", "p_present_share"):
        assert np.isnan(f[RHYTHM_FEATURES.index(name)])
    x.p_wave[2:] = 0.9  # two edge beats unmeasured, the rest a clear P wave
    assert rhythm_features(x)[RHYTHM_FEATURES.index("p_absent_share")] == 0.0


@pytest.mark.skipif(not (SHIPPED_MODEL_DIR / CONFIG).exists(), reason="no shipped rhythm trees")
def test_a_lead_buried_in_noise_leaves_the_12_lead_anomaly_unjudged(shared_data):
    """1 mV of noise on V3 alone read the normal PTB-XL 00001 abnormal (0.05 -> 0.80): it is not assessed now, and
    the reason names V3; 0.1 mV of noise, which moves the score by hundredths, is still judged."""
    rec = open_recording(shared_data / "ptbxl500" / "records500" / "00000" / "00001_hr.hea")
    v3 = list(rec.lead_names).index("V3")
    analyzer = Analyzer(None, device="cpu")
    for sigma, judged in ((1.0, False), (0.1, True)):
        x = rec.read()
        x[v3] += np.random.default_rng(0).normal(0, sigma, x.shape[1]).astype(np.float32)
        f = analyzer.analyze(Recording.from_array(x, rec.fs, list(rec.lead_names), path=f"v3-{sigma}.hea"),
                             ("anomaly",))
        if judged:
            assert f.anomaly_label == "normal"
        else:
            assert f.anomaly_score is None and "V3" in f.anomaly_not_assessed and "noise" in f.anomaly_not_assessed
