"""Write a printable PDF report (12-lead ECG or Holter summary) of a recording, without a screen.

Findings come from ``--findings JSON`` (the ``anyecg analyze`` output), else from the model when its
weights are installed (cached findings first, else a fresh analysis that is then cached), else from the
file's own reference annotations; the report names its source. ``--no-model`` skips the model. ``--fs`` and
``--lead-map`` are those of ``anyecg analyze`` (:mod:`.input_options`).
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from ..io import Recording, RecordingError, open_recording
from ..report import EcgScale, HolterConfig, ReportFindings, TwelveLeadConfig, render_12lead, render_holter
from ..report.model_source import model_findings
from ..vocabulary.lead_map import map_leads
from .input_options import LeadMapError, add_fs, add_lead_map, lead_map_of

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="ECG file to report on")
    parser.add_argument("--kind", choices=("12lead", "holter"), default="12lead", help="report layout")
    parser.add_argument("--out", required=True, help="output PDF")
    parser.add_argument("--paper", choices=("a4", "letter"), default="a4")
    parser.add_argument("--speed", type=float, default=25.0, help="paper speed, mm/s (default 25)")
    parser.add_argument("--gain", type=float, default=10.0, help="gain, mm/mV (default 10)")
    parser.add_argument("--start", type=float, default=0.0, help="12-lead: first second printed (default 0)")
    parser.add_argument("--findings", help="findings JSON written by `anyecg analyze` (skips the model)")
    parser.add_argument("--no-model", action="store_true", help="do not run the model; use the file's labels")
    add_fs(parser)
    add_lead_map(parser)


def run(args: argparse.Namespace) -> int:
    try:
        scale = EcgScale(args.speed, args.gain)
        lead_map = lead_map_of(args)
        recording = open_recording(args.path, fs=args.fs)
        if lead_map:
            map_leads(recording.lead_names, lead_map)  # a lead the file lacks is an error, not a silent fallback
        findings = resolve_findings(recording, args.findings, use_model=not args.no_model, lead_map=lead_map)
        out = Path(args.out)
        if args.kind == "12lead":
            render_12lead(recording, out, TwelveLeadConfig(paper=args.paper, scale=scale, start_s=args.start),
                          findings)
        else:
            render_holter(recording, out, HolterConfig(paper=args.paper, scale=scale), findings)
    except (RecordingError, LeadMapError, ValueError, OSError) as exc:
        log.error("%s", exc)
        return 1
    log.info("wrote %s (%s)", out, findings.source_text)
    return 0


def resolve_findings(recording: Recording, findings_path: str | None, use_model: bool,
                     lead_map: dict[str, str] | None = None) -> ReportFindings:
    """Findings from a JSON file, else the model (when available), else the file's reference annotations."""
    if findings_path:
        try:
            data = json.loads(Path(findings_path).read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{findings_path}: not valid JSON ({exc})") from exc
        if isinstance(data, list):  # `anyecg analyze --json` over several files: pick this record's entry
            data = _entry_for(recording, data, findings_path)
        return ReportFindings.from_analysis(data)
    if use_model:
        found = model_findings(recording, lead_map=lead_map)
        if found is not None:
            return found
    return ReportFindings.from_annotations(recording)


def _entry_for(recording: Recording, entries: list[Any], path: str) -> dict:
    name = Path(recording.path).stem
    for entry in entries:
        if isinstance(entry, dict) and Path(str(entry.get("record", ""))).stem == name:
            return entry
    raise ValueError(f"{path}: no findings for record {name!r}")
