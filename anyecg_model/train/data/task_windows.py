"""Torch datasets over the corpus cache, each item a batch-dict entry (see the model core's contract).

Every item has ``patches`` (S, P, L) float32, ``lead_mask`` (S,) bool, ``patch_mask`` (P,) bool, ``age``
and ``sex`` (float32, NaN unknown) plus the task's own fields. Windows are :data:`WINDOW_S` seconds of
the corpus (300 Hz), preprocessed exactly as at inference by
:func:`anyecg_model.signal.preprocess.preprocess`. A window that cannot be preprocessed (flat, all
NaN) comes back with every lead masked so losses ignore it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from ...signal.preprocess import PreprocessError, preprocess
from ...vocabulary.beat_inputs import beat_fields, rhythm_features, rr_features
from ...vocabulary.leads import STANDARD_LEADS
from ...vocabulary.model_input import MAX_BEATS, WINDOW_S, PreprocessConfig
from .corpus import Corpus, corpus_peaks

log = logging.getLogger(__name__)

#: Leads given to lead generation in the "V1–V6 from I and II" protocol.
LIMB_INPUT = ("I", "II")
CHEST = ("V1", "V2", "V3", "V4", "V5", "V6")


@dataclass
class Window:
    """One window of one record: ``record`` index into ``Corpus.records``, ``start`` sample, length ``n``."""

    record: int
    start: int
    n: int


def windows_of(corpus: Corpus, recs: list[int], window_s: float = WINDOW_S, min_s: float = 5.0) -> list[Window]:
    """Non-overlapping windows covering each record; a tail shorter than ``min_s`` is dropped unless the
    record has no other window."""
    n = int(window_s * corpus.fs)
    out = []
    for i in recs:
        length = corpus.records[i].length
        starts = list(range(0, max(1, length - int(min_s * corpus.fs) + 1), n)) or [0]
        out += [Window(i, s, min(n, length - s)) for s in starts]
    return out


def add_electrode_noise(sig: np.ndarray, noise: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Add a random NSTDB baseline-wander or muscle-artefact segment at a random SNR (0–18 dB)."""
    kind = noise["bw" if rng.random() < 0.5 else "ma"]
    n = sig.shape[1]
    start = int(rng.integers(0, kind.shape[1] - n))
    seg = kind[rng.integers(0, kind.shape[0]), start:start + n]
    p_sig = np.mean(sig ** 2, axis=1, keepdims=True) + 1e-8
    p_noise = np.mean(seg ** 2) + 1e-8
    snr_db = rng.uniform(0.0, 18.0)
    gain = np.sqrt(p_sig / p_noise / 10 ** (snr_db / 10))
    return (sig + gain * seg[None, :]).astype(np.float32)


class WindowDataset(Dataset):
    """Base: preprocessed windows with demography; subclasses add task fields in :meth:`extra`."""

    def __init__(self, corpus: Corpus, windows: list[Window], cfg: PreprocessConfig, window_s: float = WINDOW_S,
                 noise_p: float = 0.0, seed: int = 0):
        self.corpus, self.windows, self.cfg = corpus, windows, cfg
        self.n_patches = int(round(window_s * cfg.target_fs / cfg.patch_len))
        self.noise_p, self.seed, self.epoch = noise_p, seed, 0
        self._noise = corpus.noise() if noise_p > 0 else None

    def __len__(self) -> int:
        return len(self.windows)

    def _rng(self, idx: int) -> np.random.Generator:
        return np.random.default_rng((self.seed, self.epoch, idx))

    def signal(self, idx: int) -> np.ndarray:
        w = self.windows[idx]
        sig = self.corpus.signal(self.corpus.records[w.record], w.start, w.start + w.n)
        if self._noise is not None:
            rng = self._rng(idx)
            if rng.random() < self.noise_p:
                sig = add_electrode_noise(sig, self._noise, rng)
        return sig

    def prepared(self, sig: np.ndarray, leads: list[str]) -> dict[str, np.ndarray]:
        S, L = len(STANDARD_LEADS), self.cfg.patch_len
        try:
            prep = preprocess(sig, self.corpus.fs, leads, self.cfg).window(0, self.n_patches)
            return {"patches": prep.patches, "lead_mask": prep.lead_mask, "patch_mask": prep.patch_mask}
        except PreprocessError:
            return {"patches": np.zeros((S, self.n_patches, L), np.float32), "lead_mask": np.zeros(S, bool),
                    "patch_mask": np.zeros(self.n_patches, bool)}

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        w = self.windows[idx]
        rec = self.corpus.records[w.record]
        item = self.prepared(self.signal(idx), rec.leads)
        item["age"] = np.float32(np.nan if rec.age is None else rec.age)
        item["sex"] = np.float32(np.nan if rec.sex is None else rec.sex)
        item["record"] = np.int64(w.record)
        item.update(self.extra(idx, item))
        return {k: torch.as_tensor(v) for k, v in item.items()}

    def extra(self, idx: int, item: dict) -> dict:
        return {}


def record_indices(corpus: Corpus, sets, splits, need: str | None = None) -> list[int]:
    """Indices of records in ``sets`` and ``splits`` (and, with ``need``, a label ``need`` >= 0)."""
    return [i for i, r in enumerate(corpus.records) if r.set in sets and r.split in splits
            and (need is None or r.labels.get(need, -1) >= 0)]


class PretrainDataset(WindowDataset):
    """Windows of every set's non-test records, with electrode-noise augmentation."""

    def __init__(self, corpus: Corpus, cfg: PreprocessConfig, splits=("train", "val", "excluded"),
                 window_s: float = WINDOW_S, noise_p: float = 0.2, seed: int = 0):
        if "test" in splits:
            raise ValueError("pre-training must not see test-split records")
        recs = record_indices(corpus, ("mitdb", "cinc2017", "ptbxl500", "ludb"), splits)
        super().__init__(corpus, windows_of(corpus, recs, window_s), cfg, window_s, noise_p, seed)


