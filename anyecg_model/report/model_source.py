"""The model's findings for a report: cached when the recording was analysed before, else computed.

The cache look-up is :func:`~.model_cache.cached_model_findings` (no torch); a fresh run uses
:mod:`anyecg_model.analysis` (``Analyzer``) and stores its findings in the cache. Any failure (no weights, a
recording the model cannot read) is logged and returns None, so the report falls back to the file's own labels.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from ..io import Recording
from .findings import ReportFindings
from .model_cache import cached_model_findings

log = logging.getLogger(__name__)


def model_findings(recording: Recording, *, model_dir: str | Path | None = None,
                   lead_map: Mapping[str, str] | None = None) -> ReportFindings | None:
    """Findings of the default model (or ``model_dir``): from the cache, else computed (and cached); or None.
    ``lead_map`` (file lead → model lead) overrides the lead-name table."""
    cached = cached_model_findings(recording, model_dir=model_dir, lead_map=lead_map)
    if cached is not None:
        return cached
    try:
        from ..analysis.analyzer import TASKS, Analyzer
        from ..analysis.cache import FindingsCache
    except ImportError as exc:
        log.info("model not available (%s); the report uses the file's annotations", exc)
        return None
    try:
        analyzer = Analyzer(model_dir)
        log.info("analysing %s with %s v%s", recording.path, analyzer.info.name, analyzer.info.version)
        from tqdm import tqdm  # here: tqdm imports importlib.metadata (~50 ms), the viewer's start needs neither

        with tqdm(total=100, desc="analysing", unit="%", leave=False) as bar:
            found = analyzer.analyze(recording, TASKS, lead_map=lead_map,
                                     progress=lambda done: bar.update(max(0, round(100 * done) - bar.n)))
        FindingsCache().store(recording.provenance.content_hash, TASKS, found, lead_map)
        return ReportFindings.from_analysis(found.to_dict())
    except Exception as exc:  # noqa: BLE001 - whatever breaks in the model, the report still prints
        log.warning("model findings unavailable (%s); the report uses the file's annotations", exc)
        return None
