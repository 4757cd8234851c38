"""`Analyzer`: run the shipped model over a :class:`~anyecg_model.io.Recording`, streamed chunk by chunk.

Usage::

    analyzer = Analyzer()                                  # the shipped model, device auto
    findings = analyzer.analyze(recording)                 # Findings (see findings.py)
    for part in analyzer.iter_analyze(recording, order=[(t0, t1)], cancelled=stop.is_set):
        ...                                                # ChunkResult per chunk, visible part first
    focus = FocusRange(t0, t1)                             # or follow a moving view: focus.set(t0, t1)
    for part in analyzer.iter_analyze(recording, order=focus):   # from another thread, any time
        ...

The recording is cut into chunks of ``chunk_s`` seconds (a multiple of the model's 10-s window). For each
chunk the signal is read with a 10-s margin on both sides (filters and RR intervals see context),
preprocessed exactly as in training, R peaks are detected on lead II/MLII (else the first mapped lead),
and every 10-s window goes through the backbone once; the requested heads read its hidden states.
Memory is bounded by one chunk whatever the recording's length.
When the model folder ships beat trees (:mod:`~anyecg_model.model.beat_trees`, the shipped beat classifier
since v0.4.0), each beat's class probabilities come from them instead of the beat head: gradient-boosted trees
over the beat's clinical features (below) and its window features, computed on the thread that prepares the
chunk (no backbone needed); ``Findings.model.beat_classifier`` names the classifier that labelled the beats.
At 400 Hz and more, pacemaker stimuli correct them (:mod:`~anyecg_model.vocabulary.pacing_stimulus`): a beat a
stimulus precedes is paced; in a chunk without any stimulus, no beat is.
When it ships fused anomaly trees (:mod:`~anyecg_model.model.anomaly_trees`), each window of a recording with
all 12 standard leads gets its anomaly score from them: trees over the window's averaged-beat features
(:mod:`.resting_windows`, on the chunk's own signal) and the anomaly head's logit; other lead sets keep the head.
When it ships rhythm trees (:mod:`~anyecg_model.model.rhythm_trees`) they travel in the findings rules
(:class:`~.builder.FindingsRules`) to every findings builder, which gives a recording of at most their
``max_duration_s`` a record-level rhythm verdict; each chunk then carries its R peaks' clinical features
(``ChunkResult.beat_clinical``) for them.
Otherwise, when the checkpoint ships a fusion beat head (:mod:`~anyecg_model.model.beat_fusion`), each beat is classified from the beat
head's activations and the clinical features of :mod:`~anyecg_model.vocabulary.beat_context`, whose "record-level" context (median
RR, local mean RR over ±30 s, dominant-beat template) is the chunk and its margins (320 s): a streamed
chunk normalises by what it holds, not by the whole recording, so training extracted them the same way.
The ultra-long GRU carries its state
from a chunk to the next as in time order whatever the order (:class:`~.episode_chain.EpisodeChain`): a chunk
taken before its time-predecessor gets provisional episodes, replaced in place (the ``ChunkResult`` already
yielded) once the chunk before it is done, so the collected results equal ``anyecg analyze``'s.
The order is decided before each chunk (:class:`~.chunks.ChunkScheduler`), so a moving view re-prioritises
the chunks still to do. The torch-free names (constants, :class:`ChunkResult`, :class:`AnalysisError`) live
in :mod:`.chunks` and are re-exported here.

Inference is read-only (``torch.inference_mode``, eval mode): one Analyzer may serve several threads.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

#: oneDNN keeps a compiled kernel per input shape (default: up to 1024). The beat morphology encoder sees a new
#: beat count on nearly every chunk, so a long recording filled that cache at ~0.5 MiB per chunk (24 h: ~150
#: MiB; 72 h: ~400 MiB); the kernels of the fixed shapes stay cached with a few dozen. Read by oneDNN when it
#: first compiles a kernel; a value set by the user is kept.
ONEDNN_KERNEL_CACHE = 64
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_KERNEL_CACHE))

import torch  # noqa: E402  (after the oneDNN setting)

from ..vocabulary.lead_map import LeadMapping
from ..io.recording import Recording
from ..model.anomaly_trees import CONFIG as ANOMALY_TREES_CONFIG, AnomalyTreesError, load_anomaly_trees
from ..model.beat_fusion import beat_representation, load_fusion
from ..model.beat_trees import CONFIG as TREES_CONFIG, BeatTreesError, extra_features, load_beat_trees, window_features
from ..model.checkpoint import load_checkpoint
from ..model.rhythm_trees import CONFIG as RHYTHM_CONFIG, RhythmTreesError, load_rhythm_trees
from ..model.heads import pool_tokens
from ..model.device import DeviceUnavailable, choose_device
from ..signal.preprocess import PreprocessError
from ..signal.atrial import p_wave_consistency
from ..signal.quality import cleaner_lead, noise_mv, rr_across_unreadable, unreadable_share, unreadable_spans
from ..signal.rpeaks import detect_r_peaks, inside_recording
from ..vocabulary.beat_context import clinical_features
from ..vocabulary.beat_inputs import close_unknown_rr, rhythm_features, rr_features, window_beat_fields
from ..vocabulary.model_input import MAX_BEATS
from ..vocabulary.pacing_stimulus import (MIN_STIMULUS_FS, paced_by_stimulus, stimulus_offsets, with_stimulus_evidence,
                                         without_lone_paced_calls)
from .builder import FindingsBuilder, FindingsRules
from ..model.shipped import SHIPPED_MODEL_DIR
from .chunks import (CHUNK_S, MARGIN_S, MIN_DURATION_S, TASKS, WINDOW_S, AnalysisError,  # noqa: F401
                     ChunkResult, ChunkScheduler, FocusRange, Span, chunk_spans)
from .episode_chain import EpisodeChain
from .paced_families import beat_shapes, has_paced_calls, shape_rows
from .lead_setup import input_leads, read_leads, signal_span
from .resting_windows import twelve_lead_rows, window_resting_features
from .findings import Beats, Findings, ModelInfo

log = logging.getLogger(__name__)


def resolve_device(device: str = "auto") -> torch.device:
    """The device of an analysis (:func:`~anyecg_model.model.device.choose_device`); one not on this machine
    is an :class:`AnalysisError`."""
    try:
        return choose_device(device)
    except DeviceUnavailable as exc:
        raise AnalysisError(str(exc)) from None


class Analyzer:
    """Loads a checkpoint once; :meth:`analyze` / :meth:`iter_analyze` run it over recordings."""

    def __init__(self, model_dir: str | Path | None = None, device: str = "auto", chunk_s: float = CHUNK_S,
                 batch_windows: int = 64):
        self.model_dir = Path(model_dir) if model_dir else SHIPPED_MODEL_DIR
        self.device = resolve_device(device)
        self.model = load_checkpoint(self.model_dir, device=self.device)
        if chunk_s < WINDOW_S or abs(chunk_s / WINDOW_S - round(chunk_s / WINDOW_S)) > 1e-9:
            raise ValueError(f"chunk_s must be a multiple of {WINDOW_S:g} s")
        self.chunk_s, self.batch_windows = chunk_s, batch_windows
        meta = getattr(self.model, "metadata", {})
        self.rules = FindingsRules.from_metadata(meta)
        try:
            self.trees = load_beat_trees(self.model_dir)  # None: the fusion head's or the beat head's classes
        except BeatTreesError as exc:
            raise AnalysisError(f"{exc} (a clinical tool does not label beats with a classifier it cannot "
                                f"verify; remove {self.model_dir / TREES_CONFIG} to use the beat head)") from None
        try:
            self.anomaly_trees = load_anomaly_trees(self.model_dir)  # None: the anomaly head scores every lead set
        except AnomalyTreesError as exc:
            raise AnalysisError(f"{exc} (a clinical tool does not score ECGs with a classifier it cannot verify; "
                                f"remove {self.model_dir / ANOMALY_TREES_CONFIG} to use the anomaly head)") from None
        if self.anomaly_trees is not None:
            self.rules = replace(self.rules, fused_anomaly_threshold=self.anomaly_trees.threshold)
        try:
            rhythm = load_rhythm_trees(self.model_dir)  # None: no record-level verdict
        except RhythmTreesError as exc:
            raise AnalysisError(f"{exc} (remove {self.model_dir / RHYTHM_CONFIG} to analyse without the "
                                f"record-level rhythm verdict)") from None
        self.rules = replace(self.rules, rhythm=rhythm)
        self.info = ModelInfo.from_metadata(meta, self.model_dir)
        self.fusion = None if self.trees is not None else load_fusion(self.model_dir)
        if self.fusion is not None:
            self.fusion.to(self.device)
        # compute the clinical beat features of each chunk
        self.clinical = self.fusion is not None or self.trees is not None or rhythm is not None
        self._lock = threading.Lock()  # only guards lazy state; inference itself needs none

    # ------------------------------------------------------------------ public API
    def analyze(self, recording: Recording, tasks: Sequence[str] = TASKS,
                cancelled: Callable[[], bool] | None = None,
                progress: Callable[[float], None] | None = None,
                lead_map: Mapping[str, str] | None = None) -> Findings:
        """Analyse the whole recording (chunks in time order) and collect :class:`Findings`; ``lead_map``
        (file lead → slot, e.g. ``{"ECG": "II"}``) overrides the lead-name table."""
        parts = []
        for part in self.iter_analyze(recording, tasks, cancelled=cancelled, lead_map=lead_map):
            parts.append(part)
            if progress is not None:
                progress(part.progress)
        return self.collect(recording, tasks, parts, lead_map=lead_map)

    def iter_analyze(self, recording: Recording, tasks: Sequence[str] = TASKS,
                     order: Iterable[Span] | Callable[[], Iterable[Span]] | None = None,
                     cancelled: Callable[[], bool] | None = None,
                     lead_map: Mapping[str, str] | None = None,
                     revised: Callable[[ChunkResult], None] | None = None) -> Iterator[ChunkResult]:
        """Yield one :class:`ChunkResult` per chunk; chunks overlapping the ``order`` ranges (s) come first,
        in the given order, then the rest in time order. A callable ``order`` (e.g. a :class:`FocusRange`) is
        called before each chunk, so the ranges may change while the analysis runs. ``cancelled()`` is
        polled between chunks. A chunk yielded before the chunk preceding it in time has provisional episodes:
        they are replaced in place once that chunk is done, and the revised chunk is handed to ``revised``."""
        tasks = self._check(recording, tasks)
        leads = input_leads(recording, lead_map)
        scheduler = ChunkScheduler(chunk_spans(recording.duration_s, self.chunk_s))
        if not callable(order):
            yield from self._iter_prefetched(recording, tasks, scheduler, list(order or []), cancelled, leads,
                                             revised)
            return
        ranges, chain, done = order, EpisodeChain(scheduler.spans, self._episodes, revised), 0.0
        while True:
            if cancelled is not None and cancelled():
                return
            span = scheduler.take(ranges())
            if span is None:
                return
            start_s, end_s = span
            state, exact = chain.start_state(start_s)
            part, state, features = self._run_chunk(recording, start_s, end_s, tasks, state, leads)
            chain.finished(part, state, exact, features)
            done += end_s - start_s
            part.progress = min(1.0, done / max(recording.duration_s, 1e-9))
            yield part

    def _iter_prefetched(self, rec: Recording, tasks, scheduler: ChunkScheduler, ranges: list[Span],
                         cancelled: Callable[[], bool] | None, leads: LeadMapping,
                         revised: Callable[[ChunkResult], None] | None = None) -> Iterator[ChunkResult]:
        """:meth:`iter_analyze` with a fixed order: the next chunk's signal work (reading, filtering, quality,
        R peaks, beat inputs) runs on a second thread while the model runs on this one (numpy, scipy and torch
        release the GIL in their inner loops), so two cores do both at once. The beats' morphology codes are
        encoded by whichever thread would otherwise wait: on the signal thread while the model is busy, else by
        the beat head. The same chunks, in the same order, with the same inputs as one after the other."""
        from concurrent.futures import ThreadPoolExecutor

        chain, done = EpisodeChain(scheduler.spans, self._episodes, revised), 0.0
        model_waits = threading.Event()  # set while this thread waits for the next chunk's inputs
        with ThreadPoolExecutor(1, thread_name_prefix="anyecg-chunk-signal") as pool:
            span = scheduler.take(ranges)
            pending = None if span is None else pool.submit(self._chunk_inputs, rec, *span, leads, tasks, model_waits)
            while pending is not None:
                if cancelled is not None and cancelled():
                    pending.cancel()
                    return
                if not pending.done():
                    model_waits.set()
                inputs, (start_s, end_s) = pending.result(), span
                model_waits.clear()
                span = scheduler.take(ranges)
                pending = None if span is None else pool.submit(self._chunk_inputs, rec, *span, leads, tasks,
                                                                model_waits)
                state, exact = chain.start_state(start_s)
                part, state, features = self._chunk_result(inputs, tasks, state)
                chain.finished(part, state, exact, features)
                done += end_s - start_s
                part.progress = min(1.0, done / max(rec.duration_s, 1e-9))
                yield part

    @torch.inference_mode()
    def _episodes(self, features: torch.Tensor, state) -> tuple[np.ndarray, object]:
        """The ultra-long head over a chunk's (1, W, F) window ``features`` from ``state``: (W, E) episode
        probabilities and the state after the chunk."""
        logits, state = self.model.heads["ultralong"](features, state)
        return logits[0].float().softmax(-1).cpu().numpy(), state

    def builder(self, recording: Recording, tasks: Sequence[str] = TASKS,
                lead_map: Mapping[str, str] | None = None) -> FindingsBuilder:
        """A :class:`~.builder.FindingsBuilder` for ``recording`` (leads mapped as ``lead_map`` says) with this
        model's rules."""
        leads = input_leads(recording, lead_map)
        return FindingsBuilder.for_recording(recording, self.info, tasks, self.rules, leads=leads)

    def collect(self, recording: Recording, tasks: Sequence[str], parts: list[ChunkResult],
                lead_map: Mapping[str, str] | None = None) -> Findings:
        """Merge chunk results (any order) into :class:`Findings` (through :class:`~.builder.FindingsBuilder`)."""
        builder = self.builder(recording, tasks, lead_map)
        for part in parts:
            builder.add(part)
        return builder.findings()

    # ------------------------------------------------------------------ internals
    def _check(self, recording: Recording, tasks: Sequence[str]) -> tuple[str, ...]:
        unknown = [t for t in tasks if t not in TASKS]
        if unknown:
            raise AnalysisError(f"unknown task(s) {unknown}; known: {', '.join(TASKS)}")
        if recording.duration_s < MIN_DURATION_S:
            raise AnalysisError(f"{recording.path}: recording is {recording.duration_s:.1f} s long; "
                                f"analysis needs at least {MIN_DURATION_S:g} s")
        needed = {"anomaly": ["anomaly"], "arrhythmia": ["beats", "rhythm"], "events": ["ultralong"]}
        missing = [h for t in tasks for h in needed[t] if h not in self.model.heads]
        if missing:
            raise AnalysisError(f"model {self.model_dir} has no head(s) {missing} for tasks {list(tasks)}")
        return tuple(tasks)

    def _run_chunk(self, rec: Recording, start_s: float, end_s: float, tasks, state, leads: LeadMapping):
        """One chunk: its signal work (:meth:`_chunk_inputs`), then the model (:meth:`_chunk_result`): the
        result, the GRU state after it and its window features."""
        return self._chunk_result(self._chunk_inputs(rec, start_s, end_s, leads, tasks), tasks, state)

    def _chunk_inputs(self, rec: Recording, start_s: float, end_s: float, leads: LeadMapping,
                      tasks: Sequence[str] = TASKS, model_waits: threading.Event | None = None) -> dict:
        """Everything of a chunk before the backbone: read with margins, preprocessed, quality gate, R peaks, the
        windows' model inputs stacked (``batch``: one row per window), each window's beat times (s) and
        clinical features, the beats' morphology codes (:meth:`_morphology`; None when ``model_waits`` is set:
        the beat head encodes them then) and P-wave consistency. Runs on any thread."""
        fs, model = rec.fs, self.model
        seg0 = max(0.0, start_s - MARGIN_S)
        seg1 = min(rec.duration_s, end_s + MARGIN_S)
        rows = sorted(leads.slot)  # only the mapped leads, named by their slots, upright
        data, mains = read_leads(rec, leads, int(round(seg0 * fs)), int(round(seg1 * fs)))  # upright, hum out
        try:
            prep = model.prepare(data, fs, [leads.slot[i] for i in rows])
        except PreprocessError as exc:
            raise AnalysisError(f"{rec.path}: {exc}") from exc
        mfs = prep.fs
        # a technician reads the rhythm on the clean channel: where the rhythm lead is unreadable, another lead, as
        # long as two or more are left to the model (MIT-BIH with its first channel off for 10 min, the second alone:
        # 208 read 222 s of AF at 0.99, its V beats called N; 233 called 59 V beats S; it stays unreadable there)
        row = rows.index(leads.rhythm_lead)
        if len(rows) >= MIN_LEADS_TO_SWITCH:
            row, bad_all, bad_code = cleaner_lead(data, row, fs, seg0, (start_s, end_s))
        else:
            bad_all, bad_code = unreadable_spans(data[row], fs, offset_s=seg0)
        lead = data[row]
        masked = tuple(s for s, seen in zip(prep.slots, prep.lead_mask) if not seen and s in leads.slot.values())
        seen_rows = list(range(len(rows)))  # the leads the beat features read (at the file's rate)
        if rows[row] != leads.rhythm_lead:  # the unreadable rhythm lead is left out of this chunk, as a lead off
            k = prep.slots.index(leads.slot[leads.rhythm_lead])
            patches, seen = prep.patches.copy(), prep.lead_mask.copy()
            patches[k], seen[k] = 0.0, False
            prep = replace(prep, patches=patches, lead_mask=seen)
            seen_rows.remove(rows.index(leads.rhythm_lead))
        inside = (bad_all[:, 1] > start_s) & (bad_all[:, 0] < end_s)
        bad, bad_code = np.clip(bad_all[inside], start_s, end_s), bad_code[inside]
        span = signal_span(rec, leads) if seg0 <= 0.0 or seg1 >= rec.duration_s else (0.0, rec.duration_s)
        peaks_native = inside_recording(self._r_peaks(rec, lead, seg0), fs, seg0, span[1], span[0])
        peaks = np.round(peaks_native * mfs / fs).astype(np.int64)  # model-rate samples from seg0
        # an RR interval across unreadable signal says nothing about the rhythm: the RR features read it closed
        unknown = rr_across_unreadable(seg0 + peaks_native / fs, bad_all)
        rr_peaks, rr_native = close_unknown_rr(peaks, unknown), close_unknown_rr(peaks_native, unknown)
        rr = rr_features(rr_peaks, mfs)
        clin = None
        if self.clinical:  # context of the clinical features: this chunk and its margins
            flat = prep.patches[prep.lead_mask].reshape(int(prep.lead_mask.sum()), -1)[:, :prep.n_samples]
            clin = clinical_features(flat, peaks, mfs, rr_peaks=rr_peaks)
        extra = None
        if self.trees is not None and self.trees.extra_columns:  # on the file's own signal and rate
            extra = extra_features(data[seen_rows], peaks_native, fs, rr_peaks=rr_native)[:, self.trees.extra_columns]
        stimulated = paced_by_stimulus(stimulus_offsets(data[seen_rows], peaks_native, fs)) \
            if self.trees is not None and fs >= MIN_STIMULUS_FS else None  # beats a pacing stimulus precedes
        n_win = max(1, int(round((end_s - start_s) / WINDOW_S + 0.49)))
        n_patches = int(round(WINDOW_S * mfs / prep.patches.shape[-1]))
        off = int(round((start_s - seg0) * mfs))  # chunk start in model-rate samples of the segment
        L = prep.patches.shape[-1]
        rhythm, times, clinical, local, local_rr, extras, stimuli, picked = [], [], [], [], [], [], [], []
        for k in range(n_win):
            w0 = off + k * n_patches * L
            w_end = min(end_s, start_s + (k + 1) * WINDOW_S) if k < n_win - 1 else end_s
            w_len = int(round((w_end - start_s - k * WINDOW_S) * mfs))
            sel = np.flatnonzero((peaks >= w0) & (peaks < w0 + w_len))
            rhythm.append(rhythm_features(rr_peaks[sel], mfs))
            times.append(seg0 + peaks[sel][:MAX_BEATS] / mfs)
            picked.append(sel[:MAX_BEATS])
            local.append(peaks[sel][:MAX_BEATS] - w0)
            local_rr.append(rr[sel][:MAX_BEATS])
            if clin is not None:
                clinical.append(clin[sel][:MAX_BEATS])
            if extra is not None:
                extras.append(extra[sel][:MAX_BEATS])
            if stimulated is not None:
                stimuli.append(stimulated[sel][:MAX_BEATS])
        first = np.array([(off + k * n_patches * L) // L for k in range(n_win)])  # each window's first patch
        patches, patch_mask = prep.windows(list(first), n_patches)
        patch_mask = _readable_patches(patch_mask, bad_all, seg0 + first * L / mfs, L / mfs)
        batch = {"patches": patches, "lead_mask": np.repeat(prep.lead_mask[None], n_win, axis=0),
                 "patch_mask": patch_mask, "rhythm_features": np.stack(rhythm)}
        # the same per-window fields as training's beat_fields, built for all windows at once
        batch.update(window_beat_fields(batch["patches"], local, local_rr, None, L))
        ws = start_s + WINDOW_S * np.arange(n_win)
        we = np.minimum(ws + WINDOW_S, end_s)
        we[-1] = end_s
        slots = [leads.slot[i] for i in rows]
        judged = "anomaly" in tasks and set(self.rules.anomaly_leads) <= set(slots)  # else "not assessed" anyway
        lead_noise, noisy = anomaly_lead_noise(data, slots, self.rules, fs, seg0, ws, we) if judged else (None, ())
        t = seg0 + peaks / mfs
        mine = (t >= start_s) & (t < end_s)
        fields = {"r_peaks_s": t[mine], "p_wave": p_wave_consistency(lead, fs, peaks_native[mine]),
                  "unreadable_s": bad, "unreadable_code": bad_code,
                  "rhythm_lead": None if rows[row] == leads.rhythm_lead else leads.names[rows[row]],
                  "beat_clinical": None if clin is None else clin[mine].astype(np.float32),
                  "masked_leads": masked, "anomaly_lead_noise": lead_noise, "noisy_leads": noisy,
                  "mains_hz": tuple(mains)}
        twelve = twelve_lead_rows(leads, rows) if "anomaly" in tasks and self.anomaly_trees is not None else None
        resting = None if twelve is None else window_resting_features(data, fs, seg0, twelve, peaks_native, ws, we)
        ahead = model_waits is None or not model_waits.is_set()  # the model thread is still busy: work here
        inputs = {"batch": batch, "beat_times": times, "beat_clinical": clinical if clin is not None else None,
                  "beat_extra": extras if extra is not None else None, "tree_prob": None, "resting": resting,
                  "beat_stimulus": None if stimulated is None else np.concatenate(stimuli),
                  "shape_signal": (data[shape_rows(leads, rows, row)], fs, peaks_native[np.concatenate(picked)] / fs)}
        if ahead:
            self._tree_probabilities(inputs, tasks)
        return {**inputs,
                "morphology": self._morphology(batch, tasks) if ahead else None, "span": (start_s, end_s, ws, we),
                "fields": fields}

    @staticmethod
    def tree_features(batch: dict, clinical: list[np.ndarray], extra: list[np.ndarray] | None = None) -> np.ndarray:
        """(beats, 50) inputs of the beat trees for a chunk's windows (``batch``: :meth:`_chunk_inputs`'
        stacked fields; ``clinical``: each window's clinical features), beats in window order: the clinical
        features, then :func:`~anyecg_model.model.beat_trees.window_features`, then (``extra``: each window's
        :func:`~anyecg_model.model.beat_trees.extra_features`, for trees that read them) 8 more. The same
        columns as the training caches (:mod:`.beat_fusion_data`, :mod:`.beat_extra_data`)."""
        clin = np.concatenate(clinical).astype(np.float32)
        win = window_features(batch["beat_rr"], batch["beat_template"], batch["beat_morph"], batch["lead_mask"],
                              batch["beat_mask"])
        parts = [clin, win] + ([np.concatenate(extra).astype(np.float32)] if extra is not None else [])
        return np.concatenate(parts, 1)

    @torch.inference_mode()
    def _chunk_result(self, inputs: dict, tasks, state) -> tuple[ChunkResult, object, torch.Tensor | None]:
        """The model over a chunk's :meth:`_chunk_inputs`: its :class:`ChunkResult`, the GRU state after it and
        the GRU's input (the (1, W, F) window features; None without the events task)."""
        out = self._forward(inputs, tasks, state)
        return ChunkResult(*inputs["span"], **inputs["fields"], **out["result"]), out["state"], out["features"]

    def _batches(self, n_windows: int) -> list[slice]:
        """The windows of a chunk in batches of at most ``batch_windows``."""
        return [slice(b0, b0 + self.batch_windows) for b0 in range(0, n_windows, self.batch_windows)]

    @torch.inference_mode()
    def _morphology(self, batch: dict, tasks) -> list[torch.Tensor | None] | None:
        """Per batch of windows, the beat head's morphology codes of its beats (None for a batch without
        beats), computed ahead on the thread that prepares the chunk: the beat head's encoder reads only the
        beat waveforms, not the backbone. Same values as the head computing them itself (same batches, same
        operations). None when not needed or not on the CPU, with a fusion head (it encodes its own) or beat trees."""
        if "arrhythmia" not in tasks or self.fusion is not None or self.trees is not None \
                or self.device.type != "cpu":
            return None
        morph = self.model.heads["beats"].morph
        out = []
        for sl in self._batches(len(batch["beat_mask"])):
            mask = batch["beat_mask"][sl]
            out.append(morph(torch.as_tensor(batch["beat_morph"][sl]), torch.as_tensor(batch["lead_mask"][sl]),
                             torch.as_tensor(mask)) if mask.any() else None)
        return out

    def _r_peaks(self, rec: Recording, lead: np.ndarray, seg0: float) -> np.ndarray:
        """R peaks (native samples from ``seg0``) of the rhythm lead's segment ``lead`` read at ``seg0`` s."""
        return detect_r_peaks(lead, rec.fs)

    def _beat_probabilities(self, h: torch.Tensor, batch: dict, clinical: list[np.ndarray] | None,
                            morphology: torch.Tensor | None) -> np.ndarray:
        """(B, K, classes) beat probabilities: the fusion head's (calibrated) when the model has one, else
        the beat head's softmax over the AAMI classes (``morphology``: its encoder's codes, when computed ahead)."""
        head = self.model.heads["beats"]
        if self.fusion is None:
            return head(h, batch, morphology).float().softmax(-1).cpu().numpy()
        hidden, logits = beat_representation(head, h, batch)
        rep = torch.cat([hidden, logits], -1).float()
        K = rep.shape[1]
        clin = np.stack([np.pad(c, ((0, K - len(c)), (0, 0))) for c in clinical])
        return self.fusion.probabilities(rep, torch.as_tensor(clin, device=rep.device)).cpu().numpy()

    def _tree_probabilities(self, inputs: dict, tasks) -> None:
        """The beat trees' (beats, classes) probabilities of a chunk's :meth:`_chunk_inputs` into its
        ``tree_prob``, unless there already or not needed: on the signal thread while the model thread is busy,
        else on the model thread (numpy, the same result on either)."""
        if inputs["tree_prob"] is None and self.trees is not None and "arrhythmia" in tasks:
            features = self.tree_features(inputs["batch"], inputs["beat_clinical"], inputs.get("beat_extra"))
            prob = self.trees.probabilities(features)
            stim = inputs.get("beat_stimulus")  # None: a rate too slow to show a pacing stimulus
            inputs["tree_prob"] = without_lone_paced_calls(prob) if stim is None else with_stimulus_evidence(prob, stim)

    def _forward(self, inputs: dict, tasks, state) -> dict:
        self._tree_probabilities(inputs, tasks)
        model, dev = self.model, self.device
        res: dict = {}
        logits_a, probs_r, feats, beat_parts = [], [], [], []
        stacked, morphology = inputs["batch"], inputs["morphology"]
        for b, sl in enumerate(self._batches(len(stacked["patches"]))):
            batch = {k: torch.as_tensor(v[sl]).to(dev) for k, v in stacked.items()}
            h = model.backbone(batch["patches"], batch["lead_mask"], batch["patch_mask"])
            pooled = pool_tokens(h, batch["lead_mask"], batch["patch_mask"])  # read by three heads, pooled once
            if "anomaly" in tasks:
                logits_a.append(model.heads["anomaly"](h, batch, pooled).float().cpu().numpy())
            if "arrhythmia" in tasks:
                probs_r.append(model.heads["rhythm"](h, batch, pooled).float().softmax(-1).cpu().numpy())
                if inputs["tree_prob"] is None and bool(batch["beat_mask"].any()):
                    clinical = None if inputs["beat_clinical"] is None else inputs["beat_clinical"][sl]
                    p = self._beat_probabilities(h, batch, clinical, None if morphology is None else morphology[b])
                    m = stacked["beat_mask"][sl]  # each window's first beat places, in window order
                    beat_parts.append(Beats(np.concatenate(inputs["beat_times"][sl]), p[m].argmax(-1).astype(np.int8),
                                            p[m].max(-1).astype(np.float32)))
            if "events" in tasks:
                feats.append(model.heads["ultralong"].window_features(h, batch, pooled))
        if "anomaly" in tasks:
            res["anomaly_logit"] = np.concatenate(logits_a)
            if inputs.get("resting") is not None:  # a 12-lead recording and fused trees: they score it
                res["anomaly_fused_logit"] = self.anomaly_trees.logit(inputs["resting"], res["anomaly_logit"])
        if "arrhythmia" in tasks:
            res["record_class_prob"] = np.concatenate(probs_r)
            p = inputs["tree_prob"]
            res["beats"] = Beats.concat(beat_parts) if p is None else Beats(
                np.concatenate(inputs["beat_times"]), p.argmax(-1).astype(np.int8), p.max(-1).astype(np.float32))
            if has_paced_calls(res["beats"]):  # the shapes group a paced recording's beats (.paced_families)
                signal, fs, times = inputs["shape_signal"]
                res["beat_shape"] = beat_shapes(signal, fs, 0, times)
        seq = None
        if "events" in tasks:
            seq = torch.cat(feats)[None]
            res["episode_prob"], state = self._episodes(seq, state)
        return {"result": res, "state": state, "features": seq}


def anomaly_lead_noise(data: np.ndarray, slots: list[str], rules: FindingsRules, fs: float, seg0: float,
                       ws: np.ndarray, we: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per window ``[ws, we)`` (s), the largest share of 1-s blocks buried in noise (:func:`noise_mv` above
    ``rules.anomaly_lead_noise_mv``) on any lead of ``data`` (rows in ``slots``, mV at ``fs`` Hz, read from
    ``seg0`` s) the anomaly model needs, and those leads where it passes ``rules.anomaly_max_lead_noise`` in some
    window. Flat leads are masked and judged elsewhere; baseline wander is filtered out before the model."""
    worst, over = np.zeros(len(ws)), []
    for row, slot in enumerate(slots):
        if slot not in rules.anomaly_leads:
            continue
        loud = np.flatnonzero(noise_mv(data[row], fs) > rules.anomaly_lead_noise_mv)
        share = unreadable_share(ws, we, seg0 + np.stack([loud, loud + 1], 1).astype(np.float64))
        worst = np.maximum(worst, share)
        if (share > rules.anomaly_max_lead_noise).any():
            over.append(slot)
    return worst, tuple(over)


#: Fewest mapped leads for another lead to carry the R peaks where the rhythm lead is unreadable (two left).
MIN_LEADS_TO_SWITCH = 3


def _readable_patches(patch_mask: np.ndarray, bad_s: np.ndarray, start_s: np.ndarray, patch_s: float) -> np.ndarray:
    """The windows' ``patch_mask`` (W, P; window ``k``'s first patch starts at ``start_s[k]`` s, each lasts
    ``patch_s`` s) with the patches wholly inside an unreadable span (``bad_s`` (M, 2) s, sorted) masked like
    tail padding: the model reads a window with a lead-off as the shorter window it is, not as a flat line (a
    sinus 10-s ECG with 4 s lost read "other rhythm"). A window with nothing readable left keeps its mask (it is
    not reported)."""
    if not len(bad_s):
        return patch_mask
    W, P = patch_mask.shape
    p0 = np.asarray(start_s, np.float64)[:, None] + np.arange(P)[None] * patch_s
    k = np.searchsorted(bad_s[:, 1], p0 + patch_s, side="left").clip(max=len(bad_s) - 1)
    readable = patch_mask & ~((bad_s[k, 0] <= p0) & (bad_s[k, 1] >= p0 + patch_s))
    return np.where(readable.any(1, keepdims=True), readable, patch_mask)
