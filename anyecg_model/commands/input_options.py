"""Options shared by the commands that read a recording for the model: ``--fs`` and ``--lead-map``.

``--fs HZ`` gives the sampling rate of formats that store none (NumPy, CSV without a time column); it must be a
positive number. ``--lead-map FILE_LEAD=LEAD`` (repeatable, or a comma list: ``--lead-map ECG1=II,ECG2=V5``)
says which model lead a file lead is; ``FILE_LEAD=none`` keeps a channel out of the analysis. Without it, lead
names go through the alias table of :mod:`anyecg_model.vocabulary.leads`.
"""
from __future__ import annotations

import argparse
import math

from ..vocabulary.lead_map import LeadMapError, parse_lead_map


def positive_hz(text: str) -> float:
    """argparse type: a finite sampling rate above 0 Hz."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of Hz") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"sampling rate must be a positive number of Hz, not {text}")
    return value


def add_fs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fs", type=positive_hz, default=None, metavar="HZ",
                        help="sampling rate in Hz for formats that lack one (NumPy, CSV without a time column)")


def add_lead_map(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lead-map", action="append", default=None, metavar="FILE_LEAD=LEAD",
                        help="analyse a file lead as a model lead, e.g. ECG=II (repeatable or comma list; "
                             "FILE_LEAD=none ignores a channel)")


def lead_map_of(args: argparse.Namespace) -> dict[str, str]:
    """The parsed ``--lead-map`` options (LeadMapError when malformed)."""
    return parse_lead_map(getattr(args, "lead_map", None))


__all__ = ["LeadMapError", "add_fs", "add_lead_map", "lead_map_of", "positive_hz"]
