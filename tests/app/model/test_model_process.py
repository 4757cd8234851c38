"""The viewer's own analysis process, end to end (pytest-qt, offscreen, tiny random-weight model): the window
starts it for its first job, a killed process gives a clear message and the next job starts a new one, and
closing the window stops it. A file changed on disk since it was opened is analysed from the viewer's samples."""
from __future__ import annotations

import logging
import os
import signal

import numpy as np
import pytest

from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.io.writers import write_wfdb

from test_model_overlay import ecg, run_to_end, tiny_dir  # noqa: F401 - tiny_dir is a fixture


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_process_gives_a_message_and_the_next_job_starts_a_new_one(qtbot, window, tiny_dir):
    ctl = window.model
    ctl.set_model_dir(tiny_dir, remember=False)
    proc = ctl.process
    assert proc.pid is None  # nothing started before the first job
    window.set_recording(ecg(4 * 3600.0, 60.0, "four-hours.hea", strip_s=30.0))  # 29 MB: through a temporary file
    with qtbot.waitSignal(ctl.viewFindingsReady, timeout=120_000):
        ctl.analyze()
    assert "model beats" in window.trace.lanes() and ctl.worker is not None
    pid = proc.pid
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: ctl.worker is None and ctl.threads() == [], timeout=30_000)
    text = ctl.panel.message_label.text()
    assert "analysis process stopped unexpectedly" in text and "SIGKILL" in text and "analyse again" in text
    assert ctl.findings is None and not ctl.panel.cancel_button.isEnabled()
    window.trace.set_view(3600.0, 3610.0)  # the viewer still works
    assert window.trace.view_range()[0] == pytest.approx(3600.0)
    window.set_recording(ecg(90.0, 70.0, "after-the-kill.hea", seed=21))  # not in the findings cache
    findings = run_to_end(qtbot, window)  # in a new process
    assert proc.pid != pid and proc.started == 2 and abs(len(findings.beats) - 105) <= 3
    window.close()
    assert not proc.alive()  # the window stopped its process


def test_a_file_changed_on_disk_is_analysed_from_the_viewers_samples(qtbot, window, tiny_dir, tmp_path,
                                                                     analysis_process, caplog):
    caplog.set_level(logging.INFO, "app.model.worker")
    window.model.use_process(analysis_process)
    window.model.set_model_dir(tiny_dir, remember=False)
    x = ecg(90.0, 70.0, "x", seed=22).read()
    rec = open_recording(write_wfdb(Recording.from_array(x, 250.0, ["MLII", "V1"]), tmp_path / "rec"))
    write_wfdb(Recording.from_array(x[:, :-2500], 250.0, ["MLII", "V1"]), tmp_path / "rec")  # now 10 s shorter
    window.set_recording(rec)
    findings = run_to_end(qtbot, window)
    assert findings.duration_s == pytest.approx(rec.duration_s) and abs(len(findings.beats) - 105) <= 3
    assert np.all(np.diff(findings.beats.time_s) > 0.5)
    assert any("sending the samples" in r.getMessage() for r in caplog.records)  # not re-opened from disk
    window.model.shutdown()
