"""Display filters: presets pass and stop what their band says, zero phase, no ringing at window edges."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.io.recording import Recording
from anyecg_model.signal.filters import DIAGNOSTIC, MONITOR, PRESETS, RAW, DisplayFilter, apply, filtered_window

FS = 500.0


def tone(f_hz: float, seconds: float = 60.0, amp: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    return (amp * np.sin(2 * np.pi * f_hz * t)).astype(np.float32)[None, :]


def gain(filt: DisplayFilter, f_hz: float) -> float:
    y = apply(tone(f_hz), FS, filt)
    mid = slice(y.shape[1] // 4, 3 * y.shape[1] // 4)
    return float(np.std(y[0, mid]) / np.std(tone(f_hz)[0, mid]))


def test_presets_have_the_clinical_bands():
    assert PRESETS.keys() == {"Diagnostic", "Monitor", "Raw"}
    assert (DIAGNOSTIC.low_hz, DIAGNOSTIC.high_hz) == (0.05, 150.0)
    assert (MONITOR.low_hz, MONITOR.high_hz) == (0.67, 40.0)
    assert RAW.is_identity
    assert MONITOR.with_notch(50).label() == "Monitor 0.67–40 Hz + 50 Hz notch"


def test_monitor_removes_baseline_wander_and_keeps_qrs_band():
    assert gain(MONITOR, 0.1) < 0.05
    assert gain(MONITOR, 10.0) == pytest.approx(1.0, abs=0.02)
    assert gain(MONITOR, 100.0) < 0.2
    assert gain(DIAGNOSTIC, 1.0) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_notch_removes_mains(mains):
    assert gain(RAW.with_notch(mains), mains) < 0.05
    assert gain(RAW.with_notch(mains), 10.0) == pytest.approx(1.0, abs=0.02)


def test_zero_phase_keeps_the_r_peak_in_place():
    x = np.zeros((1, 5000), np.float32)
    t = np.arange(-50, 51)
    x[0, 2500 + t] = np.exp(-0.5 * (t / 8.0) ** 2)
    y = apply(x, FS, MONITOR)
    assert int(np.argmax(y[0])) == 2500


def test_window_edges_match_filtering_the_whole_record():
    rng = np.random.default_rng(3)
    t = np.arange(int(120 * FS)) / FS
    sig = (0.5 * np.sin(2 * np.pi * 0.2 * t) + 0.1 * rng.standard_normal(t.size)).astype(np.float32)
    rec = Recording.from_array(sig[None, :], FS, ["II"])
    whole = apply(rec.read(), FS, MONITOR)
    a, b = int(50 * FS), int(60 * FS)
    win = filtered_window(rec, a, b, None, MONITOR)
    naive = apply(rec.read(a, b), FS, MONITOR)
    assert win.shape == (1, b - a)
    edge = slice(0, int(0.2 * FS))
    assert np.max(np.abs(win[0, edge] - whole[0, a:b][edge])) < 0.01, "run-in margin keeps the edge true"
    assert np.max(np.abs(naive[0, edge] - whole[0, a:b][edge])) > 0.02, "without the margin the edge is wrong"


def test_nan_gaps_stay_gaps():
    x = tone(5.0, 10.0)
    x[0, 1000:1100] = np.nan
    y = apply(x, FS, MONITOR)
    assert np.isnan(y[0, 1000:1100]).all() and np.isfinite(y[0, :1000]).all()
