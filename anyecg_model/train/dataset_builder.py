"""Turn the user's own labelled recordings into a fine-tuning data set, checked before any training.

``build_dataset(DatasetConfig)`` opens every recording (files or folders, any readable format), takes its
labels from one of three places and returns a :class:`UserDataset` with counts per class and per record
and a train/validation split **by patient when known, else by record — never by beat**:

* ``store``: the annotation store's current labels (reference, manual and accepted rows; the sources are
  configurable) of the chosen annotator file (``atr`` by default, or one saved by the viewer);
* ``table``: a CinC-2017-style ``REFERENCE.csv`` (``record,label``) or a PTB-XL-style table with a header
  (``ecg_id``/``filename_hr``/``record``, ``scp_codes``/``label``, optional ``patient_id``).

Bad input is found here, before training: no labels, one class only, a class with fewer than
:data:`MIN_CLASS_EXAMPLES` examples (an error unless ``drop_rare``), records shorter than
:data:`MIN_RECORD_S` seconds or unreadable (left out, each named), fewer than two records or patients.

:meth:`UserDataset.write_corpus` stores the data set in the training-cache layout of
:mod:`anyecg_model.train.corpus` (int16 at 300 Hz, ``index.json``, ``labels.npz``), so the fine-tuning
library (``anyecg finetune --corpus DIR``) reads it unchanged; the task datasets look records up by set
name, so beat-labelled records are stored as set ``mitdb``, record-labelled rhythm as ``cinc2017`` and
anomaly / lead-generation records as ``ptbxl500``.
"""
from __future__ import annotations

import ast
import csv
import json
import logging
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..analysis.labels import ANOMALY_CLASSES, BEAT_CLASSES, RECORD_CLASSES
from ..annotations import LABEL_SOURCES, AnnotationError, open_store
from ..io import open_recording
from ..io.annotations import AAMI_CLASS
from ..io.leads import standard_equivalent
from ..io.recording import Recording, RecordingError, resample
from .corpus import CORPUS_FS, UNITS_PER_MV

log = logging.getLogger(__name__)

TASKS = ("beats", "rhythm", "anomaly", "leadgen")
#: Shortest usable recording (s): one model window needs at least half of its 10 s.
MIN_RECORD_S = 5.0
#: Fewest examples a class needs to be learned and validated.
MIN_CLASS_EXAMPLES = 10
#: File extensions taken from a folder (CSV/TXT are left out: in folders they are usually label tables).
RECORD_EXTENSIONS = (".hea", ".edf", ".bdf", ".rec", ".dcm", ".dicom", ".xml", ".ecg", ".scp", ".npy", ".npz")
#: Set name each task's dataset reads in the training cache.
TASK_SET = {"beats": "mitdb", "rhythm": "cinc2017", "anomaly": "ptbxl500", "leadgen": "ptbxl500"}
#: Rhythm labels of tables and episodes → CinC record class.
RHYTHM_ALIASES = {"N": "N", "NSR": "N", "SR": "N", "A": "A", "AF": "A", "AFIB": "A", "O": "O", "~": "~",
                  "NOISY": "~", "NOISE": "~"}
#: Signal read per chunk while writing the cache (s of the base rate).
CHUNK_S = 3600.0


class DatasetError(ValueError):
    """The data set cannot be trained on; the message lists every problem found."""


@dataclass
class DatasetConfig:
    """Where recordings and labels come from and how to split them.

    ``labels``: ``store`` (annotation store of ``annotator``, rows whose source is in ``sources``) or
    ``table`` (``table`` path). ``val_records``: record names forced into validation (else a seeded
    share ``val_fraction`` of the examples, whole patients at a time).
    """

    task: str
    inputs: list[Path]
    labels: str = "store"
    annotator: str | None = None
    sources: tuple[str, ...] = LABEL_SOURCES
    table: Path | None = None
    val_fraction: float = 0.2
    val_records: tuple[str, ...] = ()
    seed: int = 0
    drop_rare: bool = False
    min_record_s: float = MIN_RECORD_S
    min_class_examples: int = MIN_CLASS_EXAMPLES

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, not {self.task!r}")
        if self.labels not in ("store", "table"):
            raise ValueError(f"labels must be 'store' or 'table', not {self.labels!r}")
        if self.labels == "table" and self.table is None:
            raise ValueError("labels='table' needs a label table file")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        self.inputs = [Path(p) for p in self.inputs]
        self.table = Path(self.table) if self.table is not None else None
        self.sources = tuple(self.sources)
        self.val_records = tuple(self.val_records)


