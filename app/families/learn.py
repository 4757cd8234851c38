"""Learn this patient in the viewer: the model's pending suggestions adapt to the labels the annotator confirmed.

:func:`learn_from_store` reads the store (confirmed = reference, manual and accepted beat labels; unconfirmed =
pending model suggestions), fits the patient layer (:mod:`anyecg_model.families.adapt`) with the suggestions'
codes and confidences as the prior and returns the suggestions' new codes. :func:`apply_saved` re-labels new
suggestions with an adaptation saved beside the recording. Both run off the GUI thread; the caller writes the
result with ``EditController.set_suggestions`` (one undoable edit).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anyecg_model.annotations.suggestions import matched_labels
from anyecg_model.families.adapt import PatientModel, adapt_recording, beat_features, prior_from_labels
from anyecg_model.families.waves import beat_waves
from anyecg_model.vocabulary.labels import BEAT_CLASS, BEAT_CLASS_SYMBOL, BEAT_CLASSES, BEAT_SYMBOLS


@dataclass
class Relabelled:
    """New codes for the pending suggestions (base-rate ``sample``), what changed, and the fitted model."""

    sample: np.ndarray
    code: list[str]
    confidence: np.ndarray
    changed: dict[str, int]  # "N→V" → count
    model: PatientModel


#: AAMI class index of each MIT-BIH beat code.
CLASS_INDEX: dict[str, int] = {code: BEAT_CLASSES.index(cls) for code, cls in BEAT_CLASS.items()}


def class_indices(codes) -> np.ndarray:
    """AAMI class index (int8, −1: not a beat code) of MIT-BIH ``codes``, by dictionary look-up in a Python loop
    (6 ms for the 24-h join's 109,494 beats, the interpreter lock passed on every few ms). Not ``np.unique``:
    sorting an object array compares Python strings holding the lock for the whole sort (45 ms on the join, the
    GUI thread waiting)."""
    index = CLASS_INDEX.get
    return np.fromiter((index(c, -1) for c in np.asarray(codes, object).tolist()), np.int8, count=len(codes))


def _snapshot(store):
    """(label samples, label classes, suggestion samples, suggestion classes, suggestion confidences)."""
    b = store.beats
    is_beat = np.isin(b["code"], list(BEAT_SYMBOLS))
    lab = is_beat & store.label_mask()
    sug = is_beat & (b["source"] == "model")
    s_sample = b["sample"][sug].astype(np.int64)
    free = matched_labels(store, s_sample) < 0  # a suggestion on a labelled beat is already decided
    conf = b["confidence"][sug].astype(np.float32)[free]  # NaN: no confidence
    return (b["sample"][lab].astype(np.int64), class_indices(b["code"][lab]), s_sample[free],
            class_indices(b["code"][sug])[free], np.nan_to_num(conf, nan=0.5))


def _relabel(s_sample, old, p, model) -> Relabelled:
    new = p.argmax(1)
    changed: dict[str, int] = {}
    for a, b in zip(old[new != old], new[new != old]):
        key = f"{BEAT_CLASSES[a] if a >= 0 else '?'}→{BEAT_CLASSES[b]}"
        changed[key] = changed.get(key, 0) + 1
    codes = [BEAT_CLASS_SYMBOL[BEAT_CLASSES[k]] for k in new]
    return Relabelled(s_sample, codes, p.max(1).astype(np.float32), changed, model)


def _beats(l_sample, l_cls, s_sample, s_cls, s_conf):
    """All beats in time order: (samples, classes, confidences, index of each suggestion in that order)."""
    sample = np.concatenate([l_sample, s_sample])
    order = np.argsort(sample, kind="stable")
    cls = np.concatenate([l_cls, s_cls])[order]
    conf = np.concatenate([np.ones(len(l_sample), np.float32), s_conf])[order]
    where = np.empty(len(sample), np.int64)
    where[order] = np.arange(len(sample))
    return sample[order], cls, conf, where[len(l_sample):]


def learn_from_store(recording, store) -> Relabelled:
    """Fit on the confirmed labels, re-label the pending suggestions (ValueError when either is missing)."""
    l_sample, l_cls, s_sample, s_cls, s_conf = _snapshot(store)
    if not len(s_sample):
        raise ValueError("no pending model suggestions to re-label: analyse the recording first")
    if not len(l_sample):
        raise ValueError("no confirmed labels yet: accept, edit or relabel some beats first")
    sample, cls, conf, at = _beats(l_sample, l_cls, s_sample, s_cls, s_conf)
    t = sample / store.fs
    lab_mask = np.ones(len(sample), bool)
    lab_mask[at] = False
    res = adapt_recording(recording, t, cls, conf, t[lab_mask], cls[lab_mask])
    p = np.zeros((len(at), len(BEAT_CLASSES)), np.float32)
    p[np.arange(len(at)), res.labels[at]] = res.confidence[at]
    return _relabel(s_sample, s_cls, p, res.model)


def apply_saved(recording, store, model: PatientModel) -> Relabelled:
    """Re-label the pending suggestions with a saved adaptation (ValueError when there are none)."""
    l_sample, l_cls, s_sample, s_cls, s_conf = _snapshot(store)
    if not len(s_sample):
        raise ValueError("no pending model suggestions to re-label")
    sample, cls, conf, at = _beats(l_sample, l_cls, s_sample, s_cls, s_conf)
    t = sample / store.fs
    feats = beat_features(beat_waves(recording, t), t, model.config.shape_step)
    prior = prior_from_labels(cls, conf) if model.uses_prior else None
    p = model.predict_proba(feats[at], None if prior is None else prior[at])
    return _relabel(s_sample, s_cls, p, model)
