"""Printed reports: the 12-lead ECG and the Holter summary as vector PDFs with true-scale ECG paper.

Headless (reportlab, never Qt). Findings come from the model (``anyecg analyze`` JSON) or, when no
model ran, from the file's reference annotations; every report says which.

The names below are imported on first use (PEP 562), so the viewer's helpers (``report.header``,
``report.measurements``, ``report.paper``) load without the PDF renderers and reportlab's canvas.
"""
from __future__ import annotations

import importlib

#: Public name → submodule that defines it.
_EXPORTS = {
    "Episode": "findings", "ReportFindings": "findings",
    "HolterConfig": "holter", "render_holter": "holter",
    "HolterRules": "holter_stats", "HolterSummary": "holter_stats", "summarise": "holter_stats",
    "Measurements": "measurements", "measure_resting_ecg": "measurements",
    "EcgScale": "paper", "PaperStyle": "paper",
    "GeneratedSegment": "strips",
    "TwelveLeadConfig": "twelve_lead", "render_12lead": "twelve_lead",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
