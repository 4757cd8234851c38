"""Run the AnyECG model over recordings: anomaly, beats and rhythm, rhythm episodes.

``anyecg analyze PATH... [--tasks anomaly,arrhythmia,events] [--device auto|cpu|cuda] [--model DIR]
[--json OUT|-] [--annotations] [--adapt-from ANNOTATOR [--adapt-until SECONDS]] [--fs HZ]
[--lead-map FILE_LEAD=LEAD ...]``. One JSON object per file
(a list when several files are given) goes to ``--json`` (``-``: stdout; default: a one-line text summary per file on stdout). ``--annotations``
writes each record's beats and episodes as a WFDB annotation file ``<record>.anyecg`` beside the JSON
output (or in the current directory). Progress goes to stderr. A file that cannot be read or analysed
gets one line ``anyecg analyze: <file>: <problem>`` on stderr; the other files are still processed and
the exit status is 1. Each file's text line and JSON say which file lead was analysed as which model lead
(``leads ECG→I (assumed)``); ``--lead-map`` overrides the lead-name table (:mod:`.input_options`).

``--adapt-from atr --adapt-until 300`` learns this patient: the beat labels adapt to the file's own annotator
``atr`` over its first 300 s (:mod:`anyecg_model.families.headless`); each file's JSON then carries an
``adaptation`` object (confirmed and changed beats, class counts before and after).

Launched by ``torchrun --nproc-per-node N``, each rank analyses every N-th file and rank 0 writes the one
merged output in input order.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..analysis.analyzer import TASKS, AnalysisError, Analyzer
from ..analysis.episodes import paced_beats
from ..analysis.findings import Findings
from ..families.headless import AdaptError, AdaptRequest, adapt_findings
from ..io import RecordingError, open_recording
from ..model.checkpoint_meta import CheckpointError
from ..model.shipped import SHIPPED_MODEL_DIR
from ..vocabulary.labels import EPISODE_TO_MITDB
from .input_options import LeadMapError, add_fs, add_lead_map, lead_map_of

log = logging.getLogger(__name__)



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="recording files (any readable format)")
    parser.add_argument("--tasks", default=",".join(TASKS), help=f"comma-separated subset of {','.join(TASKS)}")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR,
                        help="checkpoint directory (default %(default)s)")
    parser.add_argument("--json", default=None, metavar="OUT", help="write findings as JSON to OUT ('-' = stdout)")
    parser.add_argument("--annotations", action="store_true", help="also write <record>.anyecg WFDB annotations")
    parser.add_argument("--adapt-from", default=None, metavar="ANNOTATOR",
                        help="adapt the beat labels to this annotator's labels in the file (e.g. atr)")
    parser.add_argument("--adapt-until", type=float, default=None, metavar="SECONDS",
                        help="with --adapt-from: learn only from its labels before SECONDS (default: all)")
    add_fs(parser)
    add_lead_map(parser)


def _dist():
    """(rank, world, group_ready) under torchrun; a gloo group is created for the final gather."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return dist.get_rank(), world


def write_annotations(findings: Findings, fs: float, out_dir: Path, record: str) -> Path | None:
    """Beats (WFDB symbols of the beat classes, paced ``/``) and episode starts (``+`` with MIT-BIH aux codes) as ``<record>.anyecg``."""
    from ..io.writers import write_wfdb_annotations

    samples, symbols, aux = [], [], []
    if findings.beats is not None:
        samples += list(np.round(findings.beats.time_s * fs).astype(np.int64))
        symbols += findings.beats.wfdb_symbols()
        aux += [""] * len(findings.beats)
    for e in findings.episodes or []:
        samples.append(int(round(e.start_s * fs)))
        symbols.append("+")
        aux.append("(" + EPISODE_TO_MITDB.get(e.label, e.label))
    base = out_dir / "".join(c if c.isalnum() or c in "-_" else "_" for c in record)
    return write_wfdb_annotations(base, "anyecg", samples, symbols, aux, fs=fs)


def _analyse_one(analyzer: Analyzer, path: str, tasks, bar: tqdm, adapt: AdaptRequest | None = None,
                 fs: float | None = None, lead_map: dict[str, str] | None = None
                 ) -> tuple[Findings | None, float, str | None, dict | None]:
    """(findings, fs, error, adaptation summary) of one file."""
    done = [0.0]

    def progress(p: float) -> None:
        bar.update(p - done[0])
        done[0] = p

    try:
        rec = open_recording(path, fs=fs)
        f = analyzer.analyze(rec, tasks, progress=progress, lead_map=lead_map)
        summary = adapt_findings(rec, f, adapt) if adapt is not None else None
        return f, rec.fs, None, summary
    except (RecordingError, AnalysisError, AdaptError, OSError, ValueError) as exc:
        return None, 0.0, str(exc) if path in str(exc) else f"{path}: {exc}", None
    finally:
        bar.update(1.0 - done[0])


