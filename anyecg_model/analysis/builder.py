"""`FindingsBuilder`: the one place where chunk results become :class:`~.findings.Findings`.

``anyecg analyze``, :meth:`Analyzer.analyze <.analyzer.Analyzer.analyze>`, the analysis process (findings cache)
and the viewer's streaming and finished views all merge chunk results here, so they show the same findings::

    builder = FindingsBuilder.for_recording(recording, model_info, tasks, FindingsRules.from_metadata(meta))
    for part in parts:            # ChunkResult, any order; a chunk given twice replaces itself
        builder.add(part)
    findings = builder.findings()  # at any time: the findings of the chunks so far

What is derived, from the merged (time-sorted) chunks:

- **Unreadable signal** (the chunks' signal-quality gate): its spans are listed; no beat, anomaly window, rhythm
  episode or heart rate is reported inside them.
- **Calibration**: the rhythm and anomaly probabilities are the checkpoint's temperature-calibrated ones
  (:mod:`~anyecg_model.model.calibration`); the anomaly threshold is moved with them, so "abnormal" is decided
  exactly as on the uncalibrated probability.
- **Anomaly**: per-window probabilities and the probability of the mean logit, only when the recording's leads include every lead the
  anomaly head was trained on (:attr:`FindingsRules.anomaly_leads`); otherwise "not assessed" with the reason.
  When every chunk carries the fused anomaly trees' log-odds (12-lead recordings of a model that ships them),
  those score the windows and the record, against the trees' own threshold
  (:attr:`FindingsRules.fused_anomaly_threshold`); ``Findings.anomaly_classifier`` says which scored it.
- **Rhythm episodes**: the episode head's windows give the other rhythms; AF/AFL comes at beat resolution from
  RR irregularity and the model together (:mod:`.af`); VT and SVTA come only from runs of ectopic beats,
  bigeminy and trigeminy only from N V / N N V patterns of the beat labels outside AF/AFL (:mod:`.ectopy`), laid
  over both at beat resolution (the head's windows of these labels only corroborate, :class:`~.episodes.RunRules`). A window
  episode of any other rhythm below ``RunRules.min_confidence`` is not reported as that rhythm (OTHER).
- **Record-level rhythm verdict** of a short recording (:mod:`~anyecg_model.model.rhythm_trees`, when the model
  ships them): the fused trees' calibrated N / A / O / ~ from :meth:`FindingsBuilder.rhythm_inputs`; AF
  episodes stay the beat-level rule's, and the verdict's note states any disagreement (:mod:`.findings`). A strip
  the verdict calls AF has its S calls read N, as inside an AF episode (CinC's AF strips had "AF" and 3-14
  supraventricular ectopic beats side by side).
- **Summary**: heart rate, beat count, AF burden (:func:`.episodes.af_burden`, the share of the readable
  analysed time in AF/AFL).

Beat labels and confidences are taken as the chunks give them (any beat classifier), except in a paced
recording: the N and V calls of a morphology family mostly called paced read P (:mod:`.paced_families`), once
the chunks cover the whole recording (the streamed findings of a paced 24-h Holter are not regrouped per chunk).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..model.anomaly_trees import ANOMALY_HEAD
from ..model.calibration import Calibration
from ..model.rhythm_trees import RhythmTrees
from ..signal.quality import UNREADABLE_REASONS, outside_unreadable, unreadable_share
from ..vocabulary.beat_context import CLINICAL_FEATURES
from ..vocabulary.lead_map import LeadMapping, map_leads
from ..vocabulary.labels import AF_EPISODE_LABELS, EPISODE_LABELS, RECORD_CLASSES
from .af import AfRules, af_episodes, readable_long_enough
from .chunks import TASKS, ChunkResult
from .ectopy import PATTERN_LABELS, ectopic_patterns
from .episodes import (NOT_RHYTHM_EVENTS, RUN_ONLY_LABELS, RunRules, af_burden, conducted_in_af,
                       ectopy_under_normal_verdict, episodes_from_windows, join_beatless_edges, lay_over, paced_beats,
                       regular_strip_s_calls, summarise, with_beat_runs)
from .findings import (VERDICT_NAMES, AnomalyWindow, Beats, Findings, ModelInfo, RhythmEpisode, RhythmVerdict,
                       UnreadableSpan)
from .paced_families import paced_by_family
from .rhythm_features import MIN_RR, RhythmInputs, measurable_rr, rhythm_features

#: Share of a short recording's analysed time the quality gate may find unreadable for the rhythm trees to judge
#: it; above it the verdict is "~" (noisy) by rule.
MAX_UNREADABLE_FOR_VERDICT = 0.5
#: The leads of the PTB-XL 12-lead ECGs the shipped anomaly head was trained on (10-s windows), for
#: checkpoints whose metadata names none (``anomaly_leads``).
TWELVE_LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


@dataclass(frozen=True)
class FindingsRules:
    """The thresholds that turn model outputs into findings, read from the checkpoint's metadata
    (:meth:`from_metadata`): ``anomaly_threshold`` (calibrated probability for "abnormal"), ``anomaly_leads`` (the
    lead set the anomaly head was trained and calibrated on), ``af`` (the AF detector, :class:`~.af.AfRules`),
    ``calibration`` (the rhythm and anomaly heads' temperatures), ``runs`` (confidence floors of VT/SVTA runs,
    :class:`~.episodes.RunRules`), ``rhythm`` (the record-level rhythm trees of short recordings, loaded by the
    analyzer beside the checkpoint; None: no verdict)."""

    anomaly_threshold: float = 0.5
    anomaly_leads: tuple[str, ...] = TWELVE_LEADS
    #: the fused anomaly trees' threshold on their calibrated probability (None: the model ships no trees)
    fused_anomaly_threshold: float | None = None
    #: the largest unreadable share of a 10-s window the anomaly model judges: it learnt from clean PTB-XL windows
    #: and a flat stretch moves its logit (a normal PTB-XL ECG with 4 of its 10 s lost read abnormal, p 0.05 ->
    #: 0.34); 5 of the 500 PTB-XL records have any unreadable signal, 3 more than 1 s
    anomaly_max_unreadable: float = 0.1
    #: a lead of the anomaly model buried in noise: 1-s blocks of more than ``anomaly_lead_noise_mv`` (mV RMS) over
    #: more than ``anomaly_max_lead_noise`` of a 10-s window leave the window unjudged. The rhythm lead's gate does
    #: not see the other leads, and Gaussian noise on one lead moved twelve normal PTB-XL ECGs by at most 0.05 at
    #: 0.3 mV but up to 0.15 -> 0.60 at 0.5 mV and 0.15 -> 0.85 at 1 mV (BENCHMARKS)
    anomaly_lead_noise_mv: float = 0.4
    anomaly_max_lead_noise: float = 0.5
    af: AfRules = field(default_factory=AfRules)
    calibration: Calibration = field(default_factory=Calibration)
    runs: RunRules = field(default_factory=RunRules)
    rhythm: RhythmTrees | None = field(default=None, compare=False)

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any]) -> "FindingsRules":
        af = {k: meta["af_rules"][k] for k in meta.get("af_rules", {}) if k in AfRules.__dataclass_fields__}
        if "turning_range" in af:
            af["turning_range"] = tuple(af["turning_range"])
        cal = Calibration.from_metadata(meta)
        # config.json's anomaly_threshold was chosen on the uncalibrated probability: moved to the calibrated one
        return cls(anomaly_threshold=cal.anomaly_threshold(float(meta.get("anomaly_threshold", 0.5))),
                   anomaly_leads=tuple(meta.get("anomaly_leads", TWELVE_LEADS)), af=AfRules(**af), calibration=cal)

    def anomaly_domain_problem(self, leads: Sequence[str]) -> str | None:
        """Why the anomaly head cannot judge a recording with ``leads`` (None when it can)."""
        from ..vocabulary.lead_map import standard_equivalent

        have = {standard_equivalent(n) or n for n in leads}
        missing = [n for n in self.anomaly_leads if n not in have]
        if not missing:
            return None
        return (f"not assessed: the anomaly model was trained on {len(self.anomaly_leads)}-lead ECGs "
                f"({', '.join(self.anomaly_leads)}); this recording lacks {', '.join(missing)}")


@dataclass(frozen=True)
class RecordInfo:
    """What the findings say about the recording itself: file name, length (s), rate (Hz), lead names, and how
    its leads were analysed (file lead → model lead, those approximated or assumed, the R-peak lead)."""

    record: str
    duration_s: float
    fs: float
    leads: tuple[str, ...]
    lead_mapping: Mapping[str, str] = field(default_factory=dict)
    lead_assumed: tuple[str, ...] = ()
    rhythm_lead: str | None = None
    lead_inverted: tuple[str, ...] = ()


class FindingsBuilder:
    """Merges :class:`~.chunks.ChunkResult` s (any order) into :class:`Findings` (see the module docstring)."""

    def __init__(self, info: RecordInfo, model: ModelInfo, tasks: Sequence[str] = TASKS,
                 rules: FindingsRules = FindingsRules()):
        self.info, self.model, self.tasks, self.rules = info, model, tuple(tasks), rules
        self.parts: dict[float, ChunkResult] = {}
        self._spans: list[tuple[float, float]] = []
        self._cached: Findings | None = None

    @classmethod
    def for_recording(cls, recording, model: ModelInfo, tasks: Sequence[str] = TASKS,
                      rules: FindingsRules = FindingsRules(),
                      lead_map: Mapping[str, str] | None = None,
                      leads: LeadMapping | None = None) -> "FindingsBuilder":
        """A builder for ``recording`` whose leads are mapped as the analysis maps them: ``leads`` (the
        analysis' :class:`~anyecg_model.vocabulary.lead_map.LeadMapping`, with the leads it read upside down), else
        ``lead_map`` (the user's choices) through :func:`~anyecg_model.vocabulary.lead_map.map_leads`."""
        leads = leads if leads is not None else map_leads(recording.lead_names, lead_map)
        rhythm = None if leads.rhythm_lead is None else leads.names[leads.rhythm_lead]
        inverted = tuple(leads.names[i] for i in sorted(leads.inverted))
        info = RecordInfo(Path(recording.path).name, float(recording.duration_s), float(recording.fs),
                          tuple(recording.lead_names), leads.by_name, tuple(leads.assumed), rhythm, inverted)
        return cls(info, model, tasks, rules)

    def add(self, part: ChunkResult) -> None:
        """Take one chunk's result; a chunk given again (e.g. recomputed on the CPU) replaces the first."""
        if part.start_s not in self.parts:
            bisect.insort(self._spans, (part.start_s, part.end_s))
        self.parts[part.start_s] = part
        self._cached = None

    def covers(self, t0: float, t1: float) -> bool:
        """True when the chunks received so far cover ``[t0, t1]`` s."""
        k = max(0, bisect.bisect_right(self._spans, (t0, float("inf"))) - 1)
        t = t0
        for a, b in self._spans[k:]:
            if a > t + 1e-6:
                break
            t = max(t, b)
        return t >= t1 - 1e-6

    def snapshot(self) -> "FindingsBuilder":
        """A builder of the chunks received so far that later :meth:`add` calls leave alone, so its
        :meth:`findings` can be built on another thread while chunks keep arriving."""
        copy = FindingsBuilder(self.info, self.model, self.tasks, self.rules)
        copy.parts, copy._spans = dict(self.parts), list(self._spans)
        return copy

    def findings(self) -> Findings:
        """The findings of the chunks received so far (cached until the next :meth:`add`)."""
        if self._cached is None:
            self._cached = self._build()
        return self._cached

    def rhythm_inputs(self) -> RhythmInputs:
        """The chunks received so far as the record-level rhythm features read them
        (:class:`~.rhythm_features.RhythmInputs`: R peaks, P waves, clinical features and beat classes outside
        unreadable signal, the gate's spans, the rhythm head's readable windows); the training of the rhythm trees
        calls this too, so it sees exactly what the product computes."""
        parts = sorted(self.parts.values(), key=lambda p: p.start_s)
        cat = _Concat(parts)
        ws, we = cat.array("window_start_s"), cat.array("window_end_s")
        bad_s, bad_code = cat.unreadable()
        readable_win = _outside(ws, we, bad_s)
        peaks = cat.array("r_peaks_s")
        keep = outside_unreadable(peaks, bad_s)
        p_wave = cat.array("p_wave")[keep] if parts and all(p.p_wave is not None for p in parts) else None
        clinical = None
        if parts and all(p.beat_clinical is not None for p in parts):
            clinical = np.concatenate([np.asarray(p.beat_clinical, np.float64).reshape(-1, len(CLINICAL_FEATURES))
                                       for p in parts])[keep]
        beats = Beats.concat([p.beats for p in parts if p.beats is not None]) \
            if any(p.beats is not None for p in parts) else None
        analysed = float(sum(b - a for a, b in self._spans))
        return RhythmInputs(peaks[keep], analysed, cat.array("record_class_prob", width=len(RECORD_CLASSES))[readable_win],
                            (we - ws)[readable_win], p_wave, clinical, _class_at(peaks[keep], beats), bad_s, bad_code)

    # ------------------------------------------------------------------ internals
    def _build(self) -> Findings:
        info, tasks = self.info, self.tasks
        parts = sorted(self.parts.values(), key=lambda p: p.start_s)
        f = Findings(record=info.record, duration_s=info.duration_s, fs=info.fs, leads=list(info.leads),
                     model=self.model, anomaly_threshold=self.rules.anomaly_threshold,
                     lead_mapping=dict(info.lead_mapping), lead_assumed=list(info.lead_assumed),
                     rhythm_lead=info.rhythm_lead, lead_inverted=list(info.lead_inverted))
        cat = _Concat(parts)
        ws, we = cat.array("window_start_s"), cat.array("window_end_s")
        bad_s, bad_code = cat.unreadable()
        f.mains_hz = sorted(set().union(*(p.mains_hz for p in parts)))
        f.unreadable = [UnreadableSpan(float(a), float(b), UNREADABLE_REASONS[int(c)])
                        for (a, b), c in zip(bad_s, bad_code)]
        for p in parts:  # neighbouring chunks on the same replacement lead are one stretch
            if p.rhythm_lead is None:
                continue
            last = f.rhythm_lead_replaced[-1] if f.rhythm_lead_replaced else None
            if last is not None and last[2] == p.rhythm_lead and abs(last[1] - p.start_s) < 1e-6:
                f.rhythm_lead_replaced[-1] = (last[0], float(p.end_s), last[2])
            else:
                f.rhythm_lead_replaced.append((float(p.start_s), float(p.end_s), p.rhythm_lead))
        readable_win = _outside(ws, we, bad_s)
        if "anomaly" in tasks:
            problem = self.rules.anomaly_domain_problem(list(info.lead_mapping.values()) or info.leads)
            if problem is not None:
                f.anomaly_not_assessed = problem
            else:
                judged = unreadable_share(ws, we, bad_s) <= self.rules.anomaly_max_unreadable
                # a lead the preprocessing masked (flat: an electrode off; mostly missing) was not seen by the model
                masked = [set(p.masked_leads) & set(self.rules.anomaly_leads) for p in parts]
                # ... and where the rhythm lead was unreadable enough for another to carry the R peaks
                own = info.lead_mapping.get(info.rhythm_lead or "")
                unread = [{own} & set(self.rules.anomaly_leads) if p.rhythm_lead is not None else set()
                          for p in parts]
                if parts:
                    judged &= np.repeat([not m and not u for m, u in zip(masked, unread)],
                                        [len(p.window_start_s) for p in parts])
                if parts and all(p.anomaly_lead_noise is not None for p in parts):
                    judged &= cat.array("anomaly_lead_noise") <= self.rules.anomaly_max_lead_noise
                noisy = sorted(set().union(*(p.noisy_leads for p in parts)) & set(self.rules.anomaly_leads))
                fused = bool(parts) and all(p.anomaly_fused_logit is not None for p in parts)
                if fused:  # already calibrated log-odds of the fused trees
                    logits, calibrated = cat.array("anomaly_fused_logit")[judged], Calibration()
                    f.anomaly_threshold = self.rules.fused_anomaly_threshold or f.anomaly_threshold
                    f.anomaly_classifier = self.model.anomaly_classifier
                else:
                    logits, calibrated = cat.array("anomaly_logit")[judged], self.rules.calibration
                    f.anomaly_classifier = ANOMALY_HEAD
                probs = calibrated.anomaly_probability(logits)
                f.anomaly_windows = [AnomalyWindow(float(a), float(b), float(s)) for a, b, s in
                                     zip(ws[judged], we[judged], probs)]
                f.anomaly_score = float(calibrated.anomaly_probability(logits.mean())) if len(logits) else None
                off = sorted(set().union(*masked))
                if len(ws) and not judged.any() and off:
                    f.anomaly_not_assessed = (f"not assessed: lead {', '.join(off)} flat or mostly missing, and the "
                                              f"anomaly model needs all {len(self.rules.anomaly_leads)} leads")
                elif len(ws) and not judged.any() and any(unread):
                    f.anomaly_not_assessed = (f"not assessed: lead {info.rhythm_lead} unreadable over a fifth or more "
                                              f"of the recording, and the anomaly model needs all "
                                              f"{len(self.rules.anomaly_leads)} leads")
                elif len(ws) and not judged.any() and noisy:
                    f.anomaly_not_assessed = (f"not assessed: lead {', '.join(noisy)} buried in noise over more than "
                                              f"{self.rules.anomaly_max_lead_noise:.0%} of every 10-s window, and the "
                                              f"anomaly model needs all {len(self.rules.anomaly_leads)} leads")
                elif len(ws) and not judged.any():
                    lost = float(np.sum(bad_s[:, 1] - bad_s[:, 0])) if len(bad_s) else 0.0
                    f.anomaly_not_assessed = (
                        f"not assessed: {lost:.0f} s of the recording is unreadable and no 10-s window is "
                        f"{1 - self.rules.anomaly_max_unreadable:.0%} readable, as the anomaly model needs")
        beats = None
        if "arrhythmia" in tasks:
            whole = self.covers(0.0, info.duration_s)  # a streamed part is not grouped by shape (its cost)
            beats, shapes = _beats_and_shapes(parts, whole)
            keep = outside_unreadable(beats.time_s, bad_s) if len(bad_s) and len(beats) else slice(None)
            beats = Beats(beats.time_s[keep], beats.label[keep], beats.confidence[keep])
            if shapes is not None:
                beats = paced_by_family(beats, shapes[keep], info.duration_s)
            f.beats = beats
            rc = self.rules.calibration.rhythm_probabilities(
                cat.array("record_class_prob", width=len(RECORD_CLASSES))[readable_win])
            weights = (we - ws)[readable_win][:, None]
            mean = (rc * weights).sum(0) / max(weights.sum(), 1e-9)
            f.record_class_probabilities = {c: float(v) for c, v in zip(RECORD_CLASSES, mean)}
        peaks = cat.array("r_peaks_s")  # chunks in time order, each sorted
        p_wave = cat.array("p_wave") if all(p.p_wave is not None for p in parts) else None
        readable = outside_unreadable(peaks, bad_s)
        peaks = peaks[readable]
        if "events" in tasks:
            f.episodes = self._episodes(ws, we, cat.array("episode_prob", width=len(EPISODE_LABELS)), peaks, beats,
                                        bad_s, None if p_wave is None else p_wave[readable])
            if beats is not None:
                f.beats = conducted_in_af(beats, f.episodes)
        analysed = float(sum(b - a for a, b in self._spans)) - float(np.sum(bad_s[:, 1] - bad_s[:, 0]))
        summarise(f, peaks)
        if f.episodes is not None:
            f.af_burden = af_burden(((e.start_s, e.end_s, e.label) for e in f.episodes), analysed)
        trees = self.rules.rhythm
        if "arrhythmia" in tasks and trees is not None and parts and info.duration_s <= trees.max_duration_s:
            f.rhythm_verdict = with_paced_note(self._verdict(trees, f.episodes), f.beats)
            if f.beats is not None and f.rhythm_verdict.label == "A":  # a strip the verdict reads as AF is all AF:
                whole = RhythmEpisode(0.0, info.duration_s, "AF", f.rhythm_verdict.probabilities["A"])
                f.beats = conducted_in_af(f.beats, [whole])  # its S calls read N, as inside an AF episode
            if f.beats is not None:
                f.beats = regular_strip_s_calls(f.beats)
                if f.rhythm_verdict.label == "N":
                    f.beats, f.episodes = ectopy_under_normal_verdict(f.beats, f.episodes,
                                                                      f.rhythm_verdict.probabilities["N"])
        return f

    def _verdict(self, trees: RhythmTrees, episodes: list[RhythmEpisode] | None) -> RhythmVerdict:
        """The record-level rhythm of a short recording (see :mod:`.findings`): the rhythm trees' calibrated class,
        or "~" by rule when the quality gate found more than :data:`MAX_UNREADABLE_FOR_VERDICT` of it unreadable
        (nothing left to judge); a note where the AF episodes of the beat-level rule disagree."""
        x = self.rhythm_inputs()
        bad = float(np.sum(x.unreadable_s[:, 1] - x.unreadable_s[:, 0])) if len(x.unreadable_s) else 0.0
        n_af = None if episodes is None else sum(e.label in AF_EPISODE_LABELS for e in episodes)
        noisy = {c: float(c == "~") for c in RECORD_CLASSES}
        if not len(x.window_prob) or bad > MAX_UNREADABLE_FOR_VERDICT * max(x.analysed_s, 1e-9):
            return RhythmVerdict("~", noisy, trees.name, n_af,
                                 f"noisy by rule: {bad / max(x.analysed_s, 1e-9):.0%} of the recording is unreadable "
                                 f"(flat, saturated or noisy signal)")
        n_rr = int(measurable_rr(x, self.rules.af).sum())
        if n_rr < MIN_RR:
            return RhythmVerdict("~", noisy, trees.name, n_af,
                                 f"not judged: {n_rr} RR interval(s) readable, the rhythm needs at least {MIN_RR}")
        p = trees.probabilities(rhythm_features(x, self.rules.af)[None])[0]
        probs = {c: float(v) for c, v in zip(RECORD_CLASSES, p)}
        label = RECORD_CLASSES[int(np.argmax(p))]
        note = None
        if n_af is not None and label == "A" and n_af == 0:
            note = (f"AF by the record-level classifier; the beat-level AF rule reports no AF episode (it needs "
                    f"at least {self.rules.af.min_duration_s:g} s of irregular rhythm)")
        elif n_af and label != "A":
            note = (f"the beat-level AF rule reports {n_af} AF/AFL episode(s); the record-level classifier calls "
                    f"the recording {VERDICT_NAMES[label]} (p {probs['A']:.2f} for AF)")
        return RhythmVerdict(label, probs, trees.name, n_af, note)

    def _episodes(self, ws, we, ep, peaks, beats, bad_s, p_wave):
        """Window episodes without AF/AFL, AF at beat resolution laid over them, then ectopic runs; nothing
        inside unreadable signal."""
        if not len(ws):
            return []
        af_cols = [EPISODE_LABELS.index(x) for x in AF_EPISODE_LABELS]
        p_af = ep[:, af_cols].sum(1)
        afl_share = ep[:, af_cols[1]] / np.maximum(p_af, 1e-9)
        other = ep.copy()
        run_cols = [EPISODE_LABELS.index(x) for x in RUN_ONLY_LABELS + PATTERN_LABELS]
        head = ep.argmax(1)
        said = np.isin(head, run_cols)
        windows = (ws[said], we[said], np.array(EPISODE_LABELS, object)[head[said]])
        # AF/AFL from the beat-level detector; VT/SVTA, bigeminy and trigeminy from beat labels only
        other[:, af_cols + run_cols] = -1.0
        floor = self.rules.runs.min_confidence
        episodes = [e if e.label in NOT_RHYTHM_EVENTS or e.confidence >= floor
                    else RhythmEpisode(e.start_s, e.end_s, "OTHER", e.confidence)
                    for e in episodes_from_windows(ws, we, other)]
        beat_class = _class_at(peaks, beats)
        w = np.searchsorted(ws, peaks, side="right") - 1
        model_af = p_af[w.clip(0, len(ws) - 1)] if len(peaks) else np.zeros(0)
        a_s, a_e, a_c = af_episodes(peaks, beat_class, model_af, self.rules.af, p_wave)
        keep = readable_long_enough(a_s, a_e, bad_s, self.rules.af)
        a_s, a_e, a_c = a_s[keep], a_e[keep], a_c[keep]
        if len(a_s):
            k0 = np.searchsorted(ws, a_s, side="right") - 1
            k1 = np.searchsorted(ws, a_e, side="left")
            flutter = np.array([afl_share[max(i, 0):max(j, i + 1)].mean() > 0.5 for i, j in zip(k0, k1)])
            labels = np.where(flutter, "AFL", "AF").astype(object)
            episodes = lay_over(episodes, a_s, a_e, labels, a_c)
        if beats is not None:
            p_s, p_e, p_lab, p_c = ectopic_patterns(beats.time_s, beats.label, beats.confidence, self.rules.runs,
                                                    windows)
            if len(a_s) and len(p_s):  # inside AF/AFL the rhythm is the fibrillation (as MIT-BIH's annotators label it)
                k = np.searchsorted(a_e, p_s, side="right")
                keep = ~((k < len(a_s)) & (a_s[np.minimum(k, len(a_s) - 1)] < p_e))
                p_s, p_e, p_lab, p_c = p_s[keep], p_e[keep], p_lab[keep], p_c[keep]
            episodes = lay_over(episodes, p_s, p_e, p_lab, p_c)
            episodes = with_beat_runs(episodes, beats.time_s, beats.label, beats.confidence, self.rules.runs, windows,
                                      bad_s)
        if len(bad_s):
            episodes = [e for e in lay_over(episodes, bad_s[:, 0], bad_s[:, 1],
                                            np.full(len(bad_s), "", object), np.zeros(len(bad_s))) if e.label]
        return join_beatless_edges(episodes, peaks)


class _Concat:
    """Per-chunk arrays of the time-sorted chunks, concatenated on demand."""

    def __init__(self, parts: list[ChunkResult]):
        self.parts = parts

    def array(self, name: str, width: int | None = None) -> np.ndarray:
        rows = [np.asarray(getattr(p, name)) for p in self.parts if getattr(p, name) is not None]
        if rows:
            return np.concatenate(rows)
        return np.zeros((0, width)) if width else np.zeros(0)

    def unreadable(self) -> tuple[np.ndarray, np.ndarray]:
        spans = [p.unreadable_s for p in self.parts if p.unreadable_s is not None and len(p.unreadable_s)]
        codes = [p.unreadable_code for p in self.parts if p.unreadable_s is not None and len(p.unreadable_s)]
        if not spans:
            return np.zeros((0, 2)), np.zeros(0, np.int8)
        s, c = np.concatenate(spans), np.concatenate(codes)
        # spans of neighbouring chunks that touch join (a stretch cut at a chunk border is one stretch)
        order = np.argsort(s[:, 0], kind="stable")
        s, c = s[order], c[order]
        new = np.concatenate([[True], s[1:, 0] > np.maximum.accumulate(s[:, 1])[:-1] + 1e-6])
        first = np.flatnonzero(new)
        return np.stack([s[first, 0], np.maximum.reduceat(s[:, 1], first)], 1), c[first]


def _outside(ws: np.ndarray, we: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Mask of windows ``[ws, we)`` whose unreadable part is less than half their length."""
    return unreadable_share(ws, we, bad) < 0.5


def _beats_and_shapes(parts: list[ChunkResult], with_shapes: bool = True) -> tuple[Beats, np.ndarray | None]:
    """The chunks' beats in time order and (``with_shapes``) their shape features in the same order: NaN rows for
    the beats of a chunk without them (no paced call in it), None when no chunk has them."""
    have = [p for p in parts if p.beats is not None and len(p.beats)]
    beats = Beats.concat([p.beats for p in have])
    if not with_shapes:
        return beats, None
    widths = {p.beat_shape.shape[1] for p in have if p.beat_shape is not None and len(p.beat_shape) == len(p.beats)}
    if len(widths) != 1:
        return beats, None
    width = widths.pop()
    rows = [p.beat_shape if p.beat_shape is not None and len(p.beat_shape) == len(p.beats)
            else np.full((len(p.beats), width), np.nan, np.float16) for p in have]
    order = np.argsort(np.concatenate([p.beats.time_s for p in have]), kind="stable")  # as Beats.concat sorts
    return beats, np.concatenate(rows)[order]


def _class_at(peaks: np.ndarray, beats: Beats | None) -> np.ndarray | None:
    """The beat class of each R peak (the classified beat at the same time; N where none was classified)."""
    if beats is None:
        return None
    out = np.zeros(len(peaks), np.int8)
    if len(beats) and len(peaks):
        k = np.searchsorted(beats.time_s, peaks).clip(0, len(beats) - 1)
        k_prev = (k - 1).clip(0)
        k = np.where(np.abs(beats.time_s[k_prev] - peaks) < np.abs(beats.time_s[k] - peaks), k_prev, k)
        same = np.abs(beats.time_s[k] - peaks) < 1e-3
        out[same] = beats.label[k[same]]
    return out


def with_paced_note(verdict: RhythmVerdict, beats: Beats) -> RhythmVerdict:
    """``verdict`` with a note of the paced beats among ``beats`` (:func:`~.episodes.paced_beats`: the record-level
    classes know no paced rhythm, a paced ECG reads "other", or even "normal")."""
    p = paced_beats(beats.label)
    if p is None or verdict.label == "~":
        return verdict
    return replace(verdict, note=p.note() if verdict.note is None else f"{p.note()}; {verdict.note}")
