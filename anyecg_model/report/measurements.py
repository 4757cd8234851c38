"""Heart rate and global intervals of a resting ECG, for the report header.

Heart rate comes from :func:`anyecg_model.signal.rpeaks.detect_r_peaks`. PR and QT are the medians
over beats of NeuroKit2's "prominence" delineation of one lead (lead II by default); an interval is
reported only when enough beats agree (see :class:`IntervalRules`), so a noisy strip prints nothing
rather than a wrong number. QTc uses Bazett's formula with the mean RR. Units: bpm and ms.

QRS duration is not reported: on LUDB lead II the delineator underestimates it by about 20 ms
(median; ``bench/bench_report_intervals.py``), which is too much for a printed value.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from ..io.recording import Recording
from ..signal.quality import cleaner_lead, outside_unreadable, rr_across_unreadable, unreadable_spans
from ..signal.rpeaks import detect_r_peaks, held_span, inside_recording
from ..vocabulary.lead_map import is_ecg_lead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntervalRules:
    """When a median interval is trusted: enough delineated beats, physiological range (ms), small spread (ms)."""

    min_beats: int = 4
    min_fraction: float = 0.6
    max_iqr_ms: float = 30.0
    pr_range_ms: tuple[float, float] = (80.0, 400.0)
    qt_range_ms: tuple[float, float] = (240.0, 650.0)


@dataclass(frozen=True)
class Measurements:
    """Heart rate (bpm), mean RR and intervals (ms) measured on ``lead``; None where not measured."""

    lead: str
    n_beats: int
    heart_rate_bpm: float | None = None
    rr_ms: float | None = None
    pr_ms: float | None = None
    qt_ms: float | None = None
    qtc_ms: float | None = None


def measured_lead(recording: Recording, preferred: str, t0: float = 0.0, t1: float | None = None,
                  exclude: frozenset[str] = frozenset()) -> str:
    """The lead the intervals are measured on over ``[t0, t1)`` s: ``preferred``, unless the quality gate finds a
    fifth or more of it unreadable there and another recorded ECG lead (not in ``exclude``, e.g. generated
    ones) is at most half as bad (:func:`~anyecg_model.signal.quality.cleaner_lead`): a lead II buried in noise
    read 156 bpm for a 64-bpm ECG."""
    names = [n for n in recording.lead_names if n == preferred or (is_ecg_lead(n) and n not in exclude)]
    if len(names) < 2 or preferred not in names:
        return preferred
    t1 = recording.duration_s if t1 is None else t1
    a, b = int(round(t0 * recording.fs)), int(round(t1 * recording.fs))
    x = recording.read(a, b, names)
    return names[cleaner_lead(np.nan_to_num(x), names.index(preferred), recording.fs)[0]]


def measure_resting_ecg(signal_mv: np.ndarray, fs: float, lead: str = "II",
                        rules: IntervalRules = IntervalRules()) -> Measurements:
    """Measure heart rate and PR/QT/QTc on one lead (mV at ``fs`` Hz), outside what the quality gate finds
    unreadable (a saturated last second of a Philips ECG added a spurious beat: 44 bpm read for 41), and without a
    QRS cut by the signal's start or end (the analysis leaves it out too: the header and the findings count alike)."""
    x = np.asarray(signal_mv, dtype=np.float64).reshape(-1)
    spans, _ = unreadable_spans(np.nan_to_num(x), fs)
    head, tail = held_span(x[None], x[None])  # a recorder's padding at either end is no signal
    peaks = inside_recording(detect_r_peaks(x, fs), fs, 0.0, (len(x) - tail) / fs, head / fs)  # nor a cut QRS
    peaks = peaks[outside_unreadable(peaks / fs, spans)]
    if peaks.size < 2:
        return Measurements(lead, int(peaks.size))
    rr_s = np.diff(peaks) / fs
    rr_s = rr_s[(rr_s >= 0.2) & (rr_s <= 3.0) & ~rr_across_unreadable(peaks / fs, spans)]
    if rr_s.size == 0:
        return Measurements(lead, int(peaks.size))
    rr_mean = float(np.mean(rr_s))
    intervals = _intervals(x, fs, peaks, rules)
    qt = intervals.get("qt")
    return Measurements(
        lead=lead,
        n_beats=int(peaks.size),
        heart_rate_bpm=60.0 / rr_mean,
        rr_ms=1000.0 * rr_mean,
        pr_ms=intervals.get("pr"),
        qt_ms=qt,
        qtc_ms=None if qt is None else qt / np.sqrt(rr_mean),
    )


