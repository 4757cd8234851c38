"""Averaged-beat features of a resting 12-lead ECG: what a cardiologist reads off the median beat.

:func:`resting_features` turns a 12-lead strip (leads in :data:`TWELVE_LEADS` order, mV) into one row of
:data:`FEATURES` (NaN where a measurement is not possible), from the median beat of
:mod:`~anyecg_model.signal.median_beat`:

- rhythm: heart rate (bpm), RR coefficient of variation and RMSSD / mean RR (dimensionless);
- intervals (ms): PR, QRS duration, QT, QTc (Bazett); P amplitude in II and V1 (mV);
- frontal QRS and T axes (degrees, ``atan2(aVF, I)`` of the net areas) and the frontal QRS–T angle;
- voltages (mV): Sokolow–Lyon (S V1 + max R V5/V6), Cornell (R aVL + S V3), the largest QRS peak-to-peak of the
  limb and of the chest leads (low voltage);
- R-wave progression: the first chest lead whose R ≥ |S| (1 = V1 … 7 = none);
- bundle-branch-block cues (mV): the mean of the last 40 ms of the QRS in V1, V6 and I (RBBB: positive in V1,
  negative in I and V6; LBBB: negative in V1, positive in I and V6);
- ischaemia / repolarisation summaries: largest ST elevation and depression at J + 60 ms (mV), leads with ST
  depression ≥ 0.05 mV, leads with inverted T (≤ −0.1 mV, leaving out aVR, III and V1, where it can be normal),
  leads with a pathological Q (≥ 40 ms, or deeper than a quarter of R; aVR, III and V1 left out);
- per lead: Q, R and S amplitude (mV; Q and S ≤ 0), Q width (ms), ST at J + 60 ms (mV), T amplitude at the T peak
  (mV, signed: polarity) and T / QRS peak-to-peak (dimensionless, amplitude-robust).
"""
from __future__ import annotations

import numpy as np

from .median_beat import GRID_FS, MedianBeat, MedianBeatError, median_beat

#: The standard 12 leads, in the order :func:`resting_features` reads them.
TWELVE_LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
_L = {name: i for i, name in enumerate(TWELVE_LEADS)}
#: Leads where an inverted T or a Q wave can be normal (left out of the counts).
_NORMAL_NEGATIVE = ("aVR", "III", "V1")
#: Per-lead measurements, in column order within each lead.
PER_LEAD = ("q_mv", "r_mv", "s_mv", "q_ms", "st60_mv", "t_mv", "t_qrs_ratio")
GLOBAL = ("hr_bpm", "rr_cv", "rr_rmssd_ratio", "pr_ms", "p_ii_mv", "p_v1_mv", "qrs_ms", "qt_ms", "qtc_ms",
          "qrs_axis_deg", "t_axis_deg", "qrs_t_angle_deg", "sokolow_mv", "cornell_mv", "qrs_ptp_limb_mv",
          "qrs_ptp_chest_mv", "r_transition", "terminal_v1_mv", "terminal_v6_mv", "terminal_i_mv",
          "st_max_elevation_mv", "st_max_depression_mv", "n_st_depressed", "n_t_inverted", "n_q_pathological")
#: Names of the columns of :func:`resting_features`.
FEATURES: tuple[str, ...] = GLOBAL + tuple(f"{lead}_{m}" for lead in TWELVE_LEADS for m in PER_LEAD)


def _lead_waves(b: MedianBeat) -> np.ndarray:
    """(12, 7) per-lead measurements of a median beat (:data:`PER_LEAD`)."""
    on, off = b.index(b.qrs_on_ms), b.index(b.qrs_off_ms)
    st = b.index(b.qrs_off_ms + 60.0)
    tp = None if b.t_peak_ms is None else b.index(b.t_peak_ms)
    out = np.full((len(TWELVE_LEADS), len(PER_LEAD)), np.nan)
    for k, x in enumerate(b.beat):
        q = x[on:off + 1]
        if len(q) < 3:
            continue
        r_i = int(np.argmax(q))
        r = max(float(q[r_i]), 0.0)
        before, after = q[:r_i + 1], q[r_i:]
        q_amp = min(float(before.min()), 0.0) if r > 0.05 else 0.0  # a QS complex has no separate Q wave
        q_ms = 0.0
        if q_amp < 0:
            crossing = np.flatnonzero(before[np.argmin(before):] >= 0)
            q_end = int(np.argmin(before)) + (int(crossing[0]) if len(crossing) else len(before) - 1)
            neg = np.flatnonzero(before[:q_end + 1] < 0)
            q_ms = (q_end - (neg[0] if len(neg) else q_end)) * 1000.0 / GRID_FS
        s_amp = min(float(after.min()), 0.0)
        t_amp = float(x[tp]) if tp is not None else np.nan
        ptp = float(q.max() - q.min())
        out[k] = (q_amp, r, s_amp, q_ms, float(x[st]), t_amp, t_amp / ptp if ptp > 0.05 else np.nan)
    return out


