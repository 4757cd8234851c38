"""Features reach the main window through its documented API (app/window_api.py), never by attribute probes, and
the trace view only through its public methods: the viewer's sources keep it so, and the main window offers
everything the API lists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
#: ``getattr``/``hasattr`` on the window: a feature guessing what the window has.
PROBE = re.compile(r"\b(?:getattr|hasattr)\(\s*(?:self\.)?(?:window|win|w)\b\s*,")
#: A private of the trace view (or of a view held by a feature) read from outside app/trace_view.py.
TRACE_PRIVATE = re.compile(r"\b(?:trace|trace_view|view|_view|tv)\._[a-z]")
#: A private of the main window read by a feature (app/menus.py builds the window's own menus).
WINDOW_PRIVATE = re.compile(r"\b(?:window|win)\._[a-z]")


def _hits(pattern: re.Pattern, skip: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP).as_posix()
        if rel in skip:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                out.append(f"app/{rel}:{n}: {line.strip()}")
    return out


def test_no_feature_probes_the_window():
    assert _hits(PROBE, ()) == []


def test_no_trace_view_private_is_read_outside_it():
    assert _hits(TRACE_PRIVATE, ("trace_view.py",)) == []


def test_no_feature_reads_a_window_private():
    assert _hits(WINDOW_PRIVATE, ("main_window.py", "menus.py")) == []


def test_the_main_window_offers_what_the_api_lists(window):
    from app.window_api import FEATURES, WindowServices

    listed = set(WindowServices.__annotations__) | {
        name for name, value in vars(WindowServices).items() if callable(value) and not name.startswith("_")}
    assert {"trace", "recording", "menu", "add_dock", "register_feature", "model", "editing"} <= listed
    assert [name for name in sorted(listed) if not hasattr(window, name)] == []
    assert [name for name in FEATURES if getattr(window, name) is None] == ["training"]  # built on first use
    window._install_on_demand()
    assert all(getattr(window, name) is not None for name in FEATURES)  # every feature installed
    assert window.model.window is window
    with pytest.raises(ValueError, match="unknown window feature"):
        window.register_feature("modle", object())
