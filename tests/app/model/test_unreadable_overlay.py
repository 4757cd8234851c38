"""The stretches the signal-quality gate found unreadable, drawn in the viewer: a generated two-lead ECG with both
leads flat for 30 s, analysed by the tiny random-weight test model in the shared analysis process, gets a hatched
band over that span on the traces and on the overview bar, labelled with the lead the beats are read on and the
reason, whose tooltip names them and the span in the recording's clock time; a clean recording gets none."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PySide6 import QtCore

from anyecg_model.io.recording import Recording
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint
from app.model.unreadable import merge_px

FS = 250.0
FLAT_S = (40.0, 70.0)
START = dt.datetime(2024, 3, 1, 10, 0, 0)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny", heads={name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")})
    d = tmp_path_factory.mktemp("tiny-model")
    save_checkpoint(model, d, {"name": "anyecg-tiny-test", "model_version": "t1", "anomaly_leads": ["II", "V1"]})
    return d


def _ecg(path: str, flat: bool) -> Recording:
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=120, sampling_rate=int(FS), heart_rate=70, noise=0.01, random_state=3)
    data = np.stack([x, -0.5 * x]).astype(np.float32)
    if flat:
        data[:, int(FLAT_S[0] * FS):int(FLAT_S[1] * FS)] = 0.0  # leads off
    return Recording.from_array(data, FS, ["MLII", "V1"], path=path, start_time=START)


def _analyse(qtbot, win, rec: Recording):
    win.set_recording(rec)
    with qtbot.waitSignal(win.model.analysisFinished, timeout=60_000):
        win.model.analyze()
    assert win.model.data is not None, win.model.failed_message
    qtbot.waitUntil(lambda: win.model.timeline._pending is None, timeout=5000)


def _hover(item, t: float) -> str:
    item.hoverEvent(SimpleNamespace(isExit=lambda: False, pos=lambda: QtCore.QPointF(t, 0.0)))
    return item.toolTip()


def test_a_flat_stretch_is_hatched_with_its_reason(qtbot, win, tmp_path):
    _analyse(qtbot, win, _ecg("flat.hea", flat=True))
    flat = [(a, b) for a, b, r, lead in win.model.data.unreadable if r == "flat" and lead == "MLII"]
    assert flat and min(a for a, _ in flat) <= FLAT_S[0] + 2 and max(b for _, b in flat) >= FLAT_S[1] - 2
    band = win.model.unreadable
    assert band.scene() is win.trace.viewbox.scene() and band.spans == sorted(win.model.data.unreadable)
    win.trace.set_view(30.0, 80.0)
    assert win.trace.wait_rendered()
    win.grab().save(str(tmp_path / "unreadable.png"))
    # drawn where the flat stretch is: one rectangle from 40 s to 70 s in the view's pixels, labelled
    vb = win.trace.viewbox
    left, right = (vb.mapViewToScene(QtCore.QPointF(t, 0.0)).x() for t in (flat[0][0], flat[-1][1]))
    assert len(band.last_rects) == 1
    assert abs(band.last_rects[0].left() - left) < 3 and abs(band.last_rects[0].right() - right) < 3
    assert band.last_texts == ["MLII unreadable (flat)"]  # the lead the beats are read on, not V1
    # the tooltip names the lead, the reason and the span in clock time; outside the band there is none
    tip = _hover(band, 55.0)
    assert "MLII unreadable (flat)" in tip and "10:00:4" in tip and "10:01:" in tip and "not analysed" in tip
    assert band.shape().contains(QtCore.QPointF(55.0, vb.viewRect().center().y()))
    assert _hover(band, 20.0) == "" and not band.shape().contains(QtCore.QPointF(20.0, vb.viewRect().center().y()))
    # the overview bar hatches the same stretch, with the same tooltip
    over = win.model.timeline.unreadable
    assert over.spans == band.spans and "MLII unreadable (flat)" in _hover(over, 55.0)
    win.overview.grab()
    assert len(over.last_rects) == 1


def test_a_clean_recording_has_no_unreadable_band(qtbot, win):
    _analyse(qtbot, win, _ecg("clean.hea", flat=False))
    assert win.model.data.unreadable == []
    win.grab()
    assert win.model.unreadable.spans == [] and win.model.unreadable.last_rects == []
    assert win.model.timeline.unreadable.last_rects == []


def test_stretches_closer_than_a_pixel_are_one_rectangle():
    x0, x1, first = merge_px(np.array([0.0, 5.0, 5.5, 30.0]), np.array([4.5, 5.2, 9.0, 40.0]))
    assert x0.tolist() == [0.0, 30.0] and x1.tolist() == [9.0, 40.0] and first.tolist() == [0, 3]
