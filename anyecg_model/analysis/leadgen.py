"""Generate missing or corrupted leads from the present ones with the lead-generation head.

The leads to generate are fed to the backbone as *masked tokens* in their canonical slots (exactly as in
training), so every present lead at the same and adjacent seconds informs them; the head turns each
slot's hidden state back into a 1-s waveform. Output is in mV at the recording's rate. Generated leads
are always named ``"<lead> (generated)"`` so they can never be mistaken for measured signal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..io.leads import canonical_lead_name
from ..io.recording import Recording, resample
from ..signal.preprocess import PreprocessError
from .analyzer import WINDOW_S, AnalysisError

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
