"""A lead without a standard name is read upside down when its QRS complexes clearly point down; named leads never
are; on a real paced Holter channel recorded the other way round, the paced beats are found again."""
from __future__ import annotations

import numpy as np

from anyecg_model.signal.polarity import PolarityRules, lead_points_down, qrs_points_down

FS = 250.0


def ecg(duration_s: float = 30.0, s_wave: float = 0.2) -> np.ndarray:
    """Generated lead (mV): an R wave of 1.2 mV, an S wave of ``s_wave`` mV, a T wave, every 0.8 s."""
    t = np.arange(int(duration_s * FS)) / FS
    x = np.zeros_like(t)
    for b in np.arange(0.4, duration_s, 0.8):
        x += (1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) - s_wave * np.exp(-0.5 * ((t - b - 0.03) / 0.01) ** 2)
              + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2))
    return x + 0.01 * np.random.default_rng(0).standard_normal(len(t))


def test_downward_complexes_are_found_and_upright_or_biphasic_ones_are_not():
    assert not qrs_points_down([ecg()], FS)
    assert qrs_points_down([-ecg()], FS)
    assert not qrs_points_down([-ecg(s_wave=1.2)], FS)  # RS as deep as tall: no clear direction, left alone
    assert not qrs_points_down([-ecg(2.0)], FS)  # too short to judge
    assert not qrs_points_down([], FS)


def test_the_stretches_are_spread_over_the_recording():
    x = ecg(600.0)
    x[: int(20 * FS)] *= -1  # the first 20 s upside down (a hook-up fumble), the rest upright
    starts = []

    def read(a: int, b: int) -> np.ndarray:
        starts.append(a)
        return x[a:b]

    assert not lead_points_down(read, len(x), FS)
    assert len(starts) == PolarityRules().stretches and starts[-1] == len(x) - int(10 * FS)
    starts.clear()
    assert not lead_points_down(read, int(60 * FS), FS) and starts == [0]  # a 1-min strip: read whole
    assert lead_points_down(lambda a, b: -x[a:b], len(x), FS)


def test_a_paced_holter_channel_recorded_upside_down_is_read_upright(shared_data):
    """MIT-BIH 107 (paced), its first 2 minutes as an unnamed channel: upside down, the beat trees called none of
    its paced beats paced (P 1.00 → 0.00 on the whole record); read upright again they are, and the findings say
    the lead was turned. A lead named MLII is never turned, whichever way it points, unless the user says so."""
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.io.recording import ArraySource, Lead, Provenance, Recording
    from anyecg_model.io.registry import open_recording
    from anyecg_model.vocabulary.labels import BEAT_CLASSES

    rec = open_recording(shared_data / "mitdb" / "107.hea")
    n = int(120 * rec.fs)
    mlii = rec.read(0, n)[:1]
    analyzer = Analyzer(None, device="cpu")

    def analyze(name: str, data: np.ndarray, lead_map=None):
        r = Recording(leads=[Lead(name, name, rec.fs)], fs=rec.fs, n_samples=n, source=ArraySource(data),
                      provenance=Provenance(f"<107 as {name}>", "array", "0"))
        return analyzer.analyze(r, ("arrhythmia",), lead_map=lead_map)

    turned = analyze("ECG1", -mlii)
    assert turned.lead_inverted == ["ECG1"]
    assert turned.lead_tags("ECG1") == " (assumed, upside down)"
    assert np.mean(np.asarray(turned.beats.label) == BEAT_CLASSES.index("P")) > 0.9
    assert analyze("ECG1", mlii).lead_inverted == []
    assert analyze("MLII", -mlii).lead_inverted == []
    # the user can say a named lead was recorded upside down (reversed electrodes): --lead-map MLII=-II
    said = analyze("MLII", -mlii, {"MLII": "-II"})
    assert said.lead_inverted == ["MLII"] and said.lead_tags("MLII") == " (upside down)"
    assert np.mean(np.asarray(said.beats.label) == BEAT_CLASSES.index("P")) > 0.9
