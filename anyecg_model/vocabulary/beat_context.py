"""Clinical beat features measured against the recording's own rhythm and dominant beat (numpy only).

The classical inter-patient beat classifiers (de Chazal 2004, Mar 2011, Llamedo 2011) win on prematurity
normalised by the patient's own rhythm and on likeness to the patient's own dominant beat. These are the
fusion head's clinical inputs (:mod:`anyecg_model.model.beat_fusion`) and the same-run gradient-boosting baseline's features.

Everything is computed over one *context*: the beats of an analysis chunk and its margins (the analyzer's
300-s chunk plus 10 s either side; a whole record when given one). Within it:

- RR: pre-RR and post-RR (s), each over the local mean RR (beats within :data:`LOCAL_S` s either side) and
  over the context's median RR; pre/post; pre-RR over the previous RR (sudden shortening); local RR
  irregularity (median |ΔRR| over the median RR of the neighbouring beats, high in atrial fibrillation).
- Template: the dominant beat is the median of the beats that correlate ≥ :data:`FAMILY_CORR` with the
  context's median beat (the largest family); each beat against it: correlation of the QRS (−100…+150 ms),
  correlation of the P-wave stretch (−250…−80 ms), log peak-to-peak ratio, residual RMS over the template's.
- QRS: width (ms, stretch where the slope exceeds 30 % of its peak), its ratio to the template's, and the
  peak-to-peak amplitude (mV).

Sample indices are at the model rate ``fs`` (300 Hz); ``signal`` is the preprocessed (S, n) context in mV.
"""
from __future__ import annotations

import numpy as np

from .beat_inputs import exact_median

#: Names of the columns of :func:`clinical_features`, in order.
CLINICAL_FEATURES: tuple[str, ...] = (
    "pre_rr_s", "post_rr_s", "pre_over_local", "post_over_local", "pre_over_median", "post_over_median",
    "pre_over_post", "pre_over_previous", "local_irregularity",
    "qrs_corr", "p_corr", "log_amp_ratio", "residual", "min_lead_corr",
    "qrs_width_ms", "width_over_template", "qrs_amplitude_mv",
)
#: Half-width of the window whose RR intervals form the local mean RR (s).
LOCAL_S = 30.0
#: Correlation with the context's median beat above which a beat belongs to the dominant family.
FAMILY_CORR = 0.9
#: Beat window around the R peak (s): before, after.
BEAT_BEFORE_S, BEAT_AFTER_S = 0.30, 0.40
_QRS = (-0.10, 0.15)
_P = (-0.25, -0.08)


def _rr_block(peaks: np.ndarray, fs: float) -> np.ndarray:
    k = len(peaks)
    out = np.zeros((k, 9), np.float32)
    if k < 2:
        out[:, :2] = 0.8
        out[:, 2:8] = 1.0
        return out
    t = peaks / fs
    rr = np.clip(np.diff(t), 0.15, 3.0)
    pre = np.concatenate([[rr[0]], rr])
    post = np.concatenate([rr, [rr[-1]]])
    prev = np.concatenate([[pre[0]], pre[:-1]])
    # local mean RR: mean of the RR intervals ending within ±LOCAL_S of the beat
    ends = t[1:]
    c = np.concatenate([[0.0], np.cumsum(rr)])
    lo = np.searchsorted(ends, t - LOCAL_S, "left")
    hi = np.searchsorted(ends, t + LOCAL_S, "right")
    hi = np.maximum(hi, lo + 1).clip(max=len(rr))
    lo = np.minimum(lo, hi - 1)
    local = (c[hi] - c[lo]) / (hi - lo)
    median = float(exact_median(rr, 0))
    d = np.abs(np.diff(rr))
    irr = np.zeros(k)
    if len(d):
        cd = np.concatenate([[0.0], np.cumsum(d)])
        j = np.arange(k)
        a, b = np.clip(j - 8, 0, len(d)), np.clip(j + 8, 0, len(d))
        b = np.maximum(b, a + 1).clip(max=len(d))
        a = np.minimum(a, b - 1)
        irr = (cd[b] - cd[a]) / (b - a) / local
    out[:, 0], out[:, 1] = pre, post
    out[:, 2], out[:, 3] = pre / local, post / local
    out[:, 4], out[:, 5] = pre / median, post / median
    out[:, 6], out[:, 7], out[:, 8] = pre / post, pre / prev, irr
    return out


