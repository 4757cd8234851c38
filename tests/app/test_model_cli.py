"""``anyecg-viewer PATH --analyze --screenshot OUT.png`` waits for the model's findings before saving."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PySide6 import QtGui

from anyecg_model.io.recording import Recording
from anyecg_model.io.writers import write_wfdb
from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint

REPO = Path(__file__).resolve().parents[2]
HEADS = {name: {"type": name} for name in ("anomaly", "rhythm", "beats", "leadgen", "ultralong")}


def heat_pixels(path: Path) -> int:
    """Pixels in the colours of the anomaly strip: saturated hues from red-orange to green."""
    img = QtGui.QImage(str(path)).convertToFormat(QtGui.QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(img.height(), -1, 4)
    rgb = arr[:, : img.width(), 2::-1].astype(float) / 255  # BGRA → RGB
    mx, mn = rgb.max(-1), rgb.min(-1)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-9), 0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    yellowish = (g >= b + 0.3) & (r >= b + 0.3)  # hue between red-orange and green, not the pink paper
    return int(((sat > 0.5) & (mx > 0.7) & yellowish).sum())


def test_analyze_screenshot_draws_the_findings(tmp_path):
    torch.manual_seed(0)
    model_dir = tmp_path / "tiny"
    save_checkpoint(AnyECG.from_size("tiny", heads=dict(HEADS)), model_dir, {"name": "anyecg-tiny-test", "anomaly_leads": ["II", "V1"]})
    t = np.arange(int(30 * 250)) / 250
    x = np.zeros_like(t)
    for beat in np.arange(0.4, 30, 0.8):  # 75 bpm Gaussian R waves
        x += np.exp(-0.5 * ((t - beat) / 0.012) ** 2)
    rec = Recording.from_array(np.stack([x, -0.5 * x]).astype(np.float32), 250.0, ["MLII", "V1"], path="sim")
    hea = write_wfdb(rec, tmp_path / "sim")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"))
    shots = {}
    for flag in ([], ["--analyze", "--model", str(model_dir)]):
        out = tmp_path / f"shot{len(flag)}.png"
        res = subprocess.run([sys.executable, str(REPO / "main.py"), str(hea), *flag, "--screenshot", str(out)],
                             env=env, capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stderr
        assert "did not arrive" not in res.stderr
        shots[bool(flag)] = heat_pixels(out)
    assert shots[False] < 200  # no model, no strip
    assert shots[True] > 5000  # the anomaly strip spans the trace width
