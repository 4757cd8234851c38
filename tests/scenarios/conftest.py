"""Scenario tests: the working days of ../shared/docs/USERS.md, driven through the real main window with real key
presses and mouse clicks on real records (skipped with a reason when ../shared/data is absent).

Each test uses isolated settings, caches and edit journal, and the shipped model (resources/anyecg-small) on the
CPU in one analysis process shared by the session.
"""
from __future__ import annotations

import pytest
from PySide6 import QtCore


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ANYECG_JOURNAL_DIR", str(tmp_path / "journal"))


@pytest.fixture
def settings(tmp_path):
    from app.settings import ViewerSettings

    return ViewerSettings(QtCore.QSettings(str(tmp_path / "viewer.ini"), QtCore.QSettings.Format.IniFormat))


@pytest.fixture(scope="session")
def analysis_process():
    from anyecg_model.analysis.client import AnalysisProcess

    proc = AnalysisProcess(torch_threads=1)
    yield proc
    proc.stop()


@pytest.fixture
def window(qtbot, settings, analysis_process):
    """The main window at 1600 × 900, shown, analysing on the CPU in the shared analysis process."""
    from app.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.model.use_process(analysis_process)
    win.model.set_device("cpu")
    win.resize(1600, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
