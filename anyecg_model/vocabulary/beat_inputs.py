"""The beat inputs of the model-input contract (:mod:`.model_input`): features from R peaks and preprocessed
patches, and the padded per-window beat fields the beat heads read. Training
(:mod:`anyecg_model.train.data.task_windows`) and analysis (:mod:`anyecg_model.analysis.analyzer`) both build their
beat inputs here, so they match exactly. Numpy only.

All times are in seconds, all sample indices at the model rate (300 Hz unless stated).

- :func:`rr_features`: per beat, pre-RR, post-RR, local mean RR and their ratios — the features that
  carry supraventricular and ventricular prematurity across patients (de Chazal 2004, Mar 2011).
- :func:`rhythm_features`: per window, RR statistics that separate irregular rhythms (AF) from
  regular ones: mean RR, SD, RMSSD, pNN50, and the share of successive differences over 15 %.
- :func:`beat_segments`: beat-centred waveforms of every slot, for the morphology encoder.
- :func:`template_features`: each beat against the window's dominant beat (the median beat): correlation,
  amplitude ratio and residual energy. Measured against the same patient's own beats, they carry
  ventricular ectopy across patients whose normal beats look very different (inter-patient setting).
- :func:`beat_fields` / :func:`window_beat_fields`: one window's (or many windows') beats as the padded
  ``beat_patch``, ``beat_rr``, ``beat_template``, ``beat_morph``, ``beat_mask``, ``beat_label`` fields.
"""
from __future__ import annotations

import numpy as np

from .model_input import MAX_BEATS, MORPH_AFTER, MORPH_BEFORE, N_RR_FEATURES, N_TEMPLATE_FEATURES


def exact_median(a: np.ndarray, axis: int) -> np.ndarray:
    """``np.median(a, axis)`` to the bit, without its NaN pass: the middle element (or the mean of the two middle
    ones) of one partition, plus 0.0 as ``np.mean``'s sum adds it (a median of -0.0 is 0.0). Arrays holding NaN
    go to ``np.median``. About twice as fast on a chunk's beat segments."""
    if np.isnan(a).any():
        return np.median(a, axis=axis)
    n = a.shape[axis]
    mid = n // 2
    if n % 2:
        return np.take(np.partition(a, mid, axis=axis), mid, axis=axis) + 0.0
    part = np.partition(a, mid, axis=axis)
    return (lower_middle(part, mid, axis) + np.take(part, mid, axis=axis)) / 2 + 0.0


def lower_middle(part: np.ndarray, mid: int, axis: int) -> np.ndarray:
    """The (mid-1)-th smallest along ``axis`` of ``part``, an array partitioned at ``mid``: the largest of the
    elements before ``mid``. The same value as a second kth of ``np.partition`` (exact, ties included), and
    several times faster: numpy's partition with two kth is slow. ``mid`` >= 1."""
    lower = [slice(None)] * part.ndim
    lower[axis] = slice(0, mid)
    return part[tuple(lower)].max(axis=axis)


#: Beats on each side whose RR intervals form the local mean.
LOCAL_BEATS = 10
#: RR used when a neighbour is missing (s): a 75 bpm rhythm.
DEFAULT_RR_S = 0.8


