"""Preprocessing shared by training and inference: any lead subset, any rate from 100 Hz up → model patches.

``preprocess(data, fs, lead_names, cfg)`` takes a ``(n_leads, n)`` array in mV at ``fs`` Hz and returns a
:class:`PreparedSignal`: ``patches`` ``(S, P, patch_len)`` float32 in canonical lead slots, ``lead_mask``
``(S,)`` (slot holds a usable lead) and ``patch_mask`` ``(P,)`` (patch holds real signal, not tail padding).

Leads are placed **by name** (:func:`~anyecg_model.vocabulary.lead_map.map_leads`, table in
:mod:`~anyecg_model.vocabulary.leads`): a standard lead goes to its own slot, a monitoring lead to the slot it
approximates (MLII → II, CM5 → V5) unless the standard lead itself is present; ``-aVR`` is turned back into
aVR. Leads with no slot are ignored. Bad leads are never fed as numbers the model could mistake for
signal: short NaN/inf runs are linearly interpolated; a lead that is mostly NaN (> ``max_nan_fraction``)
or flat (peak-to-peak < ``flat_threshold_mv`` after filtering) is masked with a warning. No usable lead,
a rate under ``min_fs`` or a recording shorter than half a patch raise :class:`PreprocessError`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Sequence

import numpy as np
import pywt
from scipy import signal as sps

from ..vocabulary.lead_map import map_leads
from ..vocabulary.leads import STANDARD_LEADS
from ..vocabulary.model_input import PreprocessConfig
from .filter_design import band_notch_sos, sosfiltfilt

log = logging.getLogger(__name__)


class PreprocessError(ValueError):
    """The signal cannot be turned into model input; the message says why."""


@dataclass
class PreparedSignal:
    """Model input for one recording (or window): canonical slots × 1-s patches at ``fs`` Hz."""

    patches: np.ndarray  # (S, P, patch_len) float32
    lead_mask: np.ndarray  # (S,) bool
    patch_mask: np.ndarray  # (P,) bool
    slots: tuple[str, ...]
    fs: float
    n_samples: int  # real samples at fs (before tail padding)
    sources: dict[str, str] = field(default_factory=dict)  # slot → input lead name
    warnings: list[str] = field(default_factory=list)

    @property
    def n_patches(self) -> int:
        return int(self.patches.shape[1])

    def window(self, start: int, n_patches: int) -> "PreparedSignal":
        """Patches ``[start, start + n_patches)``; patches past the end are zero and masked."""
        if start < 0 or n_patches <= 0:
            raise ValueError("window start must be >= 0 and length > 0")
        S, P, L = self.patches.shape
        out = np.zeros((S, n_patches, L), np.float32)
        pmask = np.zeros(n_patches, bool)
        stop = min(P, start + n_patches)
        if stop > start:
            out[:, : stop - start] = self.patches[:, start:stop]
            pmask[: stop - start] = self.patch_mask[start:stop]
        real = max(0, min(self.n_samples - start * L, n_patches * L))
        return replace(self, patches=out, patch_mask=pmask, n_samples=real)

    def windows(self, starts: Sequence[int], n_patches: int) -> tuple[np.ndarray, np.ndarray]:
        """The patches (W, S, n_patches, L) and patch masks (W, n_patches) of :meth:`window` at each of ``starts``,
        written straight into the stacked arrays (an analysis chunk's windows: no per-window copy)."""
        if n_patches <= 0 or any(s < 0 for s in starts):
            raise ValueError("window start must be >= 0 and length > 0")
        S, P, L = self.patches.shape
        out = np.zeros((len(starts), S, n_patches, L), np.float32)
        pmask = np.zeros((len(starts), n_patches), bool)
        for w, start in enumerate(starts):
            stop = min(P, start + n_patches)
            if stop > start:
                out[w, :, : stop - start] = self.patches[:, start:stop]
                pmask[w, : stop - start] = self.patch_mask[start:stop]
        return out, pmask


def place_leads(lead_names: Sequence[str], slots: Sequence[str] = STANDARD_LEADS) -> dict[int, int]:
    """Map input lead index → slot index by name (:func:`~anyecg_model.vocabulary.lead_map.map_leads`: exact names win
    over monitoring-lead approximations; a second lead for a filled slot and leads with no slot are skipped)."""
    mapping = map_leads(lead_names, slots=slots, agnostic=False)
    return {i: list(slots).index(s) for i, s in mapping.slot.items()}


def _repair_nans(x: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    idx = np.arange(x.size)
    out = x.copy()
    out[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return out


def _filter_sos(cfg: PreprocessConfig, fs: float) -> np.ndarray:
    high = min(cfg.lowpass_hz, 0.45 * fs)
    notch = cfg.mains_hz if cfg.mains_hz is not None and cfg.mains_hz < 0.45 * fs else None
    return band_notch_sos(cfg.filter_order, (cfg.highpass_hz, high), notch, cfg.notch_q, fs)


def _wavelet_denoise(x: np.ndarray, wavelet: str, level: int) -> np.ndarray:
    """Soft universal-threshold denoising of each row (noise σ from the finest details' MAD)."""
    level = min(level, pywt.dwt_max_level(x.shape[-1], pywt.Wavelet(wavelet).dec_len))
    if level < 1:
        return x
    coeffs = pywt.wavedec(x, wavelet, level=level, axis=-1)
    sigma = np.median(np.abs(coeffs[-1]), axis=-1, keepdims=True) / 0.6745
    thr = sigma * np.sqrt(2.0 * np.log(x.shape[-1]))
    coeffs = [coeffs[0]] + [pywt.threshold(c, thr, mode="soft") for c in coeffs[1:]]
    return pywt.waverec(coeffs, wavelet, axis=-1)[..., : x.shape[-1]]


def resample_to(x: np.ndarray, fs: float, target_fs: float) -> np.ndarray:
    """Polyphase resampling of rows from ``fs`` to ``target_fs`` Hz (rational ratio, denominator ≤ 1000)."""
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    if ratio == 1:
        return x
    return sps.resample_poly(x, ratio.numerator, ratio.denominator, axis=-1, padtype="line")


def preprocess(data: np.ndarray, fs: float, lead_names: Sequence[str], cfg: PreprocessConfig | None = None,
               slots: Sequence[str] = STANDARD_LEADS) -> PreparedSignal:
    """Turn a ``(n_leads, n)`` mV array at ``fs`` Hz into :class:`PreparedSignal` (see module docstring)."""
    cfg = cfg or PreprocessConfig()
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] != len(lead_names):
        raise PreprocessError(f"signal of shape {data.shape} does not match {len(lead_names)} lead names")
    if not np.isfinite(fs) or fs < cfg.min_fs:
        raise PreprocessError(f"sampling rate {fs} Hz is below the minimum of {cfg.min_fs:g} Hz")
    n = data.shape[1]
    if n < 0.5 * cfg.patch_s * fs:
        raise PreprocessError(f"signal of {n / fs:.2f} s is shorter than half a {cfg.patch_s:g}-s patch")

    mapping = map_leads(lead_names, slots=slots, agnostic=False)
    placed = {i: list(slots).index(s) for i, s in mapping.slot.items()}
    warnings: list[str] = []
    rows, row_slots = [], []
    for i, s in sorted(placed.items(), key=lambda kv: kv[1]):
        x = -data[i] if i in mapping.inverted else data[i]
        nan_frac = float(np.mean(~np.isfinite(x)))
        if nan_frac > cfg.max_nan_fraction:
            warnings.append(f"lead {lead_names[i]}: {nan_frac:.0%} of samples missing; masked")
            continue
        rows.append(_repair_nans(x))
        row_slots.append(s)
    if not rows:
        raise PreprocessError(f"no usable lead among {list(lead_names)} for slots {' '.join(slots)}"
                              + (f" ({'; '.join(warnings)})" if warnings else ""))

    x = np.stack(rows)
    if cfg.denoise_wavelet:  # before the band-pass, so the finest details still measure the white noise
        x = _wavelet_denoise(x, cfg.denoise_wavelet, cfg.denoise_level)
    padlen = min(n - 1, int(round(fs)))
    x = sosfiltfilt(_filter_sos(cfg, fs), x, axis=-1, padlen=padlen)
    ptp = np.ptp(x, axis=-1)
    flat = ptp < cfg.flat_threshold_mv
    for r in np.flatnonzero(flat):
        warnings.append(f"lead {slots[row_slots[r]]}: flat (peak-to-peak {ptp[r]:.3f} mV); masked")
    if flat.all():
        raise PreprocessError(f"no usable lead: {'; '.join(warnings)}")
    x, row_slots = x[~flat], [s for s, f in zip(row_slots, flat) if not f]
    x = resample_to(x, fs, cfg.target_fs)
    if cfg.amplitude_scaling == "robust":
        mad = np.median(np.abs(x - np.median(x, axis=-1, keepdims=True)), axis=-1, keepdims=True) * 1.4826
        x = x / np.maximum(mad, 1e-3) * cfg.robust_target
    else:
        x = x / cfg.amplitude_unit_mv
    x = np.clip(x, -cfg.clip, cfg.clip)

    L = cfg.patch_len
    n_out = x.shape[1]
    P, tail = divmod(n_out, L)
    if tail >= cfg.min_tail_fraction * L:
        P += 1
    P = max(P, 1)
    patches = np.zeros((len(slots), P, L), np.float32)
    usable = min(n_out, P * L)
    buf = np.zeros((x.shape[0], P * L), np.float32)
    buf[:, :usable] = x[:, :usable]
    patches[row_slots] = buf.reshape(len(row_slots), P, L)
    lead_mask = np.zeros(len(slots), bool)
    lead_mask[row_slots] = True
    for w in warnings:
        log.warning("%s", w)
    inv = {s: str(lead_names[i]) for i, s in placed.items()}
    return PreparedSignal(patches=patches, lead_mask=lead_mask, patch_mask=np.ones(P, bool),
                          slots=tuple(slots), fs=cfg.target_fs, n_samples=usable,
                          sources={slots[s]: inv[s] for s in row_slots}, warnings=warnings)


def preprocess_recording(recording, cfg: PreprocessConfig | None = None, start_s: float = 0.0,
                         stop_s: float | None = None, slots: Sequence[str] = STANDARD_LEADS) -> PreparedSignal:
    """:func:`preprocess` over ``[start_s, stop_s)`` of a :class:`~anyecg_model.io.Recording`."""
    stop = None if stop_s is None else int(round(stop_s * recording.fs))
    data = recording.read(int(round(start_s * recording.fs)), stop)
    try:
        return preprocess(data, recording.fs, recording.lead_names, cfg, slots)
    except PreprocessError as exc:
        raise PreprocessError(f"{recording.path}: {exc}") from exc
