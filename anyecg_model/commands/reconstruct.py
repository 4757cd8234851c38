"""Generate missing leads with the AnyECG model and write a WFDB record holding input + generated leads.

``anyecg reconstruct PATH --leads V1,V2,... --out OUT.hea [--model DIR] [--device auto|cpu|cuda]``.
Every input lead is written unchanged; each generated lead is named ``<lead>_gen`` in the header and
listed in a header comment ``generated leads (AnyECG model, not measured): ...``. A lead the input
already has is not generated (it is reported). Errors name the file and exit with status 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..analysis.analyzer import AnalysisError, Analyzer
from ..analysis.leadgen import generate_leads
from ..io import RecordingError, open_recording
from ..io.recording import Recording
from ..model.checkpoint_meta import CheckpointError
from ..model.shipped import SHIPPED_MODEL_DIR
from ..vocabulary.lead_map import canonical_lead_name, standard_equivalent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="input recording")
    parser.add_argument("--leads", required=True, help="comma-separated leads to generate, e.g. V1,V2,V3")
    parser.add_argument("--out", required=True, help="output WFDB header path (OUT.hea)")
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR,
                        help="checkpoint directory (default %(default)s)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))


def run(args: argparse.Namespace) -> int:
    from ..io.writers import write_wfdb

    try:
        rec = open_recording(args.path)
        wanted = [canonical_lead_name(x) for x in args.leads.split(",") if x.strip()]
        present = {standard_equivalent(n) for n in rec.lead_names}
        already = [x for x in wanted if x in present]
        if already:
            print(f"anyecg reconstruct: {args.path}: already has {', '.join(already)}; not generated", file=sys.stderr)
        todo = [x for x in wanted if x not in present]
        if not todo:
            print(f"anyecg reconstruct: {args.path}: nothing to generate", file=sys.stderr)
            return 1
        if rec.duration_s < 1.0:
            raise AnalysisError(f"{args.path}: recording is {rec.duration_s:.2f} s long; at least 1 s is needed")
        analyzer = Analyzer(args.model, device=args.device)
        gen = generate_leads(analyzer, rec, todo)
        data = np.concatenate([rec.read(), gen.data], axis=0)
        names = [lead.original_name for lead in rec.leads] + [f"{x}_gen" for x in gen.leads]
        comments = list(rec.comments) + [
            f"generated leads (AnyECG model {analyzer.info.name}, not measured): {' '.join(x + '_gen' for x in gen.leads)}"]
        out = Recording.from_array(data, rec.fs, names, path=args.out, age=rec.age, sex=rec.sex, comments=comments)
        written = write_wfdb(out, args.out, annotations=False)
    except (RecordingError, AnalysisError, CheckpointError, OSError, ValueError) as exc:
        msg = str(exc)
        print(f"anyecg reconstruct: {msg if args.path in msg else f'{args.path}: {msg}'}", file=sys.stderr)
        return 1
    print(written)
    return 0
