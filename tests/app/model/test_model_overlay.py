"""The model in the viewer (pytest-qt, offscreen, tiny random-weight model saved to tmp), analysed in a real
analysis process (one shared by these tests; test_model_process.py starts its own): the worker's results
are exactly what the overlays draw; a moved view is analysed next; cancel stops the job in the process and
frees the thread; switching files never shows old findings; broken checkpoints, unusable recordings and a
GPU out of memory give a message and no exception."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint

torch.set_num_threads(1)
HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}
FS = 250.0


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads=dict(HEADS))
    d = tmp_path_factory.mktemp("tiny-model")
    # its anomaly head judges MLII + V1 recordings
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "t1", "anomaly_leads": ["II", "V1"]})
    return d


def ecg(duration_s: float, bpm: float, path: str, seed: int = 1, strip_s: float = 90.0) -> Recording:
    """A simulated two-lead ECG (NeuroKit2) at ``bpm`` beats per minute; recordings longer than ``strip_s``
    repeat a ``strip_s`` strip (cheap long recordings)."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=min(duration_s, strip_s), sampling_rate=int(FS), heart_rate=bpm, noise=0.01,
                        random_state=seed)
    x = np.tile(x, int(np.ceil(duration_s / strip_s)))[: int(duration_s * FS)]
    return Recording.from_array(np.stack([x, -0.5 * x]).astype(np.float32), FS, ["MLII", "V1"], path=path)


@pytest.fixture(scope="module")
def strip_70():
    return ecg(90.0, 70.0, "sim70.hea")


HOOKS = Path(__file__).with_name("analysis_child_hooks.py")


@pytest.fixture(scope="module")
def hooks_process():
    """An analysis process with test hooks (analysis_child_hooks.py): a gate for ``moving.hea``, and a GPU
    that runs out of memory."""
    from anyecg_model.analysis.client import AnalysisProcess

    proc = AnalysisProcess(torch_threads=1, command=[sys.executable, str(HOOKS)])
    yield proc
    proc.stop()


def run_to_end(qtbot, win, timeout=60_000):
    with qtbot.waitSignal(win.model.analysisFinished, timeout=timeout) as blocker:
        win.model.analyze()
    return blocker.args[0]


def test_worker_streams_the_visible_window_first_and_matches_the_core(qtbot, tiny_dir, tmp_path,
                                                                     analysis_process):
    from app.model.worker import AnalysisJob, AnalysisWorker
    from anyecg_model.analysis.cache import FindingsCache

    rec = ecg(660.0, 70.0, "worker.hea", seed=5)  # three chunks on the CLI's 300-s grid
    job = AnalysisJob(7, rec, tiny_dir, "cpu", visible=(365.0, 375.0), use_cache=False)
    worker = AnalysisWorker(job, analysis_process, FindingsCache(tmp_path))
    parts = []
    worker.partial.connect(lambda jid, p: parts.append((jid, p.start_s)))
    with qtbot.waitSignal(worker.done, timeout=60_000) as blocker:
        worker.start()
    worker.wait()
    job_id, findings, from_cache = blocker.args
    assert job_id == 7 and not from_cache and all(j == 7 for j, _ in parts)
    assert parts[0][1] == 300.0  # the chunk holding the visible window comes first
    direct = Analyzer(tiny_dir, device="cpu").analyze(rec)  # what `anyecg analyze` runs: the same beats
    np.testing.assert_allclose(findings.beats.time_s, direct.beats.time_s)
    np.testing.assert_array_equal(findings.beats.label, direct.beats.label)
    assert abs(len(findings.beats) - 70 * 660 / 60) <= 3 * 660 / 90  # one beat per QRS of a 70 bpm strip
    assert findings.heart_rate_bpm["mean"] == pytest.approx(70, abs=2)


def test_moving_the_view_while_streaming_analyses_the_new_view_next(qtbot, win, hooks_process, monkeypatch):
    from anyecg_model.analysis.builder import FindingsBuilder

    win.model.use_process(hooks_process)  # the process takes its 2nd chunk only once the view has moved (no race)
    starts, add = [], FindingsBuilder.add
    monkeypatch.setattr(FindingsBuilder, "add", lambda self, part: (starts.append(part.start_s), add(self, part)))
    win.set_recording(ecg(1200.0, 72.0, "moving.hea", seed=4))  # four 300-s chunks
    win.trace.set_view(0.0, 10.0)
    with qtbot.waitSignal(win.model.analysisFinished, timeout=120_000):
        win.model.analyze()
        qtbot.waitUntil(lambda: len(starts) == 1, timeout=60_000)
        win.trace.set_view(950.0, 960.0)  # sent to the process, which picks its next chunk from it
    # the moved view's chunk next, then the rest in time order; 900 again once 600 is done (episodes revised)
    assert starts == [0.0, 900.0, 300.0, 600.0, 900.0]


