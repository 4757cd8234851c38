"""Generate missing or corrupted leads from the present ones with the lead-generation head.

The leads to generate are fed to the backbone as *masked tokens* in their canonical slots (exactly as in
training), so every present lead at the same and adjacent seconds informs them; the head turns each
slot's hidden state back into a 1-s waveform. Output is in mV at the recording's rate. Generated leads
are always named ``"<lead> (generated)"`` so they can never be mistaken for measured signal.

:func:`without_leads` hides the leads being replaced from the input; :func:`export_with_generated` writes a
recording plus generated leads named ``<lead>_gen`` (the viewer's export, run in the analysis process).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..io.recording import Recording, resample
from ..signal.preprocess import PreprocessError
from ..vocabulary.lead_map import canonical_lead_name
from ..vocabulary.model_input import WINDOW_S
from .analyzer import AnalysisError

GENERATED_SUFFIX = " (generated)"


@dataclass
class GeneratedLeads:
    """``data`` (n_leads, n) float32 mV at ``fs`` Hz starting at ``start_s``; ``names`` carry the suffix."""

    names: list[str]
    leads: list[str]  # canonical names without the suffix
    data: np.ndarray
    fs: float
    start_s: float
    generated: bool = True


@torch.inference_mode()
def generate_leads(analyzer, recording: Recording, leads: list[str], start_s: float = 0.0,
                   stop_s: float | None = None) -> GeneratedLeads:
    """Generate ``leads`` (canonical 12-lead names) for ``[start_s, stop_s)`` of ``recording``."""
    model = analyzer.model
    if "leadgen" not in model.heads:
        raise AnalysisError(f"model {analyzer.model_dir} has no lead-generation head")
    slots = list(model.cfg.lead_slots)
    wanted = [canonical_lead_name(x) for x in leads]
    unknown = [x for x in wanted if x not in slots]
    if unknown:
        raise AnalysisError(f"cannot generate {unknown}: the model knows {' '.join(slots)}")
    stop_s = recording.duration_s if stop_s is None else min(stop_s, recording.duration_s)
    data = recording.read(int(round(start_s * recording.fs)), int(round(stop_s * recording.fs)))
    try:
        prep = model.prepare(data, recording.fs, recording.lead_names)
    except PreprocessError as exc:
        raise AnalysisError(f"{recording.path}: {exc}") from exc
    idx = [slots.index(x) for x in wanted]
    n_win = int(np.ceil(prep.n_patches * prep.patches.shape[-1] / prep.fs / WINDOW_S))
    P = int(round(WINDOW_S * prep.fs / prep.patches.shape[-1]))
    out = []
    dev = analyzer.device
    for k in range(n_win):
        win = prep.window(k * P, P)
        patches = torch.as_tensor(win.patches)[None].to(dev)
        lead_mask = torch.as_tensor(win.lead_mask)[None].to(dev)
        target = torch.zeros_like(lead_mask)
        target[0, idx] = True
        patches[0, idx] = 0.0
        lead_mask = lead_mask & ~target  # a lead being replaced is not an input, even when the file has it
        token_mask = target[:, :, None].expand(-1, -1, P) & torch.as_tensor(win.patch_mask)[None, None].to(dev)
        h = model.backbone(patches, lead_mask | target, torch.as_tensor(win.patch_mask)[None].to(dev), token_mask)
        wave = model.heads["leadgen"](h, {"patches": patches, "lead_mask": lead_mask})[0, idx]  # (n, P, L)
        out.append(wave.reshape(len(idx), -1).float().cpu().numpy())
    gen = np.concatenate(out, axis=1)[:, : prep.n_samples]
    gen = resample(gen, prep.fs, recording.fs)[:, : data.shape[1]]
    if gen.shape[1] < data.shape[1]:
        gen = np.pad(gen, ((0, 0), (0, data.shape[1] - gen.shape[1])))
    return GeneratedLeads([x + GENERATED_SUFFIX for x in wanted], wanted, gen.astype(np.float32), recording.fs,
                          start_s)


def without_leads(rec: Recording, leads) -> "SubsetRecording":
    """``rec`` without the given lead indices, so a corrupted lead never informs its own replacement."""
    drop = set(leads)
    keep = [i for i in range(len(rec.leads)) if i not in drop]
    if not keep:
        raise ValueError(f"{rec.path}: generating {', '.join(rec.lead_names[i] for i in leads)} needs at least "
                         "one other measured lead")
    return SubsetRecording(rec, keep)


class SubsetRecording:
    """A read-only view of some leads of a recording, with the attributes :func:`generate_leads` reads."""

    def __init__(self, rec: Recording, keep: list[int]):
        self._rec, self._keep = rec, keep
        self.path, self.fs, self.duration_s = rec.path, rec.fs, rec.duration_s
        self.lead_names = [rec.lead_names[i] for i in keep]

    def read(self, start: int = 0, stop: int | None = None, leads=None, fs=None) -> np.ndarray:
        idx = self._keep if leads is None else [self._keep[j] for j in leads]
        return self._rec.read(start, stop, idx) if fs is None else self._rec.read(start, stop, idx, fs)


def export_with_generated(rec: Recording, generated: np.ndarray, names: list[str], path: str, model: str):
    """Write ``rec`` plus the generated leads (named ``<lead>_gen``, declared in a header comment as generated
    by ``model``, not measured) to WFDB (``.hea``) or EDF/BDF; returns the path written."""
    from ..io.writers import write_edf, write_wfdb

    n = rec.n_samples
    gen = np.zeros((len(names), n), np.float32)
    gen[:, : min(n, generated.shape[1])] = generated[:, :n]
    data = np.concatenate([rec.read(), gen], axis=0)
    labels = [lead.original_name for lead in rec.leads] + [f"{x}_gen" for x in names]
    comments = list(getattr(rec, "comments", []) or []) + [
        f"generated leads (AnyECG model {model}, not measured): {' '.join(x + '_gen' for x in names)}"]
    out = Recording.from_array(data, rec.fs, labels, path=path, comments=comments)
    suffix = Path(path).suffix.lower()
    if suffix in (".edf", ".bdf"):
        return write_edf(out, path, annotations=False)
    return write_wfdb(out, path, annotations=False)
