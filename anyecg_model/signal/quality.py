"""Which leads of a window look unusable: flat, saturated (clipped) or noisy. Plain numpy, no Qt.

Thresholds are physiological: a connected ECG lead swings at least ~0.1 mV with every QRS; a clipped
lead sits on its rail for many samples; in a clean ECG most power is below 40 Hz, so the first
difference is small next to the signal, while broadband noise makes them comparable.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .filter_design import butter_sos, sosfiltfilt


@dataclass(frozen=True)
class QualityThresholds:
    """``flat_ptp_mv``: peak-to-peak below this (mV) is flat; ``rail_fraction``: share of samples on the
    minimum or maximum value that counts as clipping; ``noise_ratio``: std of the first difference over
    the std of the signal (at 250 Hz equivalent) above which a lead is noisy."""

    flat_ptp_mv: float = 0.05
    rail_fraction: float = 0.02
    noise_ratio: float = 0.9

    def __post_init__(self) -> None:
        if self.flat_ptp_mv <= 0 or not (0 < self.rail_fraction < 1) or self.noise_ratio <= 0:
            raise ValueError(f"invalid lead-quality thresholds {self}")


def lead_problem(x: np.ndarray, fs: float, th: QualityThresholds = QualityThresholds()) -> str | None:
    """``"flat"``, ``"saturated"``, ``"noisy"`` or None for one lead ``x`` (mV) sampled at ``fs`` Hz."""
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if len(x) < max(10, int(fs)):
        return "flat" if len(x) == 0 else None
    ptp = float(x.max() - x.min())
    if ptp < th.flat_ptp_mv:
        return "flat"
    on_rail = max(np.count_nonzero(x == x.max()), np.count_nonzero(x == x.min())) / len(x)
    if on_rail >= th.rail_fraction:
        return "saturated"
    # compare at a common rate: the difference of white noise grows with fs, that of an ECG shrinks
    step = max(1, int(round(fs / 250.0)))
    y = x[::step] - np.median(x[::step])
    sd = float(y.std())
    if sd > 0 and float(np.diff(y).std()) / sd > th.noise_ratio:
        return "noisy"
    return None


def bad_leads(data: np.ndarray, fs: float, th: QualityThresholds = QualityThresholds()) -> dict[int, str]:
    """Problems by lead index for an (n_leads, n) window in mV."""
    out = {}
    for i, row in enumerate(np.asarray(data)):
        problem = lead_problem(row, fs, th)
        if problem is not None:
            out[i] = problem
    return out


#: Reasons a stretch of signal is unreadable, in order of precedence (index = code in :func:`unreadable_blocks`).
UNREADABLE_REASONS: tuple[str, ...] = ("flat", "saturated", "noisy", "baseline")


@dataclass(frozen=True)
class GateThresholds:
    """The signal-quality gate, per ``block_s`` block of one lead (mV): ``flat_ptp_mv`` peak-to-peak below which a
    block is flat (a lead off; a real pause still carries P waves and noise above it: MIT-BIH 232's sinus pauses
    hold 0.065-0.155 mV, and at PTB-XL's amplitudes, about half MIT-BIH's, 0.03-0.08 mV, which the former 0.05
    called flat: 43 s of 232's pauses read "unreadable" instead of pauses); ``rail_fraction`` the share of a block's
    samples on the lead's extreme value (an amplifier at its rail), counted only for an extreme more than
    ``rail_offset`` of the lead's range away from its baseline; ``noise_ratio`` the std of the first difference (at
    250 Hz) over the block's std above which broadband noise hides the QRS, and ``noise_sd_factor`` the block's std
    over the median block std of the stretch analysed above which noise (muscle, electrode; ventricular flutter
    reaches ~4.7 on MIT-BIH 207) swamps the ECG; ``noise_qrs`` the block's broadband noise (σ from its median
    absolute first difference at 250 Hz) over the lead's typical QRS peak-to-peak (below) and ``noise_band_qrs`` its
    noise in the QRS band (5-40 Hz: σ from the median absolute band-passed value) over the band-passed blocks'
    median peak-to-peak, both of which muscle artefact as large as the QRS exceeds: the two rules before caught
    about half of NSTDB's muscle noise at 0 to -6 dB, and what they left made false V calls, VT and AF (both are
    needed: 500-Hz amplifier hiss above the QRS band around 0.6-mV complexes, LUDB 138 and 196, passes the first
    alone while every beat is plain to see); ``baseline_step_mv`` the jump of the block mean from its neighbour, and
    ``baseline_range_mv`` its distance from the lead's median, above which the baseline moves too fast (electrode
    motion) for beats to be found — or, where larger, ``baseline_step_qrs`` and ``baseline_range_qrs`` times the
    lead's typical block peak-to-peak (the median over the stretch's clean blocks, about one QRS: 2.0 mV on
    MIT-BIH's median record, where both forms agree). What hides a beat is a move large next to its QRS: a lead with
    4-mV complexes (left ventricular hypertrophy, a chest lead, a recorder's higher gain) had twice its wander
    called unreadable (MIT-BIH joined at gain 2: 1 865 s instead of 248), while a low-voltage lead keeps the
    millivolt floor. Noise makes a block's peak-to-peak large too, and muscle artefact moves its mean, so the
    QRS-relative form holds only in clean blocks: broadband noise (σ from the median absolute first difference at
    250 Hz) under ``baseline_clean_noise`` of the lead's typical peak-to-peak (MIT-BIH's 1-s blocks: median 0.6 %,
    8.6 % of them at 1 % or more; with NSTDB's muscle artefact added, 42-49 % of the noisy blocks at 12 dB, 79-99 %
    at 0 dB). Bad blocks separated by less than ``merge_gap_s`` (s) join one span. A flat block counts only in a run
    of at least ``flat_min_blocks`` (a lead off lasts; one quiet second between the beats of a slow, clean recording
    does not: PTB-XL 191 at about 32 bpm had its first 3 s called flat). The noise ratio leaves out first
    differences more than ``spike_mad`` robust deviations (1.4826 × MAD) from the block's median difference while
    they are at most ``spike_share`` of the block: the steep edges of QRS complexes, pacing stimuli and lone
    artefact spikes, which do not hide the QRS (pacing stimuli had paced PTB-XL ECGs called noisy on I and aVR)."""

    block_s: float = 1.0
    flat_ptp_mv: float = 0.02
    rail_fraction: float = 0.1
    rail_offset: float = 0.25
    noise_ratio: float = 0.9
    noise_sd_factor: float = 5.0
    baseline_step_mv: float = 1.0
    baseline_range_mv: float = 3.0
    baseline_step_qrs: float = 0.5
    baseline_range_qrs: float = 1.5
    baseline_clean_noise: float = 0.01
    noise_qrs: float = 0.04
    noise_band_qrs: float = 0.1
    merge_gap_s: float = 2.0
    flat_min_blocks: int = 2
    spike_mad: float = 10.0
    spike_share: float = 0.2

    def __post_init__(self) -> None:
        if not 0 <= self.rail_offset < 1 or self.flat_min_blocks < 1:
            raise ValueError(f"rail_offset must be in [0, 1), got {self.rail_offset}")
        if min(self.block_s, self.flat_ptp_mv, self.noise_ratio, self.noise_sd_factor, self.baseline_step_mv,
               self.baseline_range_mv, self.spike_mad) <= 0 or not (0 < self.rail_fraction < 1) \
                or min(self.baseline_step_qrs, self.baseline_range_qrs, self.baseline_clean_noise,
                       self.noise_qrs, self.noise_band_qrs, self.merge_gap_s) < 0 \
                or not 0 <= self.spike_share < 1:
            raise ValueError(f"invalid signal-quality gate thresholds {self}")


def unreadable_blocks(x: np.ndarray, fs: float, th: GateThresholds = GateThresholds()) -> np.ndarray:
    """Per ``th.block_s`` block of one lead ``x`` (mV at ``fs`` Hz): the code of its problem in
    :data:`UNREADABLE_REASONS`, or -1 when readable (int8). A last partial block shorter than half a block joins
    its predecessor's verdict. Vectorised: a 24-h lead at 360 Hz takes a fraction of a second."""
    x = np.asarray(x, np.float32)
    n = max(1, int(round(th.block_s * fs)))
    k = len(x) // n
    if k == 0:
        return np.zeros(0, np.int8)
    finite = np.isfinite(x)
    all_finite = bool(finite.all())
    blocks = (x if all_finite else np.where(finite, x, 0.0))[: k * n].reshape(k, n)
    dead = np.zeros(k, bool) if all_finite else ~finite[: k * n].reshape(k, n).any(1)
    hi, lo = blocks.max(1), blocks.min(1)
    mean = blocks.mean(1, dtype=np.float64)
    lead_med = float(np.median(mean[~dead])) if (~dead).any() else 0.0
    step = max(1, int(round(fs / 250.0)))
    y = blocks[:, ::step]
    sd = y.std(1, dtype=np.float64)
    dy = np.diff(y, axis=1)
    dsd = dy.std(1, dtype=np.float64)
    noise = _difference_noise(dy)
    edgy = np.flatnonzero((sd > 0) & (dsd > th.noise_ratio * sd))  # noisy, unless a few narrow edges made it so
    dsd[edgy] = _difference_sd_without_spikes(y[edgy], th.spike_mad, th.spike_share)
    clean, ref = _clean_qrs_mv(hi - lo, noise, dead, th.baseline_clean_noise)
    qrs = np.where(clean, ref, 0.0)  # the QRS-relative baseline limits hold in clean blocks only
    step_limit = np.maximum(th.baseline_step_mv, th.baseline_step_qrs * np.minimum(qrs[1:], qrs[:-1]))
    jump = np.abs(np.diff(mean)) > step_limit
    moved = np.concatenate([[False], jump]) | np.concatenate([jump, [False]])
    moved |= np.abs(mean - lead_med) > np.maximum(th.baseline_range_mv, th.baseline_range_qrs * qrs)
    top, bottom = hi[~dead].max(initial=0.0), lo[~dead].min(initial=0.0)
    rail = np.zeros(k)
    # an extreme is a rail only when it lies away from the baseline: a clipped lead is cut off at its extreme
    # while its baseline swings between; a lead whose baseline *is* its extreme (an exactly flat line between
    # QRS complexes, as in generated signals) is not clipped (a lead stuck on its rail is caught as flat)
    away = th.rail_offset * (top - bottom)
    rails = [v for v in (top, bottom) if abs(v - lead_med) > away]
    if top > bottom and rails:  # samples sitting on a rail (counted only in blocks touching it)
        touch = np.flatnonzero(np.isin(hi, rails) | np.isin(lo, rails))
        rail[touch] = sum((blocks[touch] == v).sum(1) for v in rails) / n
    code = np.full(k, -1, np.int8)
    code[moved] = 3
    typical = float(np.median(sd[~dead])) if (~dead).any() else 0.0
    code[((sd > 0) & (dsd > th.noise_ratio * sd)) | (sd > th.noise_sd_factor * typical)] = 2
    code[_noise_over_qrs(blocks, fs, noise, ref, dead, th)] = 2
    code[rail >= th.rail_fraction] = 1
    quiet = (hi - lo < th.flat_ptp_mv) & ~dead
    flat = _runs_of_at_least(quiet, th.flat_min_blocks)
    code[quiet & ~flat] = -1  # a quiet second between beats: its tiny noise is no reason either
    code[flat | dead] = 0
    if len(x) - k * n >= n / 2:  # a long enough tail gets its own verdict from the last full block's rules
        code = np.concatenate([code, unreadable_blocks(x[-n:], fs, th)[-1:]])
    return code


