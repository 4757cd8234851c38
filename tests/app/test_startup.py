"""The window appears without torch: the model (torch, the analyzer) is imported only when an analysis starts."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from app.main import main
code = main(["--screenshot", sys.argv[1]])
print("torch imported:", "torch" in sys.modules)
sys.exit(code)
"""


def test_window_and_demo_open_without_importing_torch(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"))
    out = tmp_path / "shot.png"
    res = subprocess.run([sys.executable, "-c", PROBE, str(out)], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=180)
    assert res.returncode == 0, res.stderr
    assert "torch imported: False" in res.stdout
    assert out.stat().st_size > 0
