"""Min/max pyramid: exact column extrema, band order, relative x, on-disk cache, corruption, cancel."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.io.recording import Recording
from anyecg_model.signal.pyramid import (BuildCancelled, MinMaxPyramid, PyramidConfig, PyramidNeeded, envelope)

FS = 250.0


@pytest.fixture(scope="module")
def recording() -> Recording:
    rng = np.random.default_rng(7)
    n = int(FS * 3600)  # one hour, 3 leads
    data = np.cumsum(rng.standard_normal((3, n)), axis=1).astype(np.float32) * 0.01
    data[1, 1000:1010] = np.nan  # a gap the pyramid must survive
    return Recording.from_array(data, FS, ["I", "II", "V1"])


def column_extrema(x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.fmin.reduceat(x, edges), np.fmax.reduceat(x, edges)


def test_levels_hold_exact_bin_extrema(recording, tmp_path):
    pyr = MinMaxPyramid.open_or_build(recording, PyramidConfig(factor=8, chunk_s=100.0), root=tmp_path)
    raw = recording.read(0, recording.n_samples)
    for k, level in enumerate(pyr.levels, start=1):
        b = 8**k
        n_full = recording.n_samples // b
        lo = np.nanmin(raw[0, : n_full * b].reshape(n_full, b), axis=1)
        hi = np.nanmax(raw[0, : n_full * b].reshape(n_full, b), axis=1)
        np.testing.assert_array_equal(level[0, :n_full, 0], lo)
        np.testing.assert_array_equal(level[0, :n_full, 1], hi)
    assert np.isnan(pyr.levels[0][1, 125]).all(), "a bin with no valid sample stays a gap"
    assert np.isfinite(pyr.levels[1][1]).all(), "a short gap does not blank the coarser bin around it"


def test_envelope_is_a_band_of_true_extrema_with_relative_x(recording, tmp_path):
    pyr = MinMaxPyramid.open_or_build(recording, root=tmp_path)
    t0, t1, width = 600.0, 1200.0, 800
    env = pyr.envelope(t0, t1, width)
    assert env.decimated and env.level >= 1
    assert env.y.shape[1] == 2 * width == len(env.x)
    lo, hi = env.y[:, 0::2], env.y[:, 1::2]
    assert (lo <= hi).all(), "each column is drawn min then max (a band, not a sawtooth)"
    assert np.all(np.diff(env.x[0::2]) > 0) and np.array_equal(env.x[0::2], env.x[1::2])
    assert -1.0 < env.x[0] < 1.0 and (t1 - t0) - 2 < env.x[-1] <= (t1 - t0) + 1, "x is relative to t0"
    raw = recording.read(int(t0 * FS), int(t1 * FS))
    assert env.y[0].max() == pytest.approx(raw[0].max(), abs=1e-6)
    assert env.y[2].min() == pytest.approx(raw[2].min(), abs=1e-6)


def test_zoomed_in_returns_raw_samples(recording):
    env = envelope(recording, 100.0, 102.0, 1600)
    assert not env.decimated and env.level == 0
    np.testing.assert_array_equal(env.y, recording.read(int(100 * FS), int(102 * FS) + 1))
    np.testing.assert_allclose(env.x[:3], [0.0, 1 / FS, 2 / FS])


def test_wide_window_without_pyramid_asks_for_one(recording):
    with pytest.raises(PyramidNeeded):
        envelope(recording, 0.0, 3600.0, 800)


def test_cache_is_reused_and_corrupt_cache_rebuilt(recording, tmp_path):
    first = MinMaxPyramid.open_or_build(recording, root=tmp_path)
    expected = np.array(first.levels[1])
    folder = MinMaxPyramid.cache_dir_for(recording, root=tmp_path)
    assert (folder / "meta.json").exists() and isinstance(first.levels[0], np.memmap)
    reads = []
    original = recording.source.read
    recording.source.read = lambda *a: (reads.append(a), original(*a))[1]
    try:
        MinMaxPyramid.open_or_build(recording, root=tmp_path)
        assert reads == [], "a valid cache is loaded without reading the recording"
        (folder / "level2.npy").unlink()  # replace (not truncate) the mapped file
        (folder / "level2.npy").write_bytes(b"\x93NUMPY garbage")
        rebuilt = MinMaxPyramid.open_or_build(recording, root=tmp_path)
        assert reads, "a corrupt cache is discarded and rebuilt from the recording"
    finally:
        recording.source.read = original
    np.testing.assert_array_equal(np.asarray(rebuilt.levels[1]), expected)


def test_stale_cache_for_other_content_is_not_used(tmp_path):
    a = Recording.from_array(np.zeros((1, 50_000), np.float32), FS, ["II"])
    b = Recording.from_array(np.ones((1, 50_000), np.float32), FS, ["II"])
    MinMaxPyramid.open_or_build(a, root=tmp_path)
    pb = MinMaxPyramid.open_or_build(b, root=tmp_path)
    assert float(pb.levels[0][0, 0, 1]) == 1.0


def test_build_reports_progress_and_can_be_cancelled(recording, tmp_path):
    seen = []
    MinMaxPyramid.open_or_build(recording, PyramidConfig(chunk_s=300.0), root=tmp_path, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3
    calls = []
    with pytest.raises(BuildCancelled):
        MinMaxPyramid.build(recording, PyramidConfig(factor=4, chunk_s=60.0), folder=tmp_path / "x",
                            cancelled=lambda: (calls.append(1), len(calls) > 2)[1])
    assert not (tmp_path / "x").exists() and not list(tmp_path.glob(".x.*")), "a cancelled build leaves nothing"


def test_relative_x_keeps_precision_at_72_hours():
    fs = 500.0
    n = int(72 * 3600 * fs) + 1000

    class Ramp:
        def read(self, start, stop, idx):
            return np.tile(np.arange(start, stop, dtype=np.float64) % 1000, (len(idx), 1)).astype(np.float32)

    from anyecg_model.io.recording import Lead, Provenance

    rec = Recording([Lead("II", "II", fs)], fs, n, Ramp(), Provenance("<ramp>", "test", "ramp"))
    t0 = 72 * 3600.0 - 1.0
    env = envelope(rec, t0, t0 + 1.0, 2000)
    assert not env.decimated
    np.testing.assert_allclose(np.diff(env.x), 1 / fs, rtol=0, atol=1e-9)
    assert env.x.dtype == np.float64 and abs(env.x[0]) < 1e-9


def test_file_edited_in_place_makes_the_cache_stale(tmp_path):
    import os

    from anyecg_model.io.recording import Provenance

    sig = tmp_path / "sig.bin"
    sig.write_bytes(b"x" * 100)
    rec = Recording.from_array(np.zeros((1, 50_000), np.float32), FS, ["II"])
    rec.provenance = Provenance(str(sig), "test", "same-sampled-hash")
    MinMaxPyramid.open_or_build(rec, root=tmp_path / "c")
    folder = MinMaxPyramid.cache_dir_for(rec, root=tmp_path / "c")
    assert MinMaxPyramid._load(rec, PyramidConfig(), folder) is not None
    os.utime(sig, ns=(0, 10**9))  # same size and hash, new modification time
    assert MinMaxPyramid._load(rec, PyramidConfig(), folder) is None, "stale cache discarded"