class RecordLabelDataset(WindowDataset):
    """Windows labelled with their record's ``record_class`` (CinC) and ``anomaly`` (−1 unknown), plus
    ``rhythm_features`` from the record's detected R peaks inside the window."""

    def __init__(self, corpus: Corpus, cfg: PreprocessConfig, sets, splits, need: str, noise_p: float = 0.0,
                 seed: int = 0, max_windows_per_record: int | None = None):
        recs = record_indices(corpus, sets, splits, need)
        windows = windows_of(corpus, recs)
        if max_windows_per_record is not None:  # a seeded choice of windows per record (CPU budget)
            rng = np.random.default_rng(seed)
            by_rec: dict[int, list[Window]] = {}
            for w in windows:
                by_rec.setdefault(w.record, []).append(w)
            windows = [ws[i] for ws in by_rec.values()
                       for i in sorted(rng.permutation(len(ws))[:max_windows_per_record])]
        super().__init__(corpus, windows, cfg, WINDOW_S, noise_p, seed)
        sets = tuple(s for s in sets if any(r.set == s for r in corpus.records))  # a user corpus may lack one
        self._peaks = {s: corpus_peaks(corpus, s) for s in sets}
        self._set_start = {s: next(i for i, r in enumerate(corpus.records) if r.set == s) for s in sets}

    def window_peaks(self, idx: int) -> np.ndarray:
        w = self.windows[idx]
        rec = self.corpus.records[w.record]
        p = self._peaks[rec.set]
        k = w.record - self._set_start[rec.set]
        peaks = p["peaks"][p["offsets"][k]:p["offsets"][k + 1]]
        return peaks[(peaks >= w.start) & (peaks < w.start + w.n)] - w.start

    def extra(self, idx: int, item: dict) -> dict:
        rec = self.corpus.records[self.windows[idx].record]
        return {"rhythm_features": rhythm_features(self.window_peaks(idx), self.corpus.fs),
                "record_class": np.int64(rec.labels.get("record_class", -1)),
                "anomaly": np.float32(rec.labels.get("anomaly", -1))}


class BeatDataset(WindowDataset):
    """MIT-BIH windows with the reference beats inside: ``beat_patch``, ``beat_rr``, ``beat_morph``,
    ``beat_mask``, ``beat_label`` (AAMI class index, −1 padding). RR features use the whole record's
    reference beats."""

    def __init__(self, corpus: Corpus, cfg: PreprocessConfig, splits, noise_p: float = 0.0, seed: int = 0):
        recs = record_indices(corpus, ("mitdb",), splits)
        super().__init__(corpus, windows_of(corpus, recs), cfg, WINDOW_S, noise_p, seed)
        lab = corpus.labels("mitdb")
        first = next(i for i, r in enumerate(corpus.records) if r.set == "mitdb")
        self._beats = {}
        for i in recs:
            sel = lab["beat_record"] == i - first
            samples = lab["beat_sample"][sel]
            self._beats[i] = (samples, lab["beat_class"][sel].astype(np.int64), rr_features(samples, corpus.fs))

    def extra(self, idx: int, item: dict) -> dict:
        w = self.windows[idx]
        samples, classes, rr = self._beats[w.record]
        sel = np.flatnonzero((samples >= w.start) & (samples < w.start + w.n))[:MAX_BEATS]
        local = samples[sel] - w.start
        return beat_fields(item["patches"], local, rr[sel], classes[sel], self.cfg.patch_len)


class LeadGenDataset(WindowDataset):
    """12-lead windows (PTB-XL, LUDB) with some leads hidden: ``token_mask`` (S, P) marks the hidden
    slots' tokens, ``target`` (S, P, L) the true patches, ``target_mask`` (S,) the slots to rebuild.

    ``protocol``: ``"random"`` hides 1–6 random leads; ``"chest"`` gives I and II and hides V1–V6;
    ``"mixed"`` (training) draws either, one time in three the chest protocol.
    """

    def __init__(self, corpus: Corpus, cfg: PreprocessConfig, splits, protocol: str = "mixed", seed: int = 0,
                 sets=("ptbxl500", "ludb")):
        recs = record_indices(corpus, sets, splits)
        super().__init__(corpus, windows_of(corpus, recs), cfg, WINDOW_S, 0.0, seed)
        self.protocol = protocol

    def hidden_slots(self, idx: int, present: np.ndarray) -> np.ndarray:
        rng = self._rng(idx)
        chest = self.protocol == "chest" or (self.protocol == "mixed" and rng.random() < 1 / 3)
        hide = np.zeros(len(present), bool)
        if chest:
            hide[[STANDARD_LEADS.index(x) for x in CHEST]] = True
            keep = [STANDARD_LEADS.index(x) for x in LIMB_INPUT]
            hide |= ~np.isin(np.arange(len(present)), keep)
        else:
            k = int(rng.integers(1, 7))
            hide[rng.choice(np.flatnonzero(present), size=min(k, int(present.sum()) - 1), replace=False)] = True
        return hide & present

    def extra(self, idx: int, item: dict) -> dict:
        present = item["lead_mask"].copy()
        hide = self.hidden_slots(idx, present) if present.sum() > 1 else np.zeros_like(present)
        target = item["patches"].copy()
        item["patches"][hide] = 0.0
        item["lead_mask"] = present & ~hide  # the model sees only the leads it is given
        token_mask = np.repeat(hide[:, None], item["patches"].shape[1], axis=1)
        return {"target": target, "target_mask": hide, "token_mask": token_mask}
