"""The analysis process without a viewer: recordings reach it by value, by temporary file, by memory map or by
path (re-opened only when the file is still what the viewer shows); a job streams its chunks and ends with one
final message whatever happens; a real process runs a job, follows a moved focus, cancels, and stops. Lead
generation: the same leads as generate_leads, the export, its failures as messages; a newer generation
supersedes older ones, and a generation is answered while a long analysis runs; an export is never superseded
(a view generation during it is answered, a second export waits), and a GPU out of memory falls back to the CPU."""
from __future__ import annotations

import os
import pickle
import threading
import time
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.cache import findings_from_arrays
from anyecg_model.analysis.chunks import FocusRange
from anyecg_model.analysis import generation
from anyecg_model.analysis.client import AnalysisProcess
from anyecg_model.analysis.generation import RecordingCache, run_generation
from anyecg_model.analysis.jobs import AnalyzerPool, run_job
from anyecg_model.analysis.protocol import (Cancel, Cancelled, Done, Exported, Failed, Focus, Generate, Generated,
                                            GenerationSpec, Job, JobSpec, ModelReady, ModelUnusable, Notice, Partial,
                                            Progress, Quit)
from anyecg_model.analysis.recording_ref import NeedSignal, SignalFiles, recording_ref
from anyecg_model.analysis.server import Service
from anyecg_model.analysis.transport import read_message, write_message
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


def test_a_job_streams_its_chunks_and_ends_with_one_final_message(tiny_model_dir, simulate, files):
    long = Recording.from_array(np.tile(simulate(60, 250.0, 60), 11), 250.0, ["MLII", "V1"], path="long.hea")
    pool = AnalyzerPool(torch_threads=1)
    spec = JobSpec(recording_ref(long, files), str(tiny_model_dir), "cpu", TASKS, (605.0, 615.0))
    out = []
    wire = lambda m: out.append(pickle.loads(pickle.dumps(m)))  # noqa: E731 - as the process sends it
    run_job(5, spec, pool, wire, lambda: False, FocusRange(605.0, 615.0))
    kinds = [type(m) for m in out]
    assert kinds == [ModelReady, Partial, Partial, Partial, Partial, Done] and all(m.id == 5 for m in out)
    # the visible chunk first, then the rest; it is sent again with its episodes revised once 300-600 s is done
    assert [m.part.start_s for m in out[1:5]] == [600.0, 0.0, 300.0, 600.0] and out[0].device == "cpu"
    assert out[4].part.progress == 1.0 and not np.array_equal(out[1].part.episode_prob, out[4].part.episode_prob)
    findings = findings_from_arrays(out[-1].meta, out[-1].arrays)
    assert len(findings.anomaly_windows) == 66
    direct = Analyzer(tiny_model_dir, device="cpu").analyze(long)  # `anyecg analyze`: the same chunk grid
    np.testing.assert_array_equal(findings.beats.time_s, direct.beats.time_s)
    np.testing.assert_array_equal(findings.beats.label, direct.beats.label)
    assert findings.anomaly_windows == direct.anomaly_windows
    # the visible chunk is analysed first (without the GRU state of the chunk before it): once that chunk is
    # done, its episodes are recomputed from the carried state, so every episode is the CLI's, the visible
    # chunk and those after it included
    episodes = [[(e.start_s, e.end_s, e.label, e.confidence) for e in f.episodes] for f in (findings, direct)]
    assert any(e[1] > 600.0 for e in episodes[1]) and episodes[0] == episodes[1]
    streamed = pool.get(tiny_model_dir, "cpu").builder(long, TASKS)  # what the viewer merges from the Partials
    for m in out[1:5]:
        streamed.add(m.part)
    assert [(e.start_s, e.end_s, e.label, e.confidence) for e in streamed.findings().episodes] == episodes[1]
    assert findings.heart_rate_bpm == direct.heart_rate_bpm and findings.model == direct.model
    out.clear()
    run_job(6, spec, pool, out.append, lambda: True, FocusRange(0.0, 10.0))
    assert out == [Cancelled(6)]
    bad = Recording.from_array(np.zeros((1, 2500), np.float32), 250.0, ["Resp"], path="resp.hea")
    out.clear()
    run_job(7, JobSpec(recording_ref(bad, files), str(tiny_model_dir), "cpu", TASKS, (0.0, 10.0)), pool,
            out.append, lambda: False, FocusRange(0.0, 10.0))
    assert [type(m) for m in out] == [ModelReady, Failed] and "no lead the model knows" in out[-1].message


