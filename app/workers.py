"""Background threads of the viewer. None of them touches a widget in ``run()``: they read the
``Recording`` through the core API and hand results to the GUI thread by (queued) signals.

* :class:`RenderWorker` — turns the latest view request into min/max envelopes (older requests are
  dropped, so fast scrolling never queues work).
* :class:`PyramidBuilder` — opens or builds the level-of-detail pyramid, with progress and cancel.
* :class:`HeartRateWorker` — heart rate over the whole record, from the file's beat annotations, else the
  beats of a cached analysis, else R peaks cached by an earlier open
  (:class:`~anyecg_model.signal.rpeak_cache.RPeakCache`), else :func:`anyecg_model.signal.rpeaks.detect_r_peaks`
  run chunk by chunk (and then cached).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore

from anyecg_model.io.recording import Recording, RecordingError
from anyecg_model.signal.filters import RAW, DisplayFilter, filtered_window
from anyecg_model.signal.pyramid import BuildCancelled, Envelope, MinMaxPyramid, PyramidNeeded, envelope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderRequest:
    """Draw leads ``leads`` over ``[t0, t1]`` s into ``width_px`` columns with display filter ``filt``."""

    seq: int
    t0: float
    t1: float
    width_px: int
    leads: tuple[int, ...]
    filt: DisplayFilter = RAW


@dataclass
class RenderResult:
    request: RenderRequest
    envelope: Envelope | None
    error: str | None = None
    finite: bool = True
    #: True when the window is too wide to draw until the pyramid is built (not an error).
    waiting: bool = False


class RenderWorker(QtCore.QThread):
    """Computes the newest :class:`RenderRequest` only; emits ``ready(RenderResult)``."""

    ready = QtCore.Signal(object)

    def __init__(self, recording: Recording, parent=None):
        super().__init__(parent)
        self.recording = recording
        self.pyramid: MinMaxPyramid | None = None
        self._cond = threading.Condition()
        self._pending: RenderRequest | None = None
        self._stop = False

    def set_pyramid(self, pyramid: MinMaxPyramid | None) -> None:
        with self._cond:
            self.pyramid = pyramid

    def submit(self, request: RenderRequest) -> None:
        with self._cond:
            self._pending = request
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self.wait()

    def run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                req, self._pending = self._pending, None
                pyramid = self.pyramid
            self.ready.emit(self.compute(self.recording, pyramid, req))

    @staticmethod
    def compute(recording: Recording, pyramid: MinMaxPyramid | None, req: RenderRequest) -> RenderResult:
        """The envelope for one request (also usable synchronously)."""
        try:
            def read(s0, s1, idx):
                return filtered_window(recording, s0, s1, idx, req.filt)

            env = envelope(recording, req.t0, req.t1, req.width_px, list(req.leads), pyramid, read=read)
            return RenderResult(req, env, finite=bool(np.isfinite(env.y).all()))
        except PyramidNeeded:
            return RenderResult(req, None, waiting=True)
        except RecordingError as exc:
            return RenderResult(req, None, error=str(exc))
        except (OSError, ValueError) as exc:
            return RenderResult(req, None, error=f"{recording.path}: {exc}")


class PyramidBuilder(QtCore.QThread):
    """Opens the cached pyramid or builds it; ``progress(float 0..1)``, ``built(pyramid)``, ``failed(str)``."""

    progress = QtCore.Signal(float)
    built = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, recording: Recording, parent=None):
        super().__init__(parent)
        self.recording = recording
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()
        self.wait()

    def run(self) -> None:
        try:
            pyr = MinMaxPyramid.open_or_build(self.recording, progress=self.progress.emit,
                                              cancelled=self._cancel.is_set)
        except BuildCancelled:
            return
        except (RecordingError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
            return
        self.built.emit(pyr)


#: Seconds of lead read per detector call, and overlap on each side.
HR_CHUNK_S = 600.0
HR_OVERLAP_S = 5.0
#: Name of this chunking in the R-peak cache's key (the peaks depend on it).
HR_METHOD = f"chunk{HR_CHUNK_S:g}s-overlap{HR_OVERLAP_S:g}s"


class HeartRateWorker(QtCore.QThread):
    """Heart rate (bpm) over the record: emits ``result(times_s, bpm, source)`` or ``failed(str)``."""

    result = QtCore.Signal(object, object, str)
    progress = QtCore.Signal(float)
    failed = QtCore.Signal(str)

    def __init__(self, recording: Recording, lead: int = 0, parent=None):
        super().__init__(parent)
        self.recording = recording
        self.lead = lead
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()
        self.wait()

    def run(self) -> None:
        from anyecg_model.analysis.cache import cached_beat_times
        from anyecg_model.signal.rpeak_cache import RPeakCache
        from anyecg_model.signal.rpeaks import heart_rate_series

        rec = self.recording
        beats = rec.annotations.beats()
        if len(beats) >= 2:
            times, bpm = heart_rate_series(beats.sample, rec.fs)
            self.result.emit(times, bpm, "file beat annotations")
            return
        model_beats = cached_beat_times(rec.provenance.content_hash)
        if model_beats is not None and len(model_beats) >= 2:
            times, bpm = heart_rate_series(model_beats * rec.fs, rec.fs)
            self.result.emit(times, bpm, "the model's beats (cached analysis)")
            return
        cache = RPeakCache()
        peaks = cache.load(rec, self.lead, HR_METHOD)
        source = "R-peak detector (cached)"
        if peaks is None:
            peaks = self._detect()
            if peaks is None:
                return
            source = "R-peak detector"
            try:
                cache.store(rec, self.lead, HR_METHOD, peaks)
            except OSError as exc:
                log.warning("R peaks not cached: %s", exc)
        times, bpm = heart_rate_series(peaks, rec.fs)
        self.result.emit(times, bpm, source)

    def _detect(self) -> np.ndarray | None:
        """R peaks of the lead, chunk by chunk (None when cancelled or failed: ``failed`` was emitted)."""
        from anyecg_model.signal.rpeaks import detect_r_peaks

        rec = self.recording
        chunk, pad = int(HR_CHUNK_S * rec.fs), int(HR_OVERLAP_S * rec.fs)
        peaks = []
        try:
            for core in range(0, rec.n_samples, chunk):
                if self._cancel.is_set():
                    return None
                a, b = max(0, core - pad), min(rec.n_samples, core + chunk + pad)
                x = rec.read(a, b, [self.lead])[0]
                p = detect_r_peaks(x, rec.fs) + a
                peaks.append(p[(p >= core) & (p < core + chunk)])
                self.progress.emit(min(1.0, (core + chunk) / max(1, rec.n_samples)))
        except Exception as exc:  # noqa: BLE001 - a detector failure must never take the viewer down
            self.failed.emit(f"{rec.path}: heart rate unavailable: {exc}")
            return None
        return np.concatenate(peaks).astype(np.int64) if peaks else np.zeros(0, np.int64)
