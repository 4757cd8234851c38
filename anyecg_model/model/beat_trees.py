"""The shipped beat classifier: gradient-boosted trees over each beat's clinical and window features.

On MIT-BIH's inter-patient split (DS2) gradient boosting on the clinical beat features beat every neural beat
head of the project (docs/BENCHMARKS.md, issue 15), so when ``beat_trees.safetensors`` + ``beat_trees.json``
lie beside the backbone the analyzer takes each beat's class probabilities from them, over
:data:`~anyecg_model.vocabulary.labels.BEAT_CLASSES` (paced beats are ``P``). Its inputs, per beat:

- the 17 clinical features of :mod:`~anyecg_model.vocabulary.beat_context` (:data:`CLINICAL_FEATURES`), whose
  record-level context is the analysis chunk and its margins;
- 33 window features (:func:`window_features`): the beat head's RR inputs (6) and template inputs, the beat's
  waveform on the first present lead every 10th sample, and 3 QRS summaries (peak-to-peak, total variation,
  standard deviation of the whole beat);
- then, for trees whose JSON lists them after the 50, some of 8 extra inputs (:func:`extra_features`, in its
  order): the pacemaker-stimulus features of :mod:`~anyecg_model.vocabulary.pacing_spike` (on the file's own
  signal and rate, before band-pass and resampling) and the RR prematurity against the preceding beats of
  :mod:`~anyecg_model.vocabulary.beat_prematurity`. Trees with the 50 inputs alone (version 1.0) read none.

Trees of version 1.2 on read the inputs in mV (:func:`amplitude_columns`: the beat's waveform and its QRS
sizes) relative to the median QRS peak-to-peak of the 31 beats around each (:func:`relative_amplitude`; the
JSON's ``amplitude`` is :data:`RELATIVE`): other recorders write about half MIT-BIH's amplitude, and trees that
read millivolts lost fusion beats and VT runs there (docs/BENCHMARKS.md, issue 15). Every other input is a
ratio, a correlation, a duration or an RR quantity already.

Probabilities are ``softmax(raw / temperature)`` with the temperature fitted on validation records. The trees
are stored by :mod:`.boosted_trees` (safetensors + JSON with a SHA-256; never unpickled).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..vocabulary.beat_context import CLINICAL_FEATURES
from ..vocabulary.beat_prematurity import PREMATURITY_FEATURES, prematurity_features
from ..vocabulary.labels import BEAT_CLASSES
from ..vocabulary.leads import STANDARD_LEADS
from ..vocabulary.model_input import N_RR_FEATURES, N_TEMPLATE_FEATURES
from ..vocabulary.pacing_spike import PACING_FEATURES, pacing_features
from .boosted_trees import BoostedTrees, load_stored_trees, provenance, save_trees, stored_provenance

WEIGHTS, CONFIG = "beat_trees.safetensors", "beat_trees.json"
#: Provenance of beat labels when no trees are shipped: the backbone's own beat head.
BEAT_HEAD = "beat head"
#: Waveform samples of the beat kept as features (every 10th), and its QRS part (samples of the beat window).
MORPH_STEP, QRS = 10, slice(60, 105)
#: The model slot whose waveform the window features read when present: lead II (MIT-BIH's MLII). Before, the
#: first present slot: lead I on a 12-lead ECG, whose shape the trees never saw (PTB-XL: an LBBB ECG's 15 beats
#: all called V).
MORPH_SLOT = STANDARD_LEADS.index("II")


class BeatTreesError(ValueError):
    """The beat trees' files are corrupt, tampered with, or do not match this vocabulary."""


def window_features(beat_rr: np.ndarray, beat_template: np.ndarray, beat_morph: np.ndarray,
                    lead_mask: np.ndarray, beat_mask: np.ndarray) -> np.ndarray:
    """(N, 33) float32 window features of the masked beats of W windows (row order: window, then beat), from
    the windows' beat fields (:func:`~anyecg_model.vocabulary.beat_inputs.window_beat_fields`): ``beat_rr``
    (W, K, 6), ``beat_template`` (W, K, T), ``beat_morph`` (W, K, S, samples), ``lead_mask`` (W, S),
    ``beat_mask`` (W, K). The waveform is lead II's where the window has it (:data:`MORPH_SLOT`: the trees
    learnt on MIT-BIH's MLII), else the first present lead's."""
    lead = np.array([MORPH_SLOT if len(lm) > MORPH_SLOT and lm[MORPH_SLOT] else int(np.flatnonzero(lm)[0])
                     if lm.any() else 0 for lm in lead_mask], np.intp)
    seg = beat_morph[np.arange(len(lead)), :, lead][beat_mask]  # (N, samples) first present lead
    qrs = seg[:, QRS]
    extra = np.stack([np.ptp(qrs, 1), np.abs(np.diff(qrs, axis=1)).sum(1), seg.std(1)], 1)
    return np.concatenate([beat_rr[beat_mask], beat_template[beat_mask], seg[:, ::MORPH_STEP], extra],
                          1).astype(np.float32)


