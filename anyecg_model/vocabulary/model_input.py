"""The model-input contract: what a window and its beats look like, for training and analysis alike.

Training (:mod:`anyecg_model.train.data.task_windows`) builds these inputs from a corpus, the analysis
(:mod:`anyecg_model.analysis.analyzer`) from a recording, both with the functions of :mod:`.beat_inputs`
(:func:`~.beat_inputs.window_beat_fields`); both read the sizes from here, and the heads
(:mod:`anyecg_model.model.heads`) are sized from them, so the three cannot drift apart.

Per window (``WINDOW_S`` s of patches at the model rate, 300 Hz unless the checkpoint says otherwise) the
beat heads take up to ``MAX_BEATS`` beats, each with:

- ``beat_patch`` (int64): index of the patch holding the R peak;
- ``beat_rr`` (float32, ``N_RR_FEATURES``): RR features (:func:`.beat_inputs.rr_features`);
- ``beat_template`` (float32, ``N_TEMPLATE_FEATURES``): the beat against the window's dominant beat
  (:func:`.beat_inputs.template_features`);
- ``beat_morph`` (float32, slots × (``MORPH_BEFORE`` + ``MORPH_AFTER``) samples): the beat-centred waveform;
- ``beat_mask`` (bool): a real beat, not padding; ``beat_label`` (int64, −1 unknown): its class in training.

:class:`PreprocessConfig` says how a recording becomes that input (filters, rate, patches); it is stored in
every checkpoint. This module imports nothing of the project (:mod:`anyecg_model.vocabulary`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

#: Length of one model window (s): the unit of the record-level, anomaly and beat heads.
WINDOW_S = 10.0
#: Most beats one window can hold (a 240 bpm run over 10 s).
MAX_BEATS = 40
#: RR-interval features per beat.
N_RR_FEATURES = 6
#: Beat-versus-dominant-beat features per beat.
N_TEMPLATE_FEATURES = 3
#: Beat-centred morphology window at 300 Hz, in samples: 0.25 s before to 0.45 s after the R peak.
MORPH_BEFORE = 75
MORPH_AFTER = 135

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A dataclass config from plain JSON types (lists back to tuples); unknown keys are an error that names them."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown config keys {unknown}")
    kwargs = dict(data)
    for f in dataclasses.fields(cls):
        if f.name in kwargs and isinstance(kwargs[f.name], list) and "tuple" in str(f.type):
            kwargs[f.name] = tuple(kwargs[f.name])
    return cls(**kwargs)


@dataclass
class PreprocessConfig:
    """How a recording becomes model input; shared by training and inference.

    Order: NaN repair → optional db6 wavelet denoising (soft universal threshold, noise σ from the finest
    details, hence before the band-pass) → zero-phase Butterworth band-pass ``highpass_hz``–``lowpass_hz``
    and mains notch at the native rate → polyphase resampling to ``target_fs`` → amplitude scaling → cut
    into non-overlapping ``patch_len``-sample patches (1 s at 300 Hz).

    The band is 0.5–75 Hz: the paper's 75 Hz upper edge, but 0.5 Hz (not 0.1 Hz) at the bottom because a
    1-s token cannot represent baseline wander and the tokenizer would spend codes on it. The upper edge is
    lowered to 0.45 × the native rate when the native Nyquist is below it (100 Hz recordings). The notch is
    skipped when the mains frequency is above 0.45 × the native rate.

    Amplitude: ``amplitude_scaling="mV"`` keeps physical units (divided by ``amplitude_unit_mv``, default
    1 mV) so voltage criteria survive; ``"robust"`` divides each lead by its median absolute deviation ×
    ``robust_target`` (amplitude-free). Either way values are clipped to ±``clip``.
    """

    target_fs: float = 300.0
    patch_len: int = 300
    min_fs: float = 100.0
    highpass_hz: float = 0.5
    lowpass_hz: float = 75.0
    filter_order: int = 2
    mains_hz: float | None = 50.0
    notch_q: float = 30.0
    denoise_wavelet: str | None = None
    denoise_level: int = 4
    amplitude_scaling: str = "mV"
    amplitude_unit_mv: float = 1.0
    robust_target: float = 0.2
    clip: float = 8.0
    #: a lead with more than this share of NaN samples is masked; shorter NaN runs are interpolated.
    max_nan_fraction: float = 0.5
    #: a lead whose peak-to-peak amplitude (mV) after filtering is below this is flat and masked.
    flat_threshold_mv: float = 0.02
    #: a partial last patch is kept (zero-padded, valid) when at least this share of it is real signal.
    min_tail_fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.target_fs <= 0 or self.patch_len <= 0:
            raise ValueError("target_fs and patch_len must be positive")
        if not 0 < self.highpass_hz < self.lowpass_hz:
            raise ValueError(f"band-pass {self.highpass_hz}–{self.lowpass_hz} Hz is not a band")
        if self.amplitude_scaling not in ("mV", "robust"):
            raise ValueError(f"amplitude_scaling must be 'mV' or 'robust', not {self.amplitude_scaling!r}")
        if self.mains_hz is not None and self.mains_hz not in (50.0, 60.0):
            raise ValueError(f"mains_hz must be 50, 60 or None, not {self.mains_hz}")

    @property
    def patch_s(self) -> float:
        """Duration of one patch (token) in seconds."""
        return self.patch_len / self.target_fs

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PreprocessConfig":
        return config_from_dict(cls, data)
