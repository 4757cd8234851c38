"""A compact training cache of the real ECG sets: int16 signals at 300 Hz plus a JSON index.

``build_corpus(data_dir, out_dir)`` reads mitdb, cinc2017, ptbxl500, ludb and the NSTDB noise records
once through the project's own readers (:func:`~anyecg_model.io.open_recording`, which also gives the
header's comments and the ``atr`` reference annotations), resamples every lead to :data:`CORPUS_FS` Hz and stores, per set, ``signals.npy`` (int16,
shape (n_leads_of_set, total_samples), :data:`UNITS_PER_MV` units per mV), ``labels.npz`` (beat and
rhythm-episode arrays, numbers only) and one shared ``index.json`` with one entry per record: set,
record, patient, split, lead names, offset, length, age, sex and record labels. Everything is read
back with ``allow_pickle=False`` and memory-mapped.

Splits never leak between a record's train and test use:

- mitdb: inter-patient DS1 (train; records 101, 203 and 223 serve as validation) / DS2 (test), de
  Chazal 2004; paced records 102 104 107 217 are ``excluded`` from every task but pre-training.
- ptbxl500: ``strat_fold`` 1–8 train, 9 val, 10 test.
- cinc2017: a seeded (:data:`SPLIT_SEED`) split stratified by class, by record: 80 % train, 10 % val,
  10 % test (no official test labels are public).
- ludb: a seeded split by record: 160 train, 20 val, 20 test.
"""
from __future__ import annotations

import ast
import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...io import open_recording
from ...io.recording import Recording, resample
from ...vocabulary.labels import AAMI_BEAT_CLASSES, AAMI_CLASS, EPISODE_LABELS, RECORD_CLASSES, episode_label

log = logging.getLogger(__name__)

CORPUS_FS = 300.0
UNITS_PER_MV = 1000.0  # int16 → ±32.767 mV
SPLIT_SEED = 2017
DEFAULT_CORPUS_DIR = Path.home() / ".cache" / "anyecg" / "corpus"
DEFAULT_DATA_DIR = Path.home() / ".cache" / "anyecg" / "data"
#: Samples (all leads together) read at once while building.
READ_CHUNK_VALUES = 1 << 24

MITDB_DS1 = tuple(str(r) for r in (101, 106, 108, 109, 112, 114, 115, 116, 118, 119, 122, 124, 201, 203, 205,
                                   207, 208, 209, 215, 220, 223, 230))
MITDB_DS2 = tuple(str(r) for r in (100, 103, 105, 111, 113, 117, 121, 123, 200, 202, 210, 212, 213, 214, 219,
                                   221, 222, 228, 231, 232, 233, 234))
MITDB_PACED = ("102", "104", "107", "217")
MITDB_VAL = ("101", "203", "223")
SETS = ("mitdb", "cinc2017", "ptbxl500", "ludb")


@dataclass(frozen=True)
class RecordEntry:
    """One record of the corpus index (samples at :data:`CORPUS_FS`)."""

    set: str
    record: str
    patient: str
    split: str  # train | val | test | excluded
    leads: list[str]
    offset: int
    length: int
    age: float | None
    sex: float | None  # 1 male, 0 female
    labels: dict


def _int16(x: np.ndarray) -> np.ndarray:
    x = np.nan_to_num(np.asarray(x, np.float32), nan=0.0) * UNITS_PER_MV
    return np.clip(np.round(x), -32767, 32767).astype(np.int16)