def beat_matrix(signal: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Beat-centred windows (K, S, T) of ``signal`` (S, n), :data:`BEAT_BEFORE_S` before to
    :data:`BEAT_AFTER_S` after each R peak, zero-padded at the edges, each minus its median."""
    S, n = signal.shape
    b, a = int(round(BEAT_BEFORE_S * fs)), int(round(BEAT_AFTER_S * fs))
    padded = np.zeros((S, n + b + a), np.float32)
    padded[:, b:b + n] = signal
    idx = np.asarray(peaks, np.int64).clip(0, n - 1)[:, None] + np.arange(b + a)[None, :]
    seg = np.take(padded, idx, axis=1).transpose(1, 0, 2)  # the gather padded[:, idx], several times faster
    return seg - np.expand_dims(exact_median(seg, -1), -1)


def _corr(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    xc = x - x.mean(-1, keepdims=True)
    tc = t - t.mean(-1, keepdims=True)
    return (xc * tc).sum(-1) / np.sqrt((xc ** 2).sum(-1) * (tc ** 2).sum(-1)).clip(min=1e-12)


def _qrs_width_ms(x: np.ndarray, fs: float) -> np.ndarray:
    """(K,) QRS width (ms) of beats ``x`` (K, T'), T' the QRS stretch: span where |slope| > 30 % of its max."""
    slope = np.abs(np.diff(x, axis=-1))
    above = slope > 0.3 * slope.max(-1, keepdims=True).clip(min=1e-9)
    first = above.argmax(-1)
    last = above.shape[-1] - 1 - above[:, ::-1].argmax(-1)
    return (last - first + 1) * 1000.0 / fs


def live_leads(seg: np.ndarray) -> np.ndarray:
    """(S,) bool: the leads of the beats ``seg`` (K, S, T) whose samples are not flat (std > 1e-6 mV).

    A flat-signal test, not a clinical threshold: the std runs over a contiguous (S, K*T) copy, about
    10x faster than over the strided (K, S, T) beats; its summation order differs from ``seg.std(axis=(0,
    2))`` by last bits only, which could flip a lead only sitting exactly at 1e-6 mV.
    """
    return np.ascontiguousarray(seg.transpose(1, 0, 2)).reshape(seg.shape[1], -1).std(axis=1) > 1e-6


def template_block(seg: np.ndarray, fs: float) -> np.ndarray:
    """(K, 8) template and QRS features of the beats ``seg`` (K, S, T) of one context (see module doc)."""
    K = seg.shape[0]
    out = np.zeros((K, 8), np.float32)
    if K == 0:
        return out
    live = live_leads(seg)
    if not live.any():
        return out
    x = seg[:, live].astype(np.float64)  # (K, S', T)
    b = int(round(BEAT_BEFORE_S * fs))
    q0, q1 = b + int(_QRS[0] * fs), b + int(_QRS[1] * fs)
    p0, p1 = b + int(_P[0] * fs), b + int(_P[1] * fs)
    med = exact_median(x, 0)
    family = _corr(x[..., q0:q1], med[None, :, q0:q1]).mean(1) >= FAMILY_CORR
    tmpl = exact_median(x[family], 0) if family.sum() >= 3 else med
    qc = _corr(x[..., q0:q1], tmpl[None, :, q0:q1])  # (K, S')
    pc = _corr(x[..., p0:p1], tmpl[None, :, p0:p1])
    qx, qt = x[..., q0:q1], tmpl[:, q0:q1]
    amp = np.log(np.ptp(qx, -1).clip(min=1e-3) / np.ptp(qt, -1).clip(min=1e-3))
    resid = np.sqrt(((qx - qt) ** 2).mean(-1)) / np.sqrt(((qt - qt.mean(-1, keepdims=True)) ** 2).mean(-1)).clip(1e-3)
    lead = int(np.argmax(np.ptp(qt, -1)))  # the lead with the tallest dominant QRS
    width = _qrs_width_ms(qx[:, lead], fs)
    t_width = float(_qrs_width_ms(qt[None, lead], fs)[0])
    out[:, 0], out[:, 1] = qc.mean(1), pc.mean(1)
    out[:, 2], out[:, 3] = amp.mean(1), np.minimum(resid, 10.0).mean(1)
    out[:, 4] = qc.min(1)
    out[:, 5], out[:, 6] = width, width / max(t_width, 1.0)
    out[:, 7] = np.ptp(qx[:, lead], -1)
    return out


def clinical_features(signal: np.ndarray, peaks: np.ndarray, fs: float,
                      rr_peaks: np.ndarray | None = None) -> np.ndarray:
    """(K, len(CLINICAL_FEATURES)) float32 for the R ``peaks`` (samples, sorted) of one context ``signal``
    (S, n) at ``fs`` Hz; the RR features read ``rr_peaks`` instead when given (the same beats with intervals
    across unreadable signal closed: :func:`~.beat_inputs.close_unknown_rr`)."""
    peaks = np.asarray(peaks, np.int64)
    if len(peaks) == 0:
        return np.zeros((0, len(CLINICAL_FEATURES)), np.float32)
    rr = _rr_block(np.asarray(peaks if rr_peaks is None else rr_peaks, np.float64), fs)
    tm = template_block(beat_matrix(signal, peaks, fs), fs)
    return np.nan_to_num(np.concatenate([rr, tm], axis=1), nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