#: The ``amplitude`` of a trees JSON whose inputs in mV are read relative to the neighbouring beats
#: (:func:`relative_amplitude`).
RELATIVE = "relative to the median QRS peak-to-peak of the neighbouring beats"
#: Beats on each side of a beat whose median QRS peak-to-peak is its amplitude reference (about 20 s at 75 bpm).
NEIGHBOURS = 15


def amplitude_columns(names: list[str]) -> list[int]:
    """Indices of the inputs in mV among the classifier's input ``names`` (:func:`feature_names`): the QRS
    amplitude, the waveform samples and the three QRS summaries."""
    mv = {"qrs_amplitude_mv", "qrs_ptp", "qrs_total_variation", "beat_std"}
    return [i for i, n in enumerate(names) if n in mv or n.startswith("morph_")]


def amplitude_reference(ptp: np.ndarray, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Per beat, the median QRS peak-to-peak (mV) of the ``2 * neighbours + 1`` beats around it (beats in time
    order; the window slides inward at the ends; all beats when there are fewer)."""
    n, w = len(ptp), 2 * neighbours + 1
    if n <= w:
        return np.full(n, np.median(ptp) if n else 0.0, np.float32)
    med = np.median(np.lib.stride_tricks.sliding_window_view(ptp, w), axis=1)
    return med[np.clip(np.arange(n) - neighbours, 0, n - w)].astype(np.float32)


def relative_amplitude(x: np.ndarray, chunk: np.ndarray | None = None) -> np.ndarray:
    """The feature rows ``x`` (N, features in :func:`feature_names` order; rows in time order) with their
    inputs in mV divided by :func:`amplitude_reference` over the rows of the same analysis chunk (``chunk``: an
    id per row; None: all rows are one chunk's). A recorder's gain then changes no input, and neither does a
    change of amplitude a minute away (electrodes moved, another posture)."""
    x = np.array(x, np.float32)
    names = feature_names()
    cols, ptp = amplitude_columns(names), names.index("qrs_ptp")
    groups = np.zeros(len(x), np.intp) if chunk is None else np.unique(chunk, return_inverse=True)[1]
    scale = np.ones(len(x), np.float32)
    for g in np.unique(groups):
        m = np.flatnonzero(groups == g)
        scale[m] = np.maximum(amplitude_reference(x[m, ptp]), 1e-3)
    x[:, cols] /= scale[:, None]
    return x


#: Names of :func:`extra_features`' columns.
EXTRA_FEATURES: tuple[str, ...] = PACING_FEATURES + PREMATURITY_FEATURES


def extra_features(signal: np.ndarray, peaks: np.ndarray, fs: float,
                   rr_peaks: np.ndarray | None = None) -> np.ndarray:
    """(K, 8) float32 pacing-stimulus and RR-prematurity features of the R ``peaks`` (samples at ``fs`` Hz) of
    one context ``signal`` (S, n) in mV at the file's own rate (the analysed chunk and its margins); the
    prematurity reads ``rr_peaks`` instead when given (intervals across unreadable signal closed)."""
    return np.concatenate([pacing_features(signal, peaks, fs),
                           prematurity_features(peaks if rr_peaks is None else rr_peaks, fs)], 1)


def feature_names(n_window: int = 33, extra: tuple[str, ...] = ()) -> list[str]:
    """Names of the classifier's input columns: the clinical features, then the window features, then the
    ``extra`` ones (names of :data:`EXTRA_FEATURES`, in that order)."""
    n_morph = n_window - N_RR_FEATURES - N_TEMPLATE_FEATURES - 3
    return (list(CLINICAL_FEATURES) + [f"rr_{i}" for i in range(N_RR_FEATURES)]
            + [f"template_{i}" for i in range(N_TEMPLATE_FEATURES)] + [f"morph_{i}" for i in range(n_morph)]
            + ["qrs_ptp", "qrs_total_variation", "beat_std"] + list(extra))


@dataclass
class BeatTrees:
    """Trees, the beat class of each tree output (``classes``), the calibration temperature and the stored
    JSON (``meta``: recipe, features, version, metrics)."""

    trees: BoostedTrees
    classes: list[str]
    temperature: float
    meta: dict

    @property
    def extra_columns(self) -> list[int]:
        """Which columns of :func:`extra_features` the trees read after the 50 earlier inputs (none for trees
        of the 50 inputs alone)."""
        return [EXTRA_FEATURES.index(n) for n in self.meta.get("features", [])[len(feature_names()):]]

    @property
    def name(self) -> str:
        """Provenance of the labels (:func:`classifier_name` of the stored JSON)."""
        return classifier_name(self.meta)

    @property
    def relative(self) -> bool:
        """Whether the trees read the inputs in mV relative to the neighbouring beats (:func:`relative_amplitude`)."""
        return self.meta.get("amplitude") == RELATIVE

    def probabilities(self, x: np.ndarray, chunk: np.ndarray | None = None) -> np.ndarray:
        """(N, len(BEAT_CLASSES)) calibrated class probabilities of the feature rows ``x`` (N, features), in mV
        as :meth:`~anyecg_model.analysis.analyzer.Analyzer.tree_features` gives them; ``chunk``: the analysis
        chunk of each row (None: all rows are one chunk's; rows in time order), for trees that read amplitudes
        relative to the neighbouring beats."""
        if self.relative:
            x = relative_amplitude(x, chunk)
        z = self.trees.raw(x) / self.temperature
        z = z - z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        out = np.zeros((len(x), len(BEAT_CLASSES)), np.float32)
        out[:, [BEAT_CLASSES.index(c) for c in self.classes]] = p
        return out


def classifier_name(meta: dict) -> str:
    """:func:`~.boosted_trees.provenance` of a beat trees JSON."""
    return provenance(meta, "beat trees")


def beat_classifier_name(directory: str | Path) -> str:
    """The provenance of the beat labels a model folder gives, from its JSON alone (no weights read):
    :func:`classifier_name` of its beat trees, or :data:`BEAT_HEAD` when it has none or the JSON is unreadable
    (the analyzer then refuses the folder: :func:`load_beat_trees`)."""
    return stored_provenance(directory, CONFIG, "beat trees", BEAT_HEAD)


def save_beat_trees(trees: BoostedTrees, directory: str | Path, classes: list[str], temperature: float,
                    meta: dict) -> Path:
    """Write ``beat_trees.safetensors`` + ``beat_trees.json`` into ``directory``; returns the JSON path."""
    d = Path(directory)
    save_trees(trees, d / WEIGHTS, d / CONFIG, {**meta, "classes": list(classes), "temperature": float(temperature)})
    return d / CONFIG


def load_beat_trees(directory: str | Path) -> BeatTrees | None:
    """The beat trees stored in ``directory``, or None when it has none (no ``beat_trees.json``). Anything
    wrong (missing or tampered weights, a pickle, classes outside the vocabulary, a feature count that is
    not this module's) raises :class:`BeatTreesError`."""
    d = Path(directory)
    stored = load_stored_trees(d, WEIGHTS, CONFIG, BeatTreesError, "beat classifier")
    if stored is None:
        return None
    trees, meta = stored
    classes = meta.get("classes")
    if not isinstance(classes, list) or not classes or any(c not in BEAT_CLASSES for c in classes) \
            or len(classes) != trees.n_classes:
        raise BeatTreesError(f"{d / CONFIG}: classes {classes} do not match the trees or {list(BEAT_CLASSES)}")
    names, base = meta.get("features"), feature_names()
    extra = names[len(base):] if isinstance(names, list) else []
    if not isinstance(names, list) or names[:len(base)] != base or trees.n_features > len(names) \
            or [n for n in EXTRA_FEATURES if n in extra] != extra:
        raise BeatTreesError(f"{d / CONFIG}: its features are not this version's {len(base)} inputs (and of "
                             f"{list(EXTRA_FEATURES)}, some, in that order)")
    if meta.get("amplitude", RELATIVE) != RELATIVE:
        raise BeatTreesError(f"{d / CONFIG}: amplitude {meta['amplitude']!r} is not {RELATIVE!r} or absent (mV)")
    t = meta.get("temperature", 1.0)
    if not isinstance(t, (int, float)) or not t > 0:
        raise BeatTreesError(f"{d / CONFIG}: temperature {t!r} is not a positive number")
    return BeatTrees(trees, classes, float(t), meta)