def _read(path: Path) -> tuple[np.ndarray, float, list[str], Recording]:
    """(signal in mV (n_leads, n) float32, rate in Hz, lead names, the recording) of the record ``path`` (a WFDB
    record name without extension), read by the project's own readers (:func:`~anyecg_model.io.open_recording`:
    units converted to mV, invalid samples NaN, the header's comments and every annotation file beside it)."""
    rec = open_recording(path.with_name(path.name + ".hea"))
    step = max(1, READ_CHUNK_VALUES // max(1, len(rec.leads)))
    sig = np.concatenate([rec.read(s, min(rec.n_samples, s + step)) for s in range(0, rec.n_samples, step)]
                         or [np.zeros((len(rec.leads), 0), np.float32)], axis=1)
    return sig, float(rec.fs), list(rec.lead_names), rec


class _SetWriter:
    """Accumulates one set's signals and index entries."""

    def __init__(self, name: str, n_leads: int):
        self.name, self.n_leads = name, n_leads
        self.chunks: list[np.ndarray] = []
        self.offset = 0
        self.entries: list[RecordEntry] = []

    def add(self, data: np.ndarray, fs: float, **entry) -> RecordEntry:
        sig = resample(data, fs, CORPUS_FS) if abs(fs - CORPUS_FS) > 1e-6 else data
        block = np.zeros((self.n_leads, sig.shape[1]), np.int16)
        block[: sig.shape[0]] = _int16(sig)
        self.chunks.append(block)
        e = RecordEntry(set=self.name, offset=self.offset, length=sig.shape[1], **entry)
        self.offset += sig.shape[1]
        self.entries.append(e)
        return e

    def save(self, out: Path) -> None:
        (out / self.name).mkdir(parents=True, exist_ok=True)
        np.save(out / self.name / "signals.npy", np.concatenate(self.chunks, axis=1))


def _mitdb(data: Path, out: Path) -> list[RecordEntry]:
    w = _SetWriter("mitdb", 2)
    beat_rec, beat_sample, beat_cls, ep_rec, ep_start, ep_stop, ep_lab = [], [], [], [], [], [], []
    records = sorted(p.stem for p in (data / "mitdb").glob("*.hea"))
    for k, rec in enumerate(records):
        sig, fs, leads, recording = _read(data / "mitdb" / rec)
        a = recording.annotations
        ann = a.select(a.source == "atr")
        split = ("excluded" if rec in MITDB_PACED else "test" if rec in MITDB_DS2
                 else "val" if rec in MITDB_VAL else "train")
        age, sex = _mitdb_demography(recording.comments)
        patient = "201" if rec == "202" else rec
        w.add(sig, fs, record=rec, patient=f"mitdb-{patient}", split=split, leads=leads, age=age, sex=sex,
              labels={})
        scale = CORPUS_FS / fs
        for s, sym in zip(ann.sample, ann.symbol):
            if sym in AAMI_CLASS:
                beat_rec.append(k)
                beat_sample.append(int(round(s * scale)))
                beat_cls.append(AAMI_BEAT_CLASSES.index(AAMI_CLASS[sym]))
        rhythm = [(int(s), a) for s, sym, a in zip(ann.sample, ann.symbol, ann.aux) if sym == "+" and a
                  and a.startswith("(")]
        for j, (s, a) in enumerate(rhythm):
            stop = rhythm[j + 1][0] if j + 1 < len(rhythm) else sig.shape[1]
            ep_rec.append(k)
            ep_start.append(int(round(s * scale)))
            ep_stop.append(int(round(stop * scale)))
            ep_lab.append(EPISODE_LABELS.index(episode_label(a)))
    w.save(out)
    np.savez(out / "mitdb" / "labels.npz", beat_record=np.array(beat_rec, np.int32),
             beat_sample=np.array(beat_sample, np.int64), beat_class=np.array(beat_cls, np.int8),
             episode_record=np.array(ep_rec, np.int32), episode_start=np.array(ep_start, np.int64),
             episode_stop=np.array(ep_stop, np.int64), episode_label=np.array(ep_lab, np.int8))
    return w.entries


def _mitdb_demography(comments: list[str]) -> tuple[float | None, float | None]:
    """MIT-BIH headers start with a comment ``69 M 1085 1629 x1``: age and sex."""
    for c in comments:
        parts = c.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1] in ("M", "F"):
            return float(parts[0]), 1.0 if parts[1] == "M" else 0.0
    return None, None


