"""The shipped-model recipe after stage 1: masked pre-training, then every task head, then packaging.

``python -m anyecg_model.train.recipe.shipped --work runs/small --stages mcp,beats,rhythm,anomaly,leadgen,ultralong
--ship resources/anyecg-small --version 0.5.0`` continues from the tokenizer checkpoint in ``--work`` (see
:mod:`.pretrain_corpus`). Each head stage fine-tunes its head on the frozen backbone
(:func:`..finetune.run.finetune`, ``train="head"``) starting from the previous stage's checkpoint, so
the final checkpoint carries every head. ``--ship`` copies it with the model's name, the ``--version`` given
(required, above the replaced release's, checked before any training), label
vocabularies and the anomaly threshold (chosen on the validation split) into the release directory, a complete
release (:mod:`.release`): the ``calibration`` block (carried over when the weights are unchanged, else fitted
on validation, :mod:`..calibration_fit`) and the previous release's beat trees when the new model preprocesses
as theirs did; stale or missing trees refuse the release unless ``--beat-head``.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import torch

from ...model.anyecg import AnyECG
from ...model.checkpoint import load_checkpoint, save_checkpoint
from ...vocabulary.labels import MITDB_RHYTHM_TO_EPISODE, label_vocabularies
from ...vocabulary.model_input import PreprocessConfig
from ..calibration_fit import fit_calibration
from ..data.corpus import DEFAULT_CORPUS_DIR, Corpus
from ..finetune.config import FinetuneConfig
from ..finetune.run import finetune
from ..tasks import TASKS, get_task
from ..tasks.evaluation import make_dataset, predict, record_level
from .pretrain_corpus import train_stage
from .release import PreviousRelease, check_release_version, ship_release
from .ultralong import train_ultralong

log = logging.getLogger(__name__)

#: Batch size of every head stage (each task's epochs, learning rate and windows per record: ``task.stage``).
BATCH_SIZE = 64


def anomaly_threshold(model, corpus: Corpus) -> float:
    """Probability threshold maximising balanced accuracy on the validation split (PTB-XL fold 9 + CinC,
    one seeded window per record)."""
    ds = make_dataset("anomaly", corpus, model.preprocess_cfg, ("val",), max_windows_per_record=1)
    _, pred = predict(model, "anomaly", ds)
    y, s = record_level(pred)
    p = 1 / (1 + np.exp(-s))
    best, thr = -1.0, 0.5
    for t in np.linspace(0.05, 0.95, 91):
        bacc = 0.5 * (np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t))
        if bacc > best:
            best, thr = bacc, float(t)
    return thr


def save_random_init(work: Path, seed: int, size: str = "small") -> Path:
    """The "random init" baseline's starting point: the same architecture, seeded random weights (tokenizer
    and backbone), saved as a checkpoint in ``work``."""
    torch.manual_seed(seed)
    model = AnyECG.from_size(size, PreprocessConfig())
    save_checkpoint(model, work, {"training": {"random_init": {"seed": seed, "size": size}}})
    return work


def run_recipe(work: Path, stages: list[str], mcp_steps: int, seed: int, corpus_dir: Path,
               ship: Path | None, epochs: int | None = None, max_steps_per_epoch: int | None = None,
               ultralong_epochs: int = 40, mcp_minutes: float | None = None, start: Path | None = None,
               reset_heads: bool = False, beat_head: bool = False, version: str | None = None) -> Path:
    """Run ``stages`` from ``start`` (default ``work``) and, with ``ship``, write release ``version`` there;
    returns the last checkpoint (or the release) folder."""
    if ship is not None:
        check_release_version(version, PreviousRelease.read(ship).meta)  # fail before hours of training
    current = start or work
    if "mcp" in stages:
        train_stage("mcp", work, mcp_steps, batch_size=32, lr=5e-4, seed=seed, corpus_dir=corpus_dir,
                    max_minutes=mcp_minutes)
    for task in TASKS:
        if task not in stages:
            continue
        stage = get_task(task).stage
        out = work.parent / f"{work.name}-{task}"
        finetune(FinetuneConfig(task=task, out=out, init=current, train="head", epochs=epochs or stage.epochs,
                                lr=stage.lr, seed=seed, batch_size=BATCH_SIZE,
                                max_windows_per_record=stage.max_windows_per_record, corpus=corpus_dir,
                                device="auto", max_steps_per_epoch=max_steps_per_epoch, reset_head=reset_heads))
        current = out
    if "ultralong" in stages:
        model = load_checkpoint(current)
        stats = train_ultralong(model, Corpus(corpus_dir), epochs=ultralong_epochs, seed=seed)
        out = work.parent / f"{work.name}-ultralong"
        meta = dict(model.metadata)
        training = dict(meta.get("training", {}))
        training["ultralong"] = stats
        save_checkpoint(model, out, {"training": training})
        current = out
    if ship is not None:
        model, corpus = load_checkpoint(current), Corpus(corpus_dir)
        meta = {
            "name": "anyecg-small",
            "model_version": version,
            "anomaly_threshold": anomaly_threshold(model, corpus),
            "label_vocabularies": {**label_vocabularies(), "mitdb_rhythm_to_episode": MITDB_RHYTHM_TO_EPISODE},
            "training": model.metadata.get("training", {}),
            "training_data": ["mitdb", "cinc2017", "ptbxl500", "ludb", "nstdb noise (bw, ma)"],
        }
        current = ship_release(model, ship, meta, lambda: fit_calibration(model, corpus), beat_head=beat_head)
    return current


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--stages", default="mcp,beats,rhythm,anomaly,leadgen,ultralong")
    p.add_argument("--mcp-steps", type=int, default=200)
    p.add_argument("--mcp-minutes", type=float, default=None, help="wall-time cap of the MCP stage")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS_DIR)
    p.add_argument("--ship", type=Path, default=None)
    p.add_argument("--version", default=None,
                   help="model_version of the --ship release, MAJOR.MINOR.PATCH above the one it replaces "
                        "(required with --ship)")
    p.add_argument("--from", dest="start", type=Path, default=None,
                   help="checkpoint the head stages start from (default: --work)")
    p.add_argument("--random-init", action="store_true",
                   help="baseline: start the head stages from a randomly initialised model (seeded) saved in --work")
    p.add_argument("--epochs", type=int, default=None, help="override every head stage's epochs (dry runs)")
    p.add_argument("--max-steps-per-epoch", type=int, default=None)
    p.add_argument("--ultralong-epochs", type=int, default=40)
    p.add_argument("--reset-heads", action="store_true", help="retrain the head stages' heads from scratch")
    p.add_argument("--beat-head", action="store_true",
                   help="ship even when the previous release's beat trees are stale or missing (beats by the beat head)")
    a = p.parse_args(argv)
    if a.ship is not None and a.version is None:
        p.error("--ship needs --version MAJOR.MINOR.PATCH (above the release it replaces)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    torch.set_num_threads(a.threads)
    if a.random_init:
        a.start = save_random_init(a.work, a.seed)
    print(run_recipe(a.work, a.stages.split(","), a.mcp_steps, a.seed, a.corpus, a.ship, a.epochs,
                     a.max_steps_per_epoch, a.ultralong_epochs, a.mcp_minutes, a.start, a.reset_heads, a.beat_head,
                     a.version))


if __name__ == "__main__":
    main()
