"""A small annotated recording for the writer and ``anyecg info`` / ``convert`` tests."""
from __future__ import annotations

import datetime as dt

import numpy as np

from anyecg_model.io import Annotations, Recording
from anyecg_model.io.writers import rhythm_annotations


def annotated_recording(n=3000, fs=250.0) -> Recording:
    """Three leads at 250 Hz with N/V beats every 220 samples, an AFIB and a VT episode, start time, age and sex."""
    t = np.arange(n) / fs
    data = np.stack([np.sin(2 * np.pi * 1.1 * t), 0.4 * np.cos(2 * np.pi * 1.1 * t), 0.1 * t]).astype(np.float32)
    beats = np.arange(100, n, 220)
    ann = Annotations.from_lists(beats, ["N" if k % 5 else "V" for k in range(len(beats))], source="atr")
    ann = ann.concat(rhythm_annotations([(500, 1500, "AFIB"), (2000, 2600, "VT")]))
    return Recording.from_array(data, fs, ["II", "V1", "V5"], path="synthetic", annotations=ann,
                                start_time=dt.datetime(2024, 5, 6, 7, 8, 9), age=57.0, sex="F")
