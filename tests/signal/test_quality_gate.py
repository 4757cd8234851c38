"""The signal-quality gate: flat and saturated stretches are unreadable, so is a clean record drowned in real
electrode noise (MIT-BIH noise stress test, ``ma`` and ``bw``), while the clean record and the same record with
mild noise stay readable."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.signal.quality import UNREADABLE_REASONS, GateThresholds, unreadable_blocks, unreadable_spans

FS = 360.0


def synthetic(duration_s: float = 60.0) -> np.ndarray:
    t = np.arange(int(duration_s * FS)) / FS
    x = np.zeros_like(t)
    for b in np.arange(0.4, duration_s, 0.8):
        x += 1.2 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t - b - 0.28) / 0.05) ** 2)
    return x + 0.01 * np.random.default_rng(0).standard_normal(len(t))


def test_flat_and_saturated_stretches_are_unreadable_with_their_reason():
    x = synthetic()
    x[int(10 * FS):int(20 * FS)] = 0.2  # a lead off
    x[int(35 * FS):int(41 * FS)] = np.where(np.arange(int(6 * FS)) % 40 < 20, 6.0, -6.0)  # amplifier on its rails
    spans, codes = unreadable_spans(x, FS, offset_s=100.0)
    assert [UNREADABLE_REASONS[c] for c in codes] == ["flat", "saturated"]
    np.testing.assert_allclose(spans, [[110.0, 120.0], [135.0, 141.0]], atol=1.01)
    assert unreadable_spans(synthetic(), FS)[0].shape == (0, 2)  # a clean ECG has none
    with pytest.raises(ValueError):
        GateThresholds(noise_sd_factor=0.0)


def test_gaps_shorter_than_merge_gap_join_one_span():
    x = synthetic()
    x[int(10 * FS):int(13 * FS)] = 0.0
    x[int(14 * FS):int(17 * FS)] = 0.0
    spans, _ = unreadable_spans(x, FS, GateThresholds(merge_gap_s=2.0))
    np.testing.assert_allclose(spans, [[10.0, 17.0]], atol=1.01)


@pytest.mark.parametrize("kind", ["ma", "bw"])
def test_real_electrode_noise_makes_a_clean_record_unreadable_only_when_it_swamps_it(shared_data, kind):
    wfdb = pytest.importorskip("wfdb")
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / "100"), sampto=int(300 * FS))
    noise, _ = wfdb.rdsamp(str(shared_data / "noise" / kind), sampto=int(300 * FS))
    x, n = sig[:, 0], noise[:, 0] - noise[:, 0].mean()
    signal_power = np.ptp(x[: int(2 * FS)]) ** 2 / 8  # the noise stress test's definition (QRS amplitude)

    def share_unreadable(snr_db: float) -> float:
        gain = np.sqrt(signal_power / (n.var() * 10 ** (snr_db / 10)))
        return float(np.mean(unreadable_blocks(x + gain * n, FS) >= 0))

    assert share_unreadable(np.inf) == 0.0
    assert share_unreadable(12.0) == 0.0  # mild noise: every second still readable
    assert share_unreadable(-12.0) > 0.5  # noise 16 times the ECG's power: most of it unreadable


def test_a_noiseless_generated_ecg_whose_baseline_is_its_minimum_is_readable():
    """Between QRS complexes a generated lead is exactly 0, its minimum (or, inverted, its maximum): that is
    a baseline, not an amplifier rail."""
    x = synthetic() - 0.01 * np.random.default_rng(0).standard_normal(int(60 * FS))  # no noise: flat at 0
    for lead in (x, -0.5 * x):
        assert unreadable_spans(lead, FS)[0].shape == (0, 2)


def test_qrs_tops_cut_off_at_a_rail_are_saturated():
    x = synthetic()
    x[int(20 * FS):int(30 * FS)] = np.clip(4.0 * x[int(20 * FS):int(30 * FS)], None, 1.5)  # gain jump, tops clipped
    x[int(20 * FS):int(30 * FS)] += np.where(np.arange(int(10 * FS)) % 90 < 45, 1.5, 0.0) * (
        x[int(20 * FS):int(30 * FS)] < 1.5)  # clipped square motion artefact sitting on the rail
    x[int(20 * FS):int(30 * FS)] = np.minimum(x[int(20 * FS):int(30 * FS)], 1.5)
    spans, codes = unreadable_spans(x, FS)
    assert "saturated" in [UNREADABLE_REASONS[c] for c in codes]
    assert spans[0, 0] == pytest.approx(20.0, abs=1.01) and spans[-1, 1] == pytest.approx(30.0, abs=1.01)


def test_quiet_seconds_between_slow_beats_are_not_a_lead_off():
    """A clean digital ECG at 32 bpm (PTB-XL 191): its 1-s blocks between beats are under 0.05 mV peak to peak,
    but one quiet second at a time is no lead-off; two seconds and more of it are."""
    t = np.arange(int(20 * FS)) / FS
    x = np.zeros_like(t)
    for b in np.arange(1.5, 20.0, 1.9):
        x += 0.9 * np.exp(-0.5 * ((t - b) / 0.012) ** 2) + 0.3 * np.exp(-0.5 * ((t - b - 0.3) / 0.05) ** 2)
    x += 0.002 * np.random.default_rng(1).standard_normal(len(t))
    assert unreadable_spans(x, FS)[0].shape == (0, 2)
    assert unreadable_spans(x, FS, GateThresholds(flat_min_blocks=1))[0].shape[0] > 0  # the rule before
    y = x.copy()
    y[int(8 * FS):int(12 * FS)] = 0.0  # an electrode off for 4 s
    spans, codes = unreadable_spans(y, FS)
    assert [UNREADABLE_REASONS[c] for c in codes] == ["flat"]


def test_noise_level_is_absolute_and_ignores_the_qrs():
    """A clean ECG reads a few hundredths of a millivolt of noise whatever its amplitude; Gaussian noise of σ mV
    reads about σ (the relative gate calls 0.1 mV of noise on a small lead noisy; this does not)."""
    from anyecg_model.signal.quality import noise_mv

    x = synthetic(20.0)
    for gain in (0.2, 1.0, 3.0):
        assert np.all(noise_mv(gain * x, FS) < 0.05)
    for sigma in (0.1, 0.5, 1.0):
        noisy = x + np.random.default_rng(3).normal(0, sigma, len(x))
        assert np.median(noise_mv(noisy, FS)) == pytest.approx(sigma, rel=0.2)


def test_pacing_stimuli_and_a_lone_spike_do_not_make_a_lead_noisy():
    """A paced ECG recorded at 1 kHz keeps its stimuli (4 ms, 3 mV) before every QRS: a narrow edge, not noise
    that hides the QRS; so is one artefact spike. The same lead under broadband noise is still unreadable."""
    fs = 1000.0
    t = np.arange(int(20 * fs)) / fs
    x = np.zeros_like(t)
    for b in np.arange(0.5, 20.0, 0.857):  # 70 bpm, paced: stimulus 40 ms before a wide QRS
        x += -1.0 * np.exp(-0.5 * ((t - b) / 0.03) ** 2) + 0.4 * np.exp(-0.5 * ((t - b - 0.3) / 0.06) ** 2)
        x[int((b - 0.04) * fs):int((b - 0.036) * fs)] += 3.0
    x += 0.01 * np.random.default_rng(2).standard_normal(len(t))
    x[int(9.55 * fs):int(9.554 * fs)] -= 2.5  # a lone electrode spike between beats
    assert unreadable_spans(x, fs)[0].shape == (0, 2)
    assert unreadable_spans(x, fs, GateThresholds(spike_share=0.0))[0].shape[0] > 0  # the rule before: noisy
    noisy = x + np.random.default_rng(4).normal(0, 0.5, len(x))
    assert np.mean(unreadable_blocks(noisy, fs) == UNREADABLE_REASONS.index("noisy")) > 0.9
    with pytest.raises(ValueError):
        GateThresholds(spike_share=1.0)


@pytest.mark.parametrize("ecg_id, leads", [(385, ("I", "aVR", "V5", "V6")), (143, ("I", "V5", "V6"))])
def test_paced_ptbxl_leads_showing_their_stimuli_are_readable(shared_data, ecg_id, leads):
    """PTB-XL's paced ECGs show their pacing stimuli on I, aVR and V5-V6 (500 Hz): the gate called 1-7 s of
    those leads noisy; every second of them is readable."""
    from anyecg_model.io.registry import open_recording

    rec = open_recording(shared_data / "ptbxl500" / "records500" / "00000" / f"{ecg_id:05d}_hr.hea")
    for lead in leads:
        assert not (unreadable_blocks(rec.read(leads=[lead])[0], rec.fs) >= 0).any(), lead


def test_a_sinus_pause_at_another_recorders_amplitude_is_not_a_lead_off(shared_data):
    """MIT-BIH 232's pauses (sick sinus, up to 6 s) carry 0.065-0.155 mV of baseline noise; at half its gain, about
    PTB-XL's amplitude, 0.03-0.08 mV. The former 0.05-mV flat rule called 43 s of them unreadable, hiding the
    pauses; a lead off (0 mV, or a constant) is still flat."""
    wfdb = pytest.importorskip("wfdb")
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / "232"))
    half = 0.5 * sig[:, 0]
    assert np.sum(unreadable_blocks(half, FS) == 0) == 0
    assert np.sum(unreadable_blocks(half, FS, GateThresholds(flat_ptp_mv=0.05)) == 0) > 30
    off = half.copy()
    off[int(100 * FS):int(110 * FS)] = 0.0
    assert np.sum(unreadable_blocks(off, FS) == 0) >= 9


def test_baseline_moves_are_judged_against_the_qrs_size():
    """A 1.5-mV baseline jump hides beats of 1 mV but not of 4 mV (a hypertrophied or chest lead, a recorder's
    higher gain): the baseline rule scales with the lead's typical peak-to-peak, above its millivolt floor."""
    t = np.arange(int(60 * FS)) / FS
    wander = np.where((t >= 20) & (t < 30), 1.5, 0.0)  # an electrode pop: the baseline steps 1.5 mV for 10 s
    for qrs_mv, unreadable in ((1.0, True), (4.0, False)):
        x = synthetic() * qrs_mv / 1.2 + wander
        spans, codes = unreadable_spans(x, FS)
        assert bool(len(spans)) is unreadable, (qrs_mv, spans)
        if unreadable:
            assert UNREADABLE_REASONS[codes[0]] == "baseline"
    x = 4.0 * synthetic() / 1.2 + wander
    assert len(unreadable_spans(x, FS, GateThresholds(baseline_step_qrs=0.0))[0])  # the floor alone calls it
    twice = 2.0 * synthetic() + np.where(t >= 30, 4.0, 0.0)  # a 4-mV step on 2.4-mV complexes: still unreadable
    assert len(unreadable_spans(twice, FS)[0])


