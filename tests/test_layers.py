"""The layering of docs/ARCHITECTURE.md holds: ``lint-imports`` checks the contracts of ``pyproject.toml``
(``[tool.importlinter]``) from the repository root, so CI fails on an import that breaks one."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def lint_imports() -> str:
    """The ``lint-imports`` command of this interpreter's environment (import-linter, a test extra)."""
    here = Path(sys.executable).with_name("lint-imports")
    found = str(here) if here.exists() else shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports not found: install the test extras (pip install -e '.[test]')")
    return found


def run_lint(cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(cwd), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([lint_imports(), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_layer_contracts_are_kept():
    res = run_lint(REPO)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout, res.stdout


def test_a_broken_contract_fails_the_check(tmp_path):
    """The check is not vacuous: a package whose lower layer imports its upper one is reported."""
    pkg = tmp_path / "layered"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "io.py").write_text("from . import viewer\n")
    (pkg / "viewer.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["layered"]\n\n[[tool.importlinter.contracts]]\n'
        'name = "io never imports the viewer"\ntype = "forbidden"\nsource_modules = ["layered.io"]\n'
        'forbidden_modules = ["layered.viewer"]\n')
    res = run_lint(tmp_path)
    assert res.returncode != 0 and "BROKEN" in res.stdout and "layered.io -> layered.viewer" in res.stdout, \
        res.stdout + res.stderr


def test_a_lazy_import_between_siblings_fails_the_check(tmp_path):
    """An ``independence`` contract sees an import inside a function too: the analyzer once reached training's
    beat fields lazily, which is how the siblings' crossing went unnoticed."""
    pkg = tmp_path / "siblings"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "train.py").write_text("")
    (pkg / "analysis.py").write_text("def beat_inputs():\n    from . import train\n    return train\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["siblings"]\n\n[[tool.importlinter.contracts]]\n'
        'name = "train and analysis are siblings"\ntype = "independence"\n'
        'modules = ["siblings.train", "siblings.analysis"]\n')
    res = run_lint(tmp_path)
    assert res.returncode != 0 and "siblings.analysis -> siblings.train" in res.stdout, res.stdout + res.stderr


def test_the_architecture_contracts_are_declared():
    """The contracts docs/ARCHITECTURE.md names are declared (so deleting one fails here, not silently): train and
    analysis are siblings, and the viewer never imports torch (with no import excepted)."""
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    assert any(c["type"] == "independence" and set(c["modules"]) == {"anyecg_model.train", "anyecg_model.analysis"}
               for c in contracts), contracts
    assert any(c["type"] == "forbidden" and c["source_modules"] == ["app"] and "torch" in c["forbidden_modules"]
               and not c.get("allow_indirect_imports") and not c.get("ignore_imports") for c in contracts), contracts


def test_the_vocabulary_imports_only_the_standard_library_and_numpy():
    """The ground floor imports nothing of the project nor any heavy library (the contract above names the
    project's packages; this catches a package added later and any third-party import)."""
    import ast

    allowed = set(sys.stdlib_module_names) | {"numpy"}
    for path in sorted((REPO / "anyecg_model" / "vocabulary").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports {'.' * node.level}{node.module or ''}"
                names = [node.module] if node.level == 0 else []  # level 1: a sibling inside the vocabulary
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
