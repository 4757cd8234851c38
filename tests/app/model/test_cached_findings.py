"""The viewer and the findings cache: a file analysed before shows its findings when opened, without the model;
a file never analysed opens without findings or messages."""
from __future__ import annotations

from anyecg_model.analysis.findings import ModelInfo


def _checkpoint_dir(folder, info: ModelInfo):
    """A checkpoint folder with only its config.json: enough to name the model and find its cached findings."""
    import json

    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"format": "anyecg-checkpoint", "version": 1, "name": info.name,
                                                    "model_version": info.version, "weights_sha256": info.sha256}))
    return folder


def test_reopened_file_shows_its_cached_findings_without_analyze(qtbot, window, sinus, tmp_path,
                                                                 small_findings):
    """A file analysed before shows its findings (lanes, panel, suggestions) when opened, without the model."""
    from anyecg_model.analysis.chunks import TASKS
    from app.editing import install_editing

    ui = install_editing(window)
    window.model.set_model_dir(_checkpoint_dir(tmp_path / "model", small_findings.model), remember=False)
    cached = small_findings
    window.model.cache.store(sinus.provenance.content_hash, TASKS, cached)
    with qtbot.waitSignal(ui.suggestionsShown, timeout=20_000):
        window.set_recording(sinus)
    assert window.model.findings is not None and "cache" in window.model.panel.notice_label.text()
    assert "model beats" in window.trace.lanes()
    assert int((ui.controller.store.beats["source"] == "model").sum()) == len(cached.beats.time_s)
    assert not window.model.process.alive()  # no analysis ran


def test_a_file_never_analysed_opens_without_findings_or_messages(qtbot, window, make_sinus, tmp_path,
                                                                   small_findings):
    sinus = make_sinus(minutes=3.0, bpm=61.0)  # not in the findings cache (shared by the session's tests)
    window.model.set_model_dir(_checkpoint_dir(tmp_path / "model", small_findings.model), remember=False)
    window.set_recording(sinus)
    qtbot.waitUntil(lambda: window.model.worker is None, timeout=20_000)
    assert window.model.findings is None and window.model.panel.notice_label.text() == ""
    assert not {"model beats", "model rhythm", "model anomaly"} & set(window.trace.lanes())
    window.model.set_model_dir(tmp_path / "nowhere", remember=False)  # no checkpoint at all: silent too
    window.set_recording(sinus)
    qtbot.waitUntil(lambda: window.model.worker is None, timeout=20_000)
    assert window.model.failed_message == ""