def _seeded_split(keys: list[str], strata: list[str], fractions=(0.8, 0.1, 0.1)) -> dict[str, str]:
    """Split ``keys`` into train/val/test, stratified by ``strata``, reproducibly (:data:`SPLIT_SEED`)."""
    rng = np.random.default_rng(SPLIT_SEED)
    out: dict[str, str] = {}
    for stratum in sorted(set(strata)):
        members = sorted(k for k, s in zip(keys, strata) if s == stratum)
        rng.shuffle(members)
        n_train = int(round(fractions[0] * len(members)))
        n_val = int(round(fractions[1] * len(members)))
        for i, k in enumerate(members):
            out[k] = "train" if i < n_train else "val" if i < n_train + n_val else "test"
    return out


def _cinc(data: Path, out: Path) -> list[RecordEntry]:
    with open(data / "cinc2017" / "REFERENCE.csv") as fh:
        ref = {row[0]: row[1] for row in csv.reader(fh) if row}
    split = _seeded_split(list(ref), list(ref.values()))
    w = _SetWriter("cinc2017", 1)
    for rec in sorted(ref):
        sig, fs, _, _ = _read(data / "cinc2017" / rec)
        # AliveCor's single lead is recorded between the two hands: lead I
        w.add(sig, fs, record=rec, patient=f"cinc-{rec}", split=split[rec], leads=["I"], age=None, sex=None,
              labels={"record_class": RECORD_CLASSES.index(ref[rec]), "anomaly": int(ref[rec] != "N")})
    w.save(out)
    return w.entries


def _ptbxl(data: Path, out: Path) -> list[RecordEntry]:
    root = data / "ptbxl500"
    with open(root / "scp_statements.csv") as fh:
        superclass = {row[""]: row["diagnostic_class"] for row in csv.DictReader(fh) if row.get("diagnostic_class")}
    w = _SetWriter("ptbxl500", 12)
    with open(root / "ptbxl_database.csv") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        codes = ast.literal_eval(row["scp_codes"])
        classes = {superclass[c] for c in codes if c in superclass}
        # NORM only → normal; any other diagnostic superclass → abnormal; none at all → unlabelled (-1)
        anomaly = -1 if not classes else 0 if classes == {"NORM"} else 1
        fold = int(row["strat_fold"])
        sig, fs, leads, _ = _read(root / row["filename_hr"])
        age = float(row["age"]) if row["age"] and float(row["age"]) < 120 else None
        sex = None if row["sex"] == "" else 1.0 - float(row["sex"])  # PTB-XL: 0 male, 1 female
        w.add(sig, fs, record=row["ecg_id"], patient=f"ptbxl-{row['patient_id']}",
              split="test" if fold == 10 else "val" if fold == 9 else "train", leads=leads, age=age, sex=sex,
              labels={"anomaly": anomaly, "superclasses": sorted(classes)})
    w.save(out)
    return w.entries


def _ludb(data: Path, out: Path) -> list[RecordEntry]:
    root = data / "ludb"
    records = sorted((p.stem for p in (root / "data").glob("*.hea")), key=int)
    rng = np.random.default_rng(SPLIT_SEED)
    order = list(rng.permutation(len(records)))
    w = _SetWriter("ludb", 12)
    for i, rec in enumerate(records):
        sig, fs, leads, recording = _read(root / "data" / rec)
        age = sex = None
        for c in recording.comments:
            if c.startswith("<age>:") and c.split(":")[1].strip().isdigit():
                age = float(c.split(":")[1])
            if c.startswith("<sex>:"):
                sex = 1.0 if c.split(":")[1].strip() == "M" else 0.0
        rank = order.index(i)
        w.add(sig, fs, record=rec, patient=f"ludb-{rec}", split="test" if rank < 20 else "val" if rank < 40 else "train",
              leads=leads, age=age, sex=sex, labels={})
    w.save(out)
    return w.entries


def _noise(data: Path, out: Path) -> None:
    """NSTDB baseline-wander and muscle-artefact records → ``noise.npz`` (float32 mV at 300 Hz)."""
    arrays = {}
    for name in ("bw", "ma"):
        sig, fs, _, _ = _read(data / "noise" / name)
        arrays[name] = resample(sig, fs, CORPUS_FS).astype(np.float32)
    np.savez(out / "noise.npz", **arrays)


