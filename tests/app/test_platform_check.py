"""Start-up on a machine without Qt's system libraries: a clear message and apt line, never Qt's abort (134)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import main as viewer_main
from app import platform_check
from app.platform_check import EXIT_MISSING_SYSTEM, SYSTEM_PACKAGES, check_platform

REPO = Path(__file__).resolve().parents[2]


def loader_without(*absent: str):
    """A fake ``ctypes.CDLL`` that cannot find the sonames in ``absent``."""
    def load(soname: str):
        if soname in absent:
            raise OSError(f"{soname}: cannot open shared object file: No such file or directory")
        return object()
    return load


@pytest.fixture
def linux(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")


def reachable(display: str) -> bool:
    return True


def test_missing_xcb_libraries_name_their_packages(linux):
    env = {"DISPLAY": ":0"}
    problem = check_platform(env, loader_without("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert problem is not None
    text = problem.message()
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in text
    assert "QT_QPA_PLATFORM=offscreen" in text


def test_everything_present_is_no_problem(linux):
    assert check_platform({"DISPLAY": ":0"}, loader_without(), reachable) is None


def test_offscreen_needs_no_xcb_but_still_the_gui_libraries(linux):
    env = {"QT_QPA_PLATFORM": "offscreen"}
    assert check_platform(env, loader_without("libxcb-cursor.so.0")) is None
    problem = check_platform(env, loader_without("libEGL.so.1"))
    assert problem is not None and problem.missing == {"libEGL.so.1": "libegl1"}


def test_xcb_without_a_display_says_so(linux):
    problem = check_platform({"QT_QPA_PLATFORM": "xcb"}, loader_without())
    assert problem is not None and problem.no_display and not problem.missing
    assert "DISPLAY" in problem.message() and "xvfb-run" in problem.message()
    # a Wayland session without QT_QPA_PLATFORM uses Qt's Wayland plugin: no X display needed
    assert check_platform({"WAYLAND_DISPLAY": "wayland-0"}, loader_without()) is None


def test_a_display_nobody_answers_is_named(linux):
    problem = check_platform({"DISPLAY": ":42"}, loader_without(), lambda display: False)
    assert problem is not None and problem.unreachable == ":42" and "DISPLAY=:42" in problem.message()
    assert "QT_QPA_PLATFORM=offscreen" in problem.message()


def test_display_reachable_asks_a_real_x_server():
    try:
        platform_check.load_library("libxcb.so.1")
    except OSError:
        pytest.skip("libxcb is not installed")
    assert platform_check.display_reachable(":987") is False  # no X server on display 987


def test_viewer_exits_with_the_message_instead_of_aborting(linux, monkeypatch, capsys):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(platform_check, "load_library", loader_without("libxcb-cursor.so.0"))
    code = viewer_main.main(["--demo"])
    assert code == EXIT_MISSING_SYSTEM != 134
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "sudo apt-get install -y libxcb-cursor0" in err


def test_readme_and_ci_install_every_package():
    """The README's first command and CI install the packages the check knows about (one source of truth)."""
    readme = (REPO / "README.md").read_text()
    line = next(x for x in readme.splitlines() if "apt-get install" in x)
    assert set(SYSTEM_PACKAGES) <= set(re.findall(r"[a-z0-9][a-z0-9.+-]+", line))
    ci = (REPO / ".ci" / "run").read_text()
    assert "sudo apt-get install -y //p' README.md" in ci, "CI installs the README's own package line"
