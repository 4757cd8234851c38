"""Shared fixtures. Real-data tests use ``shared_data`` and skip with a reason when ../shared/data is absent."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ANYECG_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The unpacked real data sets (mitdb, cinc2017, ptbxl500, ludb, noise, formats)."""
    script = SHARED_DATA / "unpack.sh"
    if not script.exists():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent")
    # unpack.sh re-copies formats/ and noise/ (rm -rf + cp) on every run, which makes them vanish for a
    # moment under concurrent test sessions: run it only when a set is missing
    dest = Path(os.environ.get("ANYECG_DATA", Path.home() / ".cache" / "anyecg" / "data"))
    if all((dest / name / ".unpacked").is_file() for name in ("mitdb", "cinc2017", "ptbxl500", "ludb")) and all(
            (dest / name).is_dir() for name in ("noise", "formats")):
        return dest
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def formats_dir(shared_data: Path) -> Path:
    return shared_data / "formats"
