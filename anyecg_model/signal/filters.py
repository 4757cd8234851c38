"""Display filters: zero-phase band-pass presets and a mains notch, applied to a window with run-in.

Presets follow the usual ECG bandwidths: Diagnostic 0.05–150 Hz (AHA diagnostic), Monitor 0.67–40 Hz,
and Raw (no filtering). A 50 or 60 Hz notch can be added to any of them. Filtering is zero-phase
(``sosfiltfilt``) and reads a run-in margin beyond both window edges, so the trace does not ring or
sag at the edge of the screen: the margin is long enough for the high-pass (several time constants).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

import numpy as np

from ..io.recording import Recording


@dataclass(frozen=True)
class DisplayFilter:
    """A display filter: band edges ``low_hz``/``high_hz`` (None = open) and mains ``notch_hz`` (50, 60 or None)."""

    name: str
    low_hz: float | None = None
    high_hz: float | None = None
    notch_hz: float | None = None
    order: int = 2

    def __post_init__(self) -> None:
        if self.low_hz is not None and self.low_hz <= 0:
            raise ValueError(f"low cut-off must be positive Hz, got {self.low_hz}")
        if self.high_hz is not None and self.low_hz is not None and self.high_hz <= self.low_hz:
            raise ValueError(f"high cut-off {self.high_hz} Hz must exceed low cut-off {self.low_hz} Hz")
        if self.notch_hz not in (None, 50.0, 60.0, 50, 60):
            raise ValueError(f"notch must be 50 or 60 Hz, got {self.notch_hz}")

    @property
    def is_identity(self) -> bool:
        return self.low_hz is None and self.high_hz is None and self.notch_hz is None

    def with_notch(self, notch_hz: float | None) -> "DisplayFilter":
        return replace(self, notch_hz=notch_hz)

    def label(self) -> str:
        """Short text for the status bar, e.g. ``Diagnostic 0.05–150 Hz + 50 Hz notch``."""
        if self.low_hz is None and self.high_hz is None:
            text = self.name
        else:
            lo = "DC" if self.low_hz is None else f"{self.low_hz:g}"
            hi = "Nyquist" if self.high_hz is None else f"{self.high_hz:g}"
            text = f"{self.name} {lo}–{hi} Hz"
        return text + (f" + {self.notch_hz:g} Hz notch" if self.notch_hz else "")

    def margin_s(self) -> float:
        """Run-in read on each side of the window, s: six high-pass time constants (0.5 to 60 s)."""
        if self.low_hz is None:
            return 0.5 if not self.is_identity else 0.0
        tau = 1.0 / (2 * np.pi * self.low_hz)
        return float(min(60.0, max(0.5, 6.0 * tau)))


DIAGNOSTIC = DisplayFilter("Diagnostic", 0.05, 150.0)
MONITOR = DisplayFilter("Monitor", 0.67, 40.0)
RAW = DisplayFilter("Raw")
PRESETS: dict[str, DisplayFilter] = {f.name: f for f in (DIAGNOSTIC, MONITOR, RAW)}


@lru_cache(maxsize=64)
def design_sos(filt: DisplayFilter, fs: float) -> np.ndarray | None:
    """Second-order sections for ``filt`` at ``fs`` Hz (None when nothing applies at this rate)."""
    from scipy.signal import butter, iirnotch, tf2sos  # ~1 s to import: only when a filter is first used

    nyq = fs / 2.0
    sections = []
    low = filt.low_hz
    high = filt.high_hz if filt.high_hz is not None and filt.high_hz < 0.95 * nyq else None
    if low is not None and high is not None:
        sections.append(butter(filt.order, [low, high], btype="bandpass", fs=fs, output="sos"))
    elif low is not None:
        sections.append(butter(filt.order, low, btype="highpass", fs=fs, output="sos"))
    elif high is not None:
        sections.append(butter(filt.order, high, btype="lowpass", fs=fs, output="sos"))
    if filt.notch_hz and filt.notch_hz < 0.95 * nyq:
        b, a = iirnotch(filt.notch_hz, Q=30.0, fs=fs)
        sections.append(tf2sos(b, a))
    return np.concatenate(sections) if sections else None


def apply(data: np.ndarray, fs: float, filt: DisplayFilter) -> np.ndarray:
    """Zero-phase filter (n_leads, n) mV along the last axis; NaN gaps are kept as NaN."""
    from scipy.signal import sosfiltfilt

    sos = design_sos(filt, float(fs))
    if sos is None or data.shape[-1] < 16:
        return data
    bad = ~np.isfinite(data)
    x = np.where(bad, 0.0, data) if bad.any() else data
    padlen = min(x.shape[-1] - 1, 3 * (2 * len(sos) + 1))
    out = sosfiltfilt(sos, x, axis=-1, padlen=padlen).astype(np.float32)
    if bad.any():
        out[bad] = np.nan
    return out


def filtered_window(recording: Recording, start: int, stop: int, leads: Sequence[int] | None,
                    filt: DisplayFilter) -> np.ndarray:
    """Samples ``[start, stop)`` of ``leads`` in mV after ``filt``, computed over a run-in margin."""
    if filt.is_identity:
        return recording.read(start, stop, leads)
    margin = int(round(filt.margin_s() * recording.fs))
    a = max(0, start - margin)
    b = min(recording.n_samples, stop + margin)
    data = apply(recording.read(a, b, leads), recording.fs, filt)
    return data[:, start - a: start - a + max(0, min(stop, recording.n_samples) - max(start, 0))]
