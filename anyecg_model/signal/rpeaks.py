"""R-peak detection: the candidates of two QRS detectors pooled, chunked, refined to the local extremum.

Candidates are NeuroKit2's gradient detector's (:mod:`.qrs_gradient`, the same peaks without NeuroKit2), with the
candidates of the double-difference detector of Rodrigues et al. 2021 (:func:`_rodrigues_candidates`, the
``rodrigues2021`` method of NeuroKit2 with its sample-by-sample loops replaced by one numpy search per beat: same
peaks, about ten times faster, and it no longer holds the GIL for the viewer's analysis thread): on MIT-BIH the
first misses wide bundle-branch-block beats (record 207) and the second misses some ectopic beats (208, 221), so
the second covers the first's misses. NeuroKit2's detector takes each complex's most prominent maximum, so a complex
pointing down (QS, rS: MIT-BIH 203's ventricular beats) gives it none; its largest deflection is a candidate too
(:func:`_peakless_complexes`). All candidates are pooled; two within the refractory period are one beat, the one
with more QRS-band energy; P and T waves that a detector takes for a QRS are rejected by their QRS-band energy and
timing (Pan–Tompkins) and, T waves, by their smoothness (:data:`T_WAVE_SHARPNESS_RATIO`): pooling alone counted
both QRS and T wave where the T wave is steeper than the QRS. Until 2026-12-07 the second detector only filled
the first's gaps of 0.36 s or more, which lost premature beats soon after a beat (MIT-BIH DS1: 38 of 188 missed
V beats) and, where NeuroKit2 took a large P wave (108) or the wave after a downward complex (203) for the R peak,
the beat itself.

``detect_r_peaks`` takes one lead in mV at ``fs`` Hz and returns R-peak sample indices (int64).
Long signals are processed in chunks of :data:`CHUNK_S` seconds with :data:`OVERLAP_S` seconds of
overlap on each side, so a 24-hour lead needs memory for one chunk only; each chunk keeps the peaks
of its own core and the cores tile the signal exactly, so no beat is counted twice.
"""
from __future__ import annotations

import logging

import numpy as np

from .filter_design import butter_sos, sosfiltfilt
from .qrs_gradient import clean_ecg, gradient_qrs_peaks, local_maxima, qrs_complexes

log = logging.getLogger(__name__)

#: Chunk length (s) and overlap on each side of a chunk (s).
CHUNK_S = 300.0
OVERLAP_S = 5.0
#: Half-width (s) of the window in which a detected QRS is moved to the R-wave extremum.
REFINE_HALF_WIDTH_S = 0.06
#: Physiological bounds on RR intervals used by :func:`heart_rate_series` (s): 300 and 20 bpm.
MIN_RR_S = 0.2
MAX_RR_S = 3.0
#: A candidate with less QRS-band energy than this share of its neighbours' reference energy (the
#: :data:`ENERGY_PERCENTILE` th percentile over :data:`ENERGY_NEIGHBOURS` candidates on each side) is not a
#: QRS. A high percentile keeps the reference on the QRS complexes when half the candidates are
#: non-conducted P waves (2:1 AV block, MIT-BIH 231).
MIN_ENERGY_RATIO = 0.3
ENERGY_PERCENTILE = 80.0
ENERGY_NEIGHBOURS = 8
#: Rodrigues detector: shortest search for a maximum after the last one (s).
RODRIGUES_RMIN_S = 0.26
#: Candidates this soon (s) after a beat are T waves (Pan & Tompkins 1985), and this soon before one P waves
#: (the longest PR interval), when they have less than :data:`WAVE_ENERGY_RATIO` of that beat's QRS-band energy.
T_WAVE_WINDOW_S = 0.36
P_WAVE_WINDOW_S = 0.3
WAVE_ENERGY_RATIO = 0.5
#: The same share for a candidate in the P-wave window before a beat: a P wave large enough to be taken for a QRS
#: (MIT-BIH 108) still has less QRS-band energy than its QRS (0.53-0.76 there), and a QRS complex less than 0.3 s
#: before another (over 200 bpm) is rare. Chosen on MIT-BIH DS1 (0.5 / 0.7 / 0.8: false detections 398 / 346 /
#: 327, true 50 723 / 50 721 / 50 718), once premature beats 0.2-0.36 s after a beat were kept.
P_WAVE_ENERGY_RATIO = 0.7
#: A candidate in the T-wave window after a beat is a T wave, too, when its high-band (15-40 Hz) amplitude is
#: under this share of that beat's: a T wave is smooth, a QRS complex (an early PVC's included) is not. Where the
#: T wave outgrows a small QRS in the 5-25 Hz band (NeuroKit2's simulated lead II: 0.68 of the QRS's energy,
#: 0.03-0.06 of its high band), the energy rule alone counts both.
T_WAVE_SHARPNESS_RATIO = 0.2
#: The band (Hz) of that high-band amplitude.
SHARP_BAND_HZ = (15.0, 40.0)
#: Shortest signal the detector accepts (s).
MIN_DURATION_S = 2.0


