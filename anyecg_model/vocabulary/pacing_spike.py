"""Pacemaker-stimulus features per beat, on the band-unlimited signal at the file's own rate (numpy only).

A pacemaker stimulus is a very short, very steep deflection just before the paced QRS (or P wave): far sharper
than any wave the heart makes, and alike from one device to the next, unlike the paced QRS's shape. Per beat,
over the stretch from :data:`BEFORE_S` before to :data:`AFTER_S` after its R peak, on every lead that carries
signal (the largest value over the leads is kept: a stimulus may show on one lead only):

- ``pace_sharpness_per_ms``: the largest second derivative over the largest first derivative,
  max|x''| / max|x'| (1/ms). Both derivatives are in physical units (mV/s², mV/s), so a band-limited wave
  gives the same value at 250, 360 or 500 Hz (a QRS about 0.1-0.2 /ms); a stimulus one or two samples wide
  gives about one sample⁻¹ (2.8 /ms at 360 Hz).
- ``pace_steepness_per_s``: the largest slope over the stretch's peak-to-peak amplitude, max|x'| / ptp (1/s):
  a stimulus rises its whole height within a few ms, a QRS within 20-40 ms (25-50 /s).
- ``pace_slope_vs_context``: log of the beat's max|x'| over the median of that measure across the context's
  beats (the analysed chunk and its margins): separates paced from native beats within one recording.
- ``pace_spike_ms``: where the sharpest point (max|x''|) lies relative to the R peak (ms; negative before).

Derivatives are first and second differences times ``fs`` and ``fs²``. ``signal`` is (S, n) in mV at ``fs`` Hz
(the file's rate, before the model's band-pass and resampling, which would blunt a stimulus); ``peaks`` are
sample indices into it.
"""
from __future__ import annotations

import numpy as np

#: Names of the columns of :func:`pacing_features`, in order.
PACING_FEATURES: tuple[str, ...] = ("pace_sharpness_per_ms", "pace_steepness_per_s", "pace_slope_vs_context",
                                    "pace_spike_ms")
#: Stretch searched for a stimulus around each R peak (s): before, after. Atrial stimuli precede the P wave
#: (up to a PR interval, ~0.2 s, before the R peak); ventricular ones the QRS onset.
BEFORE_S, AFTER_S = 0.25, 0.06


def pacing_features(signal: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """(K, len(PACING_FEATURES)) float32 for the R ``peaks`` (samples) of ``signal`` (S, n) at ``fs`` Hz."""
    x = np.atleast_2d(np.asarray(signal, np.float32))
    peaks = np.asarray(peaks, np.int64)
    out = np.zeros((len(peaks), len(PACING_FEATURES)), np.float32)
    if len(peaks) == 0 or x.shape[1] < 3:
        return out
    b, a = int(round(BEFORE_S * fs)), int(round(AFTER_S * fs))
    # (S, T, K): the stretch's samples on the middle axis, beats last, so that reductions over the stretch run
    # over contiguous slabs (several times faster than over a short last axis)
    idx = np.clip(np.arange(-b, a + 1)[:, None] + peaks[None, :], 0, x.shape[1] - 1)  # edges repeat the end
    seg = np.take(x, idx, axis=1)  # the same gather as x[:, idx], ~7x faster
    span = seg.max(1) - seg.min(1)  # (S, K) peak-to-peak of each stretch
    live = np.flatnonzero(span.max(1) > 1e-6)  # leads that carry signal around these beats
    if live.size == 0:
        return out
    seg, span = seg[live], span[live]
    d1 = np.abs(np.diff(seg, axis=1))  # per sample; times fs: mV/s
    d2 = np.abs(np.diff(seg, 2, axis=1))  # times fs²: mV/s²
    m1 = d1.max(1) * fs  # (S, K) mV/s
    sharp = d2.max(1) * (fs * fs / 1000.0) / m1.clip(min=1e-6)  # 1/ms
    steep = m1 / span.clip(min=1e-3)
    ctx = np.log(m1.clip(min=1e-6) / np.median(m1, axis=1, keepdims=True).clip(min=1e-6))
    lead = sharp.argmax(0)  # (K,) the lead of the sharpest point
    k = np.arange(len(peaks))
    at = d2[lead, :, k].argmax(-1) + 1  # sample of the stretch at the centre of the sharpest second difference
    out[:, 0] = sharp.max(0)
    out[:, 1] = steep.max(0)
    out[:, 2] = ctx.max(0)
    out[:, 3] = (at - b) * 1000.0 / fs
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
