"""Opening a long EDF and building its overview pyramid stays within a few MB of resident memory (issue 19:
first open of the 24-h 12-lead 500 Hz file peaks ≤ 500 MiB).

The probe runs in a fresh interpreter: it writes a 24-h two-lead 250 Hz EDF (86 MB of int16 samples; 346 MB
as float64, 43 MB for the pyramid's first level), resets the kernel's peak-RSS mark (``/proc/self/clear_refs``),
then opens the file and builds the pyramid into a cache folder, and reports how far the peak rose. Neither a
whole lead read into memory nor a level written through a writable memory map fits in the bound.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from pathlib import Path
import numpy as np
from anyecg_model.io import Lead, Provenance, Recording, open_recording
from anyecg_model.io.writers import write_edf
from anyecg_model.signal.pyramid import MinMaxPyramid

FS = 250.0

class Beats:
    def read(self, start, stop, lead_idx):
        t = np.arange(start, stop) / FS
        beat = np.exp(-((t % 0.8) - 0.3) ** 2 / 2e-4)
        return np.stack([(0.5 + 0.2 * k) * beat for k in lead_idx]).astype(np.float32)

folder = Path(sys.argv[1])
n = int(24 * 3600 * FS)
src = Recording(leads=[Lead("II", "II", FS), Lead("V1", "V1", FS)], fs=FS, n_samples=n, source=Beats(),
                provenance=Provenance("<generated>", "generated", ""), adc_resolution_mv=[0.001, 0.001])
write_edf(src, folder / "day.edf", annotations=False)

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

with open("/proc/self/clear_refs", "w") as fh:  # the peak mark (VmHWM) restarts from the current RSS
    fh.write("5")
before = status("VmRSS")
rec = open_recording(folder / "day.edf")
pyr = MinMaxPyramid.open_or_build(rec, root=folder / "cache")
assert pyr.levels[0].shape == (2, n // 8, 2), pyr.levels[0].shape
print(json.dumps({"rise_mib": status("VmHWM") - before, "level1_mib": pyr.levels[0].nbytes / 2**20}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc/self/clear_refs")
def test_opening_a_day_long_edf_and_building_its_pyramid_holds_no_whole_lead(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    res = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300)
    if res.returncode != 0 and "clear_refs" in res.stderr:
        pytest.skip(f"cannot reset the peak-RSS mark here: {res.stderr.strip().splitlines()[-1]}")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["level1_mib"] > 40
    assert out["rise_mib"] < 24, f"peak RSS rose {out['rise_mib']:.0f} MiB while opening a 86-MB EDF"
