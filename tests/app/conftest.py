"""Fixtures of the viewer tests: isolated settings and caches, small recordings, a main window."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.io.annotations import Annotations
from anyecg_model.io.recording import Recording

FS = 250.0


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Caches shared by the session's tests; an edit journal of each test's own (a journal left by another
    test, or by the user in ~/.local/share, would make the viewer ask to restore edits)."""
    monkeypatch.setenv("ANYECG_CACHE", str(tmp_path_factory.getbasetemp() / "anyecg-cache"))
    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(tmp_path_factory.mktemp("journal")))


@pytest.fixture
def settings(tmp_path):
    from PySide6 import QtCore

    from app.settings import ViewerSettings

    return ViewerSettings(QtCore.QSettings(str(tmp_path / "viewer.ini"), QtCore.QSettings.Format.IniFormat))


def sinus_recording(minutes: float = 5.0, bpm: float = 75.0, n_leads: int = 2, ectopic_every: int = 10) -> Recording:
    """Regular sinus rhythm (Gaussian R waves) with reference beats; every ``ectopic_every``-th beat is V."""
    n = int(minutes * 60 * FS)
    rr = 60.0 / bpm
    peaks = np.arange(0.5, n / FS - 0.5, rr)
    samples = np.round(peaks * FS).astype(np.int64)
    x = np.zeros((n_leads, n), np.float32)
    k = np.arange(-10, 11)
    for lead in range(n_leads):
        for s in samples:
            x[lead, s + k] += np.exp(-0.5 * (k / 3.0) ** 2) * (1.0 if lead % 2 == 0 else -0.6)
    symbols = ["V" if (i + 1) % ectopic_every == 0 else "N" for i in range(len(samples))]
    names = ["MLII", "V1", "V2", "V5"][:n_leads]
    ann = Annotations.from_lists(samples, symbols, source="atr")
    return Recording.from_array(x, FS, names, path="<sinus>", annotations=ann)


@pytest.fixture
def sinus():
    return sinus_recording()


@pytest.fixture
def make_sinus():
    """Factory: ``make_sinus(minutes=…, bpm=…, n_leads=…)``."""
    return sinus_recording


@pytest.fixture
def window(qtbot, settings):
    from app.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1600, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


@pytest.fixture(scope="session")
def analysis_process():
    """One analysis process shared by the viewer tests that analyse (each start imports torch: seconds);
    windows use it through ``window.model.use_process``. Stopped at the end of the session."""
    from anyecg_model.analysis.client import AnalysisProcess

    proc = AnalysisProcess(torch_threads=1)
    yield proc
    proc.stop()


@pytest.fixture
def win(window, tiny_dir, analysis_process):
    """The main window analysing with the test module's ``tiny_dir`` model in the shared analysis process."""
    window.model.use_process(analysis_process)
    window.model.set_model_dir(tiny_dir, remember=False)
    yield window
    window.model.shutdown()
