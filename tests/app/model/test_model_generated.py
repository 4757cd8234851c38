"""Generated leads in the viewer: bad-lead detection on signals with known faults, the ghost trace (dashed,
labelled "generated", on the lead's row), the measured/generated toggle and the export naming; generation
runs in the analysis process (torch is never imported by the viewer), and its failures (no weights, the
process dying) are messages in the dock."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6 import QtCore

from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint
from anyecg_model.signal.quality import bad_leads, lead_problem

torch.set_num_threads(1)
FS = 250.0


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(1)
    model = AnyECG.from_size("tiny", heads={n: {"type": n} for n in ("anomaly", "rhythm", "beats", "leadgen",
                                                                        "ultralong")})
    d = tmp_path_factory.mktemp("tiny-gen")
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "g1"})
    return d


@pytest.fixture(scope="module")
def leads4():
    """40 s of I, II, V1, V2 at 75 bpm (NeuroKit2), V1 replaced by a flat line."""
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=40, sampling_rate=int(FS), heart_rate=75, noise=0.01, random_state=2)
    data = np.stack([0.6 * x, x, -0.4 * x, 0.8 * x]).astype(np.float32)
    return data


def test_quality_finds_flat_saturated_and_noisy_leads(leads4):
    rng = np.random.default_rng(0)
    ecg = leads4[1]
    clipped = np.clip(ecg, -0.2, 0.3)
    noisy = rng.normal(0, 0.5, len(ecg)).astype(np.float32)
    assert lead_problem(ecg, FS) is None
    assert lead_problem(np.full(len(ecg), 0.01), FS) == "flat"
    assert lead_problem(clipped, FS) == "saturated"
    assert lead_problem(noisy, FS) == "noisy"
    assert bad_leads(np.stack([ecg, np.zeros_like(ecg), noisy]), FS) == {1: "flat", 2: "noisy"}


def test_ghost_trace_replaces_a_flat_lead_and_exports_as_generated(qtbot, window, tiny_dir, leads4, tmp_path):
    data = leads4.copy()
    data[2] = 0.0
    rec = Recording.from_array(data, FS, ["I", "II", "V1", "V2"], path="four.hea")
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(rec)
    gen = window.model.generated
    assert gen.detect() == {2: "flat"}
    qtbot.waitUntil(lambda: 2 in gen.ghosts.items, timeout=30_000)
    curve, label = gen.ghosts.items[2]
    assert label.toPlainText() == "V1 generated" and curve.isVisible()
    assert curve.opts["pen"].style() == QtCore.Qt.PenStyle.DashLine
    t0, fs, mv = gen.ghosts.data[2]
    v0, v1 = window.trace.view_range()
    assert fs == FS and t0 <= v0 and t0 + len(mv) / fs >= min(v1, rec.duration_s) - 1e-6 and np.isfinite(mv).all()
    assert curve.pos().y() == pytest.approx(window.trace.lead_offset(2))  # drawn on V1's row
    gen.mode_combo.setCurrentText("generated only")
    assert window.trace.curves[2].opacity() < 0.5 and curve.isVisible()
    gen.mode_combo.setCurrentText("measured only")
    assert not curve.isVisible() and window.trace.curves[2].opacity() == 1.0
    window.model.overlay_actions["generated"].setChecked(False)
    assert not curve.isVisible()
    out = tmp_path / "with_gen.hea"
    assert gen.export(str(out))
    qtbot.waitUntil(lambda: gen.last_export is not None, timeout=30_000)
    header = out.read_text()
    assert "V1_gen" in header and "generated leads (AnyECG model anyecg-tiny-test vg1, not measured): V1_gen" in header
    import wfdb

    back = wfdb.rdrecord(str(out.with_suffix("")))
    assert back.sig_name == ["I", "II", "V1", "V2", "V1_gen"] and back.p_signal.shape[0] == rec.n_samples
    window.model.shutdown()


def test_a_lead_the_model_does_not_know_is_reported(qtbot, window, tiny_dir, leads4):
    rec = Recording.from_array(leads4[:2], FS, ["II", "Resp"], path="resp.hea")
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(rec)
    window.model.generated.toggle_mark(1)
    assert "Resp is not a lead the model knows" in window.model.generated.status.text()
    assert window.model.generated.worker is None


def test_ghost_trace_is_drawn_in_the_3x4_layout(qtbot, window, tiny_dir, leads4):
    """A flat V1 of a 12-lead: the 3 × 4 cell of V1 gets the dashed, labelled ghost over exactly its 2.5 s, the
    measured trace stays solid, and unmarking the lead removes the ghost."""
    from app.twelve_lead import LAYOUT_3X4

    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    ii = leads4[1]
    data = np.stack([ii * (0.5 + 0.05 * k) for k in range(12)]).astype(np.float32)
    data[names.index("V1")] = 0.0
    rec = Recording.from_array(data, FS, names, path="twelve.hea")
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(rec)
    window.set_clinical_layout(True)  # a recording this long opens stacked; the 3 × 4 page is drawn when shown
    view = window.twelve_lead
    gen = window.model.generated
    v1 = names.index("V1")
    assert gen.detect() == {v1: "flat"}
    qtbot.waitUntil(lambda: "V1" in view.ghosts, timeout=30_000)
    ghost, measured = view.ghosts["V1"], view.curves["V1"]
    assert ghost.opts["pen"].style() == QtCore.Qt.PenStyle.DashLine
    assert measured.opts["pen"].style() == QtCore.Qt.PenStyle.SolidLine
    labels = [it.toPlainText() for it in view._items if hasattr(it, "toPlainText")]
    assert "V1 generated" in labels
    x0, x1, row = view.cells["V1"]
    assert row == [r for r, cells in enumerate(LAYOUT_3X4) if "V1" in cells][0]
    x, y = ghost.getData()
    assert x[0] >= x0 - 1e-9 and x[-1] < x1 and x[-1] > x1 - 2 / FS  # the cell's 2.5 s, no more
    t0, fs, mv = gen.ghosts.data[v1]
    k = int(round((view.t0 + x[0] - t0) * fs))
    np.testing.assert_allclose(y - y[0], mv[k:k + len(y)] - mv[k], atol=1e-5)  # the generated samples
    assert set(view.ghosts) == {"V1"}  # measured leads get no ghost
    gen.mode_combo.setCurrentText("measured only")
    assert view.ghosts == {}
    gen.mode_combo.setCurrentText("measured + generated")
    assert "V1" in view.ghosts
    gen.toggle_mark(v1)
    assert view.ghosts == {} and "V1 generated" not in [it.toPlainText() for it in view._items
                                                        if hasattr(it, "toPlainText")]
    window.model.shutdown()


PROBE = """
import sys, time
from PySide6 import QtCore, QtWidgets
from app.main_window import MainWindow
from app.settings import ViewerSettings

