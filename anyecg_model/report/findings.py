"""What a report says about a recording: the model's findings or, failing that, the file's own labels.

:class:`ReportFindings` is built either from the ``anyecg analyze`` JSON (issue 5 schema) with
:meth:`ReportFindings.from_analysis`, or from the reference annotations stored in the file with
:meth:`ReportFindings.from_annotations`. ``source`` says which one a report used. Times are in s.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import numpy as np

from ..io import Recording
from ..vocabulary.labels import BEAT_CLASS, BEAT_CLASSES, RHYTHM_NAMES, is_af
from ..vocabulary.lead_map import canonical_lead_name

#: Rhythm labels that mean sinus / normal rhythm (left out of the episode table of a Holter summary).
NORMAL_RHYTHM_LABELS = frozenset({"N", "NSR", "SR", "NORM", "NORMAL", "SINUS"})


@dataclass(frozen=True)
class Episode:
    """A rhythm episode from ``start_s`` to ``end_s`` (s) with its label and confidence (None when manual)."""

    start_s: float
    end_s: float
    label: str
    confidence: float | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def is_af(self) -> bool:
        return is_af(self.label)

    @property
    def name(self) -> str:
        """Readable rhythm name (the label itself when unknown)."""
        return RHYTHM_NAMES.get(self.label.upper(), self.label)

    @property
    def is_normal(self) -> bool:
        return self.label.upper() in NORMAL_RHYTHM_LABELS


@dataclass(frozen=True)
class ReportFindings:
    """Beats, rhythm episodes and model verdicts to print, with the source they came from.

    ``source`` is ``"model"``, ``"annotations"`` or ``"none"``; ``source_text`` is the sentence the
    report prints about it. Beat labels are AAMI classes (N, S, V, F, Q); ``beat_confidence`` is NaN
    for reference labels.
    """

    source: str
    source_text: str
    beat_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    beat_label: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    beat_confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    episodes: tuple[Episode, ...] = ()
    record_class: tuple[str, float | None] | None = None
    #: the record-level rhythm verdict of a short recording: ``(label, confidence, note or None)``
    rhythm_verdict: tuple[str, float | None, str | None] | None = None
    anomaly: tuple[float, str] | None = None
    #: why the anomaly head did not judge the file (outside the lead set it was trained on), else None
    anomaly_not_assessed: str | None = None
    anomaly_windows: tuple[tuple[float, float, float], ...] = ()
    #: stretches the signal-quality gate found unreadable, ``(start_s, end_s, reason, lead)`` (lead "" when not
    #: known): no finding inside
    unreadable: tuple[tuple[float, float, str, str], ...] = ()
    model: Mapping[str, Any] | None = None
    generated_leads: tuple[str, ...] = ()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def none(cls) -> "ReportFindings":
        return cls("none", "No findings: no model was run and the file carries no beat or rhythm labels.")

    @classmethod
    def from_annotations(cls, recording: Recording) -> "ReportFindings":
        """Beats (classes via ``BEAT_CLASS``, paced ``/`` and ``f`` as P; other beat codes count as Q) and rhythm episodes of the file."""
        ann = recording.annotations
        beats = ann.beats()
        episodes = tuple(Episode(s / recording.fs, e / recording.fs, lab)
                         for s, e, lab in ann.rhythm_episodes(recording.n_samples))
        if len(beats) == 0 and not episodes:
            return cls.none()
        labels = np.array([BEAT_CLASS.get(str(s), "Q") for s in beats.symbol], dtype=object)
        return cls(
            source="annotations",
            source_text="Reference annotations from the file (no model findings).",
            beat_time_s=beats.sample.astype(np.float64) / recording.fs,
            beat_label=labels,
            beat_confidence=np.full(len(beats), np.nan),
            episodes=episodes,
        )

    @classmethod
    def from_analysis(cls, data: Mapping[str, Any]) -> "ReportFindings":
        """Findings from an ``anyecg analyze`` JSON dict; raises ``ValueError`` naming a missing field.

        Sections that are ``null`` (task not run) are empty; an optional ``generated_leads`` list names
        leads the model generated.
        """
        try:
            model = dict(data["model"])
            # a section whose task was not run is null
            beats = list(data["beats"] or [])
            rhythm = data["rhythm"] or {}
            anomaly = data["anomaly"] or {}
            times = np.array([float(b["time_s"]) for b in beats], dtype=np.float64)
            labels = np.array([str(b["label"]) for b in beats], dtype=object)
            conf = np.array([_float_or_nan(b.get("confidence")) for b in beats], dtype=np.float64)
            episodes = tuple(Episode(float(e["start_s"]), float(e["end_s"]), str(e["label"]),
                                     _float_or_none(e.get("confidence")))
                             for e in rhythm.get("episodes") or [])
            rc = rhythm.get("record_class")
            record_class = None
            if rc and rc.get("label") is not None:
                probs = rc.get("probabilities") or {}
                record_class = (str(rc["label"]), _float_or_none(probs.get(rc["label"])))
            v = rhythm.get("verdict")
            verdict = None
            if v and v.get("label") is not None:
                verdict = (str(v["label"]), _float_or_none(v.get("confidence")),
                           None if v.get("note") is None else str(v["note"]))
            windows = tuple((float(w["start_s"]), float(w["end_s"]), float(w["score"]))
                            for w in anomaly.get("windows") or [])
            quality = data.get("signal_quality") or {}
            unreadable = tuple((float(u["start_s"]), float(u["end_s"]), str(u.get("reason", "")),
                                str(u.get("lead") or "")) for u in quality.get("unreadable") or [])
            anomaly_pair = None
            if anomaly.get("score") is not None:
                anomaly_pair = (float(anomaly["score"]), str(anomaly.get("label", "")))
            not_assessed = None
            if anomaly.get("label") == "not assessed":
                reason = re.sub(r"^\s*not assessed\s*[:—-]\s*", "", str(anomaly.get("reason") or ""))
                not_assessed = reason or "no reason given"
        except KeyError as exc:
            raise ValueError(f"findings JSON lacks the field {exc.args[0]!r} (anyecg analyze schema)") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"findings JSON is malformed: {exc}") from exc
        order = np.argsort(times, kind="stable")
        name = model.get("name", "AnyECG")
        version = model.get("version", "?")
        sha = str(model.get("sha256", ""))[:12]
        beats_by = str(model.get("beat_classifier") or "").split(" (sha256")[0]  # which classifier labelled the beats
        return cls(
            source="model",
            source_text=f"Model findings: {name} v{version}" + (f" (sha256 {sha})" if sha else "")
            + (f"; beat labels: {beats_by}" if beats_by else ""),
            beat_time_s=times[order],
            beat_label=labels[order],
            beat_confidence=conf[order],
            episodes=tuple(sorted(episodes, key=lambda e: e.start_s)),
            record_class=record_class,
            rhythm_verdict=verdict,
            anomaly=anomaly_pair,
            anomaly_not_assessed=not_assessed,
            anomaly_windows=windows,
            unreadable=unreadable,
            model=model,
            generated_leads=tuple(str(x) for x in data.get("generated_leads", []) or []),
        )

    # ------------------------------------------------------------------ summaries
    def beat_counts(self) -> dict[str, int]:
        """Beat class → number of beats, in the order N S V F Q P (other labels after)."""
        counts = Counter(str(x) for x in self.beat_label)
        ordered = {k: counts.pop(k, 0) for k in BEAT_CLASSES}
        ordered.update(sorted(counts.items()))
        return ordered

    def beats_between(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(time_s, label, confidence) of the beats in [t0, t1) s."""
        a, b = np.searchsorted(self.beat_time_s, [t0, t1])
        return self.beat_time_s[a:b], self.beat_label[a:b], self.beat_confidence[a:b]