def test_a_real_process_follows_the_focus_cancels_and_stops(tiny_model_dir, strip_70bpm, simulate):
    long = Recording.from_array(np.tile(simulate(60, 250.0, 60), 20), 250.0, ["MLII", "V1"], path="long.hea")
    proc = AnalysisProcess(torch_threads=1, inline_bytes=0)  # every recording through a temporary file
    try:
        with proc.job_lock:
            proc.start()
            job = proc.next_id()
            inbox = proc.listen(job)
            proc.send(Focus(job, 600.0, 610.0))  # a focus that overtakes its job's start range
            proc.send(Job(job, JobSpec(proc.ref(long), str(tiny_model_dir), "cpu", TASKS, (0.0, 10.0))))
            while isinstance(msg := inbox.get(), ModelReady):
                pass
            assert isinstance(msg, Partial) and msg.part.start_s == 600.0
            proc.send(Cancel(job))
            while not (msg := inbox.get()).final:
                assert isinstance(msg, Partial)
            assert msg == Cancelled(job)
            inbox.close()
        pid = proc.pid
    finally:
        proc.stop()
    assert not proc.alive() and pid is not None and proc.signal_files._files == []


def test_a_generation_gives_what_generate_leads_gives_exports_and_fails_with_a_message(
        tiny_model_dir, strip_70bpm, files, tmp_path, monkeypatch):
    from anyecg_model.analysis.leadgen import generate_leads, without_leads

    pool = AnalyzerPool(torch_threads=1)
    spec = GenerationSpec(recording_ref(strip_70bpm, files), (1,), ("V1",), 10.0, 40.0, str(tiny_model_dir), "cpu")
    out = []
    run_generation(3, spec, pool, out.append, lambda: False, RecordingCache())
    assert [(type(m), m.id) for m in out] == [(Generated, 3)]
    t0, fs, data = out[0].t0_s, out[0].fs, out[0].data
    direct = generate_leads(pool.get(tiny_model_dir, "cpu"), without_leads(strip_70bpm, [1]), ["V1"], 10.0, 40.0)
    assert t0 == 10.0 and fs == strip_70bpm.fs and data.shape == (1, int(30 * fs))
    np.testing.assert_array_equal(data, direct.data)  # V1 itself was no input

    monkeypatch.setattr(generation, "EXPORT_STEP_S", 40.0)  # 95 s: three steps
    out.clear()
    run_generation(4, replace(spec, export_to=str(tmp_path / "gen.hea")), pool, out.append, lambda: False)
    assert [type(m) for m in out] == [Progress] * 3 + [Exported] and out[2].fraction == 1.0
    back = open_recording(out[-1].path)
    assert back.lead_names[-1] == "V1_gen" and back.n_samples == strip_70bpm.n_samples
    assert any("generated leads (AnyECG model anyecg-tiny-test vtest, not measured): V1_gen" in c
               for c in back.comments)

    def failure(spec, cancelled=lambda: False):
        out.clear()
        run_generation(5, spec, pool, out.append, cancelled)
        assert len(out) == 1
        return out[0]

    assert failure(spec, cancelled=lambda: True) == Cancelled(5)
    alone = Recording.from_array(strip_70bpm.read()[:1], strip_70bpm.fs, ["MLII"], path="alone.hea")
    msg = failure(replace(spec, recording=recording_ref(alone, files), leads=(0,), names=("II",)))
    assert isinstance(msg, Failed) and "needs at least one other measured lead" in msg.message
    msg = failure(replace(spec, model_dir=str(tmp_path / "no-weights")))  # the viewer words it (no UI text here)
    assert isinstance(msg, ModelUnusable) and msg.model_dir == str(tmp_path / "no-weights") and msg.reason


