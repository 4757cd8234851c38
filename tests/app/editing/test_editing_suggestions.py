"""The model's findings as suggestions beside the labels: the review queue (Enter accepts, Backspace rejects),
bulk accept above a confidence, and findings of a closed recording never become suggestions."""
from __future__ import annotations

import numpy as np
import pytest
from editing_helpers import CTRL, FS, K, labels, press


def test_review_queue_enter_accepts_backspace_rejects_and_counts(qtbot, editing, suggested):
    c, dock = editing.controller, editing.review
    assert editing.window.trace.lanes().keys() >= {"beats", "suggestions"}
    dock.rebuild()
    total = len(suggested)
    assert dock.counter.text() == f"reviewed 0 of {total} — {total} remaining"
    dock.start()
    first = c.selected_beat
    assert c.store.beats.row(first)["confidence"] == pytest.approx(0.4)  # least certain first
    press(qtbot, editing, K.Key_Return)
    assert c.store.beats.row(first)["source"] == "accepted"
    second = c.selected_beat
    assert second != first and c.store.beats.row(second)["source"] == "model"
    press(qtbot, editing, K.Key_Backspace)
    assert c.store.beats.row(second)["source"] == "rejected"
    third = c.selected_beat
    press(qtbot, editing, None, "3")
    assert c.store.beats.row(third)["code"] == "A" and c.store.beats.row(third)["source"] == "accepted"
    assert dock.counter.text() == f"reviewed 3 of {total} — {total - 3} remaining"
    samples, codes = labels(editing)
    assert len(samples) == 374  # two accepted suggestions replaced their reference beats one for one
    assert list(codes).count("A") == 1
    press(qtbot, editing, K.Key_Z, mods=CTRL)
    assert dock.counter.text() == f"reviewed 2 of {total} — {total - 2} remaining"


def test_bulk_accept_above_threshold(qtbot, editing, suggested):
    c = editing.controller
    n = c.bulk_accept(0.9)
    conf = np.linspace(0.4, 0.99, len(suggested))
    assert n == int(np.sum(conf >= 0.9)) and n > 0
    assert len(labels(editing)[0]) == 374


def test_model_findings_become_suggestions(qtbot, editing, sinus):
    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo, RhythmEpisode

    s = sinus.annotations.sample
    beats = Beats(s[:20] / FS + 0.01, np.where(np.arange(20) % 5 == 0, 2, 0).astype(np.int8),
                  np.linspace(0.5, 0.95, 20).astype(np.float32))
    findings = Findings("<sinus>", sinus.duration_s, FS, ["MLII", "V1"], ModelInfo("t", "0", "x"), beats=beats,
                        episodes=[RhythmEpisode(2.0, 8.0, "AF", 0.6)])
    with qtbot.waitSignal(editing.suggestionsShown, timeout=5000):
        assert editing.show_findings(findings) == 20
    store = editing.controller.store
    model = store.beats["source"] == "model"
    assert model.sum() == 20 and set(store.beats["code"][model]) == {"N", "V"}
    assert list(store.episodes["code"]) == ["AF"]
    assert editing.review.counter.text() == "reviewed 0 of 20 — 20 remaining"


def test_findings_of_a_closed_recording_never_become_suggestions(qtbot, editing, sinus):
    from anyecg_model.analysis.findings import Beats, Findings, ModelInfo

    s = sinus.annotations.sample
    findings = Findings("<sinus>", sinus.duration_s, FS, ["MLII", "V1"], ModelInfo("t", "0", "x"),
                        beats=Beats(s[:20] / FS, np.zeros(20, np.int8), np.full(20, 0.9, np.float32)))
    shown = []
    editing.suggestionsShown.connect(shown.append)
    assert editing.show_findings(findings) == 20
    editing.open_labels(sinus)  # opened again before the next event-loop turn commits them: a new store
    qtbot.wait(50)
    assert not shown and not np.any(editing.controller.store.beats["source"] == "model")
