"""Record-level rhythm features of a short recording: the clinical evidence a CinC 2017 entry reads, from the
analysis' own outputs (numpy only).

The fused record-level rhythm classifier (:mod:`~anyecg_model.model.rhythm_trees`) reads these, computed from
what the analysis already has for the recording (:class:`RhythmInputs`, collected by
:class:`~.builder.FindingsBuilder`): the R peaks outside unreadable signal (s), their P-wave consistency
(:mod:`~anyecg_model.signal.atrial`), their clinical beat features (:mod:`~anyecg_model.vocabulary.beat_context`:
prematurity against the record's own rhythm, likeness to its dominant beat, QRS width), the beat classes, the
signal-quality gate's unreadable spans, and the rhythm head's per-window probabilities. Every feature is a
ratio, a share, a rate or a correlation (no absolute amplitude, no record length): the same on another device's
gain and rate (the analysis resamples to the model rate before anything is measured).

Groups (:data:`~anyecg_model.model.rhythm_trees.RHYTHM_FEATURES` names them in order):

- **Rate**: heart rate (bpm, from the median RR), 5th/95th percentile rates.
- **RR irregularity** (AF): coefficient of variation, RMSSD over mean RR, |ΔRR|/RR median, mean and 25th/75th/
  90th percentiles, share of |ΔRR| > 50 ms (pNN50), Poincaré SD1/SD2 and SD1 over mean RR, turning-point ratio
  (2/3 in a random series), sample entropy (m 2, r 0.2 SD) and the coefficient of sample entropy (COSEn, Lake &
  Moorman 2011: m 1, r 30 ms), the lag-1 autocorrelation of ΔRR (−1 in bigeminy), the AF rule's windowed
  irregularity (:func:`~.af.rr_irregularity`, mean and median over judged intervals) and the share of RR
  intervals outside 0.2–3 s.
- **Atrial activity**: P-wave consistency median, 25th percentile and the shares below ``p_absent`` / above
  ``p_present`` of :class:`~.af.AfRules`; the P-wave stretch's correlation with the dominant beat's (median, 25th
  percentile).
- **Ectopy**: shares of beats classed S, V, F, Q, P; share of premature beats (pre-RR under 85 % of the local
  mean RR) and of premature beats followed by a compensatory pause; share of alternating short-long RR triplets.
- **QRS morphology**: QRS correlation with the dominant beat (median, 10th percentile, share under 0.8), residual
  over the template (median, 90th percentile), QRS width (ms, median, interquartile range), width over the
  template's (90th percentile), spread of the log amplitude ratio.
- **Signal quality** (the ``~`` class): unreadable share of the analysed time, per reason (flat, saturated,
  noisy, baseline) and in all; beats per readable second (too many or too few detections in noise); longest gap
  between R peaks over the median RR.
- **Model**: the rhythm head's mean probability of N, A, O, ~ over readable windows (weighted by their length),
  the spread (SD) of its N and A probabilities across windows, and its highest A probability.

A feature that cannot be measured (too few beats) is NaN; the trees route NaN as they learnt to.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..model.rhythm_trees import RHYTHM_FEATURES
from ..signal.quality import UNREADABLE_REASONS, rr_across_unreadable
from ..vocabulary.beat_context import CLINICAL_FEATURES
from ..vocabulary.labels import BEAT_CLASSES, RECORD_CLASSES
from .af import AfRules, rr_irregularity

#: Fewest RR intervals for the RR statistics (fewer: NaN).
MIN_RR = 4


@dataclass
class RhythmInputs:
    """What the features are computed from, for one recording: ``peaks_s`` (R peaks outside unreadable signal,
    s, sorted), ``p_wave`` (their P-wave consistency, or None), ``clinical`` ((beats, 17) clinical features or
    None), ``beat_class`` (indices into BEAT_CLASSES, or None), ``unreadable_s`` ((K, 2) s) with
    ``unreadable_code`` (K,), ``analysed_s`` (s analysed), ``window_prob`` ((W, 4) rhythm head probabilities of
    the readable windows) and ``window_s`` (W,) their lengths."""

    peaks_s: np.ndarray
    analysed_s: float
    window_prob: np.ndarray
    window_s: np.ndarray
    p_wave: np.ndarray | None = None
    clinical: np.ndarray | None = None
    beat_class: np.ndarray | None = None
    unreadable_s: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    unreadable_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))


def rhythm_features(x: RhythmInputs, rules: AfRules = AfRules()) -> np.ndarray:
    """The (len(RHYTHM_FEATURES),) feature vector of one recording (float64, NaN where not measurable)."""
    f: dict[str, float] = {}
    t = np.asarray(x.peaks_s, np.float64)
    rr_all = np.diff(t)
    ok = measurable_rr(x, rules)
    rr = rr_all[ok]
    f.update(_rr_features(rr, t, rules))
    f["rr_out_of_range"] = float(np.mean(~ok)) if len(rr_all) else np.nan
    f.update(_atrial_features(x, rules))
    f.update(_ectopy_features(x, rr_all))
    f.update(_morphology_features(x.clinical))
    f.update(_quality_features(x, rr))
    f.update(_model_features(x.window_prob, x.window_s))
    return np.array([f.get(n, np.nan) for n in RHYTHM_FEATURES], np.float64)


def measurable_rr(x: RhythmInputs, rules: AfRules = AfRules()) -> np.ndarray:
    """(len(peaks) - 1,) bool: the RR intervals the rhythm features measure, those within the AF rule's
    plausible range and not across unreadable signal (a lead-off is not a pause)."""
    t = np.asarray(x.peaks_s, np.float64)
    rr = np.diff(t)
    return (rr >= rules.min_rr_s) & (rr <= rules.max_rr_s) & ~rr_across_unreadable(t, x.unreadable_s)


def _q(a: np.ndarray, q: float) -> float:
    return float(np.quantile(a, q)) if len(a) else np.nan


def _rr_features(rr: np.ndarray, t: np.ndarray, rules: AfRules) -> dict[str, float]:
    if len(rr) < MIN_RR:
        return {}
    m = float(rr.mean())
    d = np.diff(rr)
    step = np.abs(d) / rr[1:]
    sd1 = float(np.std(d) / np.sqrt(2))
    sd2 = float(np.sqrt(max(2 * np.var(rr) - np.var(d) / 2, 1e-12)))
    turn = (rr[1:-1] - rr[:-2]) * (rr[1:-1] - rr[2:]) > 0
    irr = rr_irregularity(t, None, rules)
    judged = irr.nsd[irr.nsd > 0]
    out = {"hr_bpm": 60.0 / float(np.median(rr)), "hr_p5_bpm": 60.0 / _q(rr, 0.95), "hr_p95_bpm": 60.0 / _q(rr, 0.05),
           "rr_cv": float(rr.std() / m), "rmssd_over_rr": float(np.sqrt(np.mean(d ** 2)) / m),
           "step_median": float(np.median(step)), "step_mean": float(step.mean()), "step_p25": _q(step, 0.25),
           "step_p75": _q(step, 0.75), "step_p90": _q(step, 0.9), "pnn50": float(np.mean(np.abs(d) > 0.05)),
           "sd1_over_rr": sd1 / m, "sd1_over_sd2": sd1 / sd2, "turning_ratio": float(turn.mean()),
           "sample_entropy": sample_entropy(rr, 2, 0.2 * float(rr.std())),
           "af_nsd_mean": float(judged.mean()) if len(judged) else np.nan,
           "af_nsd_median": float(np.median(judged)) if len(judged) else np.nan}
    se1 = sample_entropy(rr, 1, 0.03)
    out["cosen"] = se1 + np.log(2 * 0.03) - np.log(m) if np.isfinite(se1) else np.nan
    if len(d) >= 3 and d[:-1].std() > 0 and d[1:].std() > 0:
        out["drr_autocorr"] = float(np.corrcoef(d[:-1], d[1:])[0, 1])
    return out


def sample_entropy(x: np.ndarray, m: int, r: float) -> float:
    """Sample entropy of the series ``x`` (Richman & Moorman 2000): −ln(A/B), B the pairs of length-``m``
    templates within ``r`` (Chebyshev), A those of length ``m`` + 1; NaN when no pair matches (or r ≤ 0).
    Quadratic in len(x): meant for a short recording's few hundred RR intervals."""
    x = np.asarray(x, np.float64)
    n = len(x) - m
    if n < 2 or not r > 0:
        return np.nan
    emb = np.stack([x[i:i + n] for i in range(m + 1)], 1)  # (n, m + 1)
    dist_m = np.abs(emb[:, None, :m] - emb[None, :, :m]).max(-1)
    dist_m1 = np.maximum(dist_m, np.abs(emb[:, None, m] - emb[None, :, m]))
    iu = np.triu_indices(n, 1)
    b, a = int((dist_m[iu] <= r).sum()), int((dist_m1[iu] <= r).sum())
    return float(-np.log(a / b)) if a > 0 and b > 0 else np.nan