_GENERATED = re.compile(r"^\s*generated(?: leads?)?\b[^:=]*[:=]\s*(.+)$", re.IGNORECASE)
#: Suffix of a generated lead's name in files the workstation writes (``V3_gen``).
GENERATED_SUFFIX = "_gen"


def generated_leads_from_comments(comments: list[str]) -> tuple[str, ...]:
    """Lead names a file declares as model-generated in its comments (``generated leads: V1, V2`` or
    ``generated leads (AnyECG model small, not measured): V1_gen V2_gen``)."""
    names: list[str] = []
    for line in comments:
        m = _GENERATED.match(str(line))
        if m:
            names += [canonical_lead_name(x) for x in re.split(r"[,;\s]+", m.group(1)) if x]
    return tuple(dict.fromkeys(names))


def with_generated_leads(findings: ReportFindings, recording: Recording, extra: Iterable[str] = ()) -> ReportFindings:
    """``findings`` whose ``generated_leads`` also list the leads the file declares generated (in its comments
    or by a ``_gen`` name) and ``extra``."""
    suffixed = [n for n in recording.lead_names if n.endswith(GENERATED_SUFFIX)]
    names = tuple(dict.fromkeys([*findings.generated_leads, *generated_leads_from_comments(recording.comments),
                                 *suffixed, *extra]))
    return findings if names == findings.generated_leads else replace(findings, generated_leads=names)


def _float_or_nan(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _float_or_none(x: Any) -> float | None:
    return None if x is None else float(x)