def _difference_noise(d: np.ndarray) -> np.ndarray:
    """Per row of first differences ``d`` (blocks × samples - 1, mV at about 250 Hz): the broadband noise (mV RMS),
    σ ≈ median|Δx| / (0.6745 √2); the median ignores the QRS complexes (a few per cent of the samples)."""
    if d.shape[1] == 0:
        return np.zeros(len(d))
    return np.median(np.abs(d), axis=1) / (0.6745 * np.sqrt(2.0))


def _clean_qrs_mv(ptp: np.ndarray, noise: np.ndarray, dead: np.ndarray, clean_noise: float) -> tuple[np.ndarray, float]:
    """(clean blocks, the lead's typical peak-to-peak in mV: about one QRS; 0 without live blocks) from the blocks'
    ``ptp`` and broadband ``noise``. A block is clean when its noise is under ``clean_noise`` of the median
    peak-to-peak of all live blocks; the typical peak-to-peak is then the median over the clean blocks, which noise
    does not inflate."""
    live = ~dead
    if not live.any():
        return np.zeros(len(ptp), bool), 0.0
    ref = float(np.median(ptp[live]))
    clean = live & (noise < clean_noise * ref)
    return clean, float(np.median(ptp[clean])) if clean.any() else ref


def _noise_over_qrs(blocks: np.ndarray, fs: float, noise: np.ndarray, ref: float, dead: np.ndarray,
                    th: GateThresholds) -> np.ndarray:
    """Blocks (rows of ``blocks``, mV at ``fs`` Hz) whose noise hides QRS complexes of the lead's typical size
    ``ref``: broadband ``noise`` over ``th.noise_qrs`` × ``ref`` and, band-passed to the QRS band (5-40 Hz), a
    median level (σ from the median absolute value) over ``th.noise_band_qrs`` × the band-passed blocks' median
    peak-to-peak. Hiss above the QRS band alone leaves the complexes plain to see; noise in it does not."""
    out = np.zeros(len(blocks), bool)
    if ref <= 0 or th.noise_qrs <= 0:
        return out
    suspect = ~dead & (noise > th.noise_qrs * ref)
    if not suspect.any():
        return out
    band = sosfiltfilt(butter_sos(2, (5.0, min(40.0, 0.45 * fs)), "band", fs), blocks.reshape(-1).astype(np.float64))
    band = band.reshape(blocks.shape)
    level = np.median(np.abs(band), axis=1) / 0.6745
    out[suspect] = level[suspect] > th.noise_band_qrs * float(np.median(np.ptp(band[~dead], axis=1)))
    return out