app = QtWidgets.QApplication([])
win = MainWindow(ViewerSettings(QtCore.QSettings(sys.argv[2], QtCore.QSettings.Format.IniFormat)))
win.resize(1600, 900)
win.show()
win.model.set_model_dir(sys.argv[1], remember=False)
win.open_demo("12lead")
gen = win.model.generated
v2 = win.recording.lead_names.index("V2")
gen.toggle_mark(v2)
deadline = time.monotonic() + 120
while v2 not in gen.ghosts.items and time.monotonic() < deadline:
    app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
print("ghost:", gen.ghosts.items[v2][1].toPlainText() if v2 in gen.ghosts.items else gen.status.text())
print("torch imported:", "torch" in sys.modules)
win.close()
"""


def test_generating_a_lead_never_imports_torch_in_the_viewer(tiny_dir, tmp_path):
    """The 12-lead demo with V2 marked missing, in a fresh viewer process: the ghost comes from the analysis
    process, and the viewer's process has not imported torch."""
    repo = Path(__file__).resolve().parents[3]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"))
    res = subprocess.run([sys.executable, "-c", PROBE, str(tiny_dir), str(tmp_path / "viewer.ini")], cwd=repo,
                         env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr
    assert "ghost: V2 generated" in res.stdout, res.stdout + res.stderr
    assert "torch imported: False" in res.stdout


def test_missing_weights_are_reported_in_the_dock(qtbot, window, leads4, tmp_path, analysis_process):
    window.model.use_process(analysis_process)
    window.model.set_model_dir(tmp_path / "nothing-here", remember=False)
    window.set_recording(Recording.from_array(leads4, FS, ["I", "II", "V1", "V2"], path="four.hea"))
    gen = window.model.generated
    gen.toggle_mark(2)
    qtbot.waitUntil(lambda: "No model weights in" in gen.status.text(), timeout=60_000)
    assert gen.ghosts.items == {} and not gen.busy()
    window.model.shutdown()


HOOKS = Path(__file__).with_name("analysis_child_hooks.py")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_that_dies_while_generating_gives_a_message_and_the_next_generation_a_new_one(
        qtbot, window, tiny_dir, leads4):
    from anyecg_model.analysis.client import AnalysisProcess

    proc = AnalysisProcess(torch_threads=1, command=[sys.executable, str(HOOKS)])  # stuck.hea never ends there
    window.model.use_process(proc)
    window.model.set_model_dir(tiny_dir, remember=False)
    try:
        window.set_recording(Recording.from_array(leads4, FS, ["I", "II", "V1", "V2"], path="stuck.hea"))
        gen = window.model.generated
        gen.toggle_mark(2)
        qtbot.waitUntil(lambda: proc.alive() and gen.busy(), timeout=30_000)
        qtbot.wait(300)  # the request has reached the process
        os.kill(proc.pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: "analysis process stopped unexpectedly" in gen.status.text(), timeout=30_000)
        assert "SIGKILL" in gen.status.text() and not gen.busy()
        window.set_recording(Recording.from_array(leads4, FS, ["I", "II", "V1", "V2"], path="fine.hea"))
        gen.toggle_mark(2)  # the viewer goes on: a new process generates it
        qtbot.waitUntil(lambda: 2 in gen.ghosts.items, timeout=60_000)
        assert proc.started == 2
    finally:
        window.model.shutdown()
        proc.stop()


@pytest.fixture
def hooked_process():
    """An analysis process running the test hooks (tests/app/model/analysis_child_hooks.py)."""
    from anyecg_model.analysis.client import AnalysisProcess

    proc = AnalysisProcess(torch_threads=1, command=[sys.executable, str(HOOKS)])
    yield proc
    proc.stop()


def test_scrolling_during_an_export_never_cancels_it(qtbot, window, tiny_dir, leads4, tmp_path, hooked_process):
    """5 min with a flat V1, exported to gated.hea (the process holds the export until the test lets it go): the
    view moved during the export gets its generated window at once, a second export is refused with a message,
    and the export ends with the file and a message saying where it is."""
    data = np.tile(leads4, 8)
    data[2] = 0.0
    rec = Recording.from_array(data, FS, ["I", "II", "V1", "V2"], path="long.hea")
    window.model.use_process(hooked_process)
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(rec)
    gen = window.model.generated
    gen.toggle_mark(2)
    qtbot.waitUntil(lambda: 2 in gen.ghosts.items, timeout=60_000)
    out = tmp_path / "gated.hea"
    assert gen.export(str(out))
    qtbot.waitUntil(lambda: out.with_name("gated.hea.started").exists(), timeout=60_000)
    assert "Exporting long.hea with V1_gen to" in gen.status.text() and gen.export_button.text() == "Cancel export"
    window.trace.set_view(200.0, 210.0)  # the user scrolls: a view generation while the export runs
    qtbot.waitUntil(lambda: gen.ghosts.data[2][0] >= 190.0, timeout=60_000)
    assert gen.exporting() and not out.exists()
    assert not gen.export(str(tmp_path / "second.edf"))
    assert f"An export to {out} is running" in gen.status.text()
    out.with_name("gated.hea.go").touch()
    qtbot.waitUntil(lambda: gen.last_export is not None, timeout=60_000)
    assert gen.last_export == str(out) and not gen.exporting()
    assert f"Exported with V1_gen (generated, not measured) to {out} (+ .dat)" in gen.status.text()
    assert gen.export_button.text() == "Export with generated leads…"
    import wfdb

    back = wfdb.rdrecord(str(out.with_suffix("")))
    assert back.sig_name == ["I", "II", "V1", "V2", "V1_gen"] and back.p_signal.shape[0] == rec.n_samples
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("gated")) == [
        "gated.dat", "gated.hea", "gated.hea.go", "gated.hea.started"]
    window.model.shutdown()


