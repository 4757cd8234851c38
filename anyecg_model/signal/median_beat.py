"""The averaged (median) beat of a resting ECG and its fiducial points, as a 12-lead ECG cart measures them.

Every lead is band-passed 0.5–40 Hz (zero phase); beats are cut around the R peaks of
:func:`~anyecg_model.signal.rpeaks.detect_r_peaks`, re-aligned on the shift (±20 ms) that best correlates
their QRS with the first median, and
beats that are premature (RR < 80 % of the median) or unlike the others (correlation < 0.85 with the first
median on the QRS) are left out before the sample-wise median of each lead is taken on a :data:`GRID_FS` grid.

Fiducial points come from the spatial velocity of the median beat (the root sum of squares of every lead's
derivative, Laguna et al. 1994 style): QRS onset and offset where it falls below :data:`QRS_FRACTION` of its QRS
peak for :data:`HOLD_MS` (outwards from its maximum; the velocity dips at the R apex), the isoelectric level the median of the :data:`PR_SEGMENT_MS` before QRS onset, T end where the T wave's
root mean square across leads falls below :data:`T_END_FRACTION` of its rise above the floor after it, P onset
likewise (:data:`P_FRACTION`) before QRS onset, on the leads less a line from the T–P level to the PR segment.
Times are ms relative to the R peak, amplitudes mV.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from .filter_design import butter_sos, sosfiltfilt

#: Rate of the median beat grid (Hz) and its span around R (ms).
GRID_FS = 500.0
BEFORE_MS, AFTER_MS = 400.0, 600.0
#: Band of the morphology filter (Hz).
BAND_HZ = (0.5, 40.0)
#: Fraction of the peak spatial velocity that bounds the QRS; of the T wave's peak RMS that ends it.
QRS_FRACTION, T_END_FRACTION, P_FRACTION = 0.12, 0.15, 0.25
#: How long the spatial velocity must stay under the QRS level to end the QRS (ms).
HOLD_MS = 8.0
#: Isoelectric reference: this span before QRS onset (ms).
PR_SEGMENT_MS = 16.0
#: A beat joins the median when its RR is at least this fraction of the median RR and it resembles the others.
MIN_RR_FRACTION, MIN_CORRELATION = 0.8, 0.85


@dataclass
class MedianBeat:
    """``beat`` (S, T) float64 mV on a :data:`GRID_FS` grid, R at sample ``offset``, isoelectric level removed;
    fiducial points in ms relative to R (None where not found); ``rr_ms`` the RR intervals of the strip;
    ``n_beats`` how many beats made the median."""

    beat: np.ndarray
    offset: int
    rr_ms: np.ndarray
    n_beats: int
    qrs_on_ms: float
    qrs_off_ms: float
    t_peak_ms: float | None
    t_end_ms: float | None
    p_on_ms: float | None
    p_peak_ms: float | None

    def index(self, ms: float) -> int:
        """Grid sample of ``ms`` relative to R (clipped to the beat)."""
        return int(np.clip(round(self.offset + ms * GRID_FS / 1000.0), 0, self.beat.shape[1] - 1))


class MedianBeatError(ValueError):
    """Too few beats, or a signal without a measurable QRS, for a median beat."""


def _cut(x: np.ndarray, fs: float, centres: np.ndarray, part: slice = slice(None)) -> np.ndarray:
    """(K, S, T) beats of rows ``x`` (S, n) sampled on the grid around ``centres`` (fractional samples at ``fs``);
    ``part`` of the grid only (the same samples as that slice of the whole beat)."""
    grid = (np.arange(-BEFORE_MS, AFTER_MS, 1000.0 / GRID_FS) / 1000.0 * fs)[part]
    pos = np.clip(centres[:, None] + grid[None, :], 0, x.shape[1] - 1.000001)
    i0 = pos.astype(np.int64)
    frac = pos - i0
    return (x[:, i0] * (1 - frac) + x[:, i0 + 1] * frac).transpose(1, 0, 2)


def _velocity(beat: np.ndarray) -> np.ndarray:
    """Spatial velocity (mV per grid sample) of ``beat`` (S, T) or beats (K, S, T)."""
    return np.sqrt((np.gradient(beat, axis=-1) ** 2).sum(-2))


def median_beat(signal_mv: np.ndarray, fs: float, peaks: np.ndarray) -> MedianBeat:
    """The median beat of ``signal_mv`` (S, n) mV at ``fs`` Hz around the R ``peaks`` (samples)."""
    x = np.nan_to_num(np.asarray(signal_mv, np.float64))
    peaks = np.asarray(peaks, np.int64)
    lo, hi = BEFORE_MS / 1000 * fs, x.shape[1] - AFTER_MS / 1000 * fs
    inner = peaks[(peaks >= lo) & (peaks < hi)]
    if len(inner) < 2 or x.shape[1] < 3 * 8:
        raise MedianBeatError(f"{len(inner)} complete beats: a median beat needs at least 2")
    x = sosfiltfilt(butter_sos(2, (BAND_HZ[0], min(BAND_HZ[1], 0.45 * fs)), "bandpass", float(fs)), x, axis=1)
    rr_ms = np.diff(peaks) * 1000.0 / fs
    o = int(round(BEFORE_MS * GRID_FS / 1000))
    qrs = slice(o - int(0.08 * GRID_FS), o + int(0.12 * GRID_FS))
    beats = _cut(x, fs, inner.astype(np.float64))
    # re-align each beat on the shift (grid samples, ±20 ms) whose QRS best correlates with the first median
    template = np.median(beats, 0)[:, qrs].reshape(-1)
    template = template - template.mean()
    shifts = np.arange(-int(0.02 * GRID_FS), int(0.02 * GRID_FS) + 1)
    score = []
    for sh in shifts:
        seg = _cut(x, fs, inner + sh * fs / GRID_FS, qrs).reshape(len(inner), -1)
        seg = seg - seg.mean(1, keepdims=True)
        score.append(seg @ template / np.maximum(np.linalg.norm(seg, axis=1), 1e-12))
    beats = _cut(x, fs, inner + shifts[np.argmax(np.array(score), 0)] * fs / GRID_FS)
    keep = np.ones(len(inner), bool)
    if len(rr_ms):
        med_rr = np.median(rr_ms)
        idx = np.searchsorted(peaks, inner)
        prev_rr = np.where(idx > 0, (peaks[idx] - peaks[np.maximum(idx - 1, 0)]) * 1000.0 / fs, med_rr)
        keep &= prev_rr >= MIN_RR_FRACTION * med_rr
    first = np.median(beats[keep] if keep.sum() >= 2 else beats, 0)
    a = beats[:, :, qrs].reshape(len(beats), -1)
    b = first[:, qrs].reshape(-1)
    a0, b0 = a - a.mean(1, keepdims=True), b - b.mean()
    corr = (a0 @ b0) / np.maximum(np.linalg.norm(a0, axis=1) * np.linalg.norm(b0), 1e-12)
    keep &= corr >= MIN_CORRELATION
    if keep.sum() < 2:
        keep = corr >= np.median(corr)
    beat = np.median(beats[keep], 0)
    return _delineate(beat, o, rr_ms, int(keep.sum()))


def _first_below(v: np.ndarray, start: int, stop: int, level: float, step: int, hold: int = 1) -> int | None:
    """First index from ``start`` towards ``stop`` (exclusive; ``step`` ±1) where ``v`` < ``level`` for ``hold``
    samples in a row."""
    idx = np.arange(start, stop, step)
    below = (v[idx] < level).astype(int)
    run = np.convolve(below, np.ones(hold, int))[hold - 1:] if hold > 1 else below  # run[i]: below i..i+hold-1
    hit = np.flatnonzero(run >= hold)
    return int(idx[hit[0]]) if len(hit) else None


def _delineate(beat: np.ndarray, o: int, rr_ms: np.ndarray, n_beats: int) -> MedianBeat:
    ms = 1000.0 / GRID_FS
    vel = _velocity(beat)
    qrs_lo, qrs_hi = o - int(0.12 * GRID_FS), o + int(0.16 * GRID_FS)
    w = int(0.06 * GRID_FS)
    peak = float(vel[o - w:o + w].max())
    if not peak > 0:
        raise MedianBeatError("flat median beat: no QRS")
    level = QRS_FRACTION * peak
    g = o - w + int(np.argmax(vel[o - w:o + w]))  # outwards from the steepest part, across the dip at the apex
    hold = max(1, int(HOLD_MS * GRID_FS / 1000))
    on = _first_below(vel, g, qrs_lo, level, -1, hold)
    off = _first_below(vel, g, qrs_hi, level, 1, hold)
    on = qrs_lo if on is None else on
    off = qrs_hi if off is None else off
    seg = int(PR_SEGMENT_MS / ms)
    beat = beat - np.median(beat[:, max(0, on - seg):on + 1], axis=1, keepdims=True)
    rr = float(np.median(rr_ms)) if len(rr_ms) else 1000.0
    # T wave: RMS across leads after the J point, up to 70 % of the RR (at most the grid's end)
    rms = np.sqrt((beat ** 2).mean(0))
    t0 = off + int(0.06 * GRID_FS)
    t1 = min(beat.shape[1] - 1, o + int(min(0.7 * rr, AFTER_MS - 10) / ms))
    t_peak = t_end = None
    if t1 > t0 + 5:
        tp = t0 + int(np.argmax(rms[t0:t1]))
        floor = float(np.min(rms[tp:t1])) if t1 > tp else 0.0
        end = _first_below(rms, tp, t1, floor + T_END_FRACTION * (rms[tp] - floor), 1)
        t_peak, t_end = tp, (t1 if end is None else end)
    # P wave: RMS before QRS onset, in the 300 ms that precede it (not into the previous T wave)
    p_on = p_peak = None
    p0 = max(0, on - int(min(0.3, 0.45 * rr / 1000) * GRID_FS))
    p1 = on - int(0.02 * GRID_FS)
    if p1 > p0 + 5:
        seg = beat[:, p0:on + 1]  # the T–P level may differ from the PR segment's: a line between them removed
        ramp = np.linspace(1.0, 0.0, seg.shape[1])
        seg = seg - np.median(seg[:, :5], axis=1, keepdims=True) * ramp
        prms = np.sqrt((seg ** 2).mean(0))
        pp = int(np.argmax(prms[:p1 - p0]))
        floor = float(prms[:pp + 1].min())
        start = _first_below(prms, pp, -1, floor + P_FRACTION * (prms[pp] - floor), -1)
        p_peak, p_on = p0 + pp, p0 + (0 if start is None else start)

    def t(i: int | None) -> float | None:
        return None if i is None else (i - o) * ms

    return MedianBeat(beat, o, rr_ms, n_beats, t(on), t(off), t(t_peak), t(t_end), t(p_on), t(p_peak))