def _qrs_band(x: np.ndarray, fs: float) -> np.ndarray:
    """Zero-phase 5–25 Hz band-pass (the QRS band) used to choose the extremum."""
    return sosfiltfilt(butter_sos(2, (5.0, min(25.0, 0.45 * fs)), "bandpass", fs), x)


def _sharp_band(x: np.ndarray, fs: float) -> np.ndarray:
    """Zero-phase band-pass over :data:`SHARP_BAND_HZ` (capped under Nyquist): what a QRS complex has and a T
    wave lacks."""
    lo, hi = SHARP_BAND_HZ
    return sosfiltfilt(butter_sos(2, (lo, min(hi, 0.45 * fs)), "bandpass", fs), x)


def _clean(x: np.ndarray) -> np.ndarray:
    """Replace NaN (invalid samples) by linear interpolation; an all-NaN lead becomes zeros."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        if bad.all():
            return np.zeros_like(x)
        idx = np.arange(len(x))
        x = x.copy()
        x[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return x


def _rodrigues_candidates(x: np.ndarray, fs: float) -> np.ndarray:
    """QRS candidates of the Rodrigues et al. 2021 detector on a cleaned lead (indices into the integrated
    double difference, as NeuroKit2 returns them): a maximum search over :data:`RODRIGUES_RMIN_S`, then an
    exponentially decaying threshold from the running peak amplitude until the next crossing."""
    from scipy.signal import lfilter

    n_int = max(2, int(np.round(3 * fs / 128)))
    decay = np.exp(-((0.7 * fs) / 128 + 2.7) / fs)
    d = x[n_int - 1:] - x[:-(n_int - 1)]
    p = lfilter(np.ones(n_int), [1], np.diff(d) ** 2)
    tf, span = len(p), max(1, int(2 * fs))
    falloff = decay ** np.arange(span)  # the threshold's decay over one 2-s search
    rmin = RODRIGUES_RMIN_S * fs
    peaks, i, ramp, rpos = [], 1, 0.0, 0
    while i < tf:  # Python scalars (round() rounds half to even as np.round does): the loop runs per beat
        tf1 = round(i + rmin)
        seg = p[i:min(tf1, tf)]
        amp = 0.0
        if seg.size:
            k = int(seg.argmax())
            if seg[k] > 0:
                amp, rpos = float(seg[k]), i + k + 1
        i = max(i, min(tf1, tf))
        ramp = 0.95 * ramp + 0.05 * amp
        peaks.append(rpos)
        tf2 = i + round(0.4 - (tf1 - rpos))  # the original's waiting state (mixes s and samples; kept)
        if i <= tf2:
            i = tf2 + 1
        thr = ramp
        while i < tf:  # first sample above the decaying threshold, searched 2 s at a time
            w = p[i:i + span]
            hit = (w >= thr * falloff[:len(w)]).nonzero()[0]
            if hit.size:
                i += int(hit[0])
                break
            thr *= decay ** len(w)
            i += len(w)
    return np.array(peaks, dtype=np.int64)


def _candidates(x: np.ndarray, fs: float) -> np.ndarray:
    """QRS candidates on the cleaned chunk (sorted, unique), pooled: NeuroKit2's gradient detector's
    (:mod:`.qrs_gradient`), the Rodrigues detector's and the downward complexes NeuroKit2 gives no peak
    (:func:`_peakless_complexes`). Two views of one beat collapse in the refractory period (:data:`MIN_RR_S`) to the
    one with more QRS-band energy, and a P or T wave that one of them takes for a QRS complex is left to
    :func:`_reject_waves`."""
    cleaned = clean_ecg(x, fs)
    return np.unique(np.concatenate([gradient_qrs_peaks(cleaned, fs), _rodrigues_candidates(cleaned, fs),
                                     _peakless_complexes(cleaned, fs)]))


def _peakless_complexes(cleaned: np.ndarray, fs: float) -> np.ndarray:
    """The largest deflection (|x|, int64 sample) of each of NeuroKit2's QRS complexes that holds no local maximum
    of the signal: a QS or rS complex pointing down (MIT-BIH 203's ventricular beats), where NeuroKit2, which takes
    the most prominent maximum, finds no R peak."""
    x = np.asarray(cleaned, dtype=np.float64)
    beg, end = qrs_complexes(x, fs)
    if beg.size == 0:
        return np.zeros(0, np.int64)
    maxima = local_maxima(x)
    k = np.searchsorted(maxima, beg)
    peakless = (k >= maxima.size) | (maxima[np.minimum(k, maxima.size - 1)] >= end) if maxima.size else \
        np.ones(beg.size, bool)
    beg, end = beg[peakless], end[peakless]
    width = int((end - beg).max()) if beg.size else 1
    return (beg + _window_argmax(np.abs(x), beg, end, width)).astype(np.int64)


def _detect_chunk(x: np.ndarray, fs: float) -> np.ndarray:
    """QRS locations in one chunk, refined to the R-wave extremum of the raw lead."""
    if len(x) < int(MIN_DURATION_S * fs) or np.ptp(x) < 1e-6:
        return np.zeros(0, np.int64)
    peaks = _candidates(x, fs)
    if peaks.size == 0:
        return peaks
    band = _qrs_band(x, fs)
    # The polarity of the dominant QRS deflection in this chunk decides whether R is a max or a min.
    half = max(1, int(round(REFINE_HALF_WIDTH_S * fs)))
    base = x - np.median(x)
    # move from the steepest band-passed point to the raw extremum near it: both searches at once over
    # windows clipped to the chunk (padding of -1 never wins an argmax of absolute values; ties keep the first)
    lo = np.clip(peaks - half, 0, len(x) - 1)
    centre = lo + _window_argmax(np.abs(band), lo, np.clip(peaks + half + 1, 1, len(x)), 2 * half + 1)
    a2 = np.maximum(0, centre - half // 2)
    refined = a2 + _window_argmax(np.abs(base), a2, np.minimum(len(x), centre + half // 2 + 1), 2 * (half // 2) + 1)
    refined = np.unique(refined)
    a3 = np.maximum(0, refined - half)
    w3 = _windows(np.abs(band), a3, np.minimum(len(x), refined + half + 1), 2 * half + 1)
    energy = w3.max(axis=1) if refined.size else np.zeros(0)
    w4 = _windows(np.abs(_sharp_band(x, fs)), a3, np.minimum(len(x), refined + half + 1), 2 * half + 1)
    sharpness = w4.max(axis=1) if refined.size else np.zeros(0)
    # two detections within the refractory period collapse to the one with more QRS-band energy
    if refined.size > 1:
        keep = [0]
        refractory = int(MIN_RR_S * fs)
        for k in range(1, len(refined)):
            if refined[k] - refined[keep[-1]] < refractory:
                if energy[k] > energy[keep[-1]]:
                    keep[-1] = k
            else:
                keep.append(k)
        refined, energy, sharpness = refined[keep], energy[keep], sharpness[keep]
    return _reject_waves(refined, energy, fs, sharpness)


def _windows(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int) -> np.ndarray:
    """(K, width) rows ``v[lo[k]:hi[k]]`` (non-negative ``v``), each padded on the right with -1."""
    padded = np.concatenate([v, np.full(width, -1.0)])
    idx = lo[:, None] + np.arange(width)[None, :]
    rows = padded[np.minimum(idx, len(v))]
    rows[idx >= hi[:, None]] = -1.0
    return rows


def _window_argmax(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int) -> np.ndarray:
    """Per k, ``argmax(v[lo[k]:hi[k]])`` (int64; ``v`` non-negative, windows at most ``width`` long)."""
    return _windows(v, lo, hi, width).argmax(axis=1).astype(np.int64)


def _row_percentile(rows: np.ndarray, q: float) -> np.ndarray:
    """``np.percentile(rows, q, axis=1)`` (linear) of finite float64 ``rows`` (R, n), to the bit: the two order
    statistics around numpy's virtual index from one partition, then numpy's interpolation (from the upper one
    when the weight is at least 0.5). Without ``np.percentile``'s NaN pass and axis moves: ~3× faster on
    17-wide rows."""
    n = rows.shape[1]
    index = (n - 1) * np.true_divide(q, 100)
    lo = int(np.floor(index))
    hi = min(lo + 1, n - 1)
    t = float(index - lo)
    # one partition at ``hi``; the ``lo`` = hi - 1 statistic is the largest element before it (the same value
    # as a second kth, which numpy's partition makes slow: 265 -> 150 µs on 1500 17-wide rows)
    part = np.partition(rows, hi, axis=1)
    a, b = (part[:, :hi].max(axis=1) if hi > lo else part[:, lo]), part[:, hi]
    d = b - a
    return b - d * (1 - t) if t >= 0.5 else a + d * t


def _neighbour_percentile(energy: np.ndarray, m: int, q: float) -> np.ndarray:
    """Per candidate, the ``q`` th percentile of the energies of its ``m`` neighbours on each side and its own
    (fewer at the edges): interior rows in one vectorised call, the edge rows two at a time (the k-th from
    either end see as many neighbours); :func:`_row_percentile` for finite energies, else ``np.percentile``."""
    e = energy.astype(np.float64)
    n = len(e)
    ref = np.empty(n)
    percentile = _row_percentile if np.isfinite(e).all() else (lambda r, q: np.percentile(r, q, axis=1))
    if n <= 2 * m:
        for k in range(n):
            ref[k] = percentile(e[None, max(0, k - m):k + m + 1], q)[0]
        return ref
    ref[m:n - m] = percentile(np.lib.stride_tricks.sliding_window_view(e, 2 * m + 1), q)
    for k in range(m):
        ref[k], ref[n - 1 - k] = percentile(np.stack([e[:k + m + 1], e[n - 1 - k - m:]]), q)
    return ref


def _reject_waves(peaks: np.ndarray, energy: np.ndarray, fs: float,
                  sharpness: np.ndarray | None = None) -> np.ndarray:
    """Drop P/T waves taken for QRS complexes: candidates with QRS-band energy below
    :data:`MIN_ENERGY_RATIO` × their neighbours' reference energy, then (Pan–Tompkins) weak candidates within
    :data:`T_WAVE_WINDOW_S` after a kept beat — weak in QRS-band energy or, given each candidate's high-band
    amplitude ``sharpness``, smooth (:data:`T_WAVE_SHARPNESS_RATIO`; so is a smooth first candidate within that
    window of the start, a strip starting in a T wave) — and within :data:`P_WAVE_WINDOW_S` before one."""
    if peaks.size < 3:
        return peaks
    ref = _neighbour_percentile(energy, ENERGY_NEIGHBOURS, ENERGY_PERCENTILE)  # edge windows are shorter
    keep = energy >= MIN_ENERGY_RATIO * ref
    _drop_weak_neighbours(peaks, energy, keep, int(T_WAVE_WINDOW_S * fs), range(len(peaks)), WAVE_ENERGY_RATIO,
                          sharpness)
    _drop_weak_neighbours(peaks, energy, keep, int(P_WAVE_WINDOW_S * fs), range(len(peaks) - 1, -1, -1),
                          P_WAVE_ENERGY_RATIO)
    kept = np.flatnonzero(keep)
    if sharpness is not None and kept.size > 1 and peaks[kept[0]] < int(T_WAVE_WINDOW_S * fs) \
            and sharpness[kept[0]] < T_WAVE_SHARPNESS_RATIO * sharpness[kept[1]]:
        keep[kept[0]] = False  # the strip starts in the T wave of a beat before it
    return peaks[keep]


def _drop_weak_neighbours(peaks: np.ndarray, energy: np.ndarray, keep: np.ndarray, window: int, order,
                          ratio: float, sharpness: np.ndarray | None = None) -> None:
    """Walking the candidates in ``order``, clear ``keep`` for those within ``window`` samples of the last
    kept one with less than ``ratio`` of its energy (or, given ``sharpness``, less than
    :data:`T_WAVE_SHARPNESS_RATIO` of its high-band amplitude)."""
    p, e, kept = peaks.tolist(), energy.tolist(), keep.tolist()  # Python scalars: the loop runs per beat
    sh = None if sharpness is None else sharpness.tolist()
    last = -1
    for k in order:
        if not kept[k]:
            continue
        if last >= 0 and abs(p[k] - p[last]) < window and (
                e[k] < ratio * e[last] or (sh is not None and sh[k] < T_WAVE_SHARPNESS_RATIO * sh[last])):
            keep[k] = False
            continue
        last = k


def detect_r_peaks(signal_mV: np.ndarray, fs: float) -> np.ndarray:
    """R-peak sample indices (int64, sorted) of one ECG lead ``signal_mV`` (mV) sampled at ``fs`` Hz.

    Signals shorter than :data:`MIN_DURATION_S` return no peaks. NaN samples are interpolated.
    """
    if fs <= 0:
        raise ValueError(f"sampling rate must be positive, got {fs} Hz")
    x = np.asarray(signal_mV).reshape(-1)
    n = len(x)
    if n < int(MIN_DURATION_S * fs):
        return np.zeros(0, np.int64)
    chunk = int(CHUNK_S * fs)
    pad = int(OVERLAP_S * fs)
    out: list[np.ndarray] = []
    for core_start in range(0, n, chunk):
        core_stop = min(n, core_start + chunk)
        a, b = max(0, core_start - pad), min(n, core_stop + pad)
        peaks = _detect_chunk(_clean(x[a:b]), fs) + a
        out.append(peaks[(peaks >= core_start) & (peaks < core_stop)])
    peaks = np.concatenate(out) if out else np.zeros(0, np.int64)
    return np.unique(peaks).astype(np.int64)


#: A QRS whose R peak lies this close (s) to a recording's first or last sample is cut by the edge: its R peak is
#: the last sample of an upstroke and its shape half a complex (LUDB: 16 of the 38 such beats called V or S).
EDGE_S = 0.05


def inside_recording(peaks: np.ndarray, fs: float, offset_s: float, duration_s: float,
                     start_s: float = 0.0) -> np.ndarray:
    """The R ``peaks`` (samples at ``fs`` Hz from ``offset_s`` s) at least :data:`EDGE_S` inside a recording whose
    signal runs from ``start_s`` to ``duration_s`` s (:func:`held_span`): a complex cut by its start or end can be
    neither measured nor classified."""
    t = offset_s + np.asarray(peaks) / fs
    return np.asarray(peaks)[(t >= start_s + EDGE_S) & (t <= duration_s - EDGE_S)]


#: Longest run (s) at a recording's start or end checked for a held value (:func:`held_span`).
HELD_MAX_S = 2.0


def held_span(head: np.ndarray, tail: np.ndarray) -> tuple[int, int]:
    """Samples a recorder padded a recording with: the leading samples of ``head`` and the trailing samples of
    ``tail`` (each (S, k): the recording's first and last k samples, every lead) that hold one value on every lead
    — PTB-XL's ECGs end on about 0.1 s of the last value, which cut their last QRS where it begins. Returns
    (samples held at the start, samples held at the end), each 0 unless at least two samples hold the value."""
    def run(x: np.ndarray) -> int:
        if x.shape[-1] < 2:
            return 0
        moved = np.flatnonzero(np.any(x != x[:, :1], axis=0))
        n = int(moved[0]) if len(moved) else x.shape[-1]
        return n - 1 if n >= 2 else 0

    return run(np.asarray(head)), run(np.asarray(tail)[:, ::-1])


def heart_rate_series(peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Instantaneous heart rate from R peaks: ``(times_s, bpm)``.

    Each value is 60 / RR (bpm) placed at the time (s) of the beat that ends the interval. RR intervals
    outside [:data:`MIN_RR_S`, :data:`MAX_RR_S`] s (missed or extra detections, pauses) are dropped.
    """
    p = np.asarray(peaks, dtype=np.float64)
    if p.size < 2:
        return np.zeros(0), np.zeros(0)
    rr = np.diff(p) / fs
    ok = (rr >= MIN_RR_S) & (rr <= MAX_RR_S)
    return p[1:][ok] / fs, 60.0 / rr[ok]
