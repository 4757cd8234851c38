"""Lead generation: rebuild hidden leads of a 12-lead window from the leads it is given.

Data: PTB-XL and LUDB 12-lead windows with some leads hidden (:class:`~anyecg_model.train.data.task_windows.
LeadGenDataset`: 1–6 random leads, or V1–V6 from I and II; training mixes both). Loss: mean squared error of
the hidden leads' patches (mV²). Metrics per generated lead, min–max scaled by the true lead's range: PSNR
(dB), SSIM, MAE, and Pearson r on the raw signal (r picks the best epoch). A user's recording needs at least
two standard leads and no labels.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .base import HeadStage, TrainingTask, register_task


def _ssim_1d(a: np.ndarray, b: np.ndarray, win: int = 7) -> float:
    """Mean structural similarity of two 1-D signals scaled to [0, 1] (Gaussian-free box window)."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    k = np.ones(win) / win
    mu_a, mu_b = np.convolve(a, k, "valid"), np.convolve(b, k, "valid")
    va = np.convolve(a * a, k, "valid") - mu_a ** 2
    vb = np.convolve(b * b, k, "valid") - mu_b ** 2
    cov = np.convolve(a * b, k, "valid") - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (va + vb + c2))
    return float(np.mean(s))


def leadgen_metrics(pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """PSNR (dB), SSIM, MAE on each lead min–max scaled by the true lead's range, and Pearson r (raw)."""
    acc = defaultdict(list)
    for true, gen in pairs:
        lo, hi = true.min(), true.max()
        if hi - lo < 1e-6:
            continue
        t, g = (true - lo) / (hi - lo), np.clip((gen - lo) / (hi - lo), -1, 2)
        mse = float(np.mean((t - g) ** 2))
        acc["PSNR_dB"].append(10 * np.log10(1.0 / max(mse, 1e-12)))
        acc["SSIM"].append(_ssim_1d(t, g))
        acc["MAE"].append(float(np.mean(np.abs(t - g))))
        acc["r"].append(float(np.corrcoef(true, gen)[0, 1]) if np.std(gen) > 1e-9 else 0.0)
    out = {k: float(np.mean(v)) for k, v in acc.items()}
    out["n_leads"] = len(acc["MAE"])
    return out


@register_task
class LeadGenTask(TrainingTask):
    name = "leadgen"
    order = 40
    title = "lead generation"
    classes = ("leads",)
    classifies = False
    selection_metric = "r"
    cache_set = "ptbxl500"
    min_standard_leads = 2
    stage = HeadStage(epochs=40, lr=2e-3)

    def dataset(self, corpus, cfg, splits, *, train=False, seed=0, protocol=None, sets=None,
                max_windows_per_record=None):
        from ..data.task_windows import LeadGenDataset

        return LeadGenDataset(corpus, cfg, splits, protocol or ("mixed" if train else "random"), seed=seed,
                              sets=sets or ("ptbxl500", "ludb"))

    def examples(self, item):
        return np.zeros(1, np.int64)  # one unlabelled example per record: splits weigh records alike

    def outputs(self, model, batch):
        if "h" in batch:
            return model.heads[self.name](batch["h"], batch)
        h = model.backbone(batch["patches"], batch["lead_mask"] | batch["target_mask"], batch["patch_mask"],
                           batch["token_mask"])
        return model.heads[self.name](h, batch)

    def loss(self, out, batch, class_weights):
        m = batch["target_mask"][:, :, None, None] & batch["patch_mask"][:, None, :, None]
        err = (out - batch["target"])[m.expand_as(out)]
        loss = (err ** 2).mean() if err.numel() else out.sum() * 0
        return loss, {"mae_mv": err.abs().mean().detach() if err.numel() else loss.detach()}

    def collect(self, out, batch):
        """(true, generated) samples of every generated lead of the batch."""
        tm, pm, tgt = batch["target_mask"].cpu(), batch["patch_mask"].cpu(), batch["target"].cpu()
        pairs = []
        for b in range(out.shape[0]):
            n = int(pm[b].sum())
            for s in np.flatnonzero(tm[b].numpy()):
                pairs.append((tgt[b, s, :n].reshape(-1).numpy(), out[b, s, :n].reshape(-1).numpy()))
        return (pairs,)

    def summarise(self, parts):
        pairs = [p for (batch_pairs,) in parts for p in batch_pairs]
        return leadgen_metrics(pairs), pairs

    def metrics(self, pred):
        return leadgen_metrics(pred)

    def prediction_loss(self, pred):
        """Mean squared error (mV²) of the generated leads."""
        errs = [np.mean((t - g) ** 2) for t, g in pred]
        return float(np.mean(errs)) if errs else float("nan")