@dataclass
class RecordItem:
    """One usable recording: where it is, who it belongs to and its labels.

    ``beat_sample`` are base-rate samples (``fs`` Hz) with ``beat_class`` indices into BEAT_CLASSES;
    ``label`` is the record's class index (rhythm: RECORD_CLASSES, anomaly: ANOMALY_CLASSES), −1 if none.
    """

    path: str
    record: str
    patient: str
    fs: float
    n_samples: int
    leads: list[str]
    content_hash: str
    age: float | None = None
    sex: float | None = None
    beat_sample: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    beat_class: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    label: int = -1
    split: str = "train"

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    def classes(self, task: str) -> np.ndarray:
        """Class index of every example of this record for ``task`` (beats, or the one record label)."""
        if task == "beats":
            return self.beat_class
        if task == "leadgen":
            return np.zeros(1, np.int64)
        return np.array([self.label] if self.label >= 0 else [], np.int64)


@dataclass
class Issue:
    """A problem found while building; ``error`` ones stop training, ``warning`` ones are shown."""

    severity: str
    message: str


def class_names(task: str) -> tuple[str, ...]:
    return {"beats": BEAT_CLASSES, "rhythm": RECORD_CLASSES, "anomaly": ANOMALY_CLASSES,
            "leadgen": ("leads",)}[task]


# ---------------------------------------------------------------------------------------------- inputs
def expand_inputs(inputs: list[Path]) -> list[Path]:
    """Files as given; folders → their recordings (recursively, :data:`RECORD_EXTENSIONS`), sorted."""
    out: list[Path] = []
    for p in inputs:
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in RECORD_EXTENSIONS)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def _record_key(path: Path) -> str:
    return path.stem if path.suffix else path.name


# ---------------------------------------------------------------------------------------------- label tables
@dataclass
class TableRow:
    label: str
    patient: str | None


def _anomaly_of_scp(codes: dict, superclass: dict[str, str] | None) -> str:
    """PTB-XL ``scp_codes`` → normal/abnormal: NORM only → normal; any other diagnostic class → abnormal."""
    if superclass is not None:
        classes = {superclass[c] for c in codes if c in superclass}
        if not classes:
            return ""
        return "normal" if classes == {"NORM"} else "abnormal"
    diagnostic = {c for c, v in codes.items() if float(v) > 0}
    return "normal" if diagnostic <= {"NORM", "SR"} and "NORM" in diagnostic else "abnormal"


