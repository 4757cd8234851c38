"""The training panel is built on first use: each of its actions, and View ▸ Panels, builds it at once."""
from __future__ import annotations


def _action(menu, text):
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_fine_tune_action_builds_it_shows_the_panel(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.training is None  # not built by the constructor
    _action(window.menu("Model"), "Fine-tune on my recordings…").trigger()
    assert window.training is not None and window.training.dock.isVisible()
    window._install_on_demand()  # View ▸ Panels later finds it built: the same panel, one dock
    panels = [a.text() for a in window._panels_menu.actions()]
    assert panels.count("Training") == 1


def test_model_version_menu_builds_it_lists_the_shipped_default(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    versions = _action(window.menu("Model"), "Model version").menu()
    versions.aboutToShow.emit()
    assert window.training is not None
    assert [a.text() for a in versions.actions()][0] == "Shipped default"


def test_panels_menu_lists_the_training_dock_builds_it(qtbot, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window._panels_menu.aboutToShow.emit()
    assert "Training" in [a.text() for a in window._panels_menu.actions()]
