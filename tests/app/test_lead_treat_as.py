"""The leads panel's "Treat as…" choice: it sets which model lead the next analysis takes a file lead for, and
the findings say so (tiny random-weight model in the shared analysis process)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint

FS = 250.0


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads={name: {"type": name} for name in ("anomaly", "rhythm", "beats", "ultralong")})
    d = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "t1"})
    return d


def _single_lead(path: str) -> Recording:
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=30, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=2)
    return Recording.from_array(x[None].astype(np.float32), FS, ["ECG"], path=path)


def _analysed(qtbot, win, rec: Recording, model_dir, process):
    """Open ``rec`` in the window and analyse it with the tiny model in the shared analysis process; its findings."""
    win.model.use_process(process)
    win.model.set_model_dir(model_dir, remember=False)
    win.set_recording(rec)
    with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000) as blocker:
        win.model.analyze()
    return blocker.args[0]


def _menu_action(panel, lead: int, label: str):
    menu = panel.treat_as_menu(lead)
    sub = menu.actions()[0].menu()
    return next(a for a in sub.actions() if a.text() == label), sub


def test_treat_as_sets_the_lead_map_of_the_next_analysis(qtbot, window, tiny_dir, analysis_process):
    win = window
    win.model.use_process(analysis_process)
    win.model.set_model_dir(tiny_dir, remember=False)
    try:
        win.set_recording(_single_lead("alive.hea"))
        panel = win.leads_panel
        with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000) as blocker:
            win.model.analyze()
        f = blocker.args[0]
        assert f.lead_mapping == {"ECG": "I"} and f.lead_assumed == ["ECG"]
        assert "ECG → I (assumed)" in win.model.panel.notice_label.text()

        action, sub = _menu_action(panel, 0, "II")
        assert [a.text() for a in sub.actions() if a.isChecked()] == ["As named (automatic)"]
        with qtbot.waitSignal(panel.leadMapChanged):
            action.trigger()
        assert panel.lead_map == {"ECG": "II"} == win.model.lead_map
        assert panel.list.item(0).text().endswith("→ II")
        assert [a.text() for a in _menu_action(panel, 0, "II")[1].actions() if a.isChecked()] == ["II"]
        with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000) as blocker:
            win.model.analyze()
        f = blocker.args[0]
        assert f.lead_mapping == {"ECG": "II"} and f.lead_assumed == []
        assert "ECG → II." in win.model.panel.notice_label.text()

        _menu_action(panel, 0, "As named (automatic)")[0].trigger()
        assert panel.lead_map == {} == win.model.lead_map
        _menu_action(panel, 0, "V5")[0].trigger()
        win.set_recording(_single_lead("other.hea"))  # a new file starts with the file's own names
        assert panel.lead_map == {} == win.model.lead_map and "→" not in panel.list.item(0).text()
    finally:
        win.model.shutdown()


def test_a_lead_recorded_upside_down_is_turned_over_by_the_next_analysis(qtbot, window, tiny_dir, analysis_process):
    """A Holter whose MLII was wired the other way round: *Treat as ▸ Recorded upside down* (a real click on the
    menu's action) puts ``-II`` in the lead map, shows the trace turned, and the next analysis reads it so and
    says so; unticking it gives the lead back as recorded."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=30, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=2)
    rec = Recording.from_array(np.stack([-x, 0.5 * x]).astype(np.float32), FS, ["MLII", "V1"], path="reversed.hea")
    win = window
    try:
        f = _analysed(qtbot, win, rec, tiny_dir, analysis_process)
        assert f.lead_inverted == []  # a named lead is read as recorded
        panel = win.leads_panel
        flip, sub = _menu_action(panel, 0, "Recorded upside down")
        assert flip.isEnabled() and not flip.isChecked()
        assert [a.text() for a in sub.actions() if a.isChecked()] == ["As named (automatic)"]
        with qtbot.waitSignal(panel.leadMapChanged):
            flip.trigger()
        assert panel.lead_map == {"MLII": "-II"} == win.model.lead_map
        assert win.trace.is_inverted(0) and panel.list.item(0).text().endswith("→ II, upside down")
        assert win.statusBar().currentMessage().startswith("Next analysis: MLII as II, upside down")
        flip, sub = _menu_action(panel, 0, "Recorded upside down")
        assert flip.isChecked() and [a.text() for a in sub.actions() if a.isChecked()] == ["II", flip.text()]
        with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000) as blocker:
            win.model.analyze()
        f = blocker.args[0]
        assert f.lead_mapping["MLII"] == "II" and f.lead_inverted == ["MLII"]
        assert "MLII → II (upside down)" in win.model.panel.notice_label.text()
        flip.trigger()  # unticked: as recorded again
        assert panel.lead_map == {"MLII": "II"} and not win.trace.is_inverted(0)
    finally:
        win.model.shutdown()


def test_the_panel_says_when_another_lead_carried_the_r_peaks(qtbot, window, tiny_dir, analysis_process):
    """A three-lead recording with lead II buried in noise for the whole 30 s: V1, the cleanest, carries the R
    peaks, and the model panel says so; the next file's notice starts empty."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=30, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=2)
    noisy = x + np.random.default_rng(0).normal(0, 2.0, len(x))
    rec = Recording.from_array(np.stack([noisy, 0.8 * x, 0.5 * x]).astype(np.float32), FS, ["II", "V1", "V5"],
                               path="ii-noise.hea")
    win = window
    try:
        f = _analysed(qtbot, win, rec, tiny_dir, analysis_process)
        assert f.rhythm_lead == "II" and f.rhythm_lead_replaced == [(0.0, 30.0, "V1")]
        assert f.unreadable == [] and len(f.beats.time_s) >= 30
        assert "R peaks read on V1 over 30 s where II was unreadable" in win.model.panel.notice_label.text()
        win.set_recording(_single_lead("next.hea"))
        assert "R peaks read on" not in win.model.panel.notice_label.text()
    finally:
        win.model.shutdown()


def test_the_panel_says_when_mains_hum_was_notched_out(qtbot, window, tiny_dir, analysis_process):
    """A Holter strip with 0.1 mV of 60-Hz hum (an American grid): the analysis notches it and the panel says so
    (the trace still shows it as recorded); the next file's notice starts empty."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=30, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=2)
    hum = 0.1 * np.sin(2 * np.pi * 60.0 * np.arange(len(x)) / FS)
    rec = Recording.from_array(np.stack([x + hum, 0.5 * x + hum]).astype(np.float32), FS, ["MLII", "V1"],
                               path="hum.hea")
    win = window
    try:
        assert _analysed(qtbot, win, rec, tiny_dir, analysis_process).mains_hz == [60.0]
        assert "Mains hum (60 Hz) notched out" in win.model.panel.notice_label.text()
        win.set_recording(_single_lead("clean.hea"))
        assert "Mains hum" not in win.model.panel.notice_label.text()
    finally:
        win.model.shutdown()
