"""The analysis process without a viewer: recordings reach it by value, by temporary file, by memory map or by
path (re-opened only when the file is still what the viewer shows); a job streams its chunks and ends with one
final message whatever happens; a real process runs a job, follows a moved focus, cancels, and stops."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.cache import findings_from_arrays
from anyecg_model.analysis.chunks import FocusRange
from anyecg_model.analysis.process import AnalysisProcess, JobSpec, NeedSignal, SignalFiles, recording_ref
from anyecg_model.analysis.service import AnalyzerPool, run_job
from anyecg_model.io import open_recording
from anyecg_model.io.recording import Recording
from anyecg_model.io.writers import write_wfdb

TASKS = ("anomaly", "arrhythmia", "events")


@pytest.fixture
def files():
    f = SignalFiles()
    yield f
    f.clear()


def test_every_kind_of_reference_gives_the_same_samples(strip_70bpm, tmp_path, files):
    from anyecg_model.demo import memmap_recording

    x = strip_70bpm.read()
    inline = recording_ref(strip_70bpm, files)
    by_file = recording_ref(strip_70bpm, files, inline_bytes=0)
    assert (inline.kind, by_file.kind) == ("array", "npy") and by_file.array is None
    np.save(tmp_path / "sig.npy", np.ascontiguousarray(x.T))
    mm = memmap_recording(tmp_path / "sig.npy", strip_70bpm.fs, ["MLII", "V1"], content_hash="h", fmt="synthetic")
    wfdb = open_recording(write_wfdb(strip_70bpm, tmp_path / "rec"))
    refs = [inline, by_file, recording_ref(mm, files), recording_ref(wfdb, files)]
    assert [r.kind for r in refs[2:]] == ["memmap", "file"]
    for ref, original in zip(refs, [strip_70bpm, strip_70bpm, mm, wfdb]):
        rec = ref.open()
        assert rec.lead_names == original.lead_names and rec.n_samples == original.n_samples
        assert rec.path == original.path and rec.provenance == original.provenance
        np.testing.assert_allclose(rec.read(1000, 5000), original.read(1000, 5000), atol=1e-3)


def test_a_file_changed_on_disk_is_not_reopened(strip_70bpm, tmp_path, files):
    hea = write_wfdb(strip_70bpm, tmp_path / "rec")
    rec = open_recording(hea)
    write_wfdb(Recording.from_array(strip_70bpm.read() * 2, strip_70bpm.fs, ["MLII", "V1"]), tmp_path / "rec")
    with pytest.raises(NeedSignal):
        recording_ref(rec, files).open()
    again = recording_ref(rec, files, by_path=False)  # the viewer's samples, through a temporary file
    assert again.kind == "npy"
    np.testing.assert_array_equal(again.open().read(0, 3000), rec.read(0, 3000))


def test_a_job_streams_its_chunks_and_ends_with_one_final_message(tiny_model_dir, strip_70bpm, files):
    pool = AnalyzerPool(torch_threads=1)
    spec = JobSpec(recording_ref(strip_70bpm, files), str(tiny_model_dir), "cpu", TASKS, (65.0, 75.0))
    out = []
    run_job(5, spec, pool, out.append, lambda: False, FocusRange(65.0, 75.0))
    kinds = [m[0] for m in out]
    assert kinds == ["modelReady", "partial", "partial", "done"] and all(m[1] == 5 for m in out)
    assert out[1][2].start_s == 60.0 and out[0][3] == "cpu"
    findings = findings_from_arrays(*out[-1][2:])
    assert abs(len(findings.beats) - 70 * 95 / 60) <= 3 and len(findings.anomaly_windows) == 10
    direct = pool.get(tiny_model_dir, "cpu").analyze(strip_70bpm)
    np.testing.assert_array_equal(findings.beats.time_s, direct.beats.time_s)
    assert findings.anomaly_windows == direct.anomaly_windows and findings.episodes == direct.episodes
    assert findings.heart_rate_bpm == direct.heart_rate_bpm and findings.model == direct.model
    out.clear()
    run_job(6, spec, pool, out.append, lambda: True, FocusRange(0.0, 10.0))
    assert out == [("cancelled", 6)]
    bad = Recording.from_array(np.zeros((1, 2500), np.float32), 250.0, ["Resp"], path="resp.hea")
    out.clear()
    run_job(7, JobSpec(recording_ref(bad, files), str(tiny_model_dir), "cpu", TASKS, (0.0, 10.0)), pool,
            out.append, lambda: False, FocusRange(0.0, 10.0))
    assert [m[0] for m in out] == ["modelReady", "failed"] and "no lead the model knows" in out[-1][2]


def test_a_real_process_follows_the_focus_cancels_and_stops(tiny_model_dir, strip_70bpm, simulate):
    long = Recording.from_array(np.tile(simulate(60, 250.0, 60), 20), 250.0, ["MLII", "V1"], path="long.hea")
    proc = AnalysisProcess(torch_threads=1, inline_bytes=0)  # every recording through a temporary file
    try:
        with proc.job_lock:
            proc.start()
            job = proc.next_id()
            proc.send(("focus", job, 600.0, 610.0))  # a focus that overtakes its job's start range
            proc.send(("job", job, JobSpec(proc.ref(long), str(tiny_model_dir), "cpu", TASKS, (0.0, 10.0))))
            while (msg := proc.recv())[0] == "modelReady":
                pass
            assert msg[0] == "partial" and msg[2].start_s == 600.0
            proc.send(("cancel", job))
            while (msg := proc.recv())[0] not in ("done", "failed", "cancelled"):
                assert msg[0] == "partial"
            assert msg == ("cancelled", job)
        pid = proc.pid
    finally:
        proc.stop()
    assert not proc.alive() and pid is not None and proc.signal_files._files == []
