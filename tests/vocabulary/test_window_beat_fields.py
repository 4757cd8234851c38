"""The beat inputs of a whole chunk built at once (issue 19, throughput) equal, field by field and bit for bit,
those of the per-window code that training used before; that code is kept here only as the oracle."""
from __future__ import annotations

import numpy as np

from anyecg_model.vocabulary.beat_inputs import beat_fields, exact_median, window_beat_fields
from anyecg_model.vocabulary.model_input import MAX_BEATS, MORPH_AFTER, MORPH_BEFORE, N_TEMPLATE_FEATURES


def _loop_segments(signal, peaks):
    S, n = signal.shape
    T = MORPH_BEFORE + MORPH_AFTER
    padded = np.zeros((S, n + T), np.float32)
    padded[:, MORPH_BEFORE:MORPH_BEFORE + n] = signal
    starts = np.asarray(peaks, dtype=np.int64).clip(0, n - 1)
    seg = padded[:, starts[:, None] + np.arange(T)[None, :]].transpose(1, 0, 2)
    return seg - np.median(seg, axis=-1, keepdims=True)


def _loop_template(seg):
    K = seg.shape[0]
    out = np.zeros((K, N_TEMPLATE_FEATURES), np.float32)
    if K == 0:
        return out
    live = seg.reshape(K, seg.shape[1], -1).std(axis=(0, 2)) > 1e-6
    if not live.any():
        return out
    x = seg[:, live].astype(np.float64)
    tmpl = np.median(x, axis=0)
    xc = x - x.mean(-1, keepdims=True)
    tc = tmpl - tmpl.mean(-1, keepdims=True)
    corr = (xc * tc).sum(-1) / np.sqrt((xc ** 2).sum(-1) * (tc ** 2).sum(-1)).clip(min=1e-12)
    amp = np.log(np.ptp(x, -1).clip(min=1e-3) / np.ptp(tmpl, -1).clip(min=1e-3))
    resid = np.sqrt(((x - tmpl) ** 2).mean(-1)) / np.sqrt((tc ** 2).mean(-1)).clip(min=1e-3)
    out[:, 0], out[:, 1], out[:, 2] = corr.mean(1), amp.mean(1), np.minimum(resid, 10.0).mean(1)
    return out