def _axis(b: MedianBeat, lo: int, hi: int) -> float:
    """Frontal axis (degrees) of the net area of leads I and aVF between grid samples ``lo`` and ``hi``."""
    area_i, area_f = b.beat[_L["I"], lo:hi].sum(), b.beat[_L["aVF"], lo:hi].sum()
    return float(np.degrees(np.arctan2(area_f, area_i))) if abs(area_i) + abs(area_f) > 1e-9 else np.nan


def features_of_beat(b: MedianBeat) -> np.ndarray:
    """The :data:`FEATURES` row (float64, NaN where not measured) of a 12-lead median beat."""
    lw = _lead_waves(b)
    col = {m: lw[:, j] for j, m in enumerate(PER_LEAD)}
    rr = b.rr_ms[(b.rr_ms > 200) & (b.rr_ms < 3000)]
    mean_rr = float(rr.mean()) if len(rr) else np.nan
    rr_cv = float(rr.std() / mean_rr) if len(rr) > 1 else np.nan
    rmssd = float(np.sqrt(np.mean(np.diff(rr) ** 2)) / mean_rr) if len(rr) > 2 else np.nan
    on, off = b.index(b.qrs_on_ms), b.index(b.qrs_off_ms)
    qrs_ms = b.qrs_off_ms - b.qrs_on_ms
    qt = None if b.t_end_ms is None else b.t_end_ms - b.qrs_on_ms
    pr = None if b.p_on_ms is None else b.qrs_on_ms - b.p_on_ms
    p_ii = p_v1 = np.nan
    if b.p_peak_ms is not None:
        p_ii, p_v1 = (float(b.beat[_L[n], b.index(b.p_peak_ms)]) for n in ("II", "V1"))
    qrs_axis = _axis(b, on, off + 1)
    t_axis = _axis(b, off, b.index(b.t_end_ms)) if b.t_end_ms is not None else np.nan
    angle = abs((qrs_axis - t_axis + 180.0) % 360.0 - 180.0)
    chest = [_L[f"V{i}"] for i in range(1, 7)]
    limb = [_L[n] for n in ("I", "II", "III", "aVR", "aVL", "aVF")]
    ptp = b.beat[:, on:off + 1].max(1) - b.beat[:, on:off + 1].min(1)
    transition = next((i + 1 for i, k in enumerate(chest) if col["r_mv"][k] >= -col["s_mv"][k]), 7)
    term = slice(max(on, off - int(0.04 * GRID_FS)), off + 1)
    judged = [k for k, n in enumerate(TWELVE_LEADS) if n not in _NORMAL_NEGATIVE]
    st = col["st60_mv"]
    q_path = (col["q_ms"] >= 40.0) | (-col["q_mv"] > 0.25 * col["r_mv"]) & (col["q_mv"] < -0.05)
    rows = {
        "hr_bpm": 60000.0 / float(np.median(rr)) if len(rr) else np.nan, "rr_cv": rr_cv, "rr_rmssd_ratio": rmssd,
        "pr_ms": np.nan if pr is None else pr, "p_ii_mv": p_ii, "p_v1_mv": p_v1, "qrs_ms": qrs_ms,
        "qt_ms": np.nan if qt is None else qt,
        "qtc_ms": np.nan if qt is None or not mean_rr > 0 else qt / np.sqrt(mean_rr / 1000.0),
        "qrs_axis_deg": qrs_axis, "t_axis_deg": t_axis, "qrs_t_angle_deg": angle,
        "sokolow_mv": -col["s_mv"][_L["V1"]] + max(col["r_mv"][_L["V5"]], col["r_mv"][_L["V6"]]),
        "cornell_mv": col["r_mv"][_L["aVL"]] - col["s_mv"][_L["V3"]],
        "qrs_ptp_limb_mv": float(ptp[limb].max()), "qrs_ptp_chest_mv": float(ptp[chest].max()),
        "r_transition": float(transition),
        "terminal_v1_mv": float(b.beat[_L["V1"], term].mean()), "terminal_v6_mv": float(b.beat[_L["V6"], term].mean()),
        "terminal_i_mv": float(b.beat[_L["I"], term].mean()),
        "st_max_elevation_mv": float(np.nanmax(st)), "st_max_depression_mv": float(np.nanmin(st)),
        "n_st_depressed": float(np.sum(st[judged] <= -0.05)),
        "n_t_inverted": float(np.sum(col["t_mv"][judged] <= -0.1)),
        "n_q_pathological": float(np.sum(q_path[judged])),
    }
    return np.concatenate([np.array([rows[n] for n in GLOBAL], np.float64), lw.reshape(-1)])


def resting_features(signal_mv: np.ndarray, fs: float, peaks: np.ndarray) -> np.ndarray:
    """The :data:`FEATURES` row of a 12-lead strip ``signal_mv`` (12, n) mV at ``fs`` Hz (leads in
    :data:`TWELVE_LEADS` order) with R ``peaks`` (samples); all NaN when no median beat can be formed."""
    x = np.asarray(signal_mv)
    if x.ndim != 2 or x.shape[0] != len(TWELVE_LEADS):
        raise ValueError(f"expected ({len(TWELVE_LEADS)}, samples) leads {TWELVE_LEADS}, got {x.shape}")
    try:
        return features_of_beat(median_beat(x, fs, peaks))
    except MedianBeatError:
        return np.full(len(FEATURES), np.nan)
