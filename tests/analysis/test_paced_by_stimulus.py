"""Paced beats on real 12-lead ECGs at 500 Hz (PTB-XL, LUDB): beats a pacemaker stimulus precedes are labelled
paced, and ECGs without any stimulus get no paced beat (the beat trees, trained on MIT-BIH's blunted stimuli,
called 8 beats of PTB-XL 38 and 439 paced and found 1 of PTB-XL 385's 12 paced beats)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.io.registry import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASSES

P = BEAT_CLASSES.index("P")


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(None, device="cpu")


def _paced_share(analyzer: Analyzer, path) -> float:
    beats = analyzer.analyze(open_recording(path), ("arrhythmia",)).beats
    assert len(beats) >= 8
    return float(np.mean(np.asarray(beats.label) == P))


@pytest.mark.parametrize("ecg_id", [385, 190])
def test_a_paced_ptbxl_ecg_reads_paced(shared_data, analyzer, ecg_id):
    path = shared_data / "ptbxl500" / "records500" / "00000" / f"{ecg_id:05d}_hr.hea"
    assert _paced_share(analyzer, path) >= 0.7


@pytest.mark.parametrize("ecg_id", [38, 439, 325])
def test_an_unpaced_ptbxl_ecg_has_no_paced_beat(shared_data, analyzer, ecg_id):
    path = shared_data / "ptbxl500" / "records500" / "00000" / f"{ecg_id:05d}_hr.hea"
    assert _paced_share(analyzer, path) == 0.0


def test_a_paced_ludb_ecg_reads_paced(shared_data, analyzer):
    """LUDB 34 (unipolar ventricular pacing), a database the beat trees never saw."""
    assert _paced_share(analyzer, shared_data / "ludb" / "data" / "34.hea") >= 0.8


def test_the_rhythm_verdict_of_a_paced_ecg_says_it_is_paced(shared_data, analyzer):
    """The record-level classes (normal, AF, other, noisy) know no paced rhythm: the verdict's note counts the
    paced beats, in the JSON, the CLI text and the model panel."""
    f = analyzer.analyze(open_recording(shared_data / "ludb" / "data" / "34.hea"))
    assert f.rhythm_verdict.note.startswith("paced rhythm: 10 of 10 beats paced")
    assert f.to_dict()["rhythm"]["verdict"]["note"] == f.rhythm_verdict.note
    unpaced = analyzer.analyze(open_recording(shared_data / "ptbxl500" / "records500" / "00000" / "00038_hr.hea"))
    assert unpaced.rhythm_verdict.note is None or "paced" not in unpaced.rhythm_verdict.note
