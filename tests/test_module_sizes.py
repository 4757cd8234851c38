"""No module grows past about 500 lines, in the viewer, the core, the tests or the benchmarks: one idea per
module (docs/ARCHITECTURE.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: "About 500": a module a little over it is not split for the sake of a number.
MAX_LINES = 520


@pytest.mark.parametrize("package", ["app", "anyecg_model", "tests", "bench"])
def test_no_module_is_over_about_500_lines(package):
    sizes = {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in (REPO / package).rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