def close_unknown_rr(peaks: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """The R ``peaks`` (any time unit, sorted) as the RR features should read them: each interval flagged in
    ``unknown`` ((K-1,) bool: it crosses unreadable signal, so the true rhythm there is not known) set to the
    median of the known intervals, the later peaks shifted to match. A beat after a lead-off is then neither
    premature nor late, and one long false interval does not inflate its neighbours' local mean RR. Unchanged
    when nothing is unknown or nothing is known."""
    p = np.asarray(peaks, np.float64)
    unknown = np.asarray(unknown, bool)
    if len(p) < 2 or not unknown.any() or unknown.all():
        return p
    rr = np.diff(p)
    rr[unknown] = np.median(rr[~unknown])
    return np.concatenate([[p[0]], p[0] + np.cumsum(rr)])


def rr_features(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(K, 6) float32 per beat: pre-RR, post-RR, local mean RR (s), pre/local, post/local, pre/post."""
    p = np.asarray(peaks, dtype=np.float64)
    k = len(p)
    out = np.zeros((k, N_RR_FEATURES), np.float32)
    if k == 0:
        return out
    rr = np.diff(p) / fs
    if rr.size == 0:
        rr = np.array([DEFAULT_RR_S])
    rr = np.clip(rr, 0.15, 3.0)
    pre = np.concatenate([[rr[0]], rr])[:k]
    post = np.concatenate([rr, [rr[-1]]])[:k]
    c = np.concatenate([[0.0], np.cumsum(rr)])
    idx = np.arange(k)
    lo = np.clip(idx - LOCAL_BEATS, 0, len(rr))
    hi = np.clip(idx + LOCAL_BEATS, 0, len(rr))
    hi = np.maximum(hi, lo + 1).clip(max=len(rr))
    lo = np.minimum(lo, hi - 1)
    local = (c[hi] - c[lo]) / np.maximum(hi - lo, 1)
    out[:, 0], out[:, 1], out[:, 2] = pre, post, local
    out[:, 3], out[:, 4], out[:, 5] = pre / local, post / local, pre / post
    return out


def rhythm_features(peaks: np.ndarray, fs: float) -> np.ndarray:
    """(6,) float32 for one window's R peaks: mean RR, SD RR, RMSSD (s), pNN50, share of |ΔRR| > 15 %,
    beats per second. A window with fewer than three beats gives zeros except the beat rate."""
    p = np.asarray(peaks, dtype=np.float64)
    out = np.zeros(6, np.float32)
    if len(p) >= 2:
        out[5] = (len(p) - 1) / max((p[-1] - p[0]) / fs, 1e-3)
    if len(p) < 3:
        return out
    rr = np.clip(np.diff(p) / fs, 0.15, 3.0)
    d = np.diff(rr)
    out[0], out[1] = rr.mean(), rr.std()
    out[2] = np.sqrt(np.mean(d ** 2))
    out[3] = np.mean(np.abs(d) > 0.05)
    out[4] = np.mean(np.abs(d) / rr[:-1] > 0.15)
    return out


def beat_segments(signal: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Beat-centred windows of every row: ``signal`` (S, n), ``peaks`` (K,) → (K, S, T) float32, zero-padded
    at the edges; T = MORPH_BEFORE + MORPH_AFTER samples, each beat's window minus its median."""
    return window_beat_segments(signal[None], np.zeros(len(peaks), np.int64), peaks)


def window_beat_segments(signals: np.ndarray, window: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """:func:`beat_segments` of many windows at once: ``signals`` (W, S, n), beat ``k`` at ``peaks[k]`` samples
    of window ``window[k]`` → (K, S, T) float32, each beat zero-padded at its own window's edges."""
    W, S, n = signals.shape
    T = MORPH_BEFORE + MORPH_AFTER
    out = np.zeros((len(peaks), S, T), np.float32)
    rows = np.flatnonzero(signals.any(axis=(0, 2)))  # slots all zero in every window give zero segments
    # slots first, the windows' padded samples end to end on one axis: one np.take gathers every beat (the same
    # samples as fancy indexing by (window, sample), ~4x faster)
    padded = np.zeros((len(rows), W, n + T), np.float32)
    padded[:, :, MORPH_BEFORE:MORPH_BEFORE + n] = signals[:, rows].transpose(1, 0, 2)
    starts = np.asarray(peaks, dtype=np.int64).clip(0, n - 1)
    idx = np.asarray(window, np.int64)[:, None] * (n + T) + starts[:, None] + np.arange(T)[None, :]  # (K, T)
    seg = np.take(padded.reshape(len(rows), W * (n + T)), idx, axis=1).transpose(1, 0, 2)  # (K, S', T)
    out[:, rows] = seg - exact_median(seg, -1)[..., None]
    return out


def template_features(seg: np.ndarray) -> np.ndarray:
    """(K, 3) float32 for beat-centred windows ``seg`` (K, S, T) of one window's beats: against the median
    beat of the window (the dominant beat), per beat, averaged over the slots that carry signal: Pearson
    correlation, log ratio of peak-to-peak amplitudes, and residual RMS relative to the template's RMS."""
    return window_template_features(seg[None])[0]


def window_template_features(seg: np.ndarray) -> np.ndarray:
    """:func:`template_features` of G windows with K beats each at once: ``seg`` (G, K, S, T) → (G, K, 3)."""
    G, K = seg.shape[:2]
    out = np.zeros((G, K, N_TEMPLATE_FEATURES), np.float32)
    if K == 0 or G == 0:
        return out
    S = seg.shape[2]
    live = np.zeros((G, S), bool)  # (G, S) slots with signal; a slot all zero in every window has none
    rows = np.flatnonzero(seg.any(axis=(0, 1, 3)))
    if rows.size:
        live[:, rows] = seg[:, :, rows].std(axis=(1, 3)) > 1e-6  # each window's own std, in one call
    codes, group = np.unique(live @ (1 << np.arange(S - 1, -1, -1)), return_inverse=True)  # one code per pattern
    for j, code in enumerate(codes):  # windows whose signal is in the same slots
        if code == 0:
            continue
        g = np.flatnonzero(group == j)
        pattern = live[g[0]]
        x = seg[g][:, :, pattern].astype(np.float64)  # (G', K, S', T)
        tmpl = exact_median(x, 1)[:, None]  # (G', 1, S', T)
        xc = x - x.mean(-1, keepdims=True)
        tc = tmpl - tmpl.mean(-1, keepdims=True)
        corr = (xc * tc).sum(-1) / np.sqrt((xc ** 2).sum(-1) * (tc ** 2).sum(-1)).clip(min=1e-12)
        amp = np.log(np.ptp(x, -1).clip(min=1e-3) / np.ptp(tmpl, -1).clip(min=1e-3))
        resid = np.sqrt(((x - tmpl) ** 2).mean(-1)) / np.sqrt((tc ** 2).mean(-1)).clip(min=1e-3)
        out[g] = np.stack([corr.mean(-1), amp.mean(-1), np.minimum(resid, 10.0).mean(-1)], axis=-1)
    return out


def beat_fields(patches: np.ndarray, local: np.ndarray, rr: np.ndarray, labels: np.ndarray | None,
                patch_len: int, max_beats: int = MAX_BEATS) -> dict[str, np.ndarray]:
    """Padded beat inputs of one window: beats at ``local`` samples (model rate) inside ``patches`` (S, P, L)."""
    out = window_beat_fields(patches[None], [local], [rr], None if labels is None else [labels], patch_len,
                             max_beats)
    return {k: v[0] for k, v in out.items()}


def window_beat_fields(patches: np.ndarray, local: list[np.ndarray], rr: list[np.ndarray],
                       labels: list[np.ndarray] | None, patch_len: int,
                       max_beats: int = MAX_BEATS) -> dict[str, np.ndarray]:
    """:func:`beat_fields` of W windows at once (inference: a chunk's windows; training: one), each field with a
    leading window axis: ``patches`` (W, S, P, L), per window its beats' ``local`` samples, ``rr`` features and
    ``labels``. The beat segments of all windows come from one gather, the template features from one call per
    beat count."""
    W, S, P, L = patches.shape
    counts = np.array([len(p) for p in local], np.int64)
    window = np.repeat(np.arange(W), counts)
    flat_local = np.concatenate([np.asarray(p, np.int64) for p in local]) if W else np.zeros(0, np.int64)
    seg = window_beat_segments(patches.reshape(W, S, P * L), window, flat_local)  # (beats, S, T)
    n_rr = rr[0].shape[1] if W else 0
    out = {"beat_patch": np.zeros((W, max_beats), np.int64), "beat_rr": np.zeros((W, max_beats, n_rr), np.float32),
           "beat_template": np.zeros((W, max_beats, N_TEMPLATE_FEATURES), np.float32),
           "beat_morph": np.zeros((W, max_beats, S, seg.shape[-1]), np.float32),
           "beat_mask": np.zeros((W, max_beats), bool), "beat_label": np.full((W, max_beats), -1, np.int64)}
    slot = np.arange(len(window)) - np.repeat(np.cumsum(counts) - counts, counts)  # each beat's place in its window
    out["beat_patch"][window, slot] = np.minimum(flat_local // patch_len, P - 1)
    if W:
        out["beat_rr"][window, slot] = np.concatenate(rr)
    out["beat_morph"][window, slot] = seg
    out["beat_mask"][window, slot] = True
    if labels is not None:
        out["beat_label"][window, slot] = np.concatenate(labels)
    live = np.flatnonzero(seg.any(axis=(0, 2)))  # slots holding a sample (the others are never live)
    first = np.cumsum(counts) - counts  # each window's first beat in seg
    for k in np.unique(counts[counts > 0]):  # windows with k beats: their template features in one call
        w = np.flatnonzero(counts == k)
        beats = seg[first[w][:, None] + np.arange(k)[None, :]]  # (G, k, S, T), as out["beat_morph"][w, :k]
        out["beat_template"][w, :k] = window_template_features(beats[:, :, live])
    return out
