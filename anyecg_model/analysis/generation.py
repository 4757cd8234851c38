"""Lead generation in the analysis process: :func:`run_generation` generates leads over a view's window, or
writes the whole recording with the generated leads added (an export, :attr:`GenerationSpec.export_to
<.protocol.GenerationSpec.export_to>`), on the analyzers the jobs loaded (inference is read-only).

An export is generated in steps of :data:`EXPORT_STEP_S` (progress and cancel between steps) and written
through a temporary folder beside the target, renamed into place when complete (WFDB: signal file, then
header), so a cancelled or killed export never leaves a partial file at the user's path. The recording a view
generation last used stays open (:class:`RecordingCache`), so following the view does not re-open the file each
time. A GPU out of memory goes on on the CPU with a :class:`~.protocol.Notice`; every failure becomes a reply.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from ..io.recording import Recording, RecordingError
from ..model.checkpoint_meta import CheckpointError
from .chunks import AnalysisError
from .jobs import AnalyzerPool, Emit, open_for, pick_device
from .protocol import Cancelled, Exported, Failed, GenerationSpec, Generated, ModelUnusable, Notice, Progress
from .recording_ref import RecordingRef

log = logging.getLogger(__name__)

#: Seconds generated per step when a whole recording is exported with generated leads (progress and cancel
#: between steps).
EXPORT_STEP_S = 600.0


def run_generation(job_id: int, spec: GenerationSpec, pool: AnalyzerPool, emit: Emit,
                   cancelled: Callable[[], bool], recordings: "RecordingCache | None" = None) -> None:
    """Generate ``spec``'s leads, emitting the :mod:`.protocol` replies for ``job_id``; ends with exactly one
    final reply (Generated, Exported, Failed, ModelUnusable, Cancelled or SendSamples), whatever happens."""
    opener = (lambda: recordings.open(spec.recording)) if recordings is not None else spec.recording.open
    rec = open_for(job_id, spec.recording, opener, emit, cancelled)
    if rec is None:
        return
    try:
        _generate(job_id, spec, rec, pool, emit, cancelled)
    except BrokenPipeError:
        raise  # the viewer is gone
    except Exception as exc:  # noqa: BLE001 - generation failures become a message, never a crash
        log.exception("lead generation for %s failed", rec.path)
        emit(Failed(job_id, f"Lead generation failed: {exc}"))


def _generate(job_id, spec: GenerationSpec, rec: Recording, pool, emit: Emit, cancelled) -> None:
    import numpy as np
    import torch

    from .leadgen import export_with_generated, generate_leads, without_leads

    model_dir = Path(spec.model_dir)
    device = pick_device(spec.device)
    try:
        analyzer = pool.get(model_dir, device)
    except (CheckpointError, OSError) as exc:
        emit(ModelUnusable(job_id, str(model_dir), str(exc)))
        return
    names = list(spec.names)
    what = "lead generation" if spec.export_to is None else "export"

    def generate(a: float, b: float):
        """The generated leads over [a, b] s; on a GPU out of memory, the CPU from then on (with a notice)."""
        nonlocal analyzer, device
        try:
            return generate_leads(analyzer, source, names, a, b)
        except torch.cuda.OutOfMemoryError:
            if device == "cpu":
                raise
            emit(Notice(job_id, f"{device.upper()} ran out of memory: the {what} continues on the CPU."))
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            analyzer, device = pool.get(model_dir, "cpu"), "cpu"
            return generate_leads(analyzer, source, names, a, b)

    try:
        source = without_leads(rec, spec.leads)
        if spec.export_to is None:
            gen = generate(spec.t0, spec.t1)
            emit(Cancelled(job_id) if cancelled() else Generated(job_id, gen.start_s, gen.fs, gen.data))
            return
        parts = []
        for a in np.arange(0.0, rec.duration_s, EXPORT_STEP_S):
            if cancelled():
                emit(Cancelled(job_id))
                return
            b = min(rec.duration_s, a + EXPORT_STEP_S)
            parts.append(generate(float(a), float(b)).data)
            emit(Progress(job_id, b / rec.duration_s))
        if cancelled():  # the last chance: the file is written at once from here on
            emit(Cancelled(job_id))
            return
        path = export_with_generated(rec, np.concatenate(parts, axis=1), names, spec.export_to,
                                     f"{analyzer.info.name} v{analyzer.info.version}")
        emit(Exported(job_id, str(path)))
    except (AnalysisError, RecordingError, ValueError, OSError, CheckpointError) as exc:
        emit(Failed(job_id, str(exc)))


class RecordingCache:
    """The recording the last generation opened, kept while the next ones ask for the same one (a file is
    re-opened and checked only when the viewer's recording changes; samples sent by value are not kept)."""

    def __init__(self):
        self._key: tuple | None = None
        self._rec: Recording | None = None

    @staticmethod
    def _key_of(ref: RecordingRef) -> tuple | None:
        if ref.kind == "array":
            return None
        return (ref.kind, ref.provenance, ref.npy, ref.gain_mv, ref.fs, ref.n_samples,
                tuple(lead.name for lead in ref.leads))

    def open(self, ref: RecordingRef) -> Recording:
        key = self._key_of(ref)
        if key is not None and key == self._key and self._rec is not None:
            return self._rec
        rec = ref.open()
        self._key, self._rec = key, (rec if key is not None else None)
        return rec
