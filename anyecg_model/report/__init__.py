"""Printed reports: the 12-lead ECG and the Holter summary as vector PDFs with true-scale ECG paper.

Headless (reportlab, never Qt). Findings come from the model (``anyecg analyze`` JSON) or, when no
model ran, from the file's reference annotations; every report says which.
"""
from .findings import Episode, ReportFindings
from .holter import HolterConfig, render_holter
from .holter_stats import HolterRules, HolterSummary, summarise
from .measurements import Measurements, measure_resting_ecg
from .paper import EcgScale, PaperStyle
from .strips import GeneratedSegment
from .twelve_lead import TwelveLeadConfig, render_12lead

__all__ = [
    "EcgScale", "Episode", "GeneratedSegment", "HolterConfig", "HolterRules", "HolterSummary", "Measurements", "PaperStyle",
    "ReportFindings", "TwelveLeadConfig", "measure_resting_ecg", "render_12lead", "render_holter", "summarise",
]
