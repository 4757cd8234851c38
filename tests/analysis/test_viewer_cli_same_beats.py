"""The viewer and ``anyecg analyze`` give every beat the same label on the same file and model.

The beat trees read context features computed over a chunk and its margins (dominant template, RR against the
context, prematurity, pacing slope against the context's median), so a beat's label depends on the chunk grid.
The viewer's analysis process (:class:`~anyecg_model.analysis.jobs.AnalyzerPool`, the visible chunk first,
then the rest) must cut the recording on the same grid as the CLI (:class:`~anyecg_model.analysis.analyzer.
Analyzer` with its default chunks, in time order): MIT-BIH 201 gave N 1638 / V 187 in the viewer's model dock
and N 1631 / V 194 in ``anyecg analyze`` while the viewer used 60-s chunks. The rhythm episodes too: the
visible chunk, analysed before the chunk whose GRU state it should carry, gets its episodes recomputed from that
state once it is done (:class:`~anyecg_model.analysis.episode_chain.EpisodeChain`).
"""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.chunks import FocusRange
from anyecg_model.analysis.jobs import AnalyzerPool
from anyecg_model.io import open_recording
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

TASKS = ("anomaly", "arrhythmia", "events")


@pytest.mark.parametrize("record", ["201", "208"])
def test_the_viewers_view_first_analysis_labels_each_beat_as_the_cli_does(shared_data, record):
    path = shared_data / "mitdb" / record
    if not (path.parent / f"{record}.hea").is_file():
        pytest.skip(f"MIT-BIH record {record} not unpacked")
    rec = open_recording(path)
    cli = Analyzer(device="cpu").analyze(rec, TASKS)  # what `anyecg analyze` runs
    viewer = AnalyzerPool(torch_threads=1).get(SHIPPED_MODEL_DIR, "cpu")
    parts = list(viewer.iter_analyze(rec, TASKS, order=FocusRange(905.0, 935.0)))  # the view at 15 min first
    assert parts[0].start_s > 0.0  # the visible chunk really came first
    shown = viewer.collect(rec, TASKS, parts)
    np.testing.assert_array_equal(shown.beats.time_s, cli.beats.time_s)
    differ = np.flatnonzero(shown.beats.label != cli.beats.label)
    assert differ.size == 0, (f"{differ.size} beats labelled differently, first at "
                              f"{shown.beats.time_s[differ[:5]].round(1).tolist()} s")
    np.testing.assert_array_equal(shown.beats.confidence, cli.beats.confidence)
    assert [(e.start_s, e.end_s, e.label, e.confidence) for e in shown.episodes] == \
        [(e.start_s, e.end_s, e.label, e.confidence) for e in cli.episodes]