def test_the_streamed_overlay_after_the_last_chunk_equals_the_finished_one(qtbot, win, monkeypatch):
    """The viewer merges streamed chunks with the core's FindingsBuilder and the checkpoint's rules, so what it
    shows once the last chunk is in is what the finished analysis (and `anyecg analyze`) says."""
    from dataclasses import fields

    from anyecg_model.analysis.builder import FindingsBuilder
    from app.model.stream import OverlayData

    builders, add = [], FindingsBuilder.add
    monkeypatch.setattr(FindingsBuilder, "add", lambda self, part: (builders.append(self), add(self, part)))
    rec = ecg(750.0, 64.0, "stream.hea", seed=2)  # three 300-s chunks, the visible one first
    win.set_recording(rec)
    win.trace.set_view(350.0, 360.0)
    f = run_to_end(qtbot, win)
    # three chunks, the visible one sent again once the chunk before it is done (its episodes revised)
    assert len(builders) == 4 and len(set(map(id, builders))) == 1 and builders[0].covers(0.0, rec.duration_s)
    streamed = OverlayData.from_findings(builders[0].findings())
    finished = OverlayData.from_findings(f)
    for fld in fields(OverlayData):
        a, b = getattr(streamed, fld.name), getattr(finished, fld.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=fld.name)
        else:
            assert a == b, fld.name
    assert streamed.af_burden() == f.af_burden and streamed.episodes


def test_streamed_chunks_are_merged_off_the_gui_thread_once_the_view_is_drawn(qtbot, win, monkeypatch):
    """Merging every chunk so far costs 40-60 ms for 24 h: after the visible window's findings, the viewer
    merges in the background and draws what comes back (the GUI thread never runs a merge then)."""
    import threading

    from anyecg_model.analysis.builder import FindingsBuilder

    merges, build = [], FindingsBuilder._build
    monkeypatch.setattr(FindingsBuilder, "_build", lambda self: (
        merges.append((threading.current_thread() is threading.main_thread(), win.model.view_ready())),
        build(self))[1])
    import app.model.controller as controller

    monkeypatch.setattr(controller, "SLOW_REFRESH_S", 0.0)  # every chunk redraws the overview too
    drawn = []
    monkeypatch.setattr(win.model.partial_build, "request", lambda b, slow, request=win.model.partial_build.request: (
        drawn.append(slow), request(b, slow)))
    rec = ecg(9000.0, 64.0, "background.hea", seed=3)  # thirty 300-s chunks, the visible one first
    win.set_recording(rec)
    win.trace.set_view(0.0, 10.0)
    run_to_end(qtbot, win)
    after_view = [gui for gui, ready in merges if ready]
    assert drawn and after_view and not any(after_view)  # merged after the view was drawn, never on the GUI thread


def test_overlays_draw_exactly_the_findings(qtbot, win, strip_70):
    win.set_recording(strip_70)
    f = run_to_end(qtbot, win)
    lanes = win.trace.lanes()
    beats, rhythm, anomaly = lanes["model beats"], lanes["model rhythm"], lanes["model anomaly"]
    np.testing.assert_allclose(beats.times_s, f.beats.time_s)
    np.testing.assert_array_equal(beats.classes, f.beats.label)
    assert [(a, b, lab) for a, b, lab in zip(rhythm.starts, rhythm.stops, rhythm.labels)] == \
        [(e.start_s, e.end_s, e.label) for e in f.episodes]
    assert len(anomaly.scores) == len(f.anomaly_windows) == 9
    win.trace.set_view(20.0, 30.0)
    shown = f.beats.time_s[(f.beats.time_s >= 20.0) & (f.beats.time_s < 30.0)]
    def painted_new_view():
        win.trace.grab()
        return len(beats.last_drawn) > 0 and beats.times_s[beats.last_drawn[0]] >= 20.0

    qtbot.waitUntil(painted_new_view, timeout=5_000)
    np.testing.assert_allclose(beats.times_s[beats.last_drawn], shown)
    assert 10 <= len(shown) <= 13  # 70 bpm: about 11.7 beats in 10 s
    # the findings table counts beats by class and lists every episode with its duration
    model = win.model.panel.findings_model
    rows = [model.row(i) for i in range(model.rowCount())]
    counts = {r[0]: int(r[3]) for r in rows if r[0].endswith("beats")}
    assert sum(counts.values()) == len(f.beats)
    assert [(r[4], r[0].split()[0]) for r in rows if "episode" in r[0]] == \
        [((e.start_s, e.end_s), e.label) for e in f.episodes]
    # hovering a beat describes its class and confidence
    i = int(beats.beat_near(shown[0] + 0.01, 0.05))
    assert beats.describe(i).startswith(f"{'NSVFQ'[f.beats.label[i]]} beat at") and "confidence" in beats.describe(i)
    assert beats.beat_near(shown[0] + 0.3, 0.05) is None
    assert win.model.panel.model_label.text().endswith("\nBeat labels: beat head")  # the tiny model has no trees