def _intervals(x: np.ndarray, fs: float, peaks: np.ndarray, rules: IntervalRules) -> dict[str, float]:
    """Median PR and QT (ms) over beats, each kept only when it passes ``rules``."""
    import neurokit2 as nk

    if peaks.size < rules.min_beats or not np.all(np.isfinite(x)):
        return {}
    try:
        cleaned = nk.ecg_clean(x, sampling_rate=fs, method="neurokit")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, waves = nk.ecg_delineate(cleaned, rpeaks=peaks, sampling_rate=fs, method="prominence")
    except (ValueError, IndexError, ZeroDivisionError, TypeError) as exc:
        log.info("delineation failed, intervals omitted: %s", exc)
        return {}

    def points(key: str) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in waves.get(key, [])], dtype=np.float64)

    p_on, qrs_on, t_off = (points(k) for k in ("ECG_P_Onsets", "ECG_R_Onsets", "ECG_T_Offsets"))
    n = min(len(p_on), len(qrs_on), len(t_off))
    if n == 0:
        return {}
    ms = 1000.0 / fs
    candidates = {
        "pr": ((qrs_on[:n] - p_on[:n]) * ms, rules.pr_range_ms),
        "qt": ((t_off[:n] - qrs_on[:n]) * ms, rules.qt_range_ms),
    }
    out: dict[str, float] = {}
    for name, (values, (lo, hi)) in candidates.items():
        ok = values[np.isfinite(values) & (values >= lo) & (values <= hi)]
        if ok.size < max(rules.min_beats, rules.min_fraction * n):
            continue
        q1, med, q3 = np.percentile(ok, [25, 50, 75])
        if q3 - q1 <= rules.max_iqr_ms:
            out[name] = float(med)
    return out


#: QRS window around each R peak for the net deflection of the frontal axis (s before, s after).
AXIS_QRS_WINDOW_S = (0.05, 0.07)


def frontal_axis_deg(lead_i_mv: np.ndarray, lead_avf_mv: np.ndarray, fs: float,
                     peaks: np.ndarray | None = None) -> float | None:
    """Frontal QRS axis (degrees, -180..180) from the net QRS area of leads I and aVF (the quadrant method
    made continuous: ``atan2(aVF, I)``), summed over the beats; ``peaks`` (samples) default to the R peaks of
    lead I + aVF. The isoelectric level is each lead's median after baseline removal. None when fewer than
    two beats or both areas vanish."""
    import neurokit2 as nk

    i = np.asarray(lead_i_mv, np.float64).reshape(-1)
    f = np.asarray(lead_avf_mv, np.float64).reshape(-1)
    if not (np.all(np.isfinite(i)) and np.all(np.isfinite(f))) or len(i) < int(2 * fs):
        return None
    if peaks is None:
        peaks = detect_r_peaks(np.abs(i) + np.abs(f), fs)
    if len(peaks) < 2:
        return None
    areas = []
    for x in (i, f):
        clean = nk.signal_filter(x, sampling_rate=fs, lowcut=0.5, method="butterworth", order=2)
        clean = clean - np.median(clean)
        a, b = int(AXIS_QRS_WINDOW_S[0] * fs), int(AXIS_QRS_WINDOW_S[1] * fs)
        areas.append(sum(float(clean[max(0, p - a):p + b].sum()) for p in peaks))
    if abs(areas[0]) + abs(areas[1]) < 1e-9:
        return None
    return float(np.degrees(np.arctan2(areas[1], areas[0])))