def test_a_cancelled_export_says_so_and_writes_nothing(qtbot, window, tiny_dir, leads4, tmp_path, hooked_process):
    window.model.use_process(hooked_process)
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(Recording.from_array(leads4, FS, ["I", "II", "V1", "V2"], path="four.hea"))
    gen = window.model.generated
    gen.toggle_mark(2)
    out = tmp_path / "gated.edf"
    assert gen.export(str(out))
    qtbot.waitUntil(lambda: out.with_name("gated.edf.started").exists(), timeout=60_000)
    gen.export_button.click()  # "Cancel export"
    qtbot.waitUntil(lambda: not gen.exporting(), timeout=30_000)
    assert f"Export cancelled: nothing was written to {out}." in gen.status.text()
    assert not out.exists() and gen.last_export is None and gen.export_button.isEnabled()
    window.model.shutdown()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("where", ["signal", "header"])
def test_a_process_killed_while_writing_an_export_leaves_no_file_at_the_target(
        qtbot, window, tiny_dir, leads4, tmp_path, hooked_process, where):
    """The process is killed while the WFDB writer writes the signal file, or after it while it makes the header:
    neither file of the record is at the chosen path, and the dock and a message box say the export failed."""
    window.model.use_process(hooked_process)
    window.model.set_model_dir(tiny_dir, remember=False)
    window.set_recording(Recording.from_array(leads4, FS, ["I", "II", "V1", "V2"], path="four.hea"))
    gen = window.model.generated
    gen.toggle_mark(2)
    out = tmp_path / f"killed-in-{where}.hea"
    assert gen.export(str(out))
    qtbot.waitUntil(lambda: out.with_name(out.name + ".writing").exists(), timeout=60_000)
    os.kill(hooked_process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not gen.exporting(), timeout=30_000)
    assert not out.exists() and not out.with_suffix(".dat").exists()
    text = gen.status.text()
    assert f"Export failed, nothing was written to {out}: The analysis process stopped unexpectedly" in text, text
    assert gen.last_box is not None and "Nothing was written there." in gen.last_box.text()
    assert "failed" in gen.last_box.text() and gen.export_button.text() == "Export with generated leads…"
    window.model.shutdown()
