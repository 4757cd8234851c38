"""Findings cache: round trip, keys by recording and model, corrupt files discarded, no pickle (the viewer's use
of it: tests/app/model/test_cached_findings.py)."""
from __future__ import annotations

import numpy as np
import pytest

from anyecg_model.analysis.cache import FindingsCache
from anyecg_model.analysis.findings import ModelInfo


def test_round_trip_keeps_every_section(tmp_path, small_findings):
    cache = FindingsCache(tmp_path)
    cache.store("c0ffee" * 10, ("anomaly", "arrhythmia", "events"), small_findings)
    back = cache.load("c0ffee" * 10, small_findings.model, ("events", "anomaly", "arrhythmia"))  # in any task order
    assert back is not None and back.to_dict() == small_findings.to_dict()


def test_round_trip_keeps_how_the_leads_were_read(tmp_path, small_findings):
    from dataclasses import replace

    f = replace(small_findings, leads=["ECG1", "ECG2"], lead_mapping={"ECG1": "II", "ECG2": "V1"},
                lead_assumed=["ECG1", "ECG2"], lead_inverted=["ECG1"])
    cache = FindingsCache(tmp_path)
    cache.store("beef" * 16, ("anomaly", "arrhythmia", "events"), f)
    back = cache.load("beef" * 16, f.model, ("anomaly", "arrhythmia", "events"))
    assert back.lead_inverted == ["ECG1"] and back.lead_tags("ECG1") == " (assumed, upside down)"
    assert back.lead_tags("ECG2") == " (assumed)"


def test_other_recording_or_model_version_misses(tmp_path, small_findings):
    cache = FindingsCache(tmp_path)
    cache.store("aa" * 32, ("anomaly",), small_findings)
    assert cache.load("bb" * 32, small_findings.model, ("anomaly",)) is None
    assert cache.load("aa" * 32, ModelInfo("anyecg-test", "4", small_findings.model.sha256), ("anomaly",)) is None
    assert cache.load("aa" * 32, ModelInfo("anyecg-test", "3", "cd" * 32), ("anomaly",)) is None
    assert cache.load("aa" * 32, small_findings.model, ("anomaly", "events")) is None


def test_corrupt_file_is_discarded(tmp_path, small_findings):
    cache = FindingsCache(tmp_path)
    path = cache.store("aa" * 32, ("anomaly",), small_findings)
    path.write_bytes(path.read_bytes()[:200])
    assert cache.load("aa" * 32, small_findings.model, ("anomaly",)) is None
    assert not path.exists()
    path.write_bytes(b"not a zip at all")
    assert cache.load("aa" * 32, small_findings.model, ("anomaly",)) is None and not path.exists()


def test_pickled_arrays_are_refused(tmp_path, small_findings):
    cache = FindingsCache(tmp_path)
    path = cache.store("aa" * 32, ("anomaly",), small_findings)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["anomaly"] = np.array([object()], dtype=object)  # would need pickle to read
    np.savez(path, **arrays)
    assert cache.load("aa" * 32, small_findings.model, ("anomaly",)) is None and not path.exists()


@pytest.mark.parametrize("old_version", [4, 5])
def test_findings_the_viewer_cached_unlike_the_cli_are_not_served(tmp_path, small_findings, monkeypatch,
                                                                  old_version):
    """Up to cache version 4 the viewer analysed in 60-s chunks and labelled some beats unlike `anyecg analyze`
    (MIT-BIH 201: 7 beats N/V); up to 5 its visible chunk's episodes started without the GRU state of the chunk
    before (MIT-BIH 201 and 208: episode confidences unlike the CLI's): what it cached then is recomputed."""
    import anyecg_model.analysis.cache as cache_module

    cache = FindingsCache(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(cache_module, "CACHE_VERSION", old_version)
        cache.store("aa" * 32, ("arrhythmia",), small_findings)
    assert cache.load("aa" * 32, small_findings.model, ("arrhythmia",)) is None
