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


def _checkpoint_dir(folder, info: ModelInfo):
    """A checkpoint folder with only its config.json: enough to name the model and find its cached findings."""
    import json

    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"format": "anyecg-checkpoint", "version": 1, "name": info.name,
                                                    "model_version": info.version, "weights_sha256": info.sha256}))
    return folder


def test_reopened_file_shows_its_cached_findings_without_analyze(qtbot, window, sinus, tmp_path):
    """A file analysed before shows its findings (lanes, panel, suggestions) when opened, without the model."""
    from anyecg_model.analysis.chunks import TASKS
    from app.editing import install_editing

    ui = install_editing(window)
    window.model.set_model_dir(_checkpoint_dir(tmp_path / "model", MODEL), remember=False)
    cached = findings()
    window.model.cache.store(sinus.provenance.content_hash, TASKS, cached)
    with qtbot.waitSignal(ui.suggestionsShown, timeout=20_000):
        window.set_recording(sinus)
    assert window.model.findings is not None and "cache" in window.model.panel.notice_label.text()
    assert "model beats" in window.trace.lanes()
    assert int((ui.controller.store.beats["source"] == "model").sum()) == len(cached.beats.time_s)
    assert not window.model.process.alive()  # no analysis ran


def test_a_file_never_analysed_opens_without_findings_or_messages(qtbot, window, make_sinus, tmp_path):
    sinus = make_sinus(minutes=3.0, bpm=61.0)  # not in the findings cache (shared by the session's tests)
    window.model.set_model_dir(_checkpoint_dir(tmp_path / "model", MODEL), remember=False)
    window.set_recording(sinus)
    qtbot.waitUntil(lambda: window.model.worker is None, timeout=20_000)
    assert window.model.findings is None and window.model.panel.notice_label.text() == ""
    assert not {"model beats", "model rhythm", "model anomaly"} & set(window.trace.lanes())
    window.model.set_model_dir(tmp_path / "nowhere", remember=False)  # no checkpoint at all: silent too
    window.set_recording(sinus)
    qtbot.waitUntil(lambda: window.model.worker is None, timeout=20_000)
    assert window.model.failed_message == ""