def test_the_panel_names_the_classifier_that_labels_the_beats(win):
    from anyecg_model.analysis.findings import ModelInfo

    win.model._show_model_text(ModelInfo("anyecg-small", "0.4.0", "ab" * 32,
                                         "gradient-boosted beat trees 1.0 (sha256 1a2b3c4d)"), "cpu")
    assert win.model.panel.model_label.text() == \
        "Model: anyecg-small v0.4.0 · CPU\nBeat labels: gradient-boosted beat trees 1.0"
    assert win.model.status_label.text() == "Model: anyecg-small v0.4.0 · CPU"  # the status bar stays one line
    win.model._show_model_text(ModelInfo("anyecg-small", "0.5.0", "ab" * 32, "gradient-boosted beat trees 1.1",
                                         "fused anomaly trees 1.0 (sha256 5e6f)", "gradient-boosted rhythm trees 1.0"),
                               "cpu")
    assert win.model.panel.model_label.text().splitlines()[2:] == [
        "12-lead anomaly: fused anomaly trees 1.0", "Rhythm verdict of short strips: gradient-boosted rhythm trees 1.0"]


def test_table_and_flagged_windows_navigate(qtbot, win, strip_70):
    win.set_recording(strip_70)
    run_to_end(qtbot, win)
    panel = win.model.panel
    row = next(i for i in range(panel.findings_model.rowCount()) if "episode" in panel.findings_model.row(i)[0])
    a, b = panel.findings_model.span(row)
    panel.table.clicked.emit(panel.findings_model.index(row, 0))
    t0, t1 = win.trace.view_range()
    assert t0 <= a + 1e-6 or t1 >= b - 1e-6
    assert t0 < b and t1 > a
    win.model.data.anomaly_threshold = 0.0  # flag every window so the list has entries to click
    panel.show_data(win.model.data, strip_70.duration_s)
    item = panel.flagged.item(0)
    wa, wb = item.data(0x0100)
    panel.flagged.itemClicked.emit(item)
    t0, t1 = win.trace.view_range()
    assert t0 <= wa and t1 >= wb


def test_overlay_toggles_and_shortcuts(qtbot, win, strip_70):
    win.set_recording(strip_70)
    run_to_end(qtbot, win)
    act = win.model.overlay_actions["beats"]
    assert act.shortcut().toString() == "Ctrl+Alt+B"
    act.trigger()
    assert "model beats" not in win.trace.lanes() and not win.model.panel.toggles["beats"].isChecked()
    win.model.panel.toggles["beats"].setChecked(True)
    assert "model beats" in win.trace.lanes()
    win.model.overlay_actions["anomaly"].setChecked(False)
    assert "model anomaly" not in win.trace.lanes() and "anomaly score" not in win.overview.lane_names()


def test_cancel_stops_the_job_and_frees_the_thread(qtbot, win, strip_70):
    win.set_recording(ecg(1800.0, 60.0, "long.hea", strip_s=30.0))
    with qtbot.waitSignal(win.model.viewFindingsReady, timeout=60_000):
        win.model.analyze()
    worker = win.model.worker
    ended, finished, stopped = [], [], []
    worker.finished.connect(lambda: ended.append(True))
    worker.cancelled.connect(stopped.append)  # the process's answer: it stopped the job between chunks
    win.model.analysisFinished.connect(finished.append)
    assert worker.isRunning()
    win.model.cancel()
    assert win.model.worker is None and not win.model.panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: ended == [True] and win.model.threads() == [], timeout=30_000)
    assert stopped == [worker.job.job_id]
    assert finished == [] and win.model.findings is None and win.model.panel.progress.value() < 1000
    win.set_recording(strip_70)  # the process is free for the next job
    assert len(run_to_end(qtbot, win).beats) > 90


