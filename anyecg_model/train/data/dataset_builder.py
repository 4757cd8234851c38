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
:mod:`anyecg_model.train.data.corpus` (see :mod:`.dataset_cache`), so the fine-tuning library
(``anyecg finetune --corpus DIR``) reads it unchanged. Label tables are read by :mod:`.label_tables`.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ...annotations import LABEL_SOURCES, AnnotationError, open_store
from ...io import open_recording
from ...io.recording import RecordingError
from ...vocabulary.lead_map import standard_equivalent
from ..tasks import TrainingTask, get_task, task_names
from .label_tables import DatasetError, TableRow, read_label_table

log = logging.getLogger(__name__)

#: Shortest usable recording (s): one model window needs at least half of its 10 s.
MIN_RECORD_S = 5.0
#: Names of a single unnamed ECG channel, taken as lead I (hand-held single-lead devices record I).
GENERIC_SINGLE_LEAD = ("ECG", "ECG1", "EKG", "CH1", "SIGNAL", "0")
#: Fewest examples a class needs to be learned and validated.
MIN_CLASS_EXAMPLES = 10
#: File extensions taken from a folder (CSV/TXT are left out: in folders they are usually label tables).
RECORD_EXTENSIONS = (".hea", ".edf", ".bdf", ".rec", ".dcm", ".dicom", ".xml", ".ecg", ".scp", ".npy", ".npz")

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
        if self.task not in task_names():
            raise ValueError(f"task must be one of {', '.join(task_names())}, not {self.task!r}")
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

    ``beat_sample`` are base-rate samples (``fs`` Hz) with ``beat_class`` indices into AAMI_BEAT_CLASSES;
    ``label`` is the record's class index (into the record-labelled task's classes), −1 if none.
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
        """Class index of every example of this record for ``task`` (its beats, or the one record label)."""
        return get_task(task).examples(self)


@dataclass
class Issue:
    """A problem found while building; ``error`` ones stop training, ``warning`` ones are shown."""

    severity: str
    message: str


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
    def training_task(self) -> TrainingTask:
        return get_task(self.task)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.training_task.classes

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

    def write_corpus(self, out_dir: "str | Path") -> Path:
        """Store the data set as a training cache in ``out_dir`` (see module doc); returns ``out_dir``."""
        from .dataset_cache import write_corpus

        self.check()
        return write_corpus(self, Path(out_dir))


def _open(path: Path, cfg: DatasetConfig, table: dict[str, TableRow] | None) -> RecordItem:
    task = get_task(cfg.task)
    rec = open_recording(path)
    item = RecordItem(path=str(path), record=_record_key(path), patient=f"record-{_record_key(path)}",
                      fs=rec.fs, n_samples=rec.n_samples, leads=rec.lead_names,
                      content_hash=rec.provenance.content_hash, age=rec.age,
                      sex=None if rec.sex is None else float(rec.sex == "M"))
    if table is not None:
        row = table.get(item.record) or table.get(path.name)
        if row is not None:
            item.label = task.label_from_table(row.label)
            if row.patient:
                item.patient = row.patient
    elif task.classifies:
        task.label_from_store(open_store(rec, cfg.annotator), cfg.sources, item)
    return item


def _usable(item: RecordItem, cfg: DatasetConfig) -> str | None:
    """Why a record cannot be used, or None."""
    if item.duration_s < cfg.min_record_s:
        return f"{item.path}: {item.duration_s:.1f} s long, shorter than the {cfg.min_record_s:g} s a window needs"
    known = [n for n in item.leads if standard_equivalent(n) is not None]
    if not known and len(item.leads) == 1 and item.leads[0].upper() in GENERIC_SINGLE_LEAD:
        item.leads = ["I"]  # a single hand-held lead, as CinC 2017 (AliveCor) records: lead I
        return None
    if not known:
        return f"{item.path}: no lead the model knows among {', '.join(item.leads)}"
    need = get_task(cfg.task).min_standard_leads
    if len(known) < need:
        return (f"{item.path}: {get_task(cfg.task).title} needs at least {need} standard leads "
                f"(has {', '.join(item.leads)})")
    return None


def build_dataset(cfg: DatasetConfig) -> UserDataset:
    """Open, label, check and split (see module doc). Never raises for bad data: see ``issues``."""
    issues: list[Issue] = []
    task = get_task(cfg.task)
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
        if task.classifies and not len(item.classes(cfg.task)):
            unlabelled.append(item.record)
            continue
        records.append(item)
    if unlabelled:
        issues.append(Issue("warning", f"left out {len(unlabelled)} record(s) without {cfg.task} labels: "
                                       f"{', '.join(unlabelled[:10])}{' …' if len(unlabelled) > 10 else ''}"))
    if not files:
        issues.append(Issue("error", "no recordings: add files or folders"))
    elif not records:
        what = f"{cfg.task} labels" if task.classifies else "usable recordings"
        issues.append(Issue("error", f"no {what} in {len(files)} file(s) "
                                     f"({'label table ' + str(cfg.table) if table is not None else 'annotation store'})"))
    records = _check_classes(records, cfg, issues)
    _split(records, cfg, issues)
    return UserDataset(cfg, records, issues)


def _check_classes(records: list[RecordItem], cfg: DatasetConfig, issues: list[Issue]) -> list[RecordItem]:
    task = get_task(cfg.task)
    if not task.classifies or not records:
        return records
    names = task.classes
    counts = Counter()
    for r in records:
        counts.update(int(k) for k in r.classes(cfg.task))
    rare = sorted(k for k, n in counts.items() if n < cfg.min_class_examples)
    if rare and cfg.drop_rare:
        issues.append(Issue("warning", "dropped rare class(es) " + ", ".join(
            f"{names[k]} ({counts[k]})" for k in rare) + f" with fewer than {cfg.min_class_examples} examples"))
        for r in records:
            task.drop_classes(r, rare)
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
    if not get_task(cfg.task).classifies:
        return
    names = get_task(cfg.task).classes
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


