"""Cached filter designs and zero-phase filtering (issue 19, throughput) give scipy's results, and a caller cannot
change the cache."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, iirnotch, tf2sos
from scipy.signal import sosfiltfilt as scipy_sosfiltfilt

from anyecg_model.signal.filter_design import band_notch_sos, butter_sos, sosfiltfilt


def test_cached_designs_equal_scipys():
    np.testing.assert_array_equal(butter_sos(5, 0.5, "highpass", 360.0),
                                  butter(5, 0.5, btype="highpass", fs=360.0, output="sos"))
    np.testing.assert_array_equal(butter_sos(2, (5.0, 25.0), "bandpass", 250.0),
                                  butter(2, [5.0, 25.0], btype="bandpass", fs=250.0, output="sos"))
    b, a = iirnotch(50.0, 30.0, fs=500.0)
    expected = np.vstack([butter(3, [0.5, 40.0], btype="bandpass", fs=500.0, output="sos"), tf2sos(b, a)])
    np.testing.assert_array_equal(band_notch_sos(3, (0.5, 40.0), 50.0, 30.0, 500.0), expected)
    np.testing.assert_array_equal(band_notch_sos(3, (0.5, 40.0), None, 30.0, 500.0), expected[:3])


def test_a_returned_design_is_a_writable_copy():
    first = butter_sos(2, (1.0, 30.0), "band", 360.0)
    first[:] = 0.0
    again = butter_sos(2, (1.0, 30.0), "band", 360.0)
    assert again.flags.writeable and again.any()


@pytest.mark.parametrize("shape,axis,padlen", [((20000,), -1, None), ((2, 5000), -1, 360), ((2, 5000), 1, None),
                                               ((700, 3), 0, None), ((40,), -1, 10), ((3, 50), -1, 0)])
def test_zero_phase_filtering_equals_scipys_bit_for_bit(shape, axis, padlen):
    rng = np.random.default_rng(len(shape) + (padlen or 0))
    x = rng.standard_normal(shape).cumsum(axis=axis)
    for sos in (butter_sos(5, 0.5, "highpass", 360.0), band_notch_sos(3, (0.5, 40.0), 50.0, 30.0, 360.0)):
        for _ in range(2):  # the second call uses the cached initial conditions
            np.testing.assert_array_equal(sosfiltfilt(sos, x, axis=axis, padlen=padlen),
                                          scipy_sosfiltfilt(sos, x, axis=axis, padlen=padlen))


def test_zero_phase_filtering_rejects_a_signal_shorter_than_its_padding():
    with pytest.raises(ValueError, match="padlen"):
        sosfiltfilt(butter_sos(5, 0.5, "highpass", 360.0), np.zeros(10))
