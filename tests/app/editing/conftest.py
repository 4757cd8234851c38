"""Fixtures of the editing tests: a known edit-journal folder, the main window with editing installed on the
5-min sinus record, and model suggestions on it (helpers in ``editing_helpers``)."""
from __future__ import annotations

import numpy as np
import pytest
from editing_helpers import FS


@pytest.fixture(autouse=True)
def journal_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(tmp_path / "journal"))
    return tmp_path / "journal"


@pytest.fixture
def editing(qtbot, window, sinus):
    """The main window with editing installed, the 5-min 75 bpm sinus record open, 10–20 s in view."""
    from app.editing import install_editing

    ui = install_editing(window)
    window.set_recording(sinus)
    window.trace.set_view(10.0, 20.0)
    assert window.trace.wait_rendered()
    return ui


@pytest.fixture
def suggested(editing):
    """Model suggestions 12 ms after the reference beats in 10–20 s: confidences rising from 0.40 to 0.99,
    every third one a V."""
    c = editing.controller
    s = c.store.beats["sample"]
    ref = s[(s > 10 * FS) & (s < 20 * FS)]
    codes = ["V" if i % 3 == 0 else "N" for i in range(len(ref))]
    conf = np.linspace(0.4, 0.99, len(ref))
    top = [[(cd, p), ("N" if cd == "V" else "V", (1 - p) * 0.7), ("A", (1 - p) * 0.3)] for cd, p in zip(codes, conf)]
    c.set_suggestions(ref + 3, codes, conf, top)
    c.set_editing(True)
    return ref
