"""The `anyecg` sub-command tests drive the packages end to end, with the synthetic-data helpers of those
packages' tests: ``report_helpers`` (tests/report), ``fam_synth`` (tests/families), ``annotated_recording``
(tests/io). The tiny checkpoint and the simulated recordings are fixtures of tests/conftest.py."""
from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS / package) for package in ("report", "families", "io")]
