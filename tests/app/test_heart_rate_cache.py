"""The overview's heart-rate lane is computed once per recording (issue 19): a reopen reads the cached R peaks,
or the beats of a cached analysis, and never runs the R-peak detector again."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.cache import FindingsCache, cached_beat_times
from anyecg_model.analysis.findings import Beats, Findings, ModelInfo
from anyecg_model.io.recording import Recording
from anyecg_model.signal import rpeaks
from anyecg_model.signal.rpeak_cache import RPeakCache


@pytest.fixture
def unannotated(make_sinus):
    """Factory: a sinus recording without beat annotations (so the viewer must find the beats itself)."""
    def make(minutes: float = 3.0, bpm: float = 72.0) -> Recording:
        rec = make_sinus(minutes=minutes, bpm=bpm, n_leads=2)
        return Recording.from_array(rec.read(0, rec.n_samples, [0, 1]), rec.fs, ["MLII", "V1"], path="<unannotated>")
    return make


def open_and_wait(qtbot, window, rec):
    got = []
    original = type(window)._on_heart_rate.__get__(window)

    def spy(times, bpm, source):
        got.append((np.array(times), np.array(bpm), source))
        original(times, bpm, source)

    window._on_heart_rate = spy
    window.set_recording(rec)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=60_000)
    assert "HR bpm" in window.overview.lane_names()
    return got[0]


def refuse(*args, **kwargs):
    raise AssertionError("the R-peak detector ran again on a recording whose R peaks are cached")


def test_reopen_reads_cached_r_peaks_and_draws_the_same_lane(qtbot, window, monkeypatch, unannotated):
    times1, bpm1, source1 = open_and_wait(qtbot, window, unannotated())
    assert source1 == "R-peak detector"
    assert len(bpm1) > 100 and np.median(bpm1) == pytest.approx(72.0, abs=1.0)
    window.close_recording()

    monkeypatch.setattr(rpeaks, "detect_r_peaks", refuse)
    times2, bpm2, source2 = open_and_wait(qtbot, window, unannotated())  # a new Recording, same content
    assert source2 == "R-peak detector (cached)"
    np.testing.assert_array_equal(times2, times1)
    np.testing.assert_array_equal(bpm2, bpm1)


def test_beats_of_a_cached_analysis_feed_the_lane(qtbot, window, monkeypatch, unannotated):
    rec = unannotated(bpm=60.0)
    beats = np.arange(0.5, rec.duration_s - 0.5, 0.75)  # the model's beats: 80 bpm
    findings = Findings(record="x", duration_s=rec.duration_s, fs=rec.fs, leads=["MLII", "V1"],
                        model=ModelInfo("m", "1", "ab" * 32),
                        beats=Beats(beats, np.zeros(len(beats), np.int8), np.ones(len(beats), np.float32)))
    FindingsCache().store(rec.provenance.content_hash, ["beats"], findings)
    monkeypatch.setattr(rpeaks, "detect_r_peaks", refuse)
    times, bpm, source = open_and_wait(qtbot, window, rec)
    assert source == "the model's beats (cached analysis)"
    np.testing.assert_allclose(bpm, 80.0, rtol=1e-3)
    assert len(times) == len(beats) - 1


def test_corrupt_or_foreign_cache_files_are_misses(tmp_path, unannotated):
    rec, other = unannotated(minutes=1.0), unannotated(minutes=1.0, bpm=90.0)
    cache = RPeakCache(tmp_path)
    peaks = np.array([10, 200, 400], np.int64)
    path = cache.store(rec, 0, "m", peaks)
    np.testing.assert_array_equal(cache.load(rec, 0, "m"), peaks)
    assert cache.load(rec, 1, "m") is None, "another lead"
    assert cache.load(other, 0, "m") is None, "another recording"
    path.write_bytes(b"not a zip file")
    assert cache.load(rec, 0, "m") is None
    assert not path.exists(), "a corrupt file is discarded"
    assert cached_beat_times(rec.provenance.content_hash, tmp_path / "nothing") is None
