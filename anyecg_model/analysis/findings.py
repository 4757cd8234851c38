"""`Findings`: what the model says about one recording, and its JSON form (``anyecg analyze --json``).

The JSON schema (every key always present; a section whose task was not run is ``null``)::

    {"record", "duration_s", "fs", "leads",
     "model": {"name", "version", "sha256", "beat_classifier", "anomaly_classifier",
               "rhythm_classifier"},
     "lead_mapping": {file lead: model lead}, "lead_assumed": [file lead], "lead_inverted": [file lead],
     "rhythm_lead": file lead,
     "anomaly": {"score", "label": "normal"|"abnormal"|"not assessed", "reason", "classifier",
                 "windows": [{"start_s", "end_s", "score"}]},
     "beats": [{"time_s", "label": "N"|"S"|"V"|"F"|"Q"|"P", "confidence"}],
     "rhythm": {"record_class": {"label": "N"|"A"|"O"|"~", "probabilities": {...}},
                "verdict": {"label": "N"|"A"|"O"|"~", "name": "normal"|"AF"|"other"|"noisy", "confidence",
                            "probabilities": {...}, "classifier", "af_episodes", "note"} | null,
                "episodes": [{"start_s", "end_s", "label", "confidence"}]},
     "signal_quality": {"unreadable": [{"start_s", "end_s", "reason": "flat"|"saturated"|"noisy"|"baseline"}],
                        "mains_hz": [Hz]},
     "summary": {"heart_rate_bpm": {"mean", "min", "max"}, "af_burden", "n_beats"}}

``rhythm.record_class`` is the backbone rhythm head's mean over the readable 10-s windows. ``rhythm.verdict`` is
the record-level rhythm of a short recording (at most the rhythm trees' ``max_duration_s``, 65 s: the CinC /
AliveCor / 10-s ECG use case; null for longer recordings, and without the rhythm trees): the fused classifier's
calibrated class (:class:`RhythmVerdict`). AF *episodes* still come only from the beat-level AF rule
(:mod:`.af`, AF lasting at least 30 s); the verdict never removes or adds one, and when the two disagree (an AF
verdict without an AF episode, e.g. in a recording shorter than 30 s, or AF episodes under a verdict that is not
AF) its ``note`` says so in words; ``af_episodes`` counts the AF/AFL episodes of the same findings. The record-level
classes know no paced rhythm: with 5 or more paced beats the note counts them ("paced rhythm: 10 of 10 beats paced").

``lead_mapping`` says which of the file's leads was analysed as which model lead (slot); ``lead_assumed`` lists
those whose slot is an approximation (``MLII`` as II, ``CM5`` as V5) or an assumption (a lead named ``ECG``
taken as the single rhythm lead), not the file's own statement or the user's choice; ``lead_inverted`` those
read upside down (``-aVR``, or a lead without a standard name whose QRS complexes point down:
:mod:`~anyecg_model.signal.polarity`); ``rhythm_lead`` is the
file lead R peaks were detected on, and ``rhythm_lead_replaced`` the stretches (whole analysis chunks) where it was
unreadable over a fifth or more and a cleaner lead carried the R peaks instead.

An anomaly head applied outside the lead set it was trained on says ``"not assessed"`` with a ``reason`` and a
null score. ``classifier`` names what scored it: the fused anomaly trees (12-lead recordings, when the model
ships them: :mod:`~anyecg_model.model.anomaly_trees`) or the ``anomaly head``. No beat, anomaly window or episode lies inside an unreadable span.

Beats are held columnar (numpy arrays), so a 24-hour Holter's 100 000 beats cost little; times are
seconds from the start of the recording.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..model.anomaly_trees import ANOMALY_HEAD, anomaly_classifier_name
from ..model.beat_trees import BEAT_HEAD, beat_classifier_name
from ..model.checkpoint_meta import read_metadata
from ..model.rhythm_trees import NO_RHYTHM_TREES, rhythm_classifier_name
from ..vocabulary.labels import BEAT_CLASS_SYMBOL, BEAT_CLASSES, RECORD_CLASSES


@dataclass(frozen=True)
class ModelInfo:
    """The checkpoint every finding names: its ``name``, ``version`` and weights' SHA-256, and the classifier
    that labelled the beats (``beat_classifier``: the beat trees' name, version and hash when the model ships
    them, else ``beat head``) and what scores anomaly on 12-lead recordings (``anomaly_classifier``: the fused
    anomaly trees' name, version and hash when the model ships them, else ``anomaly head``), and the record-level rhythm classifier (``rhythm_classifier``: the rhythm
    trees', else ``none``)."""

    name: str
    version: str
    sha256: str
    beat_classifier: str = BEAT_HEAD
    anomaly_classifier: str = ANOMALY_HEAD
    rhythm_classifier: str = NO_RHYTHM_TREES

    @classmethod
    def from_metadata(cls, meta: dict, model_dir: Path) -> "ModelInfo":
        """From a checkpoint's ``config.json`` (``name`` defaults to the folder's name) and the beat trees'
        anomaly and rhythm trees' JSON beside it, if any (read, not verified: the analyzer verifies the trees when it loads them)."""
        return cls(meta.get("name", model_dir.name), str(meta.get("model_version", "0")), meta.get("weights_sha256", ""),
                   beat_classifier_name(model_dir), anomaly_classifier_name(model_dir),
                   rhythm_classifier_name(model_dir))


def model_info(model_dir: Path) -> ModelInfo:
    """Name, version and weights hash from the checkpoint's ``config.json``: no weights loaded, no torch
    (the viewer and the report's cache look-up use it); :class:`~anyecg_model.model.checkpoint_meta.CheckpointError`
    when the folder holds no readable checkpoint."""
    return ModelInfo.from_metadata(read_metadata(model_dir), Path(model_dir))


@dataclass
class AnomalyWindow:
    start_s: float
    end_s: float
    score: float


@dataclass
class RhythmEpisode:
    """A stretch of one rhythm, [start_s, end_s) seconds, with the model's mean confidence."""

    start_s: float
    end_s: float
    label: str
    confidence: float


@dataclass(frozen=True)
class UnreadableSpan:
    """A stretch ``[start_s, end_s)`` (s) the signal-quality gate found unreadable, and why (``flat``,
    ``saturated``, ``noisy`` or ``baseline``: see :mod:`anyecg_model.signal.quality`)."""

    start_s: float
    end_s: float
    reason: str


#: Words of the record-level rhythm classes in a verdict.
VERDICT_NAMES: dict[str, str] = {"N": "normal", "A": "AF", "O": "other", "~": "noisy"}


@dataclass(frozen=True)
class RhythmVerdict:
    """The record-level rhythm of a short recording: ``label`` (N, A, O, ~), the calibrated ``probabilities`` of
    every class, the ``classifier`` that gave it, the AF/AFL episodes of the same findings (``af_episodes``) and a
    ``note`` when the two disagree or the verdict is a rule's, not the classifier's (None otherwise)."""

    label: str
    probabilities: dict[str, float]
    classifier: str
    af_episodes: int | None = None
    note: str | None = None

    @property
    def name(self) -> str:
        return VERDICT_NAMES[self.label]

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.label])

    def to_dict(self) -> dict:
        return {"label": self.label, "name": self.name, "confidence": _f(self.confidence),
                "probabilities": {k: _f(self.probabilities.get(k, 0.0)) for k in RECORD_CLASSES},
                "classifier": self.classifier, "af_episodes": self.af_episodes, "note": self.note}

    @classmethod
    def from_dict(cls, d: dict) -> "RhythmVerdict":
        """Inverse of :meth:`to_dict` (KeyError/ValueError when malformed)."""
        if d["label"] not in VERDICT_NAMES:
            raise ValueError(f"unknown verdict label {d['label']!r}")
        return cls(str(d["label"]), {k: float(v or 0.0) for k, v in dict(d["probabilities"]).items()},
                   str(d["classifier"]), None if d.get("af_episodes") is None else int(d["af_episodes"]),
                   d.get("note"))


