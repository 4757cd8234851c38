"""Cached filter designs (issue 19, throughput) are scipy's designs, and a caller cannot change the cache."""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, iirnotch, tf2sos

from anyecg_model.signal.filter_design import band_notch_sos, butter_sos


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
