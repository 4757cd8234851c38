"""The viewer's report export reads cached model findings without loading the model: no torch in its process
(before, it built an ``Analyzer`` (weights, torch) just to learn the cache key)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_cached_findings_are_looked_up_without_torch(tmp_path):
    code = ("import sys, numpy as np\n"
            "from anyecg_model.io import Recording\n"
            "from anyecg_model.report.model_cache import cached_model_findings\n"
            "rec = Recording.from_array(np.zeros((1, 2500), np.float32), 250.0, ['II'], path='r.ecg')\n"
            "print(cached_model_findings(rec), 'torch' in sys.modules)\n")
    env = dict(os.environ, ANYECG_CACHE=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    assert out.stdout.split() == ["None", "False"], out.stdout + out.stderr
