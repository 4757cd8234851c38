"""The model's findings that an earlier analysis left in the findings cache, read without loading the model.

The cache is keyed by the recording's content hash and the checkpoint's name, version and weights hash; the
checkpoint's identity comes from its ``config.json`` (:func:`~anyecg_model.analysis.findings.model_info`), so
nothing here imports torch: the viewer's report export uses it and never runs the model itself. ``anyecg
report`` goes on to run the analysis when nothing is cached (:mod:`.model_source`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from ..io import Recording
from ..model.shipped import SHIPPED_MODEL_DIR
from .findings import ReportFindings

log = logging.getLogger(__name__)


def cached_model_findings(recording: Recording, *, model_dir: str | Path | None = None,
                          lead_map: Mapping[str, str] | None = None) -> ReportFindings | None:
    """The cached findings of the default model (or ``model_dir``) for ``recording`` (with ``lead_map``, file
    lead → model lead), or None when none are cached or the checkpoint cannot be read (logged)."""
    from ..analysis.cache import FindingsCache  # here: the report package imports light
    from ..analysis.chunks import TASKS
    from ..analysis.findings import model_info

    try:
        info = model_info(Path(model_dir) if model_dir else SHIPPED_MODEL_DIR)
        found = FindingsCache().load(recording.provenance.content_hash, info, TASKS, lead_map)
        return None if found is None else ReportFindings.from_analysis(found.to_dict())
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the cache or checkpoint, the report still prints
        log.warning("cached model findings unavailable (%s); the report uses the file's annotations", exc)
        return None
