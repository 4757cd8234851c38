"""An analysis process for tests: the real server (``anyecg_model.analysis.server``) with hooks, for behaviour
that is otherwise a race or needs a GPU. Run as a script: ``python tests/app/model/analysis_child_hooks.py``.

- A recording named ``moving.hea``: its job takes its second chunk only once the viewer has sent a view that
  starts past 100 s (or after 30 s), so "the moved view is analysed next" is tested without a race.
- Device ``cuda``: the analyzer runs out of GPU memory on its first chunk (the CPU fallback without a GPU).
- A recording named ``stuck.hea``: its lead generation never ends (until the process is killed).
- An export to ``gated.*``: it writes ``<target>.started`` and begins only once ``<target>.go`` exists (or it
  is cancelled), so "a view generation while an export runs" is tested without a race.
- An export to ``killed-in-signal.hea`` / ``killed-in-header.hea``: the WFDB writer writes ``<target>.writing``
  and hangs once the first block of the signal file is written / while making the header (until the process is
  killed).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path


class GatedFocus:
    """The job's focus range; the second poll waits until the view starts past ``t0_min`` s."""

    def __init__(self, inner, t0_min: float = 100.0):
        self.inner, self.t0_min, self.polls = inner, t0_min, 0

    def __call__(self):
        self.polls += 1
        if self.polls == 2:
            deadline = time.monotonic() + 30.0
            while self.inner()[0][0] < self.t0_min and time.monotonic() < deadline:
                time.sleep(0.005)
        return self.inner()


class OutOfMemoryOnGpu:
    """The pool's analyzers, except that one for a GPU exhausts its memory when it runs."""

    def __init__(self, pool):
        self.pool = pool

    def get(self, model_dir, device):
        import torch

        analyzer = self.pool.get(model_dir, "cpu")
        if device == "cpu":
            return analyzer

        class Gpu:
            info, rules = analyzer.info, analyzer.rules

            def iter_analyze(self, *args, **kwargs):
                raise torch.cuda.OutOfMemoryError("CUDA out of memory")

        return Gpu()


def runner(job_id, job, pool, emit, cancelled, focus):
    from anyecg_model.analysis.jobs import run_job

    if job.recording.provenance.path.endswith("moving.hea"):
        focus = GatedFocus(focus)
    if job.device == "cuda":
        pool = OutOfMemoryOnGpu(pool)
    run_job(job_id, job, pool, emit, cancelled, focus)


def hang(marker: Path) -> None:
    marker.touch()
    while True:
        time.sleep(1.0)


def hang_in_wfdb_writer(target: Path) -> None:
    """The WFDB writer of this process hangs (after touching ``<target>.writing``) at ``target``'s stem."""
    import importlib

    writer = importlib.import_module("anyecg_model.io.writers.wfdb_writer")
    marker = target.with_name(target.name + ".writing")
    if target.stem == "killed-in-signal":
        real = writer.chunks

        def chunks(rec, *args):
            for item in real(rec, *args):
                yield item
                hang(marker)  # the block was written to the temporary signal file

        writer.chunks = chunks
    else:
        writer._sanitize = lambda text: hang(marker)


def generator(job_id, spec, pool, emit, cancelled, recordings):
    from anyecg_model.analysis.generation import run_generation

    if spec.recording.provenance.path.endswith("stuck.hea"):
        while True:
            time.sleep(1.0)
    target = Path(spec.export_to) if spec.export_to else None
    if target is not None and target.stem == "gated":
        target.with_name(target.name + ".started").touch()
        go = target.with_name(target.name + ".go")
        while not go.exists() and not cancelled():
            time.sleep(0.01)
    if target is not None and target.stem.startswith("killed-in-"):
        hang_in_wfdb_writer(target)
    run_generation(job_id, spec, pool, emit, cancelled, recordings)


if __name__ == "__main__":
    from anyecg_model.analysis.server import main

    sys.exit(main(runner, generator))
