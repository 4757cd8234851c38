"""No viewer module grows past about 500 lines: one idea per module (docs/ARCHITECTURE.md)."""
from __future__ import annotations

from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
#: "About 500": a module a little over it is not split for the sake of a number.
MAX_LINES = 520


def test_no_viewer_module_is_over_about_500_lines():
    sizes = {p.relative_to(APP.parent).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in APP.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
