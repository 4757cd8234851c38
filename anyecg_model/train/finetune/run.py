"""Fine-tuning as a library call: ``finetune(FinetuneConfig, on_epoch=..., cancelled=...)``.

The command ``anyecg finetune`` and the GUI's training panel both call :func:`finetune`. It loads a
checkpoint (or builds the same architecture from random initialisation: the "random init" baseline),
adds the task's head if missing, freezes what is not trained (``train``: ``head`` / ``last`` layers /
``full`` backbone; the tokenizer is always frozen), and runs the model core's
:class:`~anyecg_model.train.loop.Trainer` (epochs, AdamW with warm-up and cosine decay, a resumable
``trainer_state.safetensors`` every epoch, torchrun when launched so). After each epoch the task metrics on the
validation split go to ``on_epoch(dict)``; the best epoch by the task's selection metric is saved as a
checkpoint in ``out``; a new lead-generation head is also scored before training ("epoch 0": the fitted
covariance's conditional mean alone), so its learnt correction is kept only if it beats that. ``cancelled()`` is polled before every step; cancelling stops with the last
finished epoch saved, and ``resume=True`` continues from it.

With ``train="head"`` the frozen backbone's hidden states are computed once per window and cached
(present leads only, float16), so epochs cost only the head.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch
from torch.utils.data import DataLoader, Dataset

from ...model.anyecg import AnyECG
from ...model.checkpoint import load_checkpoint, save_checkpoint
from ...model.device import choose_device
from ..data.corpus import Corpus
from ..loop import DistEnv, Trainer, TrainConfig
from ..tasks import get_task
from ..tasks.evaluation import TaskObjective, TrainingCancelled, make_dataset, predict
from .config import FinetuneConfig

log = logging.getLogger(__name__)

def _freeze(model: AnyECG, task: str, mode: str, last_layers: int) -> None:
    model.requires_grad_(False)
    model.heads[task].requires_grad_(True)
    if mode == "full":
        model.backbone.requires_grad_(True)
        model.backbone.mcp_head.requires_grad_(False)
    elif mode == "last":
        for block in model.backbone.transformer.blocks[-last_layers:]:
            block.requires_grad_(True)
        model.backbone.transformer.norm.requires_grad_(True)


class CachedHidden(Dataset):
    """Wraps a task dataset: every item is built once and kept with ``h`` (S, P, D), the frozen backbone's
    hidden states. Per-slot arrays are stored for the present slots only (float16); raw patches are dropped
    except for lead generation, whose head mixes the present leads' patches."""

    SLOT_ARRAYS = ("h", "beat_morph")

    def __init__(self, ds: Dataset, model: AnyECG, device: torch.device, batch_size: int = 64):
        self.n_slots = model.cfg.n_slots
        self.items: list[dict[str, torch.Tensor]] = []
        model.eval()
        with torch.no_grad():
            for batch in DataLoader(ds, batch_size=batch_size):
                b = {k: v.to(device) for k, v in batch.items()}
                lead = b["lead_mask"] | b.get("target_mask", b["lead_mask"])
                h = model.backbone(b["patches"], lead, b["patch_mask"], b.get("token_mask")).half().cpu()
                lead = lead.cpu()
                for i in range(h.shape[0]):
                    item = {k: v[i] for k, v in batch.items() if k != "patches" or "target" in batch}
                    item["h"] = h[i][lead[i]].clone()
                    if "beat_morph" in item:
                        item["beat_morph"] = item["beat_morph"].transpose(0, 1)[lead[i]].half().clone()
                    self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        item = dict(self.items[i])
        lead = item["lead_mask"] | item.get("target_mask", item["lead_mask"])
        h = torch.zeros((self.n_slots,) + tuple(item["h"].shape[1:]), dtype=torch.float32)
        h[lead] = item["h"].float()
        item["h"] = h
        if "beat_morph" in item:
            m = torch.zeros((self.n_slots,) + tuple(item["beat_morph"].shape[1:]), dtype=torch.float32)
            m[lead] = item["beat_morph"].float()
            item["beat_morph"] = m.transpose(0, 1).contiguous()
        return item


def load_without_head(directory: Path, head: str) -> AnyECG:
    """Load a checkpoint leaving out ``head`` and every head whose stored weights no longer fit the current
    head architecture (weights and config entries; a warning names them), e.g. to retrain heads from
    scratch after their design changed. The checkpoint itself is not modified."""
    import json
    import tempfile

    from safetensors.torch import load_file, save_file

    from ...model.config import ModelConfig

    meta = json.loads((Path(directory) / "config.json").read_text())
    state = load_file(str(Path(directory) / "model.safetensors"))
    fresh = AnyECG(ModelConfig.from_dict(meta["model"])).state_dict()
    drop = {head}
    for name in meta["model"]["heads"]:
        prefix = f"heads.{name}."
        mine = {k: v.shape for k, v in fresh.items() if k.startswith(prefix)}
        stored = {k: v.shape for k, v in state.items() if k.startswith(prefix)}
        if mine != stored:
            drop.add(name)
    stale = sorted(drop - {head})
    if stale:
        log.warning("%s: heads %s do not fit the current head design; they are left out", directory, stale)
    for name in drop:
        meta["model"]["heads"].pop(name, None)
    meta["weights_sha256"] = None
    state = {k: v for k, v in state.items() if not any(k.startswith(f"heads.{n}.") for n in drop)}
    with tempfile.TemporaryDirectory() as tmp:
        save_file(state, str(Path(tmp) / "model.safetensors"), metadata={"format": "anyecg-checkpoint"})
        (Path(tmp) / "config.json").write_text(json.dumps(meta))
        model = load_checkpoint(tmp)
    model.metadata = {k: v for k, v in meta.items() if k != "weights_sha256"}
    return model


