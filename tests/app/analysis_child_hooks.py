"""An analysis process for tests: the real service (``anyecg_model.analysis.service``) with three hooks, for
behaviour that is otherwise a race or needs a GPU. Run as a script: ``python tests/app/analysis_child_hooks.py``.

- A recording named ``moving.hea``: its job takes its second chunk only once the viewer has sent a view that
  starts past 100 s (or after 30 s), so "the moved view is analysed next" is tested without a race.
- Device ``cuda``: the analyzer runs out of GPU memory on its first chunk (the CPU fallback without a GPU).
- A recording named ``stuck.hea``: its lead generation never ends (until the process is killed).
"""
from __future__ import annotations

import sys
import time


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
            info, anomaly_threshold = analyzer.info, analyzer.anomaly_threshold

            def iter_analyze(self, *args, **kwargs):
                raise torch.cuda.OutOfMemoryError("CUDA out of memory")

        return Gpu()


def runner(job_id, job, pool, emit, cancelled, focus):
    from anyecg_model.analysis.service import run_job

    if job.recording.provenance.path.endswith("moving.hea"):
        focus = GatedFocus(focus)
    if job.device == "cuda":
        pool = OutOfMemoryOnGpu(pool)
    run_job(job_id, job, pool, emit, cancelled, focus)


def generator(job_id, spec, pool, emit, cancelled, recordings):
    from anyecg_model.analysis.service import run_generation

    if spec.recording.provenance.path.endswith("stuck.hea"):
        while True:
            time.sleep(1.0)
    run_generation(job_id, spec, pool, emit, cancelled, recordings)


if __name__ == "__main__":
    from anyecg_model.analysis.service import main

    sys.exit(main(runner, generator))
