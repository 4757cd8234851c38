"""The built-in demos: both one click away, and synthetic data marked as such on screen, on images and on prints."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from anyecg_model import demo
from anyecg_model.demo import SYNTHETIC_LABEL, SyntheticHolterConfig


@pytest.fixture
def small_holter(monkeypatch, tmp_path):
    """The window's synthetic Holter, 15 minutes long (the default six hours take seconds to generate)."""
    real = demo.synthetic_holter
    monkeypatch.setattr(demo, "synthetic_holter", lambda: real(SyntheticHolterConfig(hours=0.25), cache_dir=tmp_path))


def test_12_lead_demo_offers_the_synthetic_holter_in_one_click(qtbot, window, small_holter):
    window.open_demo("12lead")
    bar = window.demo_bar
    assert bar.isVisible() and "real" in bar.label.text() and SYNTHETIC_LABEL not in bar.label.text()
    qtbot.mouseClick(bar.button, QtCore.Qt.MouseButton.LeftButton)
    assert window.recording.format == demo.SYNTHETIC_FORMAT
    assert bar.isVisible() and bar.label.text().startswith(SYNTHETIC_LABEL)
    assert bar.geometry().bottom() < window.stack.geometry().top(), "the banner sits above the traces"
    assert "synthetic" in window.windowTitle()
    qtbot.mouseClick(bar.button, QtCore.Qt.MouseButton.LeftButton)  # and back
    assert demo.demo_kind(window.recording) == "12lead"


def test_banner_leaves_with_the_demo(window, small_holter, make_sinus):
    window.open_demo("holter")
    assert window.demo_bar.isVisible()
    window.set_recording(make_sinus(minutes=1.0))
    assert not window.demo_bar.isVisible()
    window.open_demo("holter")
    window.close_recording()
    assert not window.demo_bar.isVisible()


def test_file_menu_lists_both_demos(window, small_holter):
    file_menu = window.menu("File")
    sub = next(a.menu() for a in file_menu.actions() if a.menu() is not None and "demo" in a.text().lower())
    entries = {a.text(): a for a in sub.actions()}
    holter = next(a for t, a in entries.items() if "SYNTHETIC" in t)
    assert any("12-lead" in t for t in entries)
    holter.trigger()
    assert window.recording.format == demo.SYNTHETIC_FORMAT


def test_images_and_prints_say_synthetic(window, small_holter):
    from anyecg_model.report.header import recording_fields

    window.open_demo("holter")
    assert SYNTHETIC_LABEL in window.export.caption()
    assert SYNTHETIC_LABEL in dict(recording_fields(window.recording))["Format"]
    assert SYNTHETIC_LABEL not in dict(recording_fields(demo.demo_12lead()))["Format"]