def test_switching_files_never_shows_the_old_findings(qtbot, win, tiny_dir):
    long_rec = ecg(900.0, 60.0, "first.hea", strip_s=30.0)
    short_rec = ecg(40.0, 90.0, "second.hea", seed=5)
    win.model.set_auto_analyze(True, remember=False)
    win.set_recording(long_rec)
    qtbot.waitUntil(lambda: win.model.worker is not None and bool(win.model.partial and win.model.partial.parts),
                    timeout=60_000)
    first_job = win.model.job_id
    seen = []
    win.model.analysisFinished.connect(lambda f: seen.append(f.record))
    with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000):
        win.set_recording(short_rec)
    assert win.model.job_id > first_job and seen == ["second.hea"]
    assert win.model.data.beat_time_s.max() < short_rec.duration_s
    assert win.model.findings.duration_s == pytest.approx(40.0)
    qtbot.waitUntil(lambda: win.model.threads() == [], timeout=30_000)
    qtbot.wait(50)
    assert seen == ["second.hea"] and win.model.findings.record == "second.hea"
    assert win.trace.lanes()["model beats"].times_s.max() < 40.0


def test_reopening_shows_cached_findings(qtbot, win, strip_70):
    win.set_recording(strip_70)
    first = run_to_end(qtbot, win)
    win.set_recording(strip_70)
    again = run_to_end(qtbot, win)
    assert "cache" in win.model.panel.notice_label.text() and "cached" in win.model.status_label.text()
    np.testing.assert_allclose(again.beats.time_s, first.beats.time_s)
    assert [e.label for e in again.episodes] == [e.label for e in first.episodes]


@pytest.mark.parametrize("damage,message", [
    ("weights", "cannot be used"),
    ("config", "cannot be used"),
    ("empty", "No model weights"),
])
def test_broken_checkpoint_gives_a_message_and_the_viewer_keeps_working(qtbot, window, tiny_dir, tmp_path,
                                                                        analysis_process, damage, message):
    import shutil

    window.model.use_process(analysis_process)  # truncated weights are found when the process loads them
    d = tmp_path / "ckpt"
    d.mkdir()
    if damage != "empty":
        for name in ("config.json", "model.safetensors"):
            shutil.copy(tiny_dir / name, d / name)
        target = d / ("model.safetensors" if damage == "weights" else "config.json")
        target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 3])
    window.model.set_model_dir(d, remember=False)
    window.set_recording(ecg(30.0, 80.0, f"new-{damage}.hea", seed=11))  # not in the findings cache
    with qtbot.waitSignal(window.model.viewFindingsReady, timeout=30_000):
        window.model.analyze()
    assert message in window.model.panel.message_label.text()
    assert window.model.panel.message_label.isVisibleTo(window.model.panel)
    assert not any(name.startswith("model") for name in window.trace.lanes())
    window.trace.set_view(10.0, 20.0)  # the viewer still works
    assert window.trace.view_range()[0] == pytest.approx(10.0)
    window.model.shutdown()


def test_unusable_recording_gives_a_message(qtbot, win):
    win.set_recording(Recording.from_array(np.zeros((1, 2 * int(FS)), np.float32), FS, ["II"], path="short.hea"))
    with qtbot.waitSignal(win.model.viewFindingsReady, timeout=30_000):
        win.model.analyze()
    assert "short.hea" in win.model.failed_message and "at least" in win.model.failed_message
    win.set_recording(Recording.from_array(np.ones((1, 30 * int(FS)), np.float32), FS, ["Resp"], path="resp.hea"))
    with qtbot.waitSignal(win.model.viewFindingsReady, timeout=30_000):
        win.model.analyze()
    assert "no lead the model knows" in win.model.panel.message_label.text()


def test_gpu_out_of_memory_falls_back_to_the_cpu_and_says_so(qtbot, tiny_dir, strip_70, tmp_path, hooks_process):
    from anyecg_model.analysis.cache import FindingsCache
    from app.model.worker import AnalysisJob, AnalysisWorker

    # in the hooks process, the analyzer for "cuda" exhausts GPU memory as it runs
    worker = AnalysisWorker(AnalysisJob(3, strip_70, tiny_dir, "cuda", use_cache=False), hooks_process,
                            FindingsCache(tmp_path))
    notices, devices = [], []
    worker.notice.connect(lambda jid, msg: notices.append(msg))
    worker.modelReady.connect(lambda jid, info, dev: devices.append(dev))
    with qtbot.waitSignal(worker.done, timeout=60_000) as blocker:
        worker.start()
    worker.wait()
    assert devices == ["cuda", "cpu"] and "out of memory" in notices[0] and "CPU" in notices[0]
    assert len(blocker.args[1].beats) > 90  # the CPU finished the whole analysis
