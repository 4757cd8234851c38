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
    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def formats_dir(shared_data: Path) -> Path:
    return shared_data / "formats"
