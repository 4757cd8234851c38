"""Preprocessing: leads by name in any order, any rate ≥ 100 Hz, bad input handled, physiology preserved."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from scipy.signal import find_peaks

from anyecg_model.vocabulary.leads import STANDARD_LEADS
from anyecg_model.vocabulary.model_input import PreprocessConfig
from anyecg_model.signal.preprocess import PreprocessError, place_leads, preprocess
from anyecg_model.train.data.synthetic import simulate_ecg


def _strip(fs=500.0, seconds=10.0, hr=72.0, leads=STANDARD_LEADS, seed=1, noise_mv=0.01):
    return simulate_ecg(seconds, fs, hr, leads, noise_mv=noise_mv, rng=np.random.default_rng(seed))


def test_shapes_masks_and_units():
    data, _ = _strip(seconds=10.5)
    out = preprocess(data, 500.0, STANDARD_LEADS)
    assert out.patches.shape == (12, 11, 300) and out.patches.dtype == np.float32  # 10.5 s: tail kept, padded
    assert out.lead_mask.all() and out.patch_mask.all()
    assert np.all(out.patches[:, -1, 150:] == 0)
    lead_ii = out.patches[1].ravel()
    assert 0.8 < lead_ii.max() < 2.0  # R waves stay in mV (about 1.3 mV on lead II)


def test_reordering_leads_gives_identical_output(tiny_model):
    data, _ = _strip()
    order = np.random.default_rng(0).permutation(12)
    a = preprocess(data, 500.0, STANDARD_LEADS)
    b = preprocess(data[order], 500.0, [STANDARD_LEADS[i] for i in order])
    assert np.array_equal(a.patches, b.patches) and np.array_equal(a.lead_mask, b.lead_mask)
    tiny_model.eval()
    ha = tiny_model.embed(*(torch.from_numpy(x)[None] for x in (a.patches, a.lead_mask, a.patch_mask)))
    hb = tiny_model.embed(*(torch.from_numpy(x)[None] for x in (b.patches, b.lead_mask, b.patch_mask)))
    assert torch.equal(ha, hb)


def test_360_and_500_hz_versions_give_near_identical_tokens(tiny_model):
    """The same simulated heart sampled at 360 and 500 Hz → near-identical patches, embeddings and codes."""
    a = preprocess(_strip(fs=360.0, noise_mv=0.0)[0], 360.0, STANDARD_LEADS)
    b = preprocess(_strip(fs=500.0, noise_mv=0.0)[0], 500.0, STANDARD_LEADS)
    assert a.patches.shape == b.patches.shape
    core = (slice(None), slice(1, -1))  # edges carry filter transients
    assert np.abs(a.patches[core] - b.patches[core]).max() < 0.05  # mV, against ~1.3 mV R waves
    tiny_model.eval()
    ta = [torch.from_numpy(x)[None] for x in (a.patches, a.lead_mask, a.patch_mask)]
    tb = [torch.from_numpy(x)[None] for x in (b.patches, b.lead_mask, b.patch_mask)]
    cos = torch.nn.functional.cosine_similarity(tiny_model.embed(*ta), tiny_model.embed(*tb), dim=-1)
    assert cos[:, :, 1:-1].min() > 0.99
    codes_a, codes_b = tiny_model.tokenizer.encode(*ta), tiny_model.tokenizer.encode(*tb)
    assert (codes_a == codes_b)[:, :, 1:-1].float().mean() > 0.9


def test_heart_rate_survives_preprocessing():
    """A 72-bpm strip at 257 Hz (INCART's rate) still shows 12 R peaks in 10 s of lead II at 300 Hz."""
    data, peaks = _strip(fs=257.0, hr=72.0)
    out = preprocess(data, 257.0, STANDARD_LEADS)
    ii = out.patches[1].ravel()[: out.n_samples]
    found, _ = find_peaks(ii, height=0.6, distance=int(0.3 * 300))
    assert len(found) == len(peaks) == 12
    assert np.abs(found / 300.0 - peaks / 257.0).max() < 0.01  # seconds


def test_holter_leads_go_to_their_standard_slot(caplog):
    data, _ = _strip(fs=360.0, leads=("MLII", "V1"))
    data = np.vstack([data, np.sin(np.linspace(0, 20, data.shape[1]))])  # a respiration channel
    with caplog.at_level(logging.WARNING):
        out = preprocess(data, 360.0, ["MLII", "V1", "Resp"])
    slots = [STANDARD_LEADS[i] for i in np.flatnonzero(out.lead_mask)]
    assert slots == ["II", "V1"]
    assert out.sources == {"II": "MLII", "V1": "V1"}
    assert "Resp" in caplog.text and "no model slot" in caplog.text
    assert place_leads(["CM5", "II", "MLII"]) == {0: STANDARD_LEADS.index("V5"), 1: 1}  # exact II beats MLII


def test_absent_leads_are_masked_not_zero_tokens():
    data, _ = _strip(leads=("I", "V2"))
    out = preprocess(data, 500.0, ["I", "V2"])
    assert out.lead_mask.sum() == 2 and out.lead_mask[0] and out.lead_mask[7]


def test_nan_run_is_interpolated_and_mostly_nan_lead_masked(caplog):
    data, _ = _strip(leads=("I", "II", "III"))
    data[0, 1000:1100] = np.nan  # 0.2 s dropout
    data[1, :4000] = np.nan  # 80 % missing
    with caplog.at_level(logging.WARNING):
        out = preprocess(data, 500.0, ["I", "II", "III"])
    assert np.isfinite(out.patches).all()
    assert out.lead_mask[0] and not out.lead_mask[1] and out.lead_mask[2]
    assert "missing" in caplog.text


def test_flat_lead_is_masked():
    data, _ = _strip(leads=("I", "II"))
    data[1] = 0.3
    out = preprocess(data, 500.0, ["I", "II"])
    assert out.lead_mask[0] and not out.lead_mask[1]
    assert any("flat" in w for w in out.warnings)


def test_two_second_strip_gives_two_patches():
    data, _ = _strip(seconds=2.0)
    out = preprocess(data, 500.0, STANDARD_LEADS)
    assert out.patches.shape[1] == 2 and np.isfinite(out.patches).all()


@pytest.mark.parametrize("case, match", [
    ("slow", "below the minimum"),
    ("short", "shorter than half"),
    ("unknown", "no usable lead"),
    ("all_flat", "no usable lead"),
    ("all_nan", "no usable lead"),
])
def test_bad_input_raises_clear_error(case, match):
    data, _ = _strip(fs=500.0, leads=("I", "II"))
    fs, names = 500.0, ["I", "II"]
    if case == "slow":
        fs = 90.0
    elif case == "short":
        data = data[:, :100]
    elif case == "unknown":
        names = ["Pleth", "Resp"]
    elif case == "all_flat":
        data[:] = 0.0
    elif case == "all_nan":
        data[:] = np.nan
    with pytest.raises(PreprocessError, match=match):
        preprocess(data, fs, names)


def test_100_hz_input_is_accepted():
    data, _ = _strip(fs=100.0, seconds=5.0)
    out = preprocess(data, 100.0, STANDARD_LEADS, PreprocessConfig(mains_hz=60.0))
    assert out.patches.shape == (12, 5, 300) and np.isfinite(out.patches).all()


def test_window_pads_and_masks():
    out = preprocess(_strip(seconds=3.0)[0], 500.0, STANDARD_LEADS)
    w = out.window(1, 4)
    assert w.patch_mask.tolist() == [True, True, False, False]
    assert np.array_equal(w.patches[:, :2], out.patches[:, 1:3]) and not w.patches[:, 2:].any()


def test_windows_stack_what_window_gives_one_by_one():
    """An analysis chunk's windows in one call: the same patches and masks as :meth:`window` per start, past the
    end included (start beyond the last patch: all zero and masked)."""
    out = preprocess(_strip(seconds=3.0)[0], 500.0, STANDARD_LEADS)
    starts = [0, 1, 2, 3, 5]
    patches, pmask = out.windows(starts, 2)
    assert patches.dtype == np.float32 and patches.shape == (5, len(STANDARD_LEADS), 2, out.patches.shape[-1])
    for k, s in enumerate(starts):
        w = out.window(s, 2)
        assert patches[k].tobytes() == w.patches.tobytes() and pmask[k].tolist() == w.patch_mask.tolist()
    with pytest.raises(ValueError):
        out.windows([-1], 2)


def test_db6_denoising_brings_a_noisy_strip_closer_to_the_clean_one():
    clean, _ = _strip(noise_mv=0.0)
    noisy = clean + np.random.default_rng(5).normal(0, 0.08, clean.shape).astype(np.float32)
    ref = preprocess(clean, 500.0, STANDARD_LEADS).patches
    plain = preprocess(noisy, 500.0, STANDARD_LEADS).patches
    denoised = preprocess(noisy, 500.0, STANDARD_LEADS, PreprocessConfig(denoise_wavelet="db6")).patches
    rms = lambda x: float(np.sqrt(np.mean((x - ref) ** 2)))  # noqa: E731
    assert rms(denoised) < 0.9 * rms(plain)  # measured 0.84: in-band noise is only partly separable


def test_robust_scaling_removes_the_amplitude_unit():
    data, _ = _strip()
    cfg = PreprocessConfig(amplitude_scaling="robust")
    a = preprocess(data, 500.0, STANDARD_LEADS, cfg).patches
    b = preprocess(data * 3.0, 500.0, STANDARD_LEADS, cfg).patches
    assert np.allclose(a, b, atol=1e-4)
    assert not np.allclose(preprocess(data, 500.0, STANDARD_LEADS).patches,
                           preprocess(data * 3.0, 500.0, STANDARD_LEADS).patches, atol=1e-2)  # mV keeps amplitude


@pytest.mark.realdata
def test_mitdb_at_360_and_500_hz_gives_near_identical_tokens(shared_data, tiny_model):
    """MIT-BIH record 100 (360 Hz) against its own 500-Hz resampling: same codes, same embeddings."""
    wfdb = pytest.importorskip("wfdb")
    from scipy.signal import resample_poly

    rec = wfdb.rdrecord(str(shared_data / "mitdb" / "100"), sampto=360 * 30)
    x360 = rec.p_signal.T.astype(np.float32)
    x500 = resample_poly(x360, 25, 18, axis=-1).astype(np.float32)
    a = tiny_model.prepare(x360, 360.0, rec.sig_name).window(0, 30)
    b = tiny_model.prepare(x500, 500.0, rec.sig_name).window(0, 30)
    assert [STANDARD_LEADS[i] for i in np.flatnonzero(a.lead_mask)] == ["II", "V5"]  # MLII → II, V5 → V5
    tiny_model.eval()
    ta = [torch.from_numpy(x)[None] for x in (a.patches, a.lead_mask, a.patch_mask)]
    tb = [torch.from_numpy(x)[None] for x in (b.patches, b.lead_mask, b.patch_mask)]
    ca, cb = tiny_model.tokenizer.encode(*ta), tiny_model.tokenizer.encode(*tb)
    valid = ca >= 0
    assert (ca[valid] == cb[valid]).float().mean() > 0.9
    cos = torch.nn.functional.cosine_similarity(tiny_model.embed(*ta), tiny_model.embed(*tb), dim=-1)
    assert cos[valid].mean() > 0.99


def test_minus_avr_is_turned_back_into_avr():
    data, _ = _strip(leads=("aVR",))
    upright = preprocess(data, 500.0, ["aVR"])
    cabrera = preprocess(-data, 500.0, ["-aVR"])
    np.testing.assert_allclose(cabrera.patches, upright.patches, atol=1e-5)
    assert cabrera.sources == {"aVR": "-aVR"}