@dataclass
class Beats:
    """Columnar beats: ``time_s`` (float64, s), ``label`` (int8 index into BEAT_CLASSES), ``confidence``."""

    time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    label: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.time_s)

    def symbols(self) -> list[str]:
        return [BEAT_CLASSES[i] for i in self.label]

    def wfdb_symbols(self) -> list[str]:
        """MIT-BIH beat codes of the labels (paced P is ``/``)."""
        return [BEAT_CLASS_SYMBOL[BEAT_CLASSES[i]] for i in self.label]

    def sorted(self) -> "Beats":
        order = np.argsort(self.time_s, kind="stable")
        return Beats(self.time_s[order], self.label[order], self.confidence[order])

    @classmethod
    def concat(cls, parts: list["Beats"]) -> "Beats":
        if not parts:
            return cls()
        return cls(np.concatenate([p.time_s for p in parts]), np.concatenate([p.label for p in parts]),
                   np.concatenate([p.confidence for p in parts])).sorted()


@dataclass
class Findings:
    """Everything one analysis produced. Sections are None when their task was not requested."""

    record: str
    duration_s: float
    fs: float
    leads: list[str]
    model: ModelInfo
    anomaly_score: float | None = None
    anomaly_windows: list[AnomalyWindow] | None = None
    beats: Beats | None = None
    record_class_probabilities: dict[str, float] | None = None
    episodes: list[RhythmEpisode] | None = None
    heart_rate_bpm: dict[str, float | None] = field(default_factory=lambda: {"mean": None, "min": None, "max": None})
    af_burden: float | None = None
    n_beats: int | None = None
    #: threshold on the anomaly probability for the "abnormal" label
    anomaly_threshold: float = 0.5
    #: file lead → model lead it was analysed as; the leads among them that were approximated or assumed
    lead_mapping: dict[str, str] = field(default_factory=dict)
    lead_assumed: list[str] = field(default_factory=list)
    rhythm_lead: str | None = None
    #: file leads read upside down: named so (``-aVR``), or without a standard name and with downward QRS complexes
    lead_inverted: list[str] = field(default_factory=list)
    #: (start s, end s, file lead) where another lead carried the R peaks because ``rhythm_lead`` was unreadable
    rhythm_lead_replaced: list[tuple[float, float, str]] = field(default_factory=list)
    #: why the anomaly head did not judge this recording (its score is then None)
    anomaly_not_assessed: str | None = None
    #: what scored the anomaly (the fused trees' name or ``anomaly head``; None when not scored)
    anomaly_classifier: str | None = None
    unreadable: list[UnreadableSpan] = field(default_factory=list)
    #: mains hum lines (Hz: 50 or 60 and harmonics) found and notched out before the analysis read the signal
    mains_hz: list[float] = field(default_factory=list)
    #: the record-level rhythm of a short recording (None: longer, not analysed, or no rhythm trees)
    rhythm_verdict: RhythmVerdict | None = None

    def unreadable_leads(self) -> list[str | None]:
        """Per :attr:`unreadable` span, the file lead the gate judged it on: the lead that carried the R peaks there
        (:attr:`rhythm_lead_replaced`), else :attr:`rhythm_lead` (None when unknown)."""
        if not self.rhythm_lead_replaced:
            return [self.rhythm_lead] * len(self.unreadable)
        swaps = sorted(self.rhythm_lead_replaced)
        starts = np.array([a for a, _, _ in swaps], np.float64)
        out: list[str | None] = []
        for u in self.unreadable:
            k = int(np.searchsorted(starts, u.start_s, side="right")) - 1
            out.append(swaps[k][2] if k >= 0 and u.start_s < swaps[k][1] else self.rhythm_lead)
        return out

    def lead_tags(self, name: str) -> str:
        """`` (assumed, upside down)`` and the like for file lead ``name``: taken on assumption or approximation,
        read inverted; empty without a tag."""
        tags = (["assumed"] if name in self.lead_assumed else []) + (["upside down"] if name in self.lead_inverted
                                                                      else [])
        return f" ({', '.join(tags)})" if tags else ""

    @property
    def anomaly_label(self) -> str | None:
        if self.anomaly_not_assessed is not None:
            return "not assessed"
        if self.anomaly_score is None:
            return None
        return "abnormal" if self.anomaly_score >= self.anomaly_threshold else "normal"

    @property
    def record_class(self) -> str | None:
        if not self.record_class_probabilities:
            return None
        return max(self.record_class_probabilities, key=self.record_class_probabilities.get)

    def to_dict(self) -> dict:
        anomaly = None
        if self.anomaly_not_assessed is not None:
            anomaly = {"score": None, "label": self.anomaly_label, "reason": self.anomaly_not_assessed,
                       "classifier": None, "windows": []}
        elif self.anomaly_score is not None:
            anomaly = {"score": _f(self.anomaly_score), "label": self.anomaly_label, "reason": None,
                       "classifier": self.anomaly_classifier,
                       "windows": [{"start_s": _f(w.start_s), "end_s": _f(w.end_s), "score": _f(w.score)}
                                   for w in self.anomaly_windows or []]}
        beats = None
        if self.beats is not None:
            beats = [{"time_s": round(float(t), 4), "label": BEAT_CLASSES[int(k)], "confidence": round(float(c), 4)}
                     for t, k, c in zip(self.beats.time_s, self.beats.label, self.beats.confidence)]
        rhythm = None
        if self.record_class_probabilities is not None or self.episodes is not None or self.rhythm_verdict is not None:
            rc = None
            if self.record_class_probabilities is not None:
                rc = {"label": self.record_class,
                      "probabilities": {k: _f(self.record_class_probabilities[k]) for k in RECORD_CLASSES}}
            rhythm = {"record_class": rc,
                      "verdict": None if self.rhythm_verdict is None else self.rhythm_verdict.to_dict(),
                      "episodes": None if self.episodes is None else [
                          {"start_s": _f(e.start_s), "end_s": _f(e.end_s), "label": e.label,
                           "confidence": _f(e.confidence)} for e in self.episodes]}
        return {
            "record": self.record,
            "duration_s": _f(self.duration_s),
            "fs": _f(self.fs),
            "leads": list(self.leads),
            "model": {"name": self.model.name, "version": self.model.version, "sha256": self.model.sha256,
                      "beat_classifier": self.model.beat_classifier,
                      "anomaly_classifier": self.model.anomaly_classifier,
                      "rhythm_classifier": self.model.rhythm_classifier},
            "lead_mapping": dict(self.lead_mapping),
            "lead_assumed": list(self.lead_assumed),
            "lead_inverted": list(self.lead_inverted),
            "rhythm_lead": self.rhythm_lead,
            "rhythm_lead_replaced": [{"start_s": _f(a), "end_s": _f(b), "lead": lead}
                                     for a, b, lead in self.rhythm_lead_replaced],
            "anomaly": anomaly,
            "beats": beats,
            "rhythm": rhythm,
            "signal_quality": {"unreadable": [{"start_s": _f(u.start_s), "end_s": _f(u.end_s), "reason": u.reason,
                                               "lead": lead}
                                              for u, lead in zip(self.unreadable, self.unreadable_leads())],
                               "mains_hz": [float(h) for h in self.mains_hz]},
            "summary": {"heart_rate_bpm": {k: _f(v) for k, v in self.heart_rate_bpm.items()},
                        "af_burden": _f(self.af_burden), "n_beats": self.n_beats},
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def _f(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)
