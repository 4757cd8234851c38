"""The training panel is built after the window's first paint; an action used before that builds it at once."""
from __future__ import annotations


def _action(menu, text):
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_fine_tune_action_before_the_deferred_step_shows_the_panel(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.training is None  # not built by the constructor
    _action(window.menu("Model"), "Fine-tune on my recordings…").trigger()
    assert window.training is not None and window.training.dock.isVisible()
    window._install_deferred()  # the post-paint step later finds it built: the same panel, one dock
    panels = [a.text() for a in window._panels_menu.actions()]
    assert panels.count("Training") == 1


def test_model_version_menu_before_the_deferred_step_lists_the_shipped_default(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    versions = _action(window.menu("Model"), "Model version").menu()
    versions.aboutToShow.emit()
    assert window.training is not None
    assert [a.text() for a in versions.actions()][0] == "Shipped default"


def test_panels_menu_lists_the_training_dock_before_the_deferred_step(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window._panels_menu.aboutToShow.emit()
    assert "Training" in [a.text() for a in window._panels_menu.actions()]