def test_a_newer_generation_supersedes_older_ones_and_none_waits_for_an_analysis():
    """The service with stand-in job and generation runners: a generation runs while an analysis job is busy;
    requests that came while one ran end as cancelled, except the newest."""
    started, release = threading.Event(), threading.Event()

    def runner(job_id, job, pool, emit, cancelled, focus):  # an analysis that runs until cancelled
        emit(Partial(job_id, None))
        while not cancelled():
            time.sleep(0.005)
        emit(Cancelled(job_id))

    def generator(job_id, spec, pool, emit, cancelled, recordings):
        if spec == "slow":
            started.set()
            release.wait(30)
        emit(Cancelled(job_id) if cancelled() else Generated(job_id, 0.0, 0.0, spec))

    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    requests, replies = open(req_w, "wb"), open(rep_r, "rb")
    svc = Service(open(req_r, "rb"), open(rep_w, "wb"), None, runner, generator)
    thread = threading.Thread(target=svc.run, daemon=True)
    thread.start()
    write_message(requests, Job(1, SimpleNamespace(visible=(0.0, 10.0))))
    assert read_message(replies) == Partial(1, None)
    write_message(requests, Generate(2, "slow"))
    assert started.wait(30)
    write_message(requests, Generate(3, "a"))
    write_message(requests, Generate(4, "b"))
    deadline = time.monotonic() + 30
    while svc._gen_newest < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    assert [read_message(replies) for _ in range(3)] == [Cancelled(2), Cancelled(3), Generated(4, 0.0, 0.0, "b")]
    write_message(requests, Generate(5, "c"))
    write_message(requests, Cancel(5))  # may come before or while it runs: cancelled either way
    assert read_message(replies) in (Cancelled(5), Generated(5, 0.0, 0.0, "c"))
    write_message(requests, Cancel(1))  # the analysis was running all along
    assert read_message(replies) == Cancelled(1)
    write_message(requests, Quit(0))
    thread.join(10)
    assert not thread.is_alive()


def test_a_real_process_answers_a_generation_while_a_long_analysis_runs(tiny_model_dir, simulate):
    long = Recording.from_array(np.tile(simulate(60, 250.0, 60), 60), 250.0, ["MLII", "V1"], path="hour.hea")
    proc = AnalysisProcess(torch_threads=1)
    try:
        proc.start()
        job = proc.next_id()
        with proc.listen(job) as analysis:
            proc.send(Job(job, JobSpec(proc.ref(long), str(tiny_model_dir), "cpu", TASKS, (0.0, 10.0))))
            while isinstance(msg := analysis.get(timeout=120), ModelReady):
                pass
            assert isinstance(msg, Partial)
            gen = proc.next_id()
            with proc.listen(gen) as generation:
                proc.send(Generate(gen, GenerationSpec(proc.ref(long), (1,), ("V1",), 600.0, 620.0,
                                                       str(tiny_model_dir), "cpu")))
                reply = generation.get(timeout=120)
            assert isinstance(reply, Generated) and (reply.id, reply.t0_s) == (gen, 600.0)
            assert reply.data.shape == (1, 5000)
            proc.send(Cancel(job))
            while isinstance(msg := analysis.get(timeout=120), Partial):
                pass
            assert msg == Cancelled(job)  # the analysis was still running when the generation came back
    finally:
        proc.stop()


def _replies(stream):
    """A queue of the replies read from ``stream`` by a thread of its own (so a test can wait with a timeout)."""
    import queue

    out = queue.Queue()

    def read():
        try:
            while True:
                out.put(read_message(stream))
        except (EOFError, OSError, ValueError):
            pass

    threading.Thread(target=read, daemon=True).start()
    return out


