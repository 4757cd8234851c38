"""Findings cache: a finished analysis stored per recording content hash, model version and weights hash.

One ``.npz`` file per (recording, model, tasks) under ``$ANYECG_CACHE/findings`` (default
``~/.cache/anyecg/findings``). Arrays (beats, anomaly windows, episodes) are stored as plain numpy
arrays and everything else as a JSON string, and the file is read with ``allow_pickle=False``: a cache
file can never execute code. A corrupt, truncated or mismatching file is deleted and reported as a miss,
so the analysis simply runs again. Writes go to a temporary file renamed into place.

:func:`findings_to_arrays` / :func:`findings_from_arrays` (that file's layout) are also the form in which the
analysis process sends finished findings: a few arrays unpickle at once, and the viewer rebuilds the objects
in Python, which lets its GUI thread take the GIL in between (unpickling 8 640 window objects of a 24-h
recording held it for ~13 ms).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..model.anomaly_trees import ANOMALY_HEAD
from ..model.beat_trees import BEAT_HEAD
from ..model.rhythm_trees import NO_RHYTHM_TREES
from .findings import AnomalyWindow, Beats, Findings, ModelInfo, RhythmEpisode, RhythmVerdict, UnreadableSpan

log = logging.getLogger(__name__)

#: Bump when the layout or the way findings are derived (:mod:`.builder`) changes: older files then count as
#: misses. 2: AF at beat resolution, unreadable spans, anomaly "not assessed". 3: rhythm and anomaly
#: probabilities calibrated by the checkpoint's temperatures (:mod:`~anyecg_model.model.calibration`). 4: bigeminy
#: and trigeminy from beat patterns (:mod:`.ectopy`), window rhythms under the confidence floor not reported.
#: 5: the viewer analyses on the CLI's 300-s chunk grid (its 60-s chunks gave some beats other labels). 6: the
#: viewer's visible chunk gets its episodes from the GRU state carried over, as the CLI (:mod:`.episode_chain`).
#: 7: the R-peak detector keeps premature beats 0.2-0.36 s after a beat.
#: 8: and downward QRS complexes NeuroKit2's detector gives no peak (:func:`~anyecg_model.signal.rpeaks._peakless_complexes`).
#: 9: AF episode confidence = share of the episode meeting the AF rule, raised to the model's vote; none under 0.5;
#: AF edges trimmed over sinus beats with P waves.
#: 10: T-wave candidates as smooth as a T wave in the high band are not beats (:data:`~anyecg_model.signal.rpeaks.T_WAVE_SHARPNESS_RATIO`).
#: 11: the record-level rhythm verdict of short recordings (:mod:`~anyecg_model.model.rhythm_trees`).
#: 12: the R-peak detectors' candidates pooled (:func:`~anyecg_model.signal.rpeaks._candidates`).
#: 13: AF episodes bridged across gaps without sinus P waves (:attr:`~anyecg_model.analysis.af.AfRules.bridge_gap_s`).
#: 14: anomaly judged only on windows at most 10 % unreadable (:attr:`~anyecg_model.analysis.builder.FindingsRules.anomaly_max_unreadable`).
#: 15: and not on chunks where a lead it needs was masked (flat, mostly missing).
#: 16: a flat stretch of the quality gate lasts at least 2 s (:attr:`~anyecg_model.signal.quality.GateThresholds.flat_min_blocks`).
#: 17: RR intervals across unreadable signal are closed for the RR features
#: (:func:`~anyecg_model.vocabulary.beat_inputs.close_unknown_rr`); P waves compared among fewer than 9 beats.
#: 18: unmeasured P waves are not absent ones in the rhythm features; no rhythm verdict on fewer than 4 readable
#: RR intervals.
#: 19: another lead carries the R peaks of a chunk whose rhythm lead is unreadable (``rhythm_lead_replaced``).
#: 20: the 12-lead anomaly is not judged on windows where a lead it needs is buried in noise over half of them.
#: 21: the quality gate's noise ratio leaves out a few narrow edges (pacing stimuli, a lone spike): not noise.
#: 22: paced beats by their pacing stimuli at 400 Hz and more (:mod:`~anyecg_model.vocabulary.pacing_stimulus`);
#: the rhythm verdict's note counts paced beats; beatless edge episodes join their neighbour; no beat within 50 ms
#: of the recording's start or end (a QRS cut by the edge); S inside AF is N; below 400 Hz no lone paced call.
#: 23: 50/60-Hz mains lines notched out of the file's signal before everything (:mod:`~anyecg_model.signal.mains`);
#: a lead without a standard name whose QRS complexes point down is read upside down (``lead_inverted``).
#: 24: AF needs 30 s of readable signal; the lines notched are listed (``mains_hz``); flat is under 0.02 mV.
#: 25: a recorder's held padding at either end is no signal (no beat within 50 ms of where it begins); the beat
#: trees read lead II's waveform where a recording has it.
#: 26: beats called S in a short recording whose rhythm verdict is AF read N (as inside an AF episode).
#: 27: beats called S in a short recording whose RR intervals are all within 12 % of their median read N.
#: 28: paced runs at most 2 beats apart are one paced-rhythm episode.
#: 29: a VT or SVTA run whose onset the recording does not show needs 8 beats.
#: 30: a short strip whose rhythm verdict is normal at ≥ 0.8 has its V calls read Q, its VT/bigeminy/trigeminy NSR.
#: 31: a VT or SVTA run within 1 s of unreadable signal needs 8 beats.
#: 32: a short strip whose verdict is normal at ≥ 0.8 also has its S calls read N, its SVTA and atrial bigeminy NSR.
#: 33: the quality gate's baseline rule scales with a clean lead's QRS size.
#: 34: the quality gate calls a block noisy when its noise, broadband and in the QRS band, is large next to the QRS.
#: 35: in a paced recording, N and V calls of a mostly-paced morphology family read P.
CACHE_VERSION = 35


def cache_root() -> Path:
    """``$ANYECG_CACHE/findings`` or ``~/.cache/anyecg/findings``."""
    base = os.environ.get("ANYECG_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "anyecg") / "findings"


def cache_key(content_hash: str, model: ModelInfo, tasks: Sequence[str],
              lead_map: Mapping[str, str] | None = None) -> str:
    """File stem for one recording (content hash), model (version + weights sha256, the beat classifier when it
    is not the beat head, the fused anomaly trees and the rhythm trees when the model ships them), task set and
    the user's lead map (none: the lead-name table alone)."""
    safe_version = "".join(c if c.isalnum() or c in "._-" else "_" for c in model.version)[:32]
    key = f"{content_hash[:40]}-{model.sha256[:16] or 'nosha'}-v{safe_version}-{'+'.join(sorted(tasks))}"
    if model.beat_classifier != BEAT_HEAD:
        key += "-beats" + hashlib.sha256(model.beat_classifier.encode("utf-8")).hexdigest()[:12]
    if model.anomaly_classifier != ANOMALY_HEAD:
        key += "-anomaly" + hashlib.sha256(model.anomaly_classifier.encode("utf-8")).hexdigest()[:12]
    if model.rhythm_classifier != NO_RHYTHM_TREES:
        key += "-rhythm" + hashlib.sha256(model.rhythm_classifier.encode("utf-8")).hexdigest()[:12]
    if lead_map:
        text = json.dumps(sorted(lead_map.items()))
        key += "-map" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return key


