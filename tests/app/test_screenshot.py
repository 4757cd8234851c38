"""``--screenshot`` renders the demo: not blank, and every lead of the 12-lead shows ink."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6 import QtGui
from PySide6.QtCore import QPointF

REPO = Path(__file__).resolve().parents[2]


def image_array(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine() // 4, 4)
    return arr[:, : img.width(), :3].astype(int)


def test_cli_screenshot_of_the_demo_is_not_blank(tmp_path):
    out = tmp_path / "demo.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), ANYECG_CACHE=str(tmp_path / "c"))
    res = subprocess.run([sys.executable, str(REPO / "main.py"), "--screenshot", str(out), "--window", "0,5"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    img = QtGui.QImage(str(out))
    # 1600 × 900 as documented: the docks' contents scroll, so no panel makes the window taller (it was 1600 × 991)
    assert (img.width(), img.height()) == (1600, 900)
    px = image_array(img)
    dark = (px.sum(axis=2) < 200).mean()
    assert dark > 0.003, "black trace ink is present"
    assert len(np.unique(px.reshape(-1, 3)[::97], axis=0)) > 20, "more than a flat fill"


def test_every_lead_of_the_demo_is_drawn(qtbot, window):
    window.open_demo("12lead")
    view = window.trace
    assert view.wait_rendered()
    img = view.plot.grab().toImage()
    px = image_array(img)
    vb = view.viewbox
    rec = window.recording
    assert rec.format == "dicom" and len(rec.leads) == 12
    t0, t1 = view.view_range()
    x_end = int(vb.mapViewToScene(QPointF(min(t1, rec.duration_s), 0.0)).x())
    for lead in range(12):
        y = vb.mapViewToScene(QPointF(t0, view.lead_offset(lead))).y()
        row_px = view.row_height_mv() * view._px_per_mv
        band = px[int(y - row_px / 2): int(y + row_px / 2), 5:x_end]
        ink = (band.sum(axis=2) < 200).sum()
        assert ink > 200, f"lead {rec.leads[lead].name} has ink in its row"
