"""Ultra-long rhythm episodes: train and evaluate the GRU head over consecutive 10-s window features.

Training sequences: whole MIT-BIH training-split records (30 min = 180 windows, each labelled with the
episode label that covers most of it, from the reference rhythm annotations mapped by
:data:`~anyecg_model.vocabulary.labels.MITDB_RHYTHM_TO_EPISODE`) and CinC 2017 training records as short
sequences (N → NSR, A → AF, O → OTHER, ~ → NOISE). Window features come from the frozen backbone
(:meth:`UltraLongHead.window_features`), computed once. Evaluation runs the whole :class:`Analyzer`
on MIT-BIH DS2 records and scores episodes by overlap.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ...model.anyecg import AnyECG
from ...vocabulary.labels import EPISODE_LABELS, RECORD_CLASS_TO_EPISODE, RECORD_CLASSES
from ..data.corpus import Corpus
from ..data.task_windows import RecordLabelDataset, Window, windows_of

log = logging.getLogger(__name__)


class _SequenceWindows(RecordLabelDataset):
    """Windows of chosen records in time order, with rhythm features (peaks from the corpus cache)."""

    def __init__(self, corpus: Corpus, cfg, records: list[int], sets):
        super().__init__(corpus, cfg, sets, ("train", "val", "test", "excluded"), "none")
        self.windows = windows_of(corpus, records)


def window_labels(corpus: Corpus, windows: list[Window]) -> np.ndarray:
    """Episode label index per window: the label covering most of it (CinC: from the record class)."""
    lab = corpus.labels("mitdb")
    first = next(i for i, r in enumerate(corpus.records) if r.set == "mitdb")
    out = np.zeros(len(windows), np.int64)
    for k, w in enumerate(windows):
        rec = corpus.records[w.record]
        if rec.set == "cinc2017":
            out[k] = EPISODE_LABELS.index(RECORD_CLASS_TO_EPISODE[RECORD_CLASSES[rec.labels["record_class"]]])
            continue
        sel = lab["episode_record"] == w.record - first
        a, b, e = lab["episode_start"][sel], lab["episode_stop"][sel], lab["episode_label"][sel]
        cover = np.clip(np.minimum(b, w.start + w.n) - np.maximum(a, w.start), 0, None)
        out[k] = int(e[np.argmax(cover)]) if cover.size and cover.max() > 0 else EPISODE_LABELS.index("NSR")
    return out


@torch.no_grad()
def window_features(model: AnyECG, ds: _SequenceWindows, batch_size: int = 64) -> torch.Tensor:
    model.eval()
    feats = []
    for batch in DataLoader(ds, batch_size=batch_size):
        h = model.backbone(batch["patches"], batch["lead_mask"], batch["patch_mask"])
        feats.append(model.heads["ultralong"].window_features(h, batch))
    return torch.cat(feats)


def train_ultralong(model: AnyECG, corpus: Corpus, epochs: int = 8, lr: float = 2e-3, seed: int = 0,
                    cinc_records: int = 800) -> dict:
    """Fit the ``ultralong`` head in place; returns training statistics."""
    if "ultralong" not in model.heads:
        model.add_head("ultralong", {"type": "ultralong"})
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    mit = [i for i, r in enumerate(corpus.records) if r.set == "mitdb" and r.split in ("train", "val")]
    cinc = [i for i, r in enumerate(corpus.records) if r.set == "cinc2017" and r.split == "train"]
    cinc = sorted(rng.choice(cinc, min(cinc_records, len(cinc)), replace=False).tolist())
    ds = _SequenceWindows(corpus, model.preprocess_cfg, mit + cinc, ("mitdb", "cinc2017"))
    feats = window_features(model, ds)
    labels = torch.as_tensor(window_labels(corpus, ds.windows))
    rec_of = np.array([w.record for w in ds.windows])
    seqs = [(feats[rec_of == r], labels[rec_of == r]) for r in mit + cinc]
    counts = torch.bincount(labels, minlength=len(EPISODE_LABELS)).float()
    weight = torch.where(counts > 0, (counts.sum() / (counts + 1)).sqrt(), torch.zeros_like(counts))
    weight = weight / weight[counts > 0].mean()
    head = model.heads["ultralong"].train()
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    for epoch in range(epochs):
        order = rng.permutation(len(seqs))
        total = 0.0
        for k in order:
            x, y = seqs[k]
            logits, _ = head(x[None])
            loss = F.cross_entropy(logits[0], y, weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        log.info("ultralong epoch %d loss %.4f", epoch, total / len(seqs))
    head.eval()
    return {"windows": len(ds), "mitdb_records": len(mit), "cinc_records": len(cinc), "epochs": epochs,
            "label_counts": {EPISODE_LABELS[i]: int(c) for i, c in enumerate(counts)},
            "wall_time_s": round(time.perf_counter() - t0, 1)}