def test_an_export_is_never_superseded_and_view_generations_are_answered_while_it_runs():
    """Stand-in generations: a view generation asked for while an export runs is answered at once and does
    not cancel the export; a second export waits for the first, both end exported, in order; a cancelled
    export ends cancelled."""
    started, release = threading.Event(), threading.Event()

    def generator(job_id, spec, pool, emit, cancelled, recordings):
        if getattr(spec, "export_to", None) is None:  # a view generation
            emit(Cancelled(job_id) if cancelled() else Generated(job_id, 0.0, 0.0, spec))
            return
        if spec.export_to == "first.hea":
            started.set()
            while not release.is_set() and not cancelled():
                time.sleep(0.005)
        emit(Cancelled(job_id) if cancelled() else Exported(job_id, spec.export_to))

    req_r, req_w = os.pipe()
    rep_r, rep_w = os.pipe()
    requests, replies = open(req_w, "wb"), _replies(open(rep_r, "rb"))
    svc = Service(open(req_r, "rb"), open(rep_w, "wb"), None, None, generator)
    thread = threading.Thread(target=svc.run, daemon=True)
    thread.start()
    write_message(requests, Generate(1, SimpleNamespace(export_to="first.hea")))
    assert started.wait(30)
    write_message(requests, Generate(2, "view"))  # the user scrolled during the export
    assert replies.get(timeout=30) == Generated(2, 0.0, 0.0, "view")
    write_message(requests, Generate(3, SimpleNamespace(export_to="second.edf")))  # waits for the first
    write_message(requests, Generate(4, "another view"))
    assert replies.get(timeout=30) == Generated(4, 0.0, 0.0, "another view")
    time.sleep(0.1)
    assert replies.empty()  # the first export still runs, the second has not started
    release.set()
    assert [replies.get(timeout=30) for _ in range(2)] == [Exported(1, "first.hea"), Exported(3, "second.edf")]
    started.clear()
    release.clear()
    write_message(requests, Generate(5, SimpleNamespace(export_to="first.hea")))
    assert started.wait(30)
    write_message(requests, Cancel(5))
    assert replies.get(timeout=30) == Cancelled(5)
    write_message(requests, Quit(0))
    thread.join(10)
    assert not thread.is_alive()


def test_a_generation_that_runs_out_of_gpu_memory_goes_on_on_the_cpu(strip_70bpm, files, tmp_path, monkeypatch):
    import torch

    from anyecg_model.analysis import leadgen

    calls = []

    class Pool:
        def get(self, model_dir, device):
            return SimpleNamespace(device=device, info=SimpleNamespace(name="stand-in", version="1"))

    def generate_leads(analyzer, rec, names, a, b):
        calls.append(analyzer.device)
        if analyzer.device == "cuda":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        n = int(round(b * rec.fs)) - int(round(a * rec.fs))
        return leadgen.GeneratedLeads(names, names, np.zeros((len(names), n), np.float32), rec.fs, a)

    monkeypatch.setattr(leadgen, "generate_leads", generate_leads)
    spec = GenerationSpec(recording_ref(strip_70bpm, files), (1,), ("V1",), 10.0, 40.0, "model", "cuda")
    out = []
    run_generation(7, spec, Pool(), out.append, lambda: False)
    assert out[0] == Notice(7, "CUDA ran out of memory: the lead generation continues on the CPU.")
    assert isinstance(out[1], Generated) and (out[1].id, out[1].t0_s) == (7, 10.0)
    assert out[1].data.shape == (1, int(30 * strip_70bpm.fs))
    assert calls == ["cuda", "cpu"]
    calls.clear()
    out.clear()
    monkeypatch.setattr(generation, "EXPORT_STEP_S", 40.0)
    run_generation(8, replace(spec, export_to=str(tmp_path / "gpu.edf")), Pool(), out.append, lambda: False)
    assert [type(m) for m in out] == [Notice, Progress, Progress, Progress, Exported]
    assert "the export continues on the CPU" in out[0].message and calls == ["cuda", "cpu", "cpu", "cpu"]
