"""The messages between a viewer and its analysis process: frozen dataclasses of plain data (arrays as numpy),
one class per kind, every one carrying the request ``id`` it belongs to.

Requests (viewer → process): :class:`Job` (an analysis), :class:`Generate` (lead generation or an export),
:class:`Warm` (load and exercise a model), :class:`Focus` (the range the view shows, for a running job),
:class:`Cancel`, :class:`Forget` (drop a checkpoint's loaded analyzers), :class:`Quit`.

Replies (process → viewer), for the request of their ``id``:

- to a :class:`Job`: :class:`ModelReady`, :class:`Partial` (one chunk) and :class:`Notice` as they come, then
  exactly one *final* reply: :class:`Done`, :class:`Failed`, :class:`ModelUnusable`, :class:`Cancelled` or
  :class:`SendSamples` (the file could not be re-opened as the viewer has it: send the samples instead);
- to a :class:`Generate`: :class:`Progress` (exports) and :class:`Notice`, then one of :class:`Generated`,
  :class:`Exported`, :class:`Failed`, :class:`ModelUnusable`, :class:`Cancelled` (cancelled by id or by
  :class:`Quit`; a view generation also when a newer one supersedes it, an export never) or
  :class:`SendSamples`;
- to a :class:`Warm`: :class:`Warmed` or :class:`WarmFailed`.

Ids are the viewer's (:meth:`~.client.AnalysisProcess.next_id`), never reused. The transport
(:mod:`.transport`) carries only the classes of :data:`MESSAGES`. Wording meant for a person stays in the
viewer: a checkpoint that cannot be loaded is a :class:`ModelUnusable` (folder and reason), not a sentence.
Nothing here imports Qt or torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .builder import FindingsRules
from .chunks import ChunkResult
from .findings import ModelInfo
from .recording_ref import RecordingRef


# ---------------------------------------------------------------------------------------------- what to do
@dataclass(frozen=True)
class JobSpec:
    """One analysis for the child: the recording, the checkpoint folder and device setting, the tasks, the
    range the view shows at the start (s), the findings cache folder the result is stored in (None: none) and
    the user's lead map (file lead, model lead) pairs, e.g. ``(("ECG", "II"),)``."""

    recording: RecordingRef
    model_dir: str
    device: str
    tasks: tuple[str, ...]
    visible: tuple[float, float]
    cache_dir: str | None = None
    lead_map: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GenerationSpec:
    """Lead generation for the child: the recording, the leads to generate (``leads``: indices into the
    recording, never used as inputs; ``names``: the model's lead for each), ``[t0, t1]`` s, the checkpoint
    folder and device setting. With ``export_to``, the whole recording plus the generated leads is written
    to that path (WFDB ``.hea``, EDF or BDF) instead."""

    recording: RecordingRef
    leads: tuple[int, ...]
    names: tuple[str, ...]
    t0: float
    t1: float
    model_dir: str
    device: str
    export_to: str | None = None


# ---------------------------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class Message:
    """A message on the pipe; ``id`` names the request it is or answers (0: none)."""

    id: int
    #: True for the reply that ends its request (nothing more comes for that id).
    final: ClassVar[bool] = False


@dataclass(frozen=True)
class Job(Message):
    spec: JobSpec


@dataclass(frozen=True)
class Generate(Message):
    spec: GenerationSpec


@dataclass(frozen=True)
class Warm(Message):
    """Load the model of ``model_dir`` on ``device`` (a setting: ``auto``, ``cpu`` …) and run it once."""

    model_dir: str
    device: str


@dataclass(frozen=True)
class Focus(Message):
    """The view of job ``id`` now shows ``[t0, t1]`` s: its next chunk is taken from there."""

    t0: float
    t1: float


@dataclass(frozen=True)
class Cancel(Message):
    """Stop request ``id`` at its next chunk or step."""


@dataclass(frozen=True)
class Forget(Message):
    """Drop the loaded analyzers of ``model_dir`` (before its next job)."""

    model_dir: str


@dataclass(frozen=True)
class Quit(Message):
    """End the process after the chunk in progress."""


@dataclass(frozen=True)
class ModelReady(Message):
    """The model is loaded: its identity, the device it runs on and its findings thresholds."""

    info: ModelInfo
    device: str
    rules: FindingsRules


@dataclass(frozen=True)
class Partial(Message):
    """One analysed chunk, as it is produced."""

    part: ChunkResult


@dataclass(frozen=True)
class Notice(Message):
    """Something the user should know that does not end the request (the GPU ran out of memory: going on on
    the CPU)."""

    message: str


@dataclass(frozen=True)
class Progress(Message):
    """Share of an export done, 0..1."""

    fraction: float


@dataclass(frozen=True)
class Done(Message):
    """The collected findings as :func:`~.cache.findings_to_arrays` gives them (cheap to unpickle)."""

    meta: dict
    arrays: dict[str, np.ndarray]
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class Generated(Message):
    """The generated leads: ``data`` ``(n_leads, n)`` float32 mV in the order asked for, from ``t0_s`` at
    ``fs`` Hz."""

    t0_s: float
    fs: float
    data: np.ndarray
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class Exported(Message):
    """The export is complete at ``path``."""

    path: str
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class Failed(Message):
    """The request failed; ``message`` names what and why."""

    message: str
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class ModelUnusable(Message):
    """The checkpoint in ``model_dir`` cannot be loaded (missing, corrupt or incompatible): ``reason``."""

    model_dir: str
    reason: str
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class Cancelled(Message):
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class SendSamples(Message):
    """The file could not be re-opened as the viewer has it: ask again with the samples."""

    final: ClassVar[bool] = True


@dataclass(frozen=True)
class Warmed(Message):
    seconds: float
    final: ClassVar[bool] = True


@dataclass(frozen=True)
class WarmFailed(Message):
    message: str
    final: ClassVar[bool] = True


REQUESTS: tuple[type[Message], ...] = (Job, Generate, Warm, Focus, Cancel, Forget, Quit)
REPLIES: tuple[type[Message], ...] = (ModelReady, Partial, Notice, Progress, Done, Generated, Exported, Failed,
                                      ModelUnusable, Cancelled, SendSamples, Warmed, WarmFailed)
#: Every message the transport carries.
MESSAGES: frozenset[type[Message]] = frozenset(REQUESTS + REPLIES)