def test_a_clean_record_at_twice_its_gain_stays_readable(shared_data):
    """MIT-BIH 119's first 5 minutes (clean, with baseline wander) at twice and three times its gain, as a lead with
    larger complexes records them: the millivolt rule alone called 38 and 71 s of it unreadable."""
    wfdb = pytest.importorskip("wfdb")
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / "119"), sampto=int(300 * FS))
    for gain in (1.0, 2.0, 3.0):
        assert unreadable_spans(gain * sig[:, 0], FS)[0].shape == (0, 2), gain
    floor_only = GateThresholds(baseline_step_qrs=0.0, baseline_range_qrs=0.0)
    assert len(unreadable_spans(2.0 * sig[:, 0], FS, floor_only)[0])


def test_muscle_noise_as_large_as_the_qrs_is_unreadable(shared_data):
    """NSTDB's muscle artefact on MIT-BIH 100 at 0 dB: the noise-over-QRS rule calls a third of it unreadable,
    the two relative rules alone under a tenth; at 12 dB nothing."""
    wfdb = pytest.importorskip("wfdb")
    sig, _ = wfdb.rdsamp(str(shared_data / "mitdb" / "100"), sampto=int(300 * FS))
    noise, _ = wfdb.rdsamp(str(shared_data / "noise" / "ma"), sampto=int(300 * FS))
    x, n = sig[:, 0], noise[:, 0] - noise[:, 0].mean()
    gain = np.sqrt(np.ptp(x[: int(2 * FS)]) ** 2 / 8 / n.var())  # 0 dB

    def share(th: GateThresholds, g: float) -> float:
        return float(np.mean(unreadable_blocks(x + g * n, FS, th) >= 0))

    assert share(GateThresholds(), gain) > 0.25
    assert share(GateThresholds(noise_qrs=0.0), gain) < 0.15
    assert share(GateThresholds(), gain / 10 ** (12 / 20)) == 0.0


@pytest.mark.parametrize("record", ["138", "196"])
def test_hiss_above_the_qrs_band_around_small_complexes_is_readable(shared_data, record):
    """LUDB 138 and 196 (500 Hz): 0.6-mV complexes in visible high-frequency hiss, every beat plain to see; the
    broadband test alone calls the whole strip unreadable, the QRS-band test keeps it."""
    from anyecg_model.io import open_recording

    rec = open_recording(shared_data / "ludb" / "data" / f"{record}.hea")
    x = np.asarray(rec.read()[1], np.float64)
    assert unreadable_spans(x, rec.fs)[0].shape == (0, 2)
    assert len(unreadable_spans(x, rec.fs, GateThresholds(noise_band_qrs=0.0))[0])
