"""The shared part of the record-labelled tasks (rhythm, anomaly): one label per record, windows of the record
each carry it, and record-level scores average the window outputs."""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..data.label_tables import RHYTHM_ALIASES
from .base import TrainingTask


class RecordTask(TrainingTask):
    """A task whose label belongs to the whole record (``label_key`` in the corpus index and the batch)."""

    #: the record label's key in a training cache's ``index.json`` and in a batch
    label_key: str = ""
    #: corpus sets the task reads by default
    sets: tuple[str, ...] = ()

    def dataset(self, corpus, cfg, splits, *, train=False, seed=0, protocol=None, sets=None,
                max_windows_per_record=None):
        from ..data.task_windows import RecordLabelDataset

        return RecordLabelDataset(corpus, cfg, sets or self.sets, splits, self.label_key,
                                  noise_p=0.2 if train else 0.0, seed=seed,
                                  max_windows_per_record=max_windows_per_record)

    def label_of_rhythm(self, rhythm: str) -> int:
        """Class index of the record whose longest rhythm is the CinC class ``rhythm`` (N, A, O, ~)."""
        raise NotImplementedError

    def label_from_store(self, store, sources, item):
        """The record class of the rhythm that covers the most samples among the store's episodes."""
        eps = store.episodes.select(np.isin(store.episodes["source"], sources))
        if len(eps) == 0:
            return
        cover: Counter = Counter()
        for start, stop, code in zip(eps["start"], eps["stop"], eps["code"]):
            cover[RHYTHM_ALIASES.get(str(code).upper(), "O")] += int(stop - start)
        item.label = self.label_of_rhythm(cover.most_common(1)[0][0])

    def cache_labels(self, item):
        return {self.label_key: item.label}

    def collect(self, out, batch):
        return batch[self.label_key].cpu().numpy(), self.window_scores(out).numpy(), batch["record"].cpu().numpy()

    def window_scores(self, out):
        """Per-window scores kept for evaluation (averaged per record)."""
        return out


def record_level(pred) -> tuple[np.ndarray, np.ndarray]:
    """Average window scores per record: (labels, scores) in record order."""
    recs = np.unique(pred.record)
    y = np.array([pred.y[pred.record == r][0] for r in recs])
    s = np.stack([pred.score[pred.record == r].mean(0) for r in recs])
    return y, s
