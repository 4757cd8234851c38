"""A complete release folder from the recipe's last checkpoint: the checkpoint, its ``calibration`` block, the
shipped beat trees and the head-fused trees (docs/MODEL_CARD.md).

The beat trees (``beat_trees.safetensors`` + ``beat_trees.json``, :mod:`~anyecg_model.model.beat_trees`) read
clinical and window features of the preprocessed signal, not the backbone's weights, so the previous release's
trees are carried over byte for byte when the new model preprocesses as the old one did (same ``preprocess``
block) and they still load (same feature version). Otherwise they are stale: the release is refused, unless the
caller asks for a release whose beats come from the beat head (``beat_head=True``, logged as a warning); new trees
come from ``bench/ship_beat_trees.py --out <release>``.

The ``calibration`` block (:mod:`~anyecg_model.model.calibration`) belongs to the heads' weights: it is carried
over when the weights are the previous release's (same ``weights_sha256``), otherwise refitted.

The fused anomaly trees and the record-level rhythm trees (:data:`HEAD_FUSED_TREES`) read the anomaly and rhythm
heads' outputs, so like the calibration block they belong to the weights: carried over byte for byte when the
weights are the previous release's, otherwise left out with a warning that names their refit (a release whose
12-lead anomaly falls back to the head and whose short recordings get no rhythm verdict, rather than trees fused
with outputs they never saw).

The release's ``model_version`` is the caller's (``--version``), never a constant: it must be ``MAJOR.MINOR.PATCH``
and above the version of the release it replaces, so a re-run cannot stamp an old number on new weights.
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ...model.anomaly_trees import CONFIG as ANOMALY_CONFIG, WEIGHTS as ANOMALY_WEIGHTS
from ...model.beat_trees import CONFIG as TREES_CONFIG, WEIGHTS as TREES_WEIGHTS, BeatTreesError, load_beat_trees
from ...model.checkpoint import save_checkpoint
from ...model.checkpoint_meta import CONFIG
from ...model.rhythm_trees import CONFIG as RHYTHM_CONFIG, WEIGHTS as RHYTHM_WEIGHTS

log = logging.getLogger(__name__)


#: Files of the classifiers fused with a head's outputs, and how each is refitted for new weights.
HEAD_FUSED_TREES: dict[tuple[str, str], str] = {
    (ANOMALY_WEIGHTS, ANOMALY_CONFIG): "python -m anyecg_model.analysis.anomaly_data --out T.npz, then "
                                       "python -m anyecg_model.train.anomaly_fusion T.npz --out <release>",
    (RHYTHM_WEIGHTS, RHYTHM_CONFIG): "python -m anyecg_model.analysis.rhythm_data --out F.npz, then "
                                     "python -m anyecg_model.train.rhythm_trees_train ship F.npz --out <release>",
}


class ReleaseError(ValueError):
    """The release would be incomplete (stale or missing beat trees) or wrongly versioned."""


_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def check_release_version(version: str | None, previous: dict) -> None:
    """Raise :class:`ReleaseError` unless ``version`` is ``MAJOR.MINOR.PATCH`` and above ``previous``'s
    ``model_version`` (the replaced release's ``config.json``; any version when it has none)."""
    match = _VERSION.fullmatch(version or "")
    if match is None:
        raise ReleaseError(f"release version {version!r}: give --version MAJOR.MINOR.PATCH (e.g. 0.5.0)")
    old = _VERSION.fullmatch(str(previous.get("model_version", "")))
    if old is not None and tuple(map(int, match.groups())) <= tuple(map(int, old.groups())):
        raise ReleaseError(f"release version {version} is not above the release it replaces "
                           f"({previous['model_version']}): give a higher --version")


@dataclass
class PreviousRelease:
    """What a new release may carry over from the release folder it replaces: its ``config.json`` and its beat
    trees' two files (bytes; empty when it has none), with why they cannot be used (``trees_problem``)."""

    meta: dict = field(default_factory=dict)
    trees: dict[str, bytes] = field(default_factory=dict)
    trees_problem: str = ""
    #: the head-fused trees' files found beside the checkpoint (bytes by file name)
    fused: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def read(cls, directory: Path) -> "PreviousRelease":
        """The release in ``directory`` (an empty one when the folder does not exist)."""
        if not directory.exists():
            return cls(trees_problem=f"{directory} holds no release")
        try:
            meta = json.loads((directory / CONFIG).read_text())
        except (OSError, ValueError):
            meta = {}
        fused = {n: (directory / n).read_bytes() for pair in HEAD_FUSED_TREES for n in pair
                 if all((directory / m).is_file() for m in pair)}
        try:
            trees = load_beat_trees(directory)
        except BeatTreesError as exc:
            return cls(meta, trees_problem=str(exc), fused=fused)
        if trees is None:
            return cls(meta, trees_problem=f"{directory} has no {TREES_CONFIG}", fused=fused)
        return cls(meta, {n: (directory / n).read_bytes() for n in (TREES_WEIGHTS, TREES_CONFIG)}, fused=fused)

    def trees_for(self, preprocess: dict) -> tuple[dict[str, bytes], str]:
        """(the trees' files, "") when they fit a model preprocessing with ``preprocess``, else ({}, why not)."""
        if not self.trees:
            return {}, self.trees_problem
        if self.meta.get("preprocess") != preprocess:
            return {}, ("the previous release's beat trees were made for another preprocessing (its config.json "
                        "'preprocess' block differs from the new model's)")
        return self.trees, ""


def ship_release(model, ship: Path, meta: dict, fit_calibration: Callable[[], dict], beat_head: bool = False) -> Path:
    """Write ``model`` with ``meta`` into the release folder ``ship``, replacing the release there, with its
    ``calibration`` block (carried over, or ``fit_calibration()``) and the previous release's beat trees when they
    still fit. Raises :class:`ReleaseError` (writing nothing) when ``meta["model_version"]`` is missing or not
    above the replaced release's (:func:`check_release_version`), or when the trees are stale or missing, unless
    ``beat_head``."""
    previous = PreviousRelease.read(ship)
    check_release_version(meta.get("model_version"), previous.meta)
    trees, problem = previous.trees_for(model.preprocess_cfg.to_dict())
    if problem and not beat_head:
        raise ReleaseError(f"{problem}: the release would label beats with the beat head. Fit the trees with "
                           f"bench/ship_beat_trees.py --out {ship} after shipping with --beat-head, or keep the "
                           "previous preprocessing")
    staging = ship.parent / f".{ship.name}.staging"
    if staging.exists():
        shutil.rmtree(staging)
    save_checkpoint(model, staging, meta)
    new_sha = json.loads((staging / CONFIG).read_text())["weights_sha256"]
    same_weights = previous.meta.get("weights_sha256") == new_sha
    if previous.meta.get("calibration") is not None and same_weights:
        calibration = previous.meta["calibration"]
        log.info("calibration carried over (weights unchanged)")
    else:
        calibration = fit_calibration()
        log.info("calibration fitted: %s", {h: e["temperature"] for h, e in calibration.items()})
    save_checkpoint(model, staging, {**meta, "calibration": calibration})
    for pair, refit in HEAD_FUSED_TREES.items():
        if not all(n in previous.fused for n in pair):
            continue
        if same_weights:
            for name in pair:
                (staging / name).write_bytes(previous.fused[name])
            log.info("%s carried over (weights unchanged)", pair[1])
        else:
            log.warning("%s left out: fused with the previous weights' head outputs; refit: %s", pair[1],
                        refit.replace("<release>", str(ship)))
    if trees:
        for name, data in trees.items():
            (staging / name).write_bytes(data)
        log.info("beat trees carried over from the previous release")
    else:
        log.warning("release without beat trees (%s): beats are labelled by the beat head", problem)
    if ship.exists():
        shutil.rmtree(ship)
    staging.rename(ship)
    return ship