def _loop_beat_fields(patches, local, rr, labels, patch_len):
    S, P, L = patches.shape
    seg = _loop_segments(patches.reshape(S, P * L), local)
    k = len(local)
    out = {"beat_patch": np.zeros(MAX_BEATS, np.int64), "beat_rr": np.zeros((MAX_BEATS, rr.shape[1]), np.float32),
           "beat_template": np.zeros((MAX_BEATS, N_TEMPLATE_FEATURES), np.float32),
           "beat_morph": np.zeros((MAX_BEATS, S, seg.shape[-1]), np.float32), "beat_mask": np.zeros(MAX_BEATS, bool),
           "beat_label": np.full(MAX_BEATS, -1, np.int64)}
    out["beat_patch"][:k] = np.minimum(local // patch_len, P - 1)
    out["beat_rr"][:k] = rr
    out["beat_template"][:k] = _loop_template(seg)
    out["beat_morph"][:k] = seg
    out["beat_mask"][:k] = True
    if labels is not None:
        out["beat_label"][:k] = labels
    return out


def _windows(seed: int, n_win: int = 12):
    """Windows of 12 slots × 40 patches × 75 samples: slots 0-1 carry a beat train with ectopic beats, slot 5
    noise, the others are flat in most windows; beat counts 0-MAX_BEATS, beats on both edges."""
    rng = np.random.default_rng(seed)
    S, P, L = 12, 40, 75
    n = P * L
    patches = np.zeros((n_win, S, P, L), np.float32)
    local, rr, labels = [], [], []
    t = np.arange(-60, 61)
    qrs = np.exp(-(t / 8.0) ** 2)
    for w in range(n_win):
        k = [0, 1, 2, 3, 7, 7, 12, MAX_BEATS, 12, 9, 1, 7][w % 12]
        peaks = np.sort(rng.choice(np.arange(0, n), size=k, replace=False))
        if k >= 3:
            peaks[0], peaks[-1] = 3, n - 2  # beats at the window's edges
        sig = np.zeros((S, n + 200))
        for p in peaks:
            amp = rng.choice([1.0, 1.0, 1.0, -2.5])  # some ectopic-looking beats
            sig[:2, p + 100 - 60:p + 100 + 61] += amp * qrs * np.array([[1.0], [0.4]])
        sig = sig[:, 100:100 + n]
        sig[5] = rng.normal(0, 0.1, n) if w % 3 else 0.0
        if w % 4 == 3:
            sig[7] = 1e-8  # a constant, not-quite-zero slot: below the liveness threshold
        patches[w] = sig.reshape(S, P, L).astype(np.float32)
        local.append(peaks.astype(np.int64))
        rr.append(rng.normal(0.8, 0.1, (k, 6)).astype(np.float32))
        labels.append(rng.integers(0, 5, k))
    return patches, local, rr, labels, L


def test_window_beat_fields_equal_the_per_window_loop_bit_for_bit():
    patches, local, rr, labels, L = _windows(0)
    got = window_beat_fields(patches, local, rr, labels, L)
    assert got["beat_mask"].sum() == sum(len(x) for x in local)
    for w in range(len(patches)):
        expected = _loop_beat_fields(patches[w], local[w], rr[w], labels[w], L)
        assert set(expected) == set(got)
        for name, v in expected.items():
            assert got[name][w].dtype == v.dtype, name
            np.testing.assert_array_equal(got[name][w], v, err_msg=f"window {w}, {name}")


def test_training_beat_fields_of_one_window_equal_the_loop():
    patches, local, rr, labels, L = _windows(1)
    for w in range(len(patches)):
        got = beat_fields(patches[w], local[w], rr[w], None, L)
        expected = _loop_beat_fields(patches[w], local[w], rr[w], None, L)
        for name, v in expected.items():
            np.testing.assert_array_equal(got[name], v, err_msg=f"window {w}, {name}")


def test_exact_median_is_np_median_to_the_bit():
    """The partition median equals ``np.median`` bit for bit (sign of zero included): odd and even counts, ties,
    zero padding and -0.0, float32 and float64, any axis; an array holding NaN gives np.median's NaN."""
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 8, 11, 210):
        for dtype in (np.float32, np.float64):
            a = rng.normal(size=(4, n, 3, 7)).astype(dtype)
            a[0] = 0.0  # padding: ties at zero
            a[1, :, :, ::2] = -0.0  # negative zeros: np.median's mean turns a -0.0 median into 0.0
            a[2] = np.round(a[2])  # many ties
            for axis in range(a.ndim):
                want, got = np.median(a, axis=axis), exact_median(a, axis)
                assert got.dtype == want.dtype and got.shape == want.shape
                assert want.tobytes() == got.tobytes(), (n, dtype, axis)
    a = rng.normal(size=(3, 9))
    a[1, 4] = np.nan
    want, got = np.median(a, axis=1), exact_median(a, 1)
    assert np.isnan(got[1]) and want.tobytes() == got.tobytes()


def test_window_beat_segments_equal_the_fancy_indexing_gather():
    """``np.take`` over the windows laid end to end gathers what the old fancy indexing by (window, sample) did
    (the oracle, kept here): the same float32 bytes, dead slots and edge beats included."""
    from anyecg_model.vocabulary.beat_inputs import exact_median, window_beat_segments
    from anyecg_model.vocabulary.model_input import MORPH_AFTER, MORPH_BEFORE
    rng = np.random.default_rng(17)
    W, S, n, T = 4, 3, 900, MORPH_BEFORE + MORPH_AFTER
    signals = rng.normal(0.0, 0.3, (W, S, n)).astype(np.float32)
    signals[:, 1] = 0.0  # a slot dead in every window
    window = rng.integers(0, W, 30)
    peaks = np.concatenate([[0, n - 1], rng.integers(0, n, 28)])
    rows = np.array([0, 2])
    padded = np.zeros((W, len(rows), n + T), np.float32)
    padded[:, :, MORPH_BEFORE:MORPH_BEFORE + n] = signals[:, rows]
    idx = peaks.clip(0, n - 1)[:, None] + np.arange(T)[None, :]
    seg = padded[window[:, None], :, idx].transpose(0, 2, 1)
    want = np.zeros((len(peaks), S, T), np.float32)
    want[:, rows] = seg - exact_median(seg, -1)[..., None]
    assert window_beat_segments(signals, window, peaks).tobytes() == want.tobytes()
