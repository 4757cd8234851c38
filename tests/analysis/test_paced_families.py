"""Paced beats by their morphology family: N and V calls on beats shaped like the recording's paced beats read P."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.analysis.analyzer import Analyzer
from anyecg_model.analysis.builder import FindingsBuilder
from anyecg_model.analysis.findings import Beats
from anyecg_model.analysis.paced_families import PacedFamilyRules, beat_shapes, paced_by_family
from anyecg_model.families.waves import beat_waves, waves_at
from anyecg_model.io import open_recording
from anyecg_model.vocabulary.labels import BEAT_CLASSES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "families"))
from fam_synth import family_record  # noqa: E402

N, S, V, P = (BEAT_CLASSES.index(c) for c in "NSVP")
#: A recording long enough for its families to be read (s).
HOLTER_S = 3600.0


@pytest.fixture(scope="module")
def wide_and_narrow(tmp_path_factory):
    """A two-lead record of narrow (N) and wide beats, every beat's shape features, and which beats are wide."""
    path = tmp_path_factory.mktemp("paced") / "wide"
    samples, symbols = family_record(path, seed=5, duration_s=330.0, p_v=0.45)
    rec = open_recording(path.with_suffix(".hea"))
    t = samples / rec.fs
    shapes = beat_shapes(rec.read_seconds(0.0, rec.duration_s), rec.fs, 0, t)
    return rec, t, shapes, np.array([s == "V" for s in symbols])


def calls(wide: np.ndarray, seed: int = 0) -> Beats:
    """A classifier unsure of the wide beats: most called paced, some N, some V; narrow beats N, one S."""
    rng = np.random.default_rng(seed)
    label = np.where(wide, rng.choice([P, N, V], len(wide), p=[0.7, 0.2, 0.1]), N).astype(np.int8)
    label[np.flatnonzero(wide)[3]] = S
    conf = np.where(label == P, 0.8, 0.6).astype(np.float32)
    return Beats(np.arange(len(wide), dtype=np.float64), label, conf)


def test_the_n_and_v_calls_of_a_mostly_paced_family_read_paced(wide_and_narrow):
    _, _, shapes, wide = wide_and_narrow
    beats = calls(wide)
    out = paced_by_family(beats, shapes, HOLTER_S)
    changed = out.label != beats.label
    assert changed.any() and (out.label[wide & np.isin(beats.label, (N, V))] == P).all()
    assert (out.label[~wide] == N).all()  # the narrow family is not paced
    assert out.label[np.flatnonzero(wide)[3]] == S  # an S call is not the family's to change
    assert np.allclose(out.confidence[changed], 0.8)  # as sure as the family's own paced calls
    assert (out.confidence[~changed] == beats.confidence[~changed]).all()


def test_without_enough_paced_calls_or_shapes_nothing_changes(wide_and_narrow):
    _, _, shapes, wide = wide_and_narrow
    beats = calls(wide)
    few = PacedFamilyRules(min_paced_calls=int(np.sum(beats.label == P)) + 1)
    assert paced_by_family(beats, shapes, HOLTER_S, few) is beats
    assert paced_by_family(beats, None, HOLTER_S) is beats
    assert paced_by_family(beats, shapes[:-1], HOLTER_S) is beats  # shapes of other beats
    assert paced_by_family(beats, shapes, 60.0) is beats  # a short strip: grouping is a Holter's tool


def test_a_family_called_paced_by_a_minority_keeps_its_calls(wide_and_narrow):
    _, _, shapes, wide = wide_and_narrow
    beats = calls(wide)
    label = beats.label.copy()
    paced = np.flatnonzero(label == P)
    label[paced[: int(0.6 * len(paced))]] = V  # now under half of the wide beats are called paced
    minority = replace(beats, label=label)
    assert (paced_by_family(minority, shapes, HOLTER_S).label == label).all()