def build_corpus(data_dir: Path = DEFAULT_DATA_DIR, out_dir: Path = DEFAULT_CORPUS_DIR) -> Path:
    """Build the cache (a few minutes on 2 cores) and return ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries: list[RecordEntry] = []
    for name, builder in (("mitdb", _mitdb), ("ptbxl500", _ptbxl), ("ludb", _ludb), ("cinc2017", _cinc)):
        log.info("corpus: %s", name)
        entries += builder(Path(data_dir), out_dir)
    _noise(Path(data_dir), out_dir)
    with open(out_dir / "index.json", "w") as fh:
        json.dump({"fs": CORPUS_FS, "units_per_mv": UNITS_PER_MV, "records": [e.__dict__ for e in entries]}, fh)
    return out_dir


class Corpus:
    """Read access to a built cache: records, signals in mV (memory-mapped) and label arrays."""

    def __init__(self, root: Path = DEFAULT_CORPUS_DIR):
        self.root = Path(root)
        index_path = self.root / "index.json"
        if not index_path.exists():
            raise FileNotFoundError(f"{index_path}: corpus not built (run build_corpus)")
        with open(index_path) as fh:
            index = json.load(fh)
        self.fs = float(index["fs"])
        self.records = [RecordEntry(**r) for r in index["records"]]
        self._signals: dict[str, np.ndarray] = {}
        self._labels: dict[str, dict[str, np.ndarray]] = {}

    def select(self, sets=SETS, splits=("train",)) -> list[RecordEntry]:
        return [r for r in self.records if r.set in sets and r.split in splits]

    def signal(self, rec: RecordEntry, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(n_leads, n) float32 mV at :data:`CORPUS_FS`, samples [start, stop) of the record."""
        if rec.set not in self._signals:
            self._signals[rec.set] = np.load(self.root / rec.set / "signals.npy", mmap_mode="r", allow_pickle=False)
        stop = rec.length if stop is None else min(stop, rec.length)
        arr = self._signals[rec.set][: len(rec.leads), rec.offset + start: rec.offset + stop]
        return arr.astype(np.float32) / UNITS_PER_MV

    def labels(self, set_name: str) -> dict[str, np.ndarray]:
        if set_name not in self._labels:
            with np.load(self.root / set_name / "labels.npz", allow_pickle=False) as z:
                self._labels[set_name] = {k: z[k] for k in z.files}
        return self._labels[set_name]

    def noise(self) -> dict[str, np.ndarray]:
        with np.load(self.root / "noise.npz", allow_pickle=False) as z:
            return {k: z[k] for k in z.files}


def detection_lead(leads: list[str]) -> int:
    """Index of the lead R peaks are detected on: II (or MLII) when present, else the first lead."""
    for name in ("II", "MLII"):
        if name in leads:
            return leads.index(name)
    return 0


def corpus_peaks(corpus: "Corpus", set_name: str) -> dict[str, np.ndarray]:
    """Detected R peaks (samples at :data:`CORPUS_FS`) of every record of a set, cached in ``peaks.npz``:
    ``offsets`` (n_records + 1,) into ``peaks``, records in index order."""
    from ...signal.rpeaks import detect_r_peaks

    path = corpus.root / set_name / "peaks.npz"
    if not path.exists():
        recs = [r for r in corpus.records if r.set == set_name]
        found = [detect_r_peaks(corpus.signal(r)[detection_lead(r.leads)], corpus.fs) for r in recs]
        offsets = np.concatenate([[0], np.cumsum([len(f) for f in found])]).astype(np.int64)
        np.savez(path, offsets=offsets, peaks=np.concatenate(found).astype(np.int64))
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def main(argv: list[str] | None = None) -> None:
    """``python -m anyecg_model.train.data.corpus [DATA_DIR] [OUT_DIR]``: build the cache."""
    import argparse

    p = argparse.ArgumentParser(description="Build the training cache of the real ECG sets (a few minutes).")
    p.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR,
                   help="folder holding mitdb, cinc2017, ptbxl500, ludb and noise (default %(default)s)")
    p.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_CORPUS_DIR, help="cache folder (default %(default)s)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    build_corpus(a.data_dir, a.out_dir)


if __name__ == "__main__":
    main()
