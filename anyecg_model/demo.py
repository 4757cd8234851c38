"""Built-in demo recordings that need no data folder.

* :func:`demo_12lead` — a real 10-s 12-lead resting ECG that ships inside pydicom
  (``waveform_ecg.dcm``, 1000 Hz), opened through :func:`anyecg_model.io.open_recording` when a DICOM
  reader is registered, else decoded here with pydicom.
* :func:`synthetic_holter` — a long two-lead Holter (MLII, V1 at 250 Hz; six hours by default)
  generated deterministically on first use and cached as a memory-mapped ``.npy`` plus a JSON file of
  reference annotations under ``$ANYECG_CACHE/demo`` (default ``~/.cache/anyecg/demo``). It has sinus
  rhythm with a slow rate drift, atrial fibrillation, a run of supraventricular tachycardia, ventricular
  bigeminy, isolated PVCs and APCs, baseline wander and noise; its format is ``"synthetic"``.

:class:`MemmapSource` is the :class:`~anyecg_model.io.recording.SignalSource` over such a ``.npy``
(samples × leads, float32 mV or int16 with a gain), also used by the viewer benchmark.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .io.annotations import Annotations
from .io.recording import Lead, Provenance, Recording, RecordingError
from .vocabulary.lead_map import canonical_lead_name

log = logging.getLogger(__name__)

SYNTHETIC_FORMAT = "synthetic"
#: Shown on screen and on prints wherever synthetic demo data appears.
SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA"
DEMO_12LEAD_FILE = "waveform_ecg.dcm"


def demo_cache_dir() -> Path:
    base = os.environ.get("ANYECG_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "anyecg") / "demo"


# ---------------------------------------------------------------------------------------- sources
class MemmapSource:
    """Signal source over a ``.npy`` of shape (n_samples, n_leads): float32 mV, or int16 × ``gain_mv``."""

    def __init__(self, path: str | os.PathLike, gain_mv: float = 1.0):
        self.path = Path(path)
        try:
            self.data = np.load(self.path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise RecordingError(self.path, f"cannot map signal array: {exc}") from exc
        if self.data.ndim != 2:
            raise RecordingError(self.path, f"signal array must be 2-D (samples × leads), got {self.data.shape}")
        self.gain_mv = float(gain_mv)

    def read(self, start: int, stop: int, lead_idx: Sequence[int]) -> np.ndarray:
        block = np.asarray(self.data[start:stop]).T[list(lead_idx)]
        out = block.astype(np.float32)
        if self.gain_mv != 1.0:
            out *= self.gain_mv
        return out


def memmap_recording(path: str | os.PathLike, fs: float, lead_names: Sequence[str], *, gain_mv: float = 1.0,
                     content_hash: str, fmt: str, annotations: Annotations | None = None,
                     comments: list[str] | None = None) -> Recording:
    """A :class:`Recording` over a (samples × leads) ``.npy`` memory map."""
    src = MemmapSource(path, gain_mv)
    if src.data.shape[1] != len(lead_names):
        raise RecordingError(path, f"{src.data.shape[1]} columns for {len(lead_names)} lead names")
    leads = [Lead(canonical_lead_name(n), n, float(fs)) for n in lead_names]
    return Recording(leads=leads, fs=float(fs), n_samples=int(src.data.shape[0]), source=src,
                     provenance=Provenance(str(path), fmt, content_hash),
                     annotations=annotations if annotations is not None else Annotations.empty(),
                     comments=list(comments or []))


def demo_kind(recording: Recording) -> str | None:
    """``"holter"`` for the synthetic Holter (or any synthetic recording), ``"12lead"`` for the real 12-lead
    demo from pydicom's test files, else None."""
    if recording.format == SYNTHETIC_FORMAT:
        return "holter"
    path = Path(recording.path)
    if path.name == DEMO_12LEAD_FILE and "pydicom" in path.parts:
        return "12lead"
    return None


