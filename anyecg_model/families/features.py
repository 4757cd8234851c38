"""Per-beat features for grouping and for the patient-adapted classifier, vectorised over all beats.

- :func:`rr_prematurity`: pre-RR, post-RR and the local rhythm (median RR of the 10 beats on each side), so a
  premature beat reads pre/local < 1 in the patient's own rhythm (de Chazal 2004 uses local-mean ratios).
- :func:`shape_vectors`: each beat's QRS-centred waveform, mean removed and scaled to unit norm per lead:
  the squared distance of two vectors is 2 (1 − Pearson correlation), averaged over the leads.
- :func:`qrs_width_amplitude`: QRS duration proxy (s) where the slope exceeds 15 % of its peak, and the QRS
  peak-to-peak amplitude (mV) of each lead.
- :func:`p_wave_likeness`: how the window before the QRS (where the P wave is) compares with the record's
  dominant beat's, per lead: Pearson r and log RMS ratio. An atrial premature beat's P wave differs in shape
  or falls on the preceding T wave; a junctional beat has none.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .waves import BeatWaves

#: Beats on each side of a beat whose RR intervals form its local rhythm.
LOCAL_BEATS = 10
#: Shape window relative to R (s).
SHAPE_S = (-0.15, 0.25)
#: QRS search window relative to R (s).
QRS_S = (-0.12, 0.12)
#: Slope fraction that bounds the QRS.
SLOPE_FRACTION = 0.15
#: P-wave window relative to R (s): the P wave of a PR interval of 120–200 ms.
P_WAVE_S = (-0.28, -0.08)
#: Beats (at most) whose median forms the record's dominant beat.
DOMINANT_SAMPLE = 2000


def rr_prematurity(times_s: np.ndarray) -> np.ndarray:
    """(K, 5) float32 for beats at sorted ``times_s``: pre-RR, post-RR (s), pre/local, post/local, pre/record.

    ``local`` is the median RR of the beats around (``LOCAL_BEATS`` each side), ``record`` the median RR of the
    whole list. Beats without a neighbour take the local rhythm as the missing interval."""
    t = np.asarray(times_s, dtype=np.float64)
    k = len(t)
    out = np.ones((k, 5), np.float32)
    if k < 2:
        out[:, :2] = 0.8
        return out
    rr = np.clip(np.diff(t), 0.15, 3.0)
    padded = np.pad(rr, LOCAL_BEATS, mode="reflect" if len(rr) > LOCAL_BEATS else "edge")
    local_rr = np.median(sliding_window_view(padded, 2 * LOCAL_BEATS + 1), axis=1)  # per interval
    local = np.concatenate([[local_rr[0]], 0.5 * (local_rr[1:] + local_rr[:-1]), [local_rr[-1]]])
    pre = np.concatenate([[local[0]], rr])
    post = np.concatenate([rr, [local[-1]]])
    out[:, 0], out[:, 1] = pre, post
    out[:, 2], out[:, 3] = pre / local, post / local
    out[:, 4] = pre / np.median(rr)
    return out


def _window(bw: BeatWaves, span_s: tuple[float, float]) -> slice:
    return slice(max(0, bw.offset + int(round(span_s[0] * bw.fs))),
                 min(bw.waves.shape[-1], bw.offset + int(round(span_s[1] * bw.fs)) + 1))


def shape_vectors(bw: BeatWaves) -> np.ndarray:
    """(K, S·T') float32 unit-norm-per-lead shape vectors (each lead weighted 1/√S)."""
    x = bw.waves[..., _window(bw, SHAPE_S)].astype(np.float32)
    x = x - x.mean(-1, keepdims=True)
    x /= np.linalg.norm(x, axis=-1, keepdims=True).clip(min=1e-6)
    return (x / np.sqrt(x.shape[1])).reshape(len(x), -1)


def qrs_width_amplitude(bw: BeatWaves) -> tuple[np.ndarray, np.ndarray]:
    """QRS width (K,) s from the first lead and peak-to-peak amplitudes (K, S) mV in the QRS window."""
    q = bw.waves[..., _window(bw, QRS_S)]
    amp = np.ptp(q, axis=-1) if q.shape[-1] else np.zeros(q.shape[:2], np.float32)
    if q.shape[-1] < 3:
        return np.zeros(len(q), np.float32), amp.astype(np.float32)
    slope = np.abs(np.diff(q[:, 0], axis=-1))
    above = slope > SLOPE_FRACTION * slope.max(-1, keepdims=True).clip(min=1e-6)
    first = above.argmax(-1)
    last = above.shape[-1] - 1 - above[:, ::-1].argmax(-1)
    return ((last - first + 1) / bw.fs).astype(np.float32), amp.astype(np.float32)


def p_wave_likeness(bw: BeatWaves) -> np.ndarray:
    """(K, 2·S) float32: per lead, Pearson r of the beat's P-wave window with the record's dominant (median)
    one, then log of its RMS over the dominant's median RMS."""
    x = bw.waves[..., _window(bw, P_WAVE_S)].astype(np.float32)
    x = x - x.mean(-1, keepdims=True)
    rms = np.linalg.norm(x, axis=-1)
    unit = x / rms[..., None].clip(min=1e-6)
    dominant = np.median(unit[:: max(1, len(unit) // DOMINANT_SAMPLE)], axis=0) if len(unit) else unit.sum(0)
    dominant /= np.linalg.norm(dominant, axis=-1, keepdims=True).clip(min=1e-6)
    r = (unit * dominant[None]).sum(-1)
    ratio = np.log(rms.clip(min=1e-3) / np.median(rms, axis=0, keepdims=True).clip(min=1e-3)) if len(x) else rms
    return np.concatenate([r, ratio], axis=1).astype(np.float32)