def _atrial_features(x: RhythmInputs, rules: AfRules) -> dict[str, float]:
    out: dict[str, float] = {}
    # a P wave not measured (too few beats, a segment off the edge) is not an absent one
    p = _finite(np.asarray(x.p_wave, np.float64)) if x.p_wave is not None else np.zeros(0)
    if len(p):
        out.update(p_consistency_median=float(np.median(p)), p_consistency_p25=_q(p, 0.25),
                   p_absent_share=float(np.mean(p < rules.p_absent)),
                   p_present_share=float(np.mean(p >= rules.p_present)))
    if x.clinical is not None and len(x.clinical):
        pc = _finite(x.clinical[:, CLINICAL_FEATURES.index("p_corr")])
        out.update(p_corr_median=_q(pc, 0.5), p_corr_p25=_q(pc, 0.25))
    return out


def _ectopy_features(x: RhythmInputs, rr_all: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    if x.beat_class is not None and len(x.beat_class):
        cls = np.asarray(x.beat_class)
        for c in ("S", "V", "F", "Q", "P"):
            out[f"share_{c}"] = float(np.mean(cls == BEAT_CLASSES.index(c)))
    if x.clinical is not None and len(x.clinical) >= MIN_RR:
        pre = x.clinical[:, CLINICAL_FEATURES.index("pre_over_local")]
        post = x.clinical[:, CLINICAL_FEATURES.index("post_over_local")]
        premature = np.nan_to_num(pre, nan=1.0) < 0.85
        out["premature_share"] = float(premature.mean())
        out["compensated_share"] = float(np.mean(premature & (np.nan_to_num(post, nan=1.0) > 1.1)))
    if len(rr_all) >= MIN_RR:
        short_long = (rr_all[:-2] < 0.9 * rr_all[1:-1]) & (rr_all[2:] < 0.9 * rr_all[1:-1])
        long_short = (rr_all[:-2] > 1.1 * rr_all[1:-1]) & (rr_all[2:] > 1.1 * rr_all[1:-1])
        out["alternating_share"] = float(np.mean(short_long | long_short))
    return out


def _morphology_features(clinical: np.ndarray | None) -> dict[str, float]:
    if clinical is None or not len(clinical):
        return {}
    col = {n: _finite(clinical[:, i]) for i, n in enumerate(CLINICAL_FEATURES)}
    qc, w = col["qrs_corr"], col["qrs_width_ms"]
    return {"qrs_corr_median": _q(qc, 0.5), "qrs_corr_p10": _q(qc, 0.1),
            "qrs_corr_low_share": float(np.mean(qc < 0.8)) if len(qc) else np.nan,
            "residual_median": _q(col["residual"], 0.5), "residual_p90": _q(col["residual"], 0.9),
            "qrs_width_median_ms": _q(w, 0.5), "qrs_width_iqr_ms": _q(w, 0.75) - _q(w, 0.25),
            "width_ratio_p90": _q(col["width_over_template"], 0.9),
            "log_amp_ratio_sd": float(col["log_amp_ratio"].std()) if len(col["log_amp_ratio"]) else np.nan}


def _quality_features(x: RhythmInputs, rr: np.ndarray) -> dict[str, float]:
    total = max(float(x.analysed_s), 1e-9)
    spans = np.asarray(x.unreadable_s, np.float64).reshape(-1, 2)
    codes = np.asarray(x.unreadable_code)
    length = spans[:, 1] - spans[:, 0]
    out = {f"unreadable_{r}": float(length[codes == k].sum() / total) for k, r in enumerate(UNREADABLE_REASONS)}
    out["unreadable_share"] = float(length.sum() / total)
    readable = max(total - float(length.sum()), 1e-9)
    out["beats_per_s"] = len(x.peaks_s) / readable
    if len(rr) >= MIN_RR:
        out["longest_gap_over_rr"] = float(np.diff(x.peaks_s).max() / np.median(rr))
    return out


def _model_features(prob: np.ndarray, length: np.ndarray) -> dict[str, float]:
    prob = np.asarray(prob, np.float64).reshape(-1, len(RECORD_CLASSES))
    if not len(prob):
        return {}
    w = np.asarray(length, np.float64)
    w = w / max(w.sum(), 1e-9)
    mean = (prob * w[:, None]).sum(0)
    out = {f"model_{c}": float(v) for c, v in zip(RECORD_CLASSES, mean)}
    a = RECORD_CLASSES.index("A")
    out.update(model_N_sd=float(prob[:, 0].std()), model_A_sd=float(prob[:, a].std()), model_A_max=float(prob[:, a].max()))
    return out


def _finite(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, np.float64)
    return a[np.isfinite(a)]