# ---------------------------------------------------------------------------------------- 12-lead
def demo_12lead() -> Recording:
    """The real 12-lead ECG in pydicom's test files (10 s at 1000 Hz)."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(DEMO_12LEAD_FILE)
    if path is None:
        raise RecordingError("waveform_ecg.dcm", "pydicom's test file is not installed")
    try:
        from .io import open_recording

        return open_recording(path)
    except (ImportError, RecordingError) as exc:
        log.info("DICOM reader unavailable (%s); decoding the demo with pydicom", exc)
    return _read_dicom_waveform(path)


def _read_dicom_waveform(path: str) -> Recording:
    import pydicom

    from .io.recording import content_hash

    ds = pydicom.dcmread(path)
    group = ds.WaveformSequence[0]
    fs = float(group.SamplingFrequency)
    names, scale = [], []
    for ch in group.ChannelDefinitionSequence:
        names.append(str(ch.ChannelSourceSequence[0].CodeMeaning).replace("Lead ", "").replace(" (Einthoven)", ""))
        unit = str(ch.ChannelSensitivityUnitsSequence[0].CodeValue) if "ChannelSensitivityUnitsSequence" in ch else "uV"
        scale.append({"uV": 1e-3, "mV": 1.0, "V": 1e3}.get(unit, 1e-3))
    data = ds.waveform_array(0).T * np.asarray(scale)[:, None]  # pydicom applies sensitivity: file units
    rec = Recording.from_array(data.astype(np.float32), fs, names, path=str(path), format="dicom")
    rec.provenance = Provenance(str(path), "dicom", content_hash(path))
    return rec


# ---------------------------------------------------------------------------------------- Holter
@dataclass(frozen=True)
class SyntheticHolterConfig:
    """Duration ``hours``, rate ``fs`` (Hz), PVC and APC probabilities per sinus beat, and the seed."""

    hours: float = 6.0
    fs: float = 250.0
    pvc_rate: float = 0.01
    apc_rate: float = 0.006
    seed: int = 20261122
    version: int = 1


#: Rhythm schedule as fractions of the record: (start fraction, MIT-BIH rhythm code).
_SCHEDULE = ((0.0, "N"), (0.25, "AFIB"), (0.40, "N"), (0.55, "SVTA"), (0.56, "N"), (0.70, "B"), (0.78, "N"))


def _template(fs: float, kind: str) -> np.ndarray:
    """(2, L) beat template in mV for leads MLII and V1 around the R peak at 0.25 s."""
    t = np.arange(int(0.8 * fs)) / fs - 0.25

    def g(mu, sigma, amp):
        return amp * np.exp(-0.5 * ((t - mu) / sigma) ** 2)

    if kind == "V":  # wide, bizarre QRS with discordant T
        ml2 = g(0.0, 0.04, 1.6) + g(0.07, 0.035, -0.6) + g(0.30, 0.07, -0.45)
        v1 = g(0.0, 0.045, -1.4) + g(0.08, 0.04, 0.4) + g(0.30, 0.07, 0.35)
        return np.stack([ml2, v1])
    p_amp = {"N": 0.15, "A": -0.08, "F": 0.0}[kind]
    ml2 = (g(-0.16, 0.025, p_amp) + g(-0.03, 0.010, -0.12) + g(0.0, 0.011, 1.2) + g(0.035, 0.012, -0.25)
           + g(0.24, 0.045, 0.3))
    v1 = (g(-0.16, 0.025, p_amp * 0.6) + g(0.0, 0.010, 0.3) + g(0.03, 0.016, -0.9) + g(0.24, 0.05, 0.12))
    return np.stack([ml2, v1])


def _beat_plan(cfg: SyntheticHolterConfig, rng: np.random.Generator) -> tuple[np.ndarray, list[str], list[tuple[float, str]]]:
    """R-peak times (s), beat symbols and rhythm changes (s, code) following :data:`_SCHEDULE`."""
    total = cfg.hours * 3600.0
    bounds = [(a * total, (_SCHEDULE[i + 1][0] if i + 1 < len(_SCHEDULE) else 1.0) * total, code)
              for i, (a, code) in enumerate(_SCHEDULE)]
    times, symbols = [], []
    t = 0.5
    for a, b, code in bounds:
        bigeminy_next = False
        while t < b:
            circadian = 72 + 10 * np.sin(2 * np.pi * t / 86400.0 * 4) + 4 * np.sin(2 * np.pi * t / 600.0)
            rr = 60.0 / circadian
            sym = "N"
            if code == "AFIB":
                rr = float(np.clip(rng.normal(0.62, 0.16), 0.33, 1.4))
            elif code == "SVTA":
                rr = 60.0 / 155.0 * (1 + 0.02 * rng.standard_normal())
            elif code == "B":
                if bigeminy_next:
                    sym, rr = "V", rr * 0.62
                bigeminy_next = not bigeminy_next
            else:
                u = rng.random()
                if u < cfg.pvc_rate:
                    sym, rr = "V", rr * 0.6
                elif u < cfg.pvc_rate + cfg.apc_rate:
                    sym, rr = "A", rr * 0.7
                rr *= 1 + 0.03 * rng.standard_normal()
            if symbols and symbols[-1] == "V" and code != "B":
                rr += 0.4 * 60.0 / circadian  # compensatory pause
            t += rr
            if t >= total - 0.6:
                break
            times.append(t)
            symbols.append(sym)
    rhythm = [(max(a, 0.25), code) for a, _, code in bounds]
    return np.asarray(times), symbols, rhythm


def _synthesize(cfg: SyntheticHolterConfig, out: np.ndarray, times: np.ndarray, symbols: list[str],
                rhythm: list[tuple[float, str]], rng: np.random.Generator) -> None:
    """Fill ``out`` (n, 2) float32 mV in place, one chunk of beats at a time."""
    fs, n = cfg.fs, out.shape[0]
    tt = np.arange(n, dtype=np.float64) / fs
    out[:, 0] = 0.12 * np.sin(2 * np.pi * 0.21 * tt) + 0.05 * np.sin(2 * np.pi * 0.037 * tt + 1.0)
    out[:, 1] = 0.08 * np.sin(2 * np.pi * 0.19 * tt + 0.5)
    out += rng.normal(0.0, 0.012, size=out.shape).astype(np.float32)
    in_af = np.zeros(n, bool)
    for k, (start, code) in enumerate(rhythm):
        stop = rhythm[k + 1][0] if k + 1 < len(rhythm) else n / fs
        if code == "AFIB":
            s0, s1 = int(start * fs), int(stop * fs)
            in_af[s0:s1] = True
    fib = 0.05 * np.sin(2 * np.pi * 6.2 * tt + 2 * np.sin(2 * np.pi * 0.3 * tt))
    out[in_af, 0] += fib[in_af].astype(np.float32)
    out[in_af, 1] += 1.6 * fib[in_af].astype(np.float32)
    del tt, fib
    sym = np.asarray(symbols)
    peak = np.round(times * fs).astype(np.int64)
    af_beat = in_af[np.clip(peak, 0, n - 1)]
    kinds = np.where(sym == "V", "V", np.where(sym == "A", "A", np.where(af_beat, "F", "N")))
    for kind in ("N", "A", "F", "V"):
        tpl = _template(fs, kind).astype(np.float32)
        sel = peak[kinds == kind]
        offs = np.arange(tpl.shape[1]) - int(0.25 * fs)
        for c in range(0, len(sel), 5000):
            idx = sel[c:c + 5000, None] + offs[None, :]
            ok = (idx >= 0) & (idx < n)
            for lead in range(2):
                np.add.at(out[:, lead], idx[ok], np.broadcast_to(tpl[lead], idx.shape)[ok])


def synthetic_holter(cfg: SyntheticHolterConfig = SyntheticHolterConfig(), cache_dir: Path | None = None) -> Recording:
    """The synthetic Holter, generated on first use (a few seconds) and memory-mapped afterwards."""
    key = hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()
    folder = (cache_dir or demo_cache_dir()) / f"synthetic-holter-{key[:16]}"
    sig, ann = folder / "signal.npy", folder / "annotations.json"
    if not (sig.exists() and ann.exists()):
        _generate(cfg, folder)
    try:
        meta = json.loads(ann.read_text())
        annotations = Annotations.from_lists(meta["sample"], meta["symbol"], aux=meta["aux"], source="reference")
        return memmap_recording(sig, cfg.fs, ["MLII", "V1"], content_hash=key, fmt=SYNTHETIC_FORMAT,
                                annotations=annotations,
                                comments=[f"synthetic {cfg.hours:g}-hour Holter generated by anyecg_model.demo"])
    except (OSError, ValueError, KeyError, RecordingError) as exc:
        log.warning("synthetic demo cache %s is unreadable (%s); regenerating", folder, exc)
        _generate(cfg, folder)
        return synthetic_holter(cfg, cache_dir)


def _generate(cfg: SyntheticHolterConfig, folder: Path) -> None:
    log.info("generating the synthetic %g-hour Holter demo in %s", cfg.hours, folder)
    rng = np.random.default_rng(cfg.seed)
    times, symbols, rhythm = _beat_plan(cfg, rng)
    n = int(cfg.hours * 3600 * cfg.fs)
    tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True, exist_ok=True)
    out = np.lib.format.open_memmap(tmp / "signal.npy", mode="w+", dtype=np.float32, shape=(n, 2))
    _synthesize(cfg, out, times, symbols, rhythm, rng)
    out.flush()
    del out
    samples = [int(round(s * cfg.fs)) for s, _ in rhythm] + [int(round(t * cfg.fs)) for t in times]
    syms = ["+"] * len(rhythm) + symbols
    aux = [f"({code}" for _, code in rhythm] + [""] * len(symbols)
    (tmp / "annotations.json").write_text(json.dumps({"sample": samples, "symbol": syms, "aux": aux}))
    if folder.exists():
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