def test_far_from_any_paced_call_a_wide_beat_keeps_its_v_call(wide_and_narrow):
    _, _, shapes, wide = wide_and_narrow
    beats = calls(wide)
    cut = 3 * len(wide) // 4
    label = np.where(wide, P, N).astype(np.int8)
    label[np.flatnonzero(wide)[::10]] = V  # one wide beat in ten called V while the pacemaker paces
    label[cut:][wide[cut:]] = V  # pacing stops: the wide beats after it are ventricular ectopy
    out = paced_by_family(replace(beats, label=label), shapes, HOLTER_S)
    far = np.arange(len(label)) >= cut + PacedFamilyRules().local_beats
    assert (out.label[far & wide] == V).all()
    assert (out.label[:cut][wide[:cut]] == P).all()


def test_a_premature_v_call_in_a_paced_family_stays_v(wide_and_narrow):
    _, t, shapes, wide = wide_and_narrow
    label = np.where(wide, P, N).astype(np.int8)
    early, on_time = np.flatnonzero(wide)[[10, 30]], np.flatnonzero(wide)[[20, 40]]
    label[early] = label[on_time] = V
    time_s = t.copy()
    time_s[on_time] = t[on_time - 1] + np.median(np.diff(t))  # where a paced beat would fall: not premature
    beats = Beats(time_s, label, np.full(len(t), 0.9, np.float32))
    out = paced_by_family(beats, shapes, HOLTER_S)
    assert (out.label[early] == V).all() and (out.label[on_time] == P).all()


def test_shapes_from_read_signal_match_the_families_waves(wide_and_narrow):
    rec, t, _, _ = wide_and_narrow
    inner = t[(t > 20.0) & (t < 200.0)]
    whole = beat_waves(rec, inner).waves
    r0 = int(round(10.0 * rec.fs))
    part = waves_at(rec.read_seconds(10.0, 210.0), rec.fs, r0, inner).waves
    assert np.allclose(whole, part, atol=0.02)  # band-pass edge effects only, far from both edges
    assert beat_shapes(rec.read_seconds(0.0, 1.0), rec.fs, 0, np.zeros(0)).shape[0] == 0


def test_a_chunk_with_paced_calls_carries_the_shapes_of_its_beats(tiny_model_dir, wide_and_narrow, monkeypatch):
    rec, _, _, _ = wide_and_narrow
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=60.0)
    parts = list(analyzer.iter_analyze(rec, ("arrhythmia",)))
    assert all(p.beats is not None and not np.any(p.beats.label == P) and p.beat_shape is None for p in parts)
    import anyecg_model.analysis.analyzer as analyzer_module

    monkeypatch.setattr(analyzer_module, "has_paced_calls", lambda beats: True)  # as if every chunk had one
    parts = list(analyzer.iter_analyze(rec, ("arrhythmia",)))
    assert all(p.beat_shape is not None and len(p.beat_shape) == len(p.beats) > 0 for p in parts)


def test_the_builder_groups_the_beats_of_the_whole_recording(tiny_model_dir, wide_and_narrow):
    rec, t, shapes, wide = wide_and_narrow
    analyzer = Analyzer(tiny_model_dir, device="cpu", chunk_s=60.0)
    builder = FindingsBuilder.for_recording(rec, analyzer.info, ("arrhythmia",), analyzer.rules)
    beats = calls(wide)
    label = np.where(wide, P, N).astype(np.int8)
    label[np.flatnonzero(wide)[::4]] = N  # a quarter of the paced beats called N, spread over every chunk
    parts = []
    for k, part in enumerate(analyzer.iter_analyze(rec, ("arrhythmia",))):
        m = (t >= part.start_s) & (t < part.end_s)
        chunk_beats = Beats(t[m], label[m], beats.confidence[m])
        parts.append(replace(part, beats=chunk_beats, beat_shape=shapes[m] if k != 1 else None))
    for part in parts[:-1]:
        builder.add(part)
    streamed = builder.findings().beats  # not the whole recording yet: its calls as the chunks gave them
    assert (streamed.label == label[: len(streamed)]).all()
    builder.add(parts[-1])
    out = builder.findings().beats
    assert np.allclose(out.time_s, t)
    second = (t >= 60.0) & (t < 120.0)  # the chunk without shapes keeps its calls
    assert (out.label[second] == label[second]).all()
    assert (out.label[~second & wide] == P).all() and (out.label[~wide] == N).all()