def read_label_table(path: Path) -> dict[str, TableRow]:
    """Record key → label (and patient) from a CinC ``REFERENCE.csv`` or a PTB-XL-style table with a header.

    PTB-XL ``scp_codes`` become ``normal``/``abnormal`` (with ``scp_statements.csv`` beside the table the
    diagnostic superclasses decide, as in the corpus). Keys are record names (the file stem; PTB-XL rows
    also answer to ``ecg_id`` and the stems of ``filename_hr``/``filename_lr``).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the label table ({exc})") from exc
    if not rows:
        raise DatasetError(f"{path}: the label table is empty")
    head = [c.strip().lower() for c in rows[0]]
    out: dict[str, TableRow] = {}
    if not ({"label", "class", "rhythm", "anomaly", "scp_codes"} & set(head)):  # CinC: record,label rows
        for r in rows:
            if len(r) < 2:
                raise DatasetError(f"{path}: row {r} needs 'record,label'")
            out[r[0].strip()] = TableRow(r[1].strip(), None)
        return out
    col = {name: head.index(name) for name in head}
    label_col = next(c for c in ("label", "class", "rhythm", "anomaly", "scp_codes") if c in col)
    key_cols = [c for c in ("record", "ecg_id", "filename_hr", "filename_lr", "filename", "file") if c in col]
    if not key_cols:
        raise DatasetError(f"{path}: no record column (record, ecg_id, filename_hr or filename)")
    patient_col = next((c for c in ("patient_id", "patient") if c in col), None)
    superclass = None
    statements = path.with_name("scp_statements.csv")
    if label_col == "scp_codes" and statements.exists():
        with open(statements, newline="") as fh:
            superclass = {r[""]: r["diagnostic_class"] for r in csv.DictReader(fh) if r.get("diagnostic_class")}
    for r in rows[1:]:
        value = r[col[label_col]].strip()
        if label_col == "scp_codes":
            try:
                value = _anomaly_of_scp(ast.literal_eval(value), superclass)
            except (ValueError, SyntaxError) as exc:
                raise DatasetError(f"{path}: scp_codes {value!r} is not a dict ({exc})") from exc
        patient = r[col[patient_col]].strip() if patient_col else None
        row = TableRow(value, f"{patient_col}-{patient.split('.')[0]}" if patient else None)
        for k in key_cols:
            v = r[col[k]].strip()
            if v:
                out[Path(v).name if "/" in v else v] = row
    return out


def _class_of_table_label(task: str, text: str) -> int:
    t = text.strip()
    if task == "rhythm":
        cls = RHYTHM_ALIASES.get(t.upper().lstrip("("))
        return RECORD_CLASSES.index(cls) if cls else -1
    if task == "anomaly":
        low = t.lower()
        if low in ("0", "normal", "n", "norm", "false"):
            return 0
        if low in ("1", "abnormal", "a", "o", "~", "true") or RHYTHM_ALIASES.get(t.upper()) in ("A", "O"):
            return 1
        return -1
    return -1


# ---------------------------------------------------------------------------------------------- store labels
def _store_labels(rec: Recording, cfg: DatasetConfig, item: RecordItem) -> None:
    """Fill beats (beat task) or the record class (rhythm/anomaly: the longest episode's rhythm)."""
    store = open_store(rec, cfg.annotator)
    beats = store.beats.select(np.isin(store.beats["source"], cfg.sources))
    if cfg.task == "beats":
        codes = beats["code"]
        keep = np.array([c in AAMI_CLASS for c in codes], bool)
        item.beat_sample = np.asarray(beats["sample"][keep], np.int64)
        item.beat_class = np.array([BEAT_CLASSES.index(AAMI_CLASS[c]) for c in codes[keep]], np.int64)
        order = np.argsort(item.beat_sample, kind="stable")
        item.beat_sample, item.beat_class = item.beat_sample[order], item.beat_class[order]
        return
    eps = store.episodes.select(np.isin(store.episodes["source"], cfg.sources))
    if len(eps) == 0:
        return
    cover: Counter = Counter()
    for start, stop, code in zip(eps["start"], eps["stop"], eps["code"]):
        cover[RHYTHM_ALIASES.get(str(code).upper(), "O")] += int(stop - start)
    rhythm = cover.most_common(1)[0][0]
    item.label = RECORD_CLASSES.index(rhythm) if cfg.task == "rhythm" else int(rhythm != "N")


# ---------------------------------------------------------------------------------------------- building
@dataclass
class UserDataset:
    """Labelled records split into train and validation, with the problems found (see module doc)."""

    config: DatasetConfig
    records: list[RecordItem]
    issues: list[Issue]

    @property
    def task(self) -> str:
        return self.config.task

    @property
    def classes(self) -> tuple[str, ...]:
        return class_names(self.task)

    @property
    def errors(self) -> list[str]:
        return [i.message for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[str]:
        return [i.message for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, dict[str, int]]:
        """Examples per class: ``{"train": {class: n}, "val": {...}, "all": {...}}``."""
        out = {s: {c: 0 for c in self.classes} for s in ("train", "val", "all")}
        for r in self.records:
            for k, n in zip(*np.unique(r.classes(self.task), return_counts=True)):
                out[r.split][self.classes[int(k)]] += int(n)
                out["all"][self.classes[int(k)]] += int(n)
        return out

    def record_counts(self) -> list[dict]:
        """One row per record: record, patient, split, duration (s) and examples per class."""
        rows = []
        for r in self.records:
            per = np.bincount(r.classes(self.task), minlength=len(self.classes)) if len(r.classes(self.task)) \
                else np.zeros(len(self.classes), int)
            rows.append({"record": r.record, "path": r.path, "patient": r.patient, "split": r.split,
                         "duration_s": round(r.duration_s, 1), **{c: int(n) for c, n in zip(self.classes, per)}})
        return rows

    def check(self) -> None:
        """Raise :class:`DatasetError` listing every error (call before training)."""
        if self.errors:
            raise DatasetError("the data set cannot be trained on:\n- " + "\n- ".join(self.errors))

    def manifest(self) -> dict:
        """JSON-friendly description: config, records (path, hash, split, counts), counts and issues."""
        cfg = asdict(self.config)
        cfg.update(inputs=[str(p) for p in self.config.inputs],
                   table=str(self.config.table) if self.config.table else None)
        recs = [dict(row, content_hash=r.content_hash) for row, r in zip(self.record_counts(), self.records)]
        return {"task": self.task, "classes": list(self.classes), "config": cfg, "records": recs,
                "counts": self.counts(), "issues": [asdict(i) for i in self.issues]}

    def write_corpus(self, out_dir: str | os.PathLike) -> Path:
        """Store the data set as a training cache in ``out_dir`` (see module doc); returns ``out_dir``."""
        self.check()
        return write_corpus(self, Path(out_dir))


def _open(path: Path, cfg: DatasetConfig, table: dict[str, TableRow] | None) -> RecordItem:
    rec = open_recording(path)
    item = RecordItem(path=str(path), record=_record_key(path), patient=f"record-{_record_key(path)}",
                      fs=rec.fs, n_samples=rec.n_samples, leads=rec.lead_names,
                      content_hash=rec.provenance.content_hash, age=rec.age,
                      sex=None if rec.sex is None else float(rec.sex == "M"))
    if table is not None:
        row = table.get(item.record) or table.get(path.name)
        if row is not None:
            item.label = _class_of_table_label(cfg.task, row.label)
            if row.patient:
                item.patient = row.patient
    elif cfg.task != "leadgen":
        _store_labels(rec, cfg, item)
    return item


def _usable(item: RecordItem, cfg: DatasetConfig) -> str | None:
    """Why a record cannot be used, or None."""
    if item.duration_s < cfg.min_record_s:
        return f"{item.path}: {item.duration_s:.1f} s long, shorter than the {cfg.min_record_s:g} s a window needs"
    known = [n for n in item.leads if standard_equivalent(n) is not None]
    if not known:
        return f"{item.path}: no lead the model knows among {', '.join(item.leads)}"
    if cfg.task == "leadgen" and len(known) < 2:
        return f"{item.path}: lead generation needs at least two standard leads (has {', '.join(item.leads)})"
    return None


def build_dataset(cfg: DatasetConfig) -> UserDataset:
    """Open, label, check and split (see module doc). Never raises for bad data: see ``issues``."""
    issues: list[Issue] = []
    table = None
    if cfg.labels == "table":
        try:
            table = read_label_table(cfg.table)
        except DatasetError as exc:
            return UserDataset(cfg, [], [Issue("error", str(exc))])
    files = expand_inputs(cfg.inputs)
    records: list[RecordItem] = []
    unlabelled: list[str] = []
    for path in files:
        try:
            item = _open(path, cfg, table)
        except (RecordingError, AnnotationError, OSError) as exc:
            issues.append(Issue("warning", f"left out: {exc}"))
            continue
        why = _usable(item, cfg)
        if why:
            issues.append(Issue("warning", f"left out: {why}"))
            continue
        if cfg.task != "leadgen" and not len(item.classes(cfg.task)):
            unlabelled.append(item.record)
            continue
        records.append(item)
    if unlabelled:
        issues.append(Issue("warning", f"left out {len(unlabelled)} record(s) without {cfg.task} labels: "
                                       f"{', '.join(unlabelled[:10])}{' …' if len(unlabelled) > 10 else ''}"))
    if not files:
        issues.append(Issue("error", "no recordings: add files or folders"))
    elif not records:
        what = "usable recordings" if cfg.task == "leadgen" else f"{cfg.task} labels"
        issues.append(Issue("error", f"no {what} in {len(files)} file(s) "
                                     f"({'label table ' + str(cfg.table) if table is not None else 'annotation store'})"))
    records = _check_classes(records, cfg, issues)
    _split(records, cfg, issues)
    return UserDataset(cfg, records, issues)


def _check_classes(records: list[RecordItem], cfg: DatasetConfig, issues: list[Issue]) -> list[RecordItem]:
    if cfg.task == "leadgen" or not records:
        return records
    names = class_names(cfg.task)
    counts = Counter()
    for r in records:
        counts.update(int(k) for k in r.classes(cfg.task))
    rare = sorted(k for k, n in counts.items() if n < cfg.min_class_examples)
    if rare and cfg.drop_rare:
        issues.append(Issue("warning", "dropped rare class(es) " + ", ".join(
            f"{names[k]} ({counts[k]})" for k in rare) + f" with fewer than {cfg.min_class_examples} examples"))
        for r in records:
            if cfg.task == "beats":
                keep = ~np.isin(r.beat_class, rare)
                r.beat_sample, r.beat_class = r.beat_sample[keep], r.beat_class[keep]
            elif r.label in rare:
                r.label = -1
        records = [r for r in records if len(r.classes(cfg.task))]
        for k in rare:
            del counts[k]
    elif rare:
        issues.append(Issue("error", "too few examples: " + ", ".join(
            f"class {names[k]} has {counts[k]}" for k in rare) + f" (each class needs at least "
            f"{cfg.min_class_examples}; label more or drop rare classes)"))
    if len([k for k, n in counts.items() if n > 0]) < 2:
        only = names[next(iter(counts))] if counts else "none"
        issues.append(Issue("error", f"one class only ({only}): a classifier needs examples of at least two "
                                     f"classes"))
    return records


def _split(records: list[RecordItem], cfg: DatasetConfig, issues: list[Issue]) -> None:
    """Assign ``split`` by patient: forced ``val_records`` first, then seeded whole patients until the
    validation share of examples reaches ``val_fraction``."""
    if not records:
        return
    groups: dict[str, list[RecordItem]] = {}
    for r in records:
        groups.setdefault(r.patient, []).append(r)
    if len(groups) < 2:
        issues.append(Issue("error", f"{len(records)} record(s) of one patient cannot be split into training "
                                     f"and validation by record: add recordings of other patients"))
        return
    size = {p: sum(len(r.classes(cfg.task)) for r in rs) for p, rs in groups.items()}
    total = sum(size.values())
    forced = {r.patient for r in records if r.record in cfg.val_records}
    unknown = sorted(set(cfg.val_records) - {r.record for r in records})
    if unknown:
        issues.append(Issue("warning", f"validation record(s) not in the data set: {', '.join(unknown)}"))
    val: list[str] = sorted(forced)
    if not val:
        rng = np.random.default_rng(cfg.seed)
        for p in rng.permutation(sorted(groups)):
            if sum(size[q] for q in val) >= cfg.val_fraction * total:
                break
            val.append(str(p))
    if len(val) == len(groups):
        val = val[:-1]
    for p in val:
        for r in groups[p]:
            r.split = "val"
    if cfg.task in ("leadgen",):
        return
    names = class_names(cfg.task)
    for split in ("train", "val"):
        present = set()
        for r in records:
            if r.split == split:
                present.update(int(k) for k in r.classes(cfg.task))
        every = set()
        for r in records:
            every.update(int(k) for k in r.classes(cfg.task))
        missing = sorted(every - present)
        if missing:
            issues.append(Issue("warning", f"no {', '.join(names[k] for k in missing)} example(s) in the "
                                           f"{'validation' if split == 'val' else 'training'} records"))


# ---------------------------------------------------------------------------------------------- cache
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


def _signal_300(item: RecordItem) -> np.ndarray:
    """The whole record at :data:`CORPUS_FS` as int16 (mV × UNITS_PER_MV), read an hour at a time."""
    rec = open_recording(item.path)
    step = int(CHUNK_S * rec.fs)
    parts = []
    for s in range(0, rec.n_samples, step):
        x = rec.read(s, min(rec.n_samples, s + step))
        parts.append(resample(x, rec.fs, CORPUS_FS) if abs(rec.fs - CORPUS_FS) > 1e-6 else x)
    x = np.nan_to_num(np.concatenate(parts, axis=1), nan=0.0) * UNITS_PER_MV
    return np.clip(np.round(x), -32767, 32767).astype(np.int16)


def write_corpus(ds: UserDataset, out: Path) -> Path:
    """Write ``index.json``, ``<set>/signals.npy``, ``<set>/labels.npz``, ``noise.npz`` and ``dataset.json``
    (the manifest) into ``out``; temporaries are renamed into place, ``index.json`` last."""
    set_name = TASK_SET[ds.task]
    (out / set_name).mkdir(parents=True, exist_ok=True)
    n_leads = max(len(r.leads) for r in ds.records)
    blocks, entries, offset = [], [], 0
    beat_rec, beat_sample, beat_cls = [], [], []
    for k, r in enumerate(ds.records):
        sig = _signal_300(r)
        block = np.zeros((n_leads, sig.shape[1]), np.int16)
        block[: sig.shape[0]] = sig
        blocks.append(block)
        labels = {}
        if ds.task == "rhythm":
            labels["record_class"] = r.label
        elif ds.task == "anomaly":
            labels["anomaly"] = r.label
        entries.append({"set": set_name, "record": r.record, "patient": r.patient, "split": r.split,
                        "leads": r.leads, "offset": offset, "length": sig.shape[1], "age": r.age, "sex": r.sex,
                        "labels": labels})
        offset += sig.shape[1]
        if ds.task == "beats":
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
