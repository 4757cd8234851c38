"""Per-beat inputs of the fusion beat classifier, extracted once per MIT-BIH record into an ``.npz`` cache.

:class:`ReferenceBeatAnalyzer` runs the shipped analysis path (:class:`~anyecg_model.analysis.analyzer.Analyzer`:
300-s chunks with 10-s margins, preprocessing, 10-s windows through the frozen backbone) on the reference
beats of a record instead of detected ones, and keeps for every beat what the fusion head and the classical
baseline read: the beat head's penultimate activations and logits (``rep``), the clinical features of
:mod:`~anyecg_model.vocabulary.beat_context` (``clinical``), the window features of the shipped beat trees
(``window``: :func:`~anyecg_model.model.beat_trees.window_features`), and the
reference class (index into :data:`~anyecg_model.vocabulary.labels.BEAT_CLASSES`, paced beats ``P``; −1 for
beat codes outside the vocabulary). Cache files are numbers only and read with ``allow_pickle=False``.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from ..io.recording import Recording
from ..model.beat_fusion import beat_representation
from ..model.beat_trees import window_features
from ..vocabulary.labels import BEAT_CLASS, BEAT_CLASSES, BEAT_SYMBOLS
from .analyzer import Analyzer

log = logging.getLogger(__name__)

FIELDS = ("time_s", "label", "rep", "clinical", "window")


def reference_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(samples, class indices) of the ``atr`` beat annotations of a WFDB record (native rate)."""
    import wfdb

    ann = wfdb.rdann(str(path), "atr")
    sym = np.asarray(ann.symbol, object)
    keep = np.isin(sym, list(BEAT_SYMBOLS))
    labels = np.array([BEAT_CLASSES.index(BEAT_CLASS[s]) if s in BEAT_CLASS else -1 for s in sym[keep]], np.int64)
    return np.asarray(ann.sample, np.int64)[keep], labels


class ReferenceBeatAnalyzer(Analyzer):
    """The analyzer with the reference R peaks of the record being read, collecting per-beat inputs."""

    def __init__(self, model_dir=None, random_init_seed: int | None = None, **kw):
        super().__init__(model_dir, device="cpu", **kw)
        self.fusion, self.trees, self.clinical = None, None, True
        if random_init_seed is not None:  # the same architecture with untrained weights: the random-init row
            torch.manual_seed(random_init_seed)
            for m in self.model.modules():
                if hasattr(m, "reset_parameters") and m is not self.model:
                    m.reset_parameters()
        self.peaks: np.ndarray = np.zeros(0, np.int64)
        self.rows: list[dict] = []

    def _r_peaks(self, rec: Recording, lead: np.ndarray, seg0: float) -> np.ndarray:
        s0 = int(round(seg0 * rec.fs))
        p = self.peaks[(self.peaks >= s0) & (self.peaks < s0 + len(lead))]
        return (p - s0).astype(np.float64)

    def _chunk_inputs(self, *args, **kwargs) -> dict:
        """The analyzer's chunk inputs, each window's beat times carried as a last column of its clinical
        features: the per-window arrays the analyzer hands to :meth:`_beat_probabilities`, batch by batch."""
        inputs = super()._chunk_inputs(*args, **kwargs)
        inputs["beat_clinical"] = [np.column_stack([c, t]) for c, t in zip(inputs["beat_clinical"],
                                                                            inputs["beat_times"])]
        return inputs

    def _beat_probabilities(self, h, batch, clinical, morphology):
        hidden, logits = beat_representation(self.model.heads["beats"], h, batch)
        m = batch["beat_mask"].cpu().numpy()
        rep = torch.cat([hidden, logits], -1).float().cpu().numpy()[m]
        K = m.shape[1]
        clin = np.concatenate([c[:, :-1] for c in clinical]).astype(np.float32)
        times = np.concatenate([c[:, -1] for c in clinical])
        win = window_features(*(batch[k].cpu().numpy() for k in ("beat_rr", "beat_template", "beat_morph",
                                                                  "lead_mask")), m)
        self.rows.append({"time_s": times, "rep": rep, "clinical": clin, "window": win})
        return torch.softmax(logits, -1).float().cpu().numpy()[:, :K]

    def extract(self, recording: Recording, samples: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
        """Per-beat arrays (:data:`FIELDS`) of one recording with reference beats at ``samples`` (native)."""
        self.peaks, self.rows = np.asarray(samples, np.int64), []
        for _ in self.iter_analyze(recording, ("arrhythmia",)):
            pass
        out = {k: np.concatenate([r[k] for r in self.rows]) for k in ("time_s", "rep", "clinical", "window")}
        ref_t = samples / recording.fs
        j = np.clip(np.searchsorted(ref_t, out["time_s"]), 1, len(ref_t) - 1)
        j = np.where(np.abs(ref_t[j - 1] - out["time_s"]) < np.abs(ref_t[j] - out["time_s"]), j - 1, j)
        out["label"] = np.where(np.abs(ref_t[j] - out["time_s"]) < 0.05, labels[j], -1)
        order = np.argsort(out["time_s"], kind="stable")
        return {k: v[order] for k, v in out.items()}


def extract_mitdb(mitdb_dir: Path, out_dir: Path, records: list[str] | None = None, model_dir=None,
                  random_init_seed: int | None = None) -> list[Path]:
    """Write ``<out_dir>/<record>.npz`` for each MIT-BIH record (skipping those already there)."""
    from ..io import open_recording

    out_dir.mkdir(parents=True, exist_ok=True)
    records = records or sorted(p.stem for p in mitdb_dir.glob("*.hea"))
    analyzer = ReferenceBeatAnalyzer(model_dir, random_init_seed)
    paths = []
    for rec in records:
        path = out_dir / f"{rec}.npz"
        if not path.exists():
            samples, labels = reference_beats(mitdb_dir / rec)
            arrays = analyzer.extract(open_recording(str(mitdb_dir / f"{rec}.hea")), samples, labels)
            np.savez(path, **arrays)
            log.info("%s: %d beats", rec, len(arrays["label"]))
        paths.append(path)
    return paths


def load_cache(out_dir: Path, records) -> dict[str, dict[str, np.ndarray]]:
    """The cached arrays of ``records`` (numbers only, no pickle)."""
    out = {}
    for rec in records:
        with np.load(out_dir / f"{rec}.npz", allow_pickle=False) as z:
            out[rec] = {k: z[k] for k in z.files}
    return out
