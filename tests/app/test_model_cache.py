"""Findings cache: round trip, keys by recording and model, corrupt files discarded, no pickle."""
from __future__ import annotations

import numpy as np

from anyecg_model.analysis.cache import FindingsCache
from anyecg_model.analysis.findings import AnomalyWindow, Beats, Findings, ModelInfo, RhythmEpisode

MODEL = ModelInfo("anyecg-test", "3", "ab" * 32)


def findings() -> Findings:
    beats = Beats(np.array([0.8, 1.6, 2.4]), np.array([0, 2, 0], np.int8), np.array([0.9, 0.7, 0.95], np.float32))
    return Findings("r.hea", 30.0, 360.0, ["MLII", "V1"], MODEL, anomaly_score=0.7,
                    anomaly_windows=[AnomalyWindow(0.0, 10.0, 0.2), AnomalyWindow(10.0, 20.0, 0.9)], beats=beats,
                    record_class_probabilities={"N": 0.1, "A": 0.8, "O": 0.05, "~": 0.05},
                    episodes=[RhythmEpisode(0.0, 20.0, "AF", 0.8), RhythmEpisode(20.0, 30.0, "NSR", 0.6)],
                    heart_rate_bpm={"mean": 75.0, "min": 70.0, "max": 80.0}, af_burden=2 / 3, n_beats=3)


def test_round_trip_keeps_every_section(tmp_path):
    cache = FindingsCache(tmp_path)
    cache.store("c0ffee" * 10, ("anomaly", "arrhythmia", "events"), findings())
    back = cache.load("c0ffee" * 10, MODEL, ("events", "anomaly", "arrhythmia"))  # task order does not matter
    assert back is not None and back.to_dict() == findings().to_dict()


def test_other_recording_or_model_version_misses(tmp_path):
    cache = FindingsCache(tmp_path)
    cache.store("aa" * 32, ("anomaly",), findings())
    assert cache.load("bb" * 32, MODEL, ("anomaly",)) is None
    assert cache.load("aa" * 32, ModelInfo("anyecg-test", "4", MODEL.sha256), ("anomaly",)) is None
    assert cache.load("aa" * 32, ModelInfo("anyecg-test", "3", "cd" * 32), ("anomaly",)) is None
    assert cache.load("aa" * 32, MODEL, ("anomaly", "events")) is None


def test_corrupt_file_is_discarded(tmp_path):
    cache = FindingsCache(tmp_path)
    path = cache.store("aa" * 32, ("anomaly",), findings())
    path.write_bytes(path.read_bytes()[:200])
    assert cache.load("aa" * 32, MODEL, ("anomaly",)) is None
    assert not path.exists()
    path.write_bytes(b"not a zip at all")
    assert cache.load("aa" * 32, MODEL, ("anomaly",)) is None and not path.exists()


def test_pickled_arrays_are_refused(tmp_path):
    cache = FindingsCache(tmp_path)
    path = cache.store("aa" * 32, ("anomaly",), findings())
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["anomaly"] = np.array([object()], dtype=object)  # would need pickle to read
    np.savez(path, **arrays)
    assert cache.load("aa" * 32, MODEL, ("anomaly",)) is None and not path.exists()