class FindingsCache:
    """Load and store :class:`Findings` (see the module docstring). ``root`` defaults to :func:`cache_root`."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else cache_root()

    def path(self, content_hash: str, model: ModelInfo, tasks: Sequence[str],
             lead_map: Mapping[str, str] | None = None) -> Path:
        return self.root / f"{cache_key(content_hash, model, tasks, lead_map)}.npz"

    def load(self, content_hash: str, model: ModelInfo, tasks: Sequence[str],
             lead_map: Mapping[str, str] | None = None) -> Findings | None:
        """The cached findings, or None (absent, or corrupt and therefore discarded)."""
        p = self.path(content_hash, model, tasks, lead_map)
        if not p.exists():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
            if meta.get("cache_version") != CACHE_VERSION or meta.get("content_hash") != content_hash \
                    or meta["model"] != _model_meta(model):
                raise ValueError("written for another recording, model or cache version")
            return findings_from_arrays(meta, arrays)
        except (OSError, ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("%s: corrupt findings cache discarded (%s)", p, exc)
            p.unlink(missing_ok=True)
            return None

    def store(self, content_hash: str, tasks: Sequence[str], findings: Findings,
              lead_map: Mapping[str, str] | None = None) -> Path:
        """Write ``findings`` (atomically); returns the file."""
        p = self.path(content_hash, findings.model, tasks, lead_map)
        p.parent.mkdir(parents=True, exist_ok=True)
        meta, arrays = findings_to_arrays(findings)
        meta.update(cache_version=CACHE_VERSION, content_hash=content_hash)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
        tmp = p.with_name(f".{p.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, p)
        return p


def cached_beat_times(content_hash: str, root: str | os.PathLike | None = None) -> np.ndarray | None:
    """Beat times (s, sorted) of the newest cached analysis of the recording ``content_hash`` that found beats,
    whatever its model or task set; None when there is none. Reads only the file's metadata and beat times
    (``allow_pickle=False``); a file that cannot be read is skipped (:meth:`FindingsCache.load` discards it)."""
    folder = Path(root) if root is not None else cache_root()
    if not content_hash or not folder.is_dir():
        return None
    files = sorted(folder.glob(f"{content_hash[:40]}-*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
    for f in files:
        try:
            with np.load(f, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                if meta.get("cache_version") != CACHE_VERSION or meta.get("content_hash") != content_hash \
                        or not meta.get("has_beats"):
                    continue
                times = np.asarray(z["beat_time_s"], np.float64)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("%s: unreadable findings cache skipped (%s)", f, exc)
            continue
        return np.sort(times)
    return None


def _model_meta(model: ModelInfo) -> list[str]:
    return [model.name, model.version, model.sha256, model.beat_classifier, model.anomaly_classifier,
            model.rhythm_classifier]


def findings_to_arrays(f: Findings) -> tuple[dict, dict[str, np.ndarray]]:
    """Findings → (JSON-able scalars, named arrays); :func:`findings_from_arrays` is the inverse."""
    meta = {"record": f.record, "duration_s": f.duration_s, "fs": f.fs, "leads": list(f.leads),
            "model": _model_meta(f.model), "anomaly_score": f.anomaly_score,
            "record_class_probabilities": f.record_class_probabilities, "heart_rate_bpm": f.heart_rate_bpm,
            "af_burden": f.af_burden, "n_beats": f.n_beats, "anomaly_threshold": f.anomaly_threshold,
            "has_anomaly": f.anomaly_windows is not None, "has_beats": f.beats is not None,
            "has_episodes": f.episodes is not None, "anomaly_not_assessed": f.anomaly_not_assessed,
            "anomaly_classifier": f.anomaly_classifier,
            "episode_labels": [e.label for e in f.episodes or []],
            "lead_mapping": f.lead_mapping, "lead_assumed": f.lead_assumed, "lead_inverted": f.lead_inverted,
            "rhythm_lead": f.rhythm_lead,
            "rhythm_lead_replaced": [list(r) for r in f.rhythm_lead_replaced],
            "unreadable_reasons": [u.reason for u in f.unreadable], "mains_hz": list(f.mains_hz),
            "rhythm_verdict": None if f.rhythm_verdict is None else f.rhythm_verdict.to_dict()}
    arrays: dict[str, np.ndarray] = {"unreadable": np.array([[u.start_s, u.end_s] for u in f.unreadable],
                                                            np.float64).reshape(-1, 2)}
    if f.anomaly_windows is not None:
        arrays["anomaly"] = np.array([[w.start_s, w.end_s, w.score] for w in f.anomaly_windows],
                                     np.float64).reshape(-1, 3)
    if f.beats is not None:
        arrays["beat_time_s"] = np.asarray(f.beats.time_s, np.float64)
        arrays["beat_label"] = np.asarray(f.beats.label, np.int8)
        arrays["beat_confidence"] = np.asarray(f.beats.confidence, np.float32)
    if f.episodes is not None:
        arrays["episodes"] = np.array([[e.start_s, e.end_s, e.confidence] for e in f.episodes],
                                      np.float64).reshape(-1, 3)
    return meta, arrays


def findings_from_arrays(meta: dict, arrays: dict[str, np.ndarray]) -> Findings:
    """The :class:`Findings` of :func:`findings_to_arrays`' output (ValueError/KeyError when inconsistent)."""
    f = Findings(record=meta["record"], duration_s=float(meta["duration_s"]), fs=float(meta["fs"]),
                 leads=list(meta["leads"]), model=ModelInfo(*meta["model"]),
                 anomaly_score=meta["anomaly_score"], record_class_probabilities=meta["record_class_probabilities"],
                 heart_rate_bpm=meta["heart_rate_bpm"], af_burden=meta["af_burden"], n_beats=meta["n_beats"],
                 anomaly_threshold=float(meta["anomaly_threshold"]),
                 lead_mapping=dict(meta.get("lead_mapping") or {}), lead_assumed=list(meta.get("lead_assumed") or []),
                 lead_inverted=list(meta.get("lead_inverted") or []), mains_hz=list(meta.get("mains_hz") or []),
                 rhythm_lead=meta.get("rhythm_lead"),
                 rhythm_lead_replaced=[(float(a), float(b), str(lead))
                                       for a, b, lead in meta.get("rhythm_lead_replaced") or []],
                 anomaly_not_assessed=meta["anomaly_not_assessed"],
                 anomaly_classifier=meta.get("anomaly_classifier"),
                 rhythm_verdict=None if meta.get("rhythm_verdict") is None
                 else RhythmVerdict.from_dict(meta["rhythm_verdict"]))
    spans, reasons = arrays["unreadable"], meta["unreadable_reasons"]
    if len(spans) != len(reasons):
        raise ValueError("unreadable spans and reasons differ in length")
    f.unreadable = [UnreadableSpan(float(a), float(b), str(r)) for (a, b), r in zip(spans, reasons)]
    if meta["has_anomaly"]:
        f.anomaly_windows = [AnomalyWindow(float(a), float(b), float(s)) for a, b, s in arrays["anomaly"]]
    if meta["has_beats"]:
        t, lab, conf = arrays["beat_time_s"], arrays["beat_label"], arrays["beat_confidence"]
        if not (len(t) == len(lab) == len(conf)):
            raise ValueError("beat arrays of different lengths")
        f.beats = Beats(t, lab.astype(np.int8), conf.astype(np.float32))
    if meta["has_episodes"]:
        ep, labels = arrays["episodes"], meta["episode_labels"]
        if len(ep) != len(labels):
            raise ValueError("episode arrays and labels differ in length")
        f.episodes = [RhythmEpisode(float(a), float(b), str(lab), float(c)) for (a, b, c), lab in zip(ep, labels)]
    return f
