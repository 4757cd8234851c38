"""Printed PR and QT (measured, as the report does, on lead II after its display high-pass) agree with the
cardiologists' delineation of LUDB lead II (real data; skipped without it)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.report import TwelveLeadConfig
from anyecg_model.report.measurements import measure_resting_ecg
from anyecg_model.report.strips import baseline_corrected

pytestmark = pytest.mark.realdata


def _reference_ms(wfdb, base: str, fs: float) -> dict[str, float]:
    """Median PR and QT (ms) over LUDB's lead-II waves: '(' onset, 'p'/'N'/'t' peak, ')' offset."""
    ann = wfdb.rdann(base, "ii")
    sym, smp = ann.symbol, ann.sample
    waves = [(s, smp[k - 1], smp[k + 1]) for k, s in enumerate(sym)
             if s in "pNt" and 0 < k < len(sym) - 1 and sym[k - 1] == "(" and sym[k + 1] == ")"]
    pr = [on - waves[k - 1][1] for k, (s, on, _) in enumerate(waves) if s == "N" and k and waves[k - 1][0] == "p"]
    qt = [waves[k + 1][2] - on for k, (s, on, _) in enumerate(waves)
          if s == "N" and k + 1 < len(waves) and waves[k + 1][0] == "t"]
    return {name: float(np.median(v)) * 1000.0 / fs for name, v in (("pr", pr), ("qt", qt)) if v}


def test_pr_and_qt_match_ludb_reference(shared_data):
    wfdb = pytest.importorskip("wfdb")
    errors: dict[str, list[float]] = {"pr": [], "qt": []}
    for rec in range(1, 16):
        base = str(shared_data / "ludb" / "data" / str(rec))
        sig, fields = wfdb.rdsamp(base, channel_names=["ii"])
        ref = _reference_ms(wfdb, base, float(fields["fs"]))
        m = measure_resting_ecg(baseline_corrected(sig[:, 0], float(fields["fs"]), TwelveLeadConfig().highpass_hz),
                                float(fields["fs"]))
        for name in errors:
            value = getattr(m, f"{name}_ms")
            if value is not None and name in ref:
                errors[name].append(abs(value - ref[name]))
    assert len(errors["pr"]) >= 10 and len(errors["qt"]) >= 10  # printed on most records
    assert np.median(errors["pr"]) < 15.0
    assert np.median(errors["qt"]) < 25.0
