"""Write a :class:`~.dataset_builder.UserDataset` as a training cache the fine-tuning library reads.

The layout is that of :mod:`anyecg_model.train.data.corpus`: ``index.json`` (one entry per record: set, record,
patient, split, leads, offset, length, age, sex, labels), ``<set>/signals.npy`` (int16 at 300 Hz,
:data:`~.corpus.UNITS_PER_MV` per mV), ``<set>/labels.npz`` (beats at 300 Hz with their AAMI class) and
``noise.npz`` (electrode noise for augmentation), plus ``dataset.json`` (the manifest). The task datasets
look records up by set name, so records are stored under the task's ``cache_set`` (beats: ``mitdb``, rhythm:
``cinc2017``, anomaly and lead generation: ``ptbxl500``) with the task's ``cache_labels``. Every file is written to a
temporary and renamed into place, ``index.json`` last.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...io import open_recording
from ...io.recording import resample
from .corpus import CORPUS_FS, UNITS_PER_MV

if TYPE_CHECKING:
    from .dataset_builder import RecordItem, UserDataset

log = logging.getLogger(__name__)

#: Signal read per chunk while writing the cache (s of the base rate).
CHUNK_S = 3600.0


def _synthetic_noise(seconds: float = 600.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Electrode-noise records for augmentation (mV at 300 Hz): baseline wander (sums of 0.05–0.5 Hz
    sinusoids, ~0.3 mV) and muscle artefact (Gaussian noise, 20–100 Hz band, ~0.05 mV rms), 2 rows each."""
    from scipy.signal import butter, sosfiltfilt

    rng = np.random.default_rng(seed)
    n = int(seconds * CORPUS_FS)
    t = np.arange(n) / CORPUS_FS
    bw = np.stack([sum(0.1 * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
                       for f in rng.uniform(0.05, 0.5, 3)) for _ in range(2)])
    sos = butter(4, [20.0, 100.0], btype="band", fs=CORPUS_FS, output="sos")
    ma = sosfiltfilt(sos, rng.normal(0.0, 1.0, (2, n)), axis=1)
    ma *= 0.05 / ma.std()
    return {"bw": bw.astype(np.float32), "ma": ma.astype(np.float32)}


def _signal_300(item: "RecordItem") -> np.ndarray:
    """The whole record at :data:`CORPUS_FS` as int16 (mV × UNITS_PER_MV), read an hour at a time."""
    rec = open_recording(item.path)
    step = int(CHUNK_S * rec.fs)
    parts = []
    for s in range(0, rec.n_samples, step):
        x = rec.read(s, min(rec.n_samples, s + step))
        parts.append(resample(x, rec.fs, CORPUS_FS) if abs(rec.fs - CORPUS_FS) > 1e-6 else x)
    x = np.nan_to_num(np.concatenate(parts, axis=1), nan=0.0) * UNITS_PER_MV
    return np.clip(np.round(x), -32767, 32767).astype(np.int16)


def write_corpus(ds: "UserDataset", out: Path) -> Path:
    """Write ``index.json``, ``<set>/signals.npy``, ``<set>/labels.npz``, ``noise.npz`` and ``dataset.json``
    (the manifest) into ``out``; temporaries are renamed into place, ``index.json`` last."""
    task = ds.training_task
    set_name = task.cache_set
    (out / set_name).mkdir(parents=True, exist_ok=True)
    n_leads = max(len(r.leads) for r in ds.records)
    blocks, entries, offset = [], [], 0
    beat_rec, beat_sample, beat_cls = [], [], []
    for k, r in enumerate(ds.records):
        sig = _signal_300(r)
        block = np.zeros((n_leads, sig.shape[1]), np.int16)
        block[: sig.shape[0]] = sig
        blocks.append(block)
        entries.append({"set": set_name, "record": r.record, "patient": r.patient, "split": r.split,
                        "leads": r.leads, "offset": offset, "length": sig.shape[1], "age": r.age, "sex": r.sex,
                        "labels": task.cache_labels(r)})
        offset += sig.shape[1]
        # reference beats (only a beat task's records have any)
        beat_rec.append(np.full(len(r.beat_sample), k, np.int32))
        beat_sample.append(np.round(r.beat_sample * (CORPUS_FS / r.fs)).astype(np.int64))
        beat_cls.append(r.beat_class.astype(np.int8))
    _save_npy(out / set_name / "signals.npy", np.concatenate(blocks, axis=1))
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    _save_npz(out / set_name / "labels.npz", beat_record=cat(beat_rec, np.int32),
              beat_sample=cat(beat_sample, np.int64), beat_class=cat(beat_cls, np.int8),
              episode_record=np.zeros(0, np.int32), episode_start=np.zeros(0, np.int64),
              episode_stop=np.zeros(0, np.int64), episode_label=np.zeros(0, np.int8))
    peaks = out / set_name / "peaks.npz"
    if peaks.exists():  # detected R peaks of an earlier data set in this folder would not match
        peaks.unlink()
    _save_npz(out / "noise.npz", **_synthetic_noise())
    _write_json(out / "dataset.json", ds.manifest())
    _write_json(out / "index.json", {"fs": CORPUS_FS, "units_per_mv": UNITS_PER_MV, "records": entries})
    log.info("data set of %d records written to %s", len(entries), out)
    return out


def _save_npy(path: Path, arr: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, arr)
    os.replace(tmp, path)


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)