def lead_text(f: Findings) -> str:
    """``ECG→I (assumed)``, ``MLII→II (assumed), V1→V1``, ``ECG→I (assumed, upside down)``: how the file's leads
    were analysed ("assumed": an approximation or an assumption, not the file's own lead name or the user's
    ``--lead-map``; "upside down": read inverted, its QRS complexes pointing down)."""
    text = ", ".join(f"{name}→{slot}" + f.lead_tags(name) for name, slot in f.lead_mapping.items())
    replaced = sorted({lead for _, _, lead in f.rhythm_lead_replaced})
    if replaced:
        lost = sum(b - a for a, b, _ in f.rhythm_lead_replaced)
        text += (f"; R peaks on {', '.join(replaced)} over {lost:.0f} s where {f.rhythm_lead} was unreadable "
                 f"(left out there)")
    return text


def _share_cores() -> None:
    """Torch's intra-op threads one fewer than the cores: the analyzer reads and filters the next chunk on a
    thread of its own while the model runs (on two cores, one each). Two torch threads beside it, or beside
    another job, spin against each other (a 2-h file: 7.7 s with one, 15.7 s with two). OMP_NUM_THREADS, when
    set, is left alone."""
    import os

    import torch

    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(max(1, torch.get_num_threads() - 1))


def run(args: argparse.Namespace) -> int:
    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip())
    bad = [t for t in tasks if t not in TASKS]
    if bad or not tasks:
        print(f"anyecg analyze: unknown task(s) {bad}; choose from {','.join(TASKS)}", file=sys.stderr)
        return 2
    adapt = None
    if args.adapt_from:
        if "arrhythmia" not in tasks:
            print("anyecg analyze: --adapt-from needs the arrhythmia task (beats)", file=sys.stderr)
            return 2
        adapt = AdaptRequest(args.adapt_from, args.adapt_until)
    elif args.adapt_until is not None:
        print("anyecg analyze: --adapt-until needs --adapt-from ANNOTATOR", file=sys.stderr)
        return 2
    try:
        lead_map = lead_map_of(args)
    except LeadMapError as exc:
        print(f"anyecg analyze: {exc}", file=sys.stderr)
        return 2
    _share_cores()
    try:
        analyzer = Analyzer(args.model, device=args.device)
    except (CheckpointError, AnalysisError, FileNotFoundError) as exc:
        print(f"anyecg analyze: {exc}", file=sys.stderr)
        return 2
    rank, world = _dist()
    mine = list(range(rank, len(args.paths), world))
    results: dict[int, dict | None] = {}
    errors: dict[int, str] = {}
    out_dir = Path(args.json).parent if args.json and args.json != "-" else Path.cwd()
    with tqdm(total=len(mine), desc="analyze", unit="file", file=sys.stderr, disable=None,
              bar_format="{l_bar}{bar}| {n:.1f}/{total} files [{elapsed}<{remaining}]") as bar:
        for i in mine:
            f, fs, err, adapted = _analyse_one(analyzer, args.paths[i], tasks, bar, adapt, args.fs, lead_map)
            if err:
                errors[i] = err
                print(f"anyecg analyze: {err}".replace("\n", " "), file=sys.stderr)
                continue
            results[i] = f.to_dict()
            if adapt is not None:
                results[i]["adaptation"] = adapted
            if args.annotations:
                written = write_annotations(f, fs, out_dir, Path(args.paths[i]).stem)
                if written:
                    log.info("wrote %s", written)
            if not args.json:
                s = results[i]
                rc = (s["rhythm"] or {}).get("record_class") or {}
                hr = s["summary"]["heart_rate_bpm"]["mean"]
                v = f.rhythm_verdict
                rhythm = rc.get("label") if v is None else f"{v.name} (p {v.confidence:.2f})"
                paced = None if f.beats is None else paced_beats(f.beats.label)
                if v is None and paced is not None and paced.rhythm:  # no rhythm class says paced
                    rhythm = f"paced ({paced.paced} of {paced.total} beats paced)"
                print(f"{args.paths[i]}: {len(f.beats or [])} beats, HR {hr if hr is None else round(hr)} bpm, "
                      f"rhythm {rhythm}, anomaly {(s['anomaly'] or {}).get('label')}, "
                      f"leads {lead_text(f)}" + (f"; {v.note}" if v is not None and v.note else ""))
    if world > 1:
        import torch.distributed as dist

        gathered: list = [None] * world
        dist.all_gather_object(gathered, (results, errors))
        for r, e in gathered:
            results.update(r)
            errors.update(e)
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0 and args.json:
        ordered = [results[i] for i in sorted(results)]
        payload = ordered[0] if len(args.paths) == 1 and ordered else ordered
        if args.json == "-":
            write_json(payload, sys.stdout)
        else:
            with open(args.json, "w") as out:
                write_json(payload, out)
    return 1 if errors else 0


def write_json(payload, out, batch: int = 65536) -> None:
    """``json.dumps(payload, indent=1)`` and a newline written to ``out`` a batch of pieces at a time: the text
    of a 72-h recording's findings (25 MB, 330 000 beats) held whole took ~250 MiB at its peak."""
    pieces: list[str] = []
    for piece in json.JSONEncoder(indent=1).iterencode(payload):
        pieces.append(piece)
        if len(pieces) >= batch:
            out.write("".join(pieces))
            pieces.clear()
    out.write("".join(pieces) + "\n")
