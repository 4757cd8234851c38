"""Learn this patient: adapt the beat labels of one recording to the labels an annotator confirmed in it.

Per beat, patient-normalised features (:func:`beat_features`): RR prematurity against the patient's own local
and whole-record rhythm, the beat's shape (decimated unit-norm waveform per lead), QRS width, log amplitudes,
correlation with the record's dominant beat, its P-wave window's likeness to the dominant beat's (shape and
size, :func:`~.features.p_wave_likeness`) — all standardised over the recording's beats — plus, when given,
the inter-patient classifier's probabilities as a prior. A multinomial logistic layer
(:class:`PatientModel`) is fitted on the confirmed beats in well under a second, each class weighted by
``(n / (C · n_c)) ** balance`` (``balance`` 1 = fully balanced, 0 = the record's own prevalence). Each
unconfirmed beat then gets the product of the two experts, ``p ∝ p_patient^w · p_prior^(1 − w)``:

- ``w = exp(−(d / d₀)²)``, ``d`` the beat's distance to the nearest confirmed beat and ``d₀`` a multiple of
  the confirmed beats' own nearest-neighbour spacing: beats unlike anything confirmed (a new ectopic shape, a
  new prematurity) keep the inter-patient label instead of being forced into a class the annotator happened to
  label;
- ``w`` is at least ``1 − confidence`` of the prior's top class: where the inter-patient classifier is itself
  unsure, the patient's own beats decide even for novel beats;
- the patient layer's probabilities are floored (``floor / C`` per class) so a class the annotator has not
  confirmed yet stays reachable when the prior is sure of it;
- the prior's N calls are no surer than they were right on this patient: their confidence is capped at the share
  of the confirmed beats it called N that the annotator also called N (Laplace-smoothed). The inter-patient
  classifier hides ectopy under confident N calls (MIT-BIH 232: its APCs called N at 0.99), and where the
  annotator's first beats show it, those calls stop outweighing the patient layer. Only N: its V calls are
  reliable (V +P 0.95), and capping every class cost DS1 V Se 0.979 → 0.927 (DS1 with a DS2-trained prior: S Se
  0.386 → 0.397, jκ 0.848 → 0.850; then DS2 once: S Se 0.815 → 0.840, V 0.974 / 0.972 unchanged).

A call needs both experts' support near confirmed beats (a geometric, not arithmetic, mean), which removes
the inter-patient classifier's false S and V calls on beats shaped like confirmed N beats. Chosen on MIT-BIH DS1
with a prior trained on DS2 (docs/BENCHMARKS.md, issue 18).

The fitted model is plain arrays, saved with :meth:`PatientModel.save` as ``.npz`` (``allow_pickle=False``)
with the recording's annotation journal (:func:`adaptation_path`) and read back with :meth:`PatientModel.load`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..annotations.codes import AnnotationError
from ..annotations.journal import Journal
from ..io.recording import Recording
from ..vocabulary.labels import BEAT_CLASSES
from .features import p_wave_likeness, qrs_width_amplitude, rr_prematurity, shape_vectors
from .waves import BeatWaves, beat_waves

log = logging.getLogger(__name__)

N_CLASSES = len(BEAT_CLASSES)
N = BEAT_CLASSES.index("N")
#: Format tag of the saved adaptation (/2: with the P-wave features; /3: with the cap on the prior's N calls; an
#: earlier file is learnt again).
FORMAT = "anyecg-patient-model/3"


@dataclass(frozen=True)
class AdaptConfig:
    """Logistic-layer strength ``c`` (inverse L2), class-weight exponent ``balance``, novelty scale ``novelty``
    (× the confirmed beats' median nearest-neighbour distance), the patient layer's probability ``floor``
    (spread over the classes), the most confirmed beats per class used for fitting, and the shape decimation."""

    c: float = 0.5
    balance: float = 1.0
    novelty: float = 3.0
    floor: float = 0.05
    max_per_class: int = 3000
    shape_step: int = 2
    seed: int = 0


def beat_features(bw: BeatWaves, times_s: np.ndarray, step: int = 2) -> np.ndarray:
    """(K, D) float32 patient-normalised features of beats at sorted ``times_s`` with waves ``bw``."""
    rr = rr_prematurity(times_s)
    shape = shape_vectors(bw)
    width, amp = qrs_width_amplitude(bw)
    n_leads = bw.waves.shape[1]
    unit = shape.reshape(len(shape), n_leads, -1) * np.sqrt(n_leads)  # unit norm per lead
    dominant = np.median(unit[:: max(1, len(unit) // 2000)], axis=0) if len(unit) else unit.sum(0)
    dominant /= np.linalg.norm(dominant, axis=-1, keepdims=True).clip(min=1e-6)
    corr = (unit * dominant[None]).sum(-1)  # (K, S) Pearson r with the record's dominant beat
    cols = [np.log(rr.clip(min=1e-3)), unit[..., ::step].reshape(len(unit), -1),
            width[:, None], np.log(amp.clip(min=0.02)), corr, p_wave_likeness(bw)]
    return np.concatenate(cols, axis=1).astype(np.float32)


def prior_from_labels(labels: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(K, C) probabilities over BEAT_CLASSES from top labels and their confidences (the rest spread evenly)."""
    labels = np.asarray(labels, np.int64)
    conf = np.nan_to_num(np.asarray(confidence, np.float32), nan=1.0).clip(0.2, 1.0)
    p = np.repeat(((1 - conf) / (N_CLASSES - 1))[:, None], N_CLASSES, axis=1)
    ok = labels >= 0
    p[np.flatnonzero(ok), labels[ok]] = conf[ok]
    p[~ok] = 1.0 / N_CLASSES
    return p


#: Distance blocks hold about this many entries (8 MB of float32). Fixed 8192-row blocks against the ~7,000
#: confirmed beats of the 24-h join made ~230-MB temporaries, page-faulted in and unmapped again per block: the
#: GUI thread stalled up to 97 ms while they ran in the learning thread (results are the same to the bit).
BLOCK_ENTRIES = 1 << 21


def _block_rows(n_ref: int) -> int:
    return max(1, BLOCK_ENTRIES // max(n_ref, 1))


def _nearest(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Distance of each row of ``x`` to its nearest row of ``ref`` (in blocks of :data:`BLOCK_ENTRIES`)."""
    out = np.empty(len(x), np.float32)
    rr = (ref ** 2).sum(1)
    step = _block_rows(len(ref))
    for b in range(0, len(x), step):
        xb = x[b:b + step]
        d2 = (xb ** 2).sum(1)[:, None] + rr[None] - 2.0 * xb @ ref.T
        out[b:b + step] = np.sqrt(d2.min(1).clip(min=0))
    return out


@dataclass
class PatientModel:
    """A fitted patient-specific layer: feature standardisation, class weights, and the novelty reference."""

    mean: np.ndarray  # (D,) over the recording's beats
    std: np.ndarray  # (D,)
    classes: np.ndarray  # (C,) indices into BEAT_CLASSES
    coef: np.ndarray  # (C, D [+ one prior column per class])
    intercept: np.ndarray  # (C,)
    reference: np.ndarray  # (N, D) standardised confirmed beats (novelty)
    d0: float
    uses_prior: bool
    config: AdaptConfig = AdaptConfig()
    #: the highest confidence the prior's N calls keep in the product (1: no cap; see the module docstring)
    prior_n_cap: float = 1.0

    @classmethod
    def fit(cls, features: np.ndarray, confirmed: np.ndarray, labels: np.ndarray, prior: np.ndarray | None = None,
            cfg: AdaptConfig = AdaptConfig()) -> "PatientModel":
        """Fit on all beats' ``features`` (K, D), the confirmed beat indices and their labels (0..4)."""
        confirmed = np.asarray(confirmed, np.int64)
        labels = np.asarray(labels, np.int64)
        if len(confirmed) == 0:
            raise ValueError("no confirmed beats to learn from")
        mean = features.mean(0)
        std = features.std(0).clip(min=1e-3)
        rng = np.random.default_rng(cfg.seed)
        keep = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: cfg.max_per_class]
                               for c in np.unique(labels)])
        idx, y = confirmed[keep], labels[keep]
        z = (features[idx] - mean) / std
        x = z if prior is None else np.concatenate([z, np.log(prior[idx].clip(min=1e-3))], axis=1)
        classes = np.unique(y)
        if len(classes) == 1:
            coef, icpt = np.zeros((1, x.shape[1])), np.zeros(1)
        else:
            from sklearn.linear_model import LogisticRegression  # ~1 s with scipy: on learning, not at viewer start

            counts = np.bincount(y, minlength=N_CLASSES)
            weights = {int(k): (len(y) / (len(classes) * counts[k])) ** cfg.balance for k in classes}
            lr = LogisticRegression(C=cfg.c, class_weight=weights, max_iter=300)
            lr.fit(x, y)
            coef, icpt = lr.coef_, lr.intercept_
            if len(classes) == 2:  # sklearn's binary form → two softmax rows
                coef, icpt = np.concatenate([-coef / 2, coef / 2]), np.array([-icpt[0] / 2, icpt[0] / 2])
        nn = _nearest_loo(z)
        d0 = cfg.novelty * float(np.median(nn)) if len(nn) else 1.0
        cap = 1.0
        if prior is not None:  # how often the prior's N calls among the confirmed beats were N (Laplace-smoothed)
            called_n = prior[confirmed].argmax(1) == N
            if called_n.any():  # no lower than prior_from_labels' floor, 0.2: N stays the prior's top class
                cap = max(0.2, float((np.sum(labels[called_n] == N) + 1) / (np.sum(called_n) + 2)))
        return cls(mean.astype(np.float32), std.astype(np.float32), classes.astype(np.int64), coef.astype(np.float32),
                   icpt.astype(np.float32), z.astype(np.float32), max(d0, 1e-3), prior is not None, cfg, cap)

    def predict_proba(self, features: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
        """(K, C) probabilities over BEAT_CLASSES: the patient layer alone without a prior; with one, the product
        of the patient layer and the prior weighted by the beat's likeness to confirmed beats and the prior's
        own doubt (module docstring)."""
        if self.uses_prior and prior is None:
            raise ValueError("this adaptation was fitted with the model's probabilities; pass them as prior")
        z = (features - self.mean) / self.std
        x = z if not self.uses_prior else np.concatenate([z, np.log(prior.clip(min=1e-3))], axis=1)
        logits = x @ self.coef.T + self.intercept
        logits -= logits.max(1, keepdims=True)
        p_cls = np.exp(logits)
        p_cls /= p_cls.sum(1, keepdims=True)
        local = np.zeros((len(z), N_CLASSES), np.float32)
        local[:, self.classes] = p_cls
        if prior is None:
            return local
        floor = self.config.floor
        local = (1 - floor) * local + floor / N_CLASSES
        prior = capped_n_calls(prior, self.prior_n_cap)
        w = np.exp(-(_nearest(z, self.reference) / self.d0) ** 2)
        w = np.maximum(w, 1 - prior.max(1))[:, None]
        log_p = w * np.log(local) + (1 - w) * np.log(prior.clip(min=1e-6))
        p = np.exp(log_p - log_p.max(1, keepdims=True))
        return (p / p.sum(1, keepdims=True)).astype(np.float32)

    def save(self, path: str | Path) -> Path:
        """Write the adaptation as an ``.npz`` of plain arrays (no pickle), creating its folder."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"format": FORMAT, "config": asdict(self.config), "uses_prior": self.uses_prior,
                           "d0": self.d0, "classes": [BEAT_CLASSES[c] for c in self.classes],
                           "prior_n_cap": self.prior_n_cap})
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, mean=self.mean, std=self.std, classes=self.classes, coef=self.coef,
                            intercept=self.intercept, reference=self.reference, meta=np.array(meta))
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "PatientModel":
        """Read an adaptation written by :meth:`save`; a file of another format is a ValueError."""
        with np.load(Path(path), allow_pickle=False) as z:
            try:
                meta = json.loads(str(z["meta"]))
                if str(meta.get("format", "")).startswith("anyecg-patient-model/") and meta["format"] != FORMAT:
                    raise ValueError(f"{path}: made by an earlier version ({meta['format']}); learn this patient "
                                     "again")
                if meta.get("format") != FORMAT:
                    raise ValueError(f"{path}: not an AnyECG patient adaptation ({meta.get('format')!r})")
                return cls(z["mean"], z["std"], z["classes"], z["coef"], z["intercept"], z["reference"],
                           float(meta["d0"]), bool(meta["uses_prior"]), AdaptConfig(**meta["config"]),
                           float(meta["prior_n_cap"]))
            except KeyError as exc:
                raise ValueError(f"{path}: adaptation file lacks {exc}") from exc


def capped_n_calls(prior: np.ndarray, cap: float) -> np.ndarray:
    """``prior`` (K, C) with the rows whose top class is N holding at most ``cap`` on N, the excess spread evenly
    over the other classes (``prior`` itself unchanged; returned as it is when nothing exceeds the cap)."""
    excess = np.where(prior.argmax(1) == N, prior[:, N] - cap, 0.0).clip(min=0.0)
    if not excess.any():
        return prior
    out = prior + (excess / (N_CLASSES - 1))[:, None]
    out[:, N] = prior[:, N] - excess
    return out


def _nearest_loo(z: np.ndarray) -> np.ndarray:
    """Each row's distance to its nearest other row (in blocks; a single row gives an empty array)."""
    if len(z) < 2:
        return np.zeros(0, np.float32)
    out = np.empty(len(z), np.float32)
    zz = (z ** 2).sum(1)
    step = _block_rows(len(z))
    for b in range(0, len(z), step):
        d2 = zz[b:b + step, None] + zz[None] - 2.0 * z[b:b + step] @ z.T
        d2[np.arange(len(d2)), np.arange(b, b + len(d2))] = np.inf
        out[b:b + step] = np.sqrt(d2.min(1).clip(min=0))
    return out


@dataclass
class Adaptation:
    """Result of :func:`adapt_recording`: new labels and confidences of every beat, the indices that changed."""

    labels: np.ndarray  # (K,) int8
    confidence: np.ndarray  # (K,) float32
    changed: np.ndarray  # beat indices whose label differs from the input labels
    confirmed: np.ndarray  # beat indices that carry a confirmed label
    model: PatientModel


def match_beats(times_s: np.ndarray, ref_times_s: np.ndarray,
                tolerance_s: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (beat index, reference index) of sorted ``times_s`` and ``ref_times_s`` nearest within ``tolerance_s``,
    one beat per reference at most."""
    t, r = np.asarray(times_s), np.asarray(ref_times_s)
    if len(t) == 0 or len(r) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i = np.searchsorted(t, r).clip(1, len(t) - 1) if len(t) > 1 else np.zeros(len(r), np.int64)
    left = (i - 1).clip(min=0)
    best = np.where(np.abs(t[left] - r) <= np.abs(t[i] - r), left, i)
    ok = np.abs(t[best] - r) <= tolerance_s
    bi, ri = best[ok], np.flatnonzero(ok)
    _, first = np.unique(bi, return_index=True)  # a beat claimed twice keeps its first reference
    return bi[first], ri[first]


def adapt_recording(recording: Recording, times_s: np.ndarray, labels: np.ndarray | None,
                    confidence: np.ndarray | None, confirmed_times_s: np.ndarray, confirmed_labels: np.ndarray,
                    cfg: AdaptConfig = AdaptConfig(), waves: BeatWaves | None = None) -> Adaptation:
    """Adapt the labels of the beats at sorted ``times_s`` (model ``labels``/``confidence`` or None) to the
    confirmed (time, label index) pairs; confirmed beats keep their label with confidence 1."""
    times = np.asarray(times_s, np.float64)
    bw = waves if waves is not None else beat_waves(recording, times)
    feats = beat_features(bw, times, cfg.shape_step)
    bi, ri = match_beats(times, np.asarray(confirmed_times_s, np.float64))
    if len(bi) == 0:
        raise ValueError("none of the confirmed labels falls on a beat of the recording")
    y = np.asarray(confirmed_labels, np.int64)[ri]
    prior = None if labels is None else prior_from_labels(labels, confidence if confidence is not None
                                                          else np.ones(len(times), np.float32))
    model = PatientModel.fit(feats, bi, y, prior, cfg)
    p = model.predict_proba(feats, prior)
    new = p.argmax(1).astype(np.int8)
    conf = p.max(1).astype(np.float32)
    new[bi], conf[bi] = y, 1.0
    old = np.full(len(times), -1, np.int8) if labels is None else np.asarray(labels, np.int8)
    return Adaptation(new, conf, np.flatnonzero(new != old), bi, model)


#: File name of a recording's saved adaptation, in its annotation journal's folder.
ADAPTATION_NAME = "patient-adaptation.npz"


def adaptation_path(recording: Recording) -> Path | None:
    """Where the adaptation of ``recording`` is kept: with its annotations' autosave journal, in the folder of its
    content hash (:meth:`~anyecg_model.annotations.journal.Journal.for_recording`), so it is found again whatever
    path the file is opened from and is never written beside the file (a shared data folder, a read-only disk).
    None for a recording with no file (path like ``<sinus>``) or whose content hash cannot key a journal: its
    adaptation is kept in memory only."""
    if recording.path.startswith("<"):
        return None
    try:
        return Journal.for_recording(recording.provenance.content_hash).directory / ADAPTATION_NAME
    except AnnotationError:
        return None