def _difference_sd_without_spikes(y: np.ndarray, spike_mad: float, spike_share: float) -> np.ndarray:
    """Per row of ``y`` (blocks × samples, mV): the std of its first difference, leaving out differences more than
    ``spike_mad`` robust deviations from the row's median difference where they are at most ``spike_share`` of the
    row (a few narrow edges); a row with more of them (impulsive noise) keeps them all."""
    d = np.diff(y, axis=1)
    dev = np.abs(d - np.median(d, axis=1, keepdims=True))
    out = dev > spike_mad * 1.4826 * np.median(dev, axis=1, keepdims=True)
    keep = ~(out & (out.mean(1) <= spike_share)[:, None])
    n = np.maximum(keep.sum(1), 1)
    mean = (d * keep).sum(1, dtype=np.float64) / n
    return np.sqrt((((d - mean[:, None]) ** 2) * keep).sum(1, dtype=np.float64) / n)


def _runs_of_at_least(mask: np.ndarray, n: int) -> np.ndarray:
    """``mask`` kept only in runs of at least ``n`` consecutive True values."""
    if n <= 1 or not mask.any():
        return mask
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = np.zeros_like(mask)
    for a, b in zip(first, stop):
        if b - a >= n:
            out[a:b] = True
    return out


def unreadable_spans(x: np.ndarray, fs: float, th: GateThresholds = GateThresholds(),
                     offset_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Unreadable stretches of one lead ``x`` (mV at ``fs`` Hz): ``(spans (K, 2) in s from offset_s, reason
    codes (K,) into UNREADABLE_REASONS)``; neighbours closer than ``th.merge_gap_s`` merge (the first
    stretch's reason is kept)."""
    code = unreadable_blocks(x, fs, th)
    bad = code >= 0
    if not bad.any():
        return np.zeros((0, 2)), np.zeros(0, np.int8)
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    end_s = np.minimum(stop * th.block_s, len(x) / fs)
    start_s = first * th.block_s
    keep = np.concatenate([[True], start_s[1:] - end_s[:-1] >= th.merge_gap_s])
    starts = start_s[keep]
    ends = np.maximum.reduceat(end_s, np.flatnonzero(keep))
    spans = np.stack([starts, ends], 1) + offset_s
    return spans, code[first[keep]].astype(np.int8)


def noise_mv(x: np.ndarray, fs: float, block_s: float = 1.0) -> np.ndarray:
    """Per ``block_s`` block of one lead ``x`` (mV at ``fs`` Hz): its broadband noise (mV RMS), estimated at about
    250 Hz (:func:`_difference_noise`), so a clean lead reads a few hundredths of a millivolt whatever its
    amplitude, unlike the gate's relative noise rule, which calls 0.1 mV of noise on a small lead (aVL, I) noisy."""
    x = np.nan_to_num(np.asarray(x, np.float64))
    step = max(1, int(round(fs / 250.0)))
    n = max(1, int(round(block_s * fs / step)))
    y = x[::step]
    k = len(y) // n
    if k == 0:
        return np.zeros(0)
    return _difference_noise(np.diff(y[:k * n].reshape(k, n), axis=1))


def unreadable_share(ws: np.ndarray, we: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Per window ``[ws, we)``: the share of it inside the unreadable spans ``bad`` (K, 2), s."""
    if not len(bad) or not len(ws):
        return np.zeros(len(ws))
    cum = np.concatenate([[0.0], np.cumsum(bad[:, 1] - bad[:, 0])])

    def covered_until(t):  # unreadable seconds before t
        k = np.searchsorted(bad[:, 0], t, side="right")
        j = np.maximum(k - 1, 0)
        part = np.clip(t - bad[j, 0], 0, bad[j, 1] - bad[j, 0])
        return cum[j] + np.where(k > 0, part, 0.0)

    return (covered_until(we) - covered_until(ws)) / np.maximum(we - ws, 1e-9)


def outside_unreadable(t_s: np.ndarray, spans_s: np.ndarray) -> np.ndarray:
    """Mask of the times ``t_s`` (s) not inside an unreadable span (``spans_s`` (M, 2) s, sorted and disjoint)."""
    t = np.asarray(t_s, np.float64)
    spans = np.asarray(spans_s, np.float64).reshape(-1, 2)
    if not len(spans) or not len(t):
        return np.ones(len(t), bool)
    k = np.searchsorted(spans[:, 0], t, side="right") - 1
    return ~((k >= 0) & (t < spans[k.clip(0), 1]))


def rr_across_unreadable(peaks_s: np.ndarray, spans_s: np.ndarray) -> np.ndarray:
    """(K-1,) bool per RR interval of the sorted R ``peaks_s`` (s): True where the interval overlaps an
    unreadable span (``spans_s`` (M, 2) s, sorted and disjoint), so its length says nothing about the rhythm."""
    t = np.asarray(peaks_s, np.float64)
    spans = np.asarray(spans_s, np.float64).reshape(-1, 2)
    if len(t) < 2 or not len(spans):
        return np.zeros(max(len(t) - 1, 0), bool)
    # the first span ending after each interval's start overlaps it when it also starts before the interval's end
    k = np.searchsorted(spans[:, 1], t[:-1], side="right")
    inside = k < len(spans)
    out = np.zeros(len(t) - 1, bool)
    out[inside] = spans[k[inside], 0] < t[1:][inside]
    return out


#: Unreadable share of a stretch on the preferred lead from which a lead with at most half of it is read instead.
SWITCH_UNREADABLE = 0.2


def cleaner_lead(data: np.ndarray, preferred: int, fs: float, offset_s: float = 0.0,
                 judged_s: tuple[float, float] | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """The row of ``data`` (leads × samples in mV at ``fs`` Hz, starting ``offset_s`` s into the recording) to read
    the rhythm on, with its :func:`unreadable_spans` ``(spans s, reason codes)``: ``preferred``, unless at least
    :data:`SWITCH_UNREADABLE` of ``judged_s`` (start, end s; default all of ``data``) is unreadable on it and
    another row has at most half its unreadable time there (the least of them; a technician reads the rhythm on
    the clean channel: a 12-lead ECG with lead II saturated, a 12-lead Holter whose lead II came off for an hour)."""
    t0, t1 = judged_s if judged_s is not None else (offset_s, offset_s + data.shape[-1] / fs)

    def gate(row: int) -> tuple[np.ndarray, np.ndarray, float]:
        spans, codes = unreadable_spans(data[row], fs, offset_s=offset_s)
        lost = np.clip(spans, t0, t1)
        return spans, codes, float(np.sum(lost[:, 1] - lost[:, 0]))

    spans, codes, lost = gate(preferred)
    if lost < SWITCH_UNREADABLE * max(t1 - t0, 1e-9) or len(data) < 2:
        return preferred, spans, codes
    best = (preferred, spans, codes, lost)
    for row in range(len(data)):
        if row != preferred:
            other = gate(row)
            if other[2] <= 0.5 * lost and other[2] < best[3]:
                best = (row, *other)
    return best[:3]