def build_model(cfg: FinetuneConfig) -> AnyECG:
    if cfg.init is None:
        torch.manual_seed(cfg.seed)
        model = AnyECG.from_size(cfg.size)
    elif cfg.reset_head:
        model = load_without_head(cfg.init, cfg.task)
    else:
        model = load_checkpoint(cfg.init)
    if cfg.task not in model.heads:
        model.add_head(cfg.task, {"type": cfg.task})
    return model


def finetune(cfg: FinetuneConfig, on_epoch: Callable[[dict], None] | None = None,
             cancelled: Callable[[], bool] | None = None,
             on_predictions: Callable[[int, object], None] | None = None) -> dict:
    """Fine-tune ``cfg.task``; returns the best epoch's validation metrics (see module docstring)."""
    device = choose_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = build_model(cfg).to(device)
    _freeze(model, cfg.task, cfg.train, cfg.last_layers)
    corpus = Corpus(cfg.corpus)
    pcfg = model.preprocess_cfg
    train_ds = make_dataset(cfg.task, corpus, pcfg, ("train",), train=cfg.train != "head", seed=cfg.seed,
                            max_windows_per_record=cfg.max_windows_per_record)
    val_ds = make_dataset(cfg.task, corpus, pcfg, ("val",), seed=cfg.seed,
                          max_windows_per_record=cfg.max_windows_per_record)
    weights = get_task(cfg.task).class_weights(train_ds)
    head = model.heads[cfg.task]
    new_covariance = hasattr(head, "fit_covariance") and not bool(head.lead_cov.any())
    if new_covariance:  # a new lead-generation head
        n = head.fit_covariance((item["target"], item["lead_mask"] | item["target_mask"]) for item in train_ds)
        log.info("lead covariance fitted on %d complete 12-lead training windows", n)
    if cfg.train == "head":
        log.info("caching frozen backbone states for %d + %d windows", len(train_ds), len(val_ds))
        train_ds = CachedHidden(train_ds, model, device)
        val_ds = CachedHidden(val_ds, model, device)
    objective = TaskObjective(model, cfg.task, weights, cancelled)
    tcfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
                       warmup_steps=20, max_steps_per_epoch=cfg.max_steps_per_epoch)
    best: dict = {"score": -float("inf")}
    t0 = time.perf_counter()

    def epoch_end(epoch: int, step: int, metrics: dict) -> None:
        val, pred = predict(model, cfg.task, val_ds, cfg.batch_size, str(device))
        if on_predictions is not None:  # the training panel's before/after view (epoch, Predictions or pairs)
            on_predictions(epoch, pred)
        model.train()
        row = {"epoch": epoch, "step": step, "train_loss": metrics.get("train/loss"),
               "val": val, "elapsed_s": round(time.perf_counter() - t0, 1)}
        score = val.get(get_task(cfg.task).selection_metric, float("nan"))
        if score == score and score > best["score"]:
            best.update(score=score, epoch=epoch, val=val)
            save_checkpoint(model, cfg.out, _metadata(model, cfg, best))
        log.info("epoch %d: %s", epoch, {k: round(v, 4) if isinstance(v, float) else v for k, v in val.items()})
        if on_epoch is not None:
            on_epoch(row)

    trainer = Trainer(objective, train_ds, tcfg, cfg.out / "trainer", env=DistEnv(device=device),
                      on_epoch_end=epoch_end)
    if new_covariance and not cfg.resume:
        # "epoch 0" is the covariance's conditional mean alone (the correction starts at zero): the
        # learnt correction is kept only from an epoch that beats it on validation
        epoch_end(0, 0, {})
    try:
        trainer.fit(resume=cfg.resume)
    except TrainingCancelled:
        log.info("cancelled after epoch %d; resume with resume=True", trainer.epoch)
        best["cancelled"] = True
    if "epoch" not in best:  # no epoch finished with a finite score: keep the last weights anyway
        save_checkpoint(model, cfg.out, _metadata(model, cfg, best))
    return best


def _metadata(model: AnyECG, cfg: FinetuneConfig, best: dict) -> dict:
    meta = dict(getattr(model, "metadata", {}) or {})
    training = dict(meta.get("training", {}))
    c = asdict(cfg)
    c.update(out=str(cfg.out), init=None if cfg.init is None else str(cfg.init), corpus=str(cfg.corpus))
    training[f"finetune_{cfg.task}"] = {"config": c, "best_epoch": best.get("epoch"), "val": best.get("val")}
    out = {"training": training}
    for key in ("metrics", "label_vocabularies", "name", "model_version", "anomaly_threshold"):
        if key in meta:
            out[key] = meta[key]
    out.update(cfg.extra_metadata)
    return out
