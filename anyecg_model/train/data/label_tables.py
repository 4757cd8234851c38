"""Label tables of whole records: CinC-2017 ``REFERENCE.csv`` and PTB-XL-style database tables.

``read_label_table(path)`` maps record names to a label text (and a patient when the table names one); each
task turns the text into its class index (``TrainingTask.label_from_table``).
"""
from __future__ import annotations

import ast
import csv
from dataclasses import dataclass
from pathlib import Path


#: Rhythm labels of tables and episodes → CinC record class.
RHYTHM_ALIASES = {"N": "N", "NSR": "N", "SR": "N", "A": "A", "AF": "A", "AFIB": "A", "O": "O", "~": "~",
                  "NOISY": "~", "NOISE": "~"}


class DatasetError(ValueError):
    """A data set (or its label table) cannot be used; the message lists every problem found."""


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
