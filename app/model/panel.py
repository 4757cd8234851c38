"""``ModelPanel``: the model dock — model and device, progress and cancel, messages, the record verdict, the
rhythm class, overlay toggles, flagged windows and the findings table (both jump to the finding on click).

The panel only shows :class:`~app.model.stream.OverlayData`; the controller owns the jobs and overlays.
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from anyecg_model.report.holter_stats import format_duration
from anyecg_model.timebase import TimeBase
from anyecg_model.analysis.episodes import paced_beats
from anyecg_model.vocabulary.labels import RECORD_CLASS_NAMES, beat_class_text

from .overlay_table import OverlayRow, overlay_rows
from .stream import OverlayData

#: Flagged windows listed at most (most suspicious first).
MAX_FLAGGED = 200
#: Scores this close below the model's abnormal threshold are called borderline, not normal.
#: Width of the borderline band below the threshold, in log-odds: the 0.3-0.5 band of a 0.5 threshold, so the
#: same strength of evidence separates "Borderline" from "Normal" at any threshold (0.125-0.25 at the fused
#: anomaly trees' 0.25, where a fixed 0.2 below would have called nearly every normal ECG borderline).
BORDERLINE_LOGIT = math.log(0.5 / 0.5) - math.log(0.3 / 0.7)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def verdict_text(score: float, threshold: float, partial: str = "") -> str:
    """The record verdict in words consistent with the model's threshold: ``Abnormal`` at or above it,
    ``Borderline`` within :data:`BORDERLINE_LOGIT` log-odds below it (0.52 with threshold 0.65 is no confident
    "Normal"), ``Normal`` below that; the score and threshold are always given."""
    if score >= threshold:
        word = "Abnormal"
    elif _logit(score) >= _logit(threshold) - BORDERLINE_LOGIT:
        word = "Borderline (uncertain, review)"
    else:
        word = "Normal"
    return f"Record: {word}, p(abnormal) = {score:.2f}, threshold {threshold:.2f}{partial}"


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else format_duration(s)


class ModelPanel(QtWidgets.QWidget):
    """One toggle per row of ``overlays`` (the overlay table, :mod:`.overlay_table`). Signals:
    ``jumpTo(t0_s, t1_s)``, ``analyzeRequested()``, ``cancelRequested()``."""

    jumpTo = QtCore.Signal(float, float)
    analyzeRequested = QtCore.Signal()
    cancelRequested = QtCore.Signal()

    def __init__(self, overlays: tuple[OverlayRow, ...] | None = None, parent=None):
        super().__init__(parent)
        self.timebase = TimeBase()
        lay = QtWidgets.QVBoxLayout(self)
        self.model_label = QtWidgets.QLabel("Model: not loaded")
        self.model_label.setWordWrap(True)
        self.message_label = QtWidgets.QLabel("")
        self.message_label.setObjectName("modelMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("QLabel#modelMessage { color: #b3261e; font-weight: bold; }")
        self.message_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()
        self.notice_label = QtWidgets.QLabel("")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        row = QtWidgets.QHBoxLayout()
        self.analyze_button = QtWidgets.QPushButton("Analyze")
        self.analyze_button.clicked.connect(self.analyzeRequested)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        row.addWidget(self.analyze_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        self.verdict_label = QtWidgets.QLabel("")
        self.verdict_label.setObjectName("modelVerdict")
        # a finding in bold; "not assessed" is no finding: plain and grey, so it does not read as one
        self.verdict_label.setStyleSheet("QLabel#modelVerdict { font-size: 14px; font-weight: bold; } "
                                         "QLabel#modelVerdict[notAssessed=\"true\"] { font-size: 12px; "
                                         "font-weight: normal; color: #555; }")
        self.rhythm_label = QtWidgets.QLabel("")
        self.summary_label = QtWidgets.QLabel("")
        self.summary_label.setWordWrap(True)
        self.verdict_label.setWordWrap(True)  # "not assessed: …" names the lead set the head was trained on
        self.rhythm_label.setWordWrap(True)  # the rhythm verdict's note says where the AF rule disagrees
        for w in (self.model_label, self.message_label, self.notice_label):
            lay.addWidget(w)
        lay.addLayout(row)
        for w in (self.verdict_label, self.rhythm_label, self.summary_label):
            lay.addWidget(w)
        box = QtWidgets.QGroupBox("Overlays")
        grid = QtWidgets.QGridLayout(box)
        self.toggles: dict[str, QtWidgets.QCheckBox] = {}
        for k, row in enumerate(overlay_rows() if overlays is None else overlays):
            cb = QtWidgets.QCheckBox(f"{row.label}  ({row.shortcut})")
            cb.setChecked(True)
            self.toggles[row.key] = cb
            grid.addWidget(cb, k // 2, k % 2)
        lay.addWidget(box)
        self.extra = QtWidgets.QVBoxLayout()  # generated-lead controls go here
        lay.addLayout(self.extra)
        lay.addWidget(QtWidgets.QLabel("Flagged windows (click to go there)"))
        self.flagged = QtWidgets.QListWidget()
        self.flagged.itemClicked.connect(self._flagged_clicked)
        lay.addWidget(self.flagged, 1)
        lay.addWidget(QtWidgets.QLabel("Findings (click a row to go there)"))
        self.findings_model = FindingsTableModel(self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.findings_model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(lambda index: self._row_clicked(index.row()))
        lay.addWidget(self.table, 2)
        self.setMinimumWidth(380)

    # ------------------------------------------------------------------ state
    def set_model(self, text: str) -> None:
        self.model_label.setText(text)

    def set_message(self, text: str) -> None:
        """An error for the user (empty hides it)."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def set_notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.analyze_button.setEnabled(not running)

    def set_progress(self, fraction: float) -> None:
        self.progress.setValue(int(round(1000 * max(0.0, min(1.0, fraction)))))

    def clear(self) -> None:
        self.set_progress(0.0)
        for w in (self.verdict_label, self.rhythm_label, self.summary_label):
            w.setText("")
        self.flagged.clear()
        self.findings_model.set_rows([], [])

    def show_data(self, d: OverlayData, duration_s: float, timebase: TimeBase = TimeBase()) -> None:
        """Verdict, rhythm class, summary, flagged windows and findings table of ``d``, times written by
        ``timebase`` (the recording's clock time, else elapsed time)."""
        self.timebase = self.findings_model.timebase = timebase
        partial = "" if d.complete else " (so far)"
        if d.anomaly_not_assessed is not None:
            self.verdict_label.setText(f"Anomaly: {d.anomaly_not_assessed}")
        elif d.anomaly_score is not None:
            self.verdict_label.setText(verdict_text(d.anomaly_score, d.anomaly_threshold, partial))
        if bool(self.verdict_label.property("notAssessed")) != (d.anomaly_not_assessed is not None):
            self.verdict_label.setProperty("notAssessed", d.anomaly_not_assessed is not None)
            self.verdict_label.style().unpolish(self.verdict_label)
            self.verdict_label.style().polish(self.verdict_label)
        top = d.top_record_class()
        v = d.rhythm_verdict
        if v is not None:
            self.rhythm_label.setText(f"Rhythm (record-level verdict): {v.label} — "
                                      f"{RECORD_CLASS_NAMES.get(v.label, v.label)}, p = {v.confidence:.2f}"
                                      + (f"\n{v.note}" if v.note else ""))
        elif top is not None:
            self.rhythm_label.setText(rhythm_class_text(d, top, duration_s))
        bits = []
        hr = d.heart_rate_bpm
        if hr.get("mean") is not None:
            spread = hr.get("min") is not None and hr.get("max") is not None
            bits.append(f"HR {hr['mean']:.0f} bpm" + (f" (minute rates {hr['min']:.0f}–{hr['max']:.0f})" if spread else ""))
        bits.append(f"{len(d.beat_time_s)} beats")
        burden = d.af_burden()
        if burden is not None:
            bits.append(f"AF burden {burden:.1%}")
            longest = d.longest_episode()
            bits.append("longest AF episode " + (f"{_duration(longest[1] - longest[0])} at {timebase.at(longest[0])}"
                                                 if longest else "none"))
        self.summary_label.setText(" · ".join(bits))
        self._fill_flagged(d)
        self._fill_table(d)

    def _fill_flagged(self, d: OverlayData) -> None:
        self.flagged.clear()
        for a, b, s in d.flagged_windows()[:MAX_FLAGGED]:
            item = QtWidgets.QListWidgetItem(f"{self.timebase.span(a, b)}   p = {s:.2f}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, (a, b))
            self.flagged.addItem(item)

    def _fill_table(self, d: OverlayData) -> None:
        beat_rows: list[tuple[str, str, str, str, tuple[float, float] | None]] = []
        times = d.beat_time_s
        for k, (cls, n) in enumerate(d.beat_counts().items()):
            first = times[d.beat_class == k][:1]
            span = (float(first[0]), float(first[0]) + 10.0) if len(first) else None
            beat_rows.append((f"{beat_class_text(cls)} beats", self.timebase.at(first[0]) if len(first) else "", "", str(n), span))
        self.findings_model.set_rows(beat_rows, d.episodes)

    # ------------------------------------------------------------------ navigation
    def _flagged_clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        a, b = item.data(QtCore.Qt.ItemDataRole.UserRole)
        self.jumpTo.emit(float(a), float(b))

    def _row_clicked(self, row: int) -> None:
        span = self.findings_model.span(row)
        if span is not None:
            self.jumpTo.emit(float(span[0]), float(span[1]))


class FindingsTableModel(QtCore.QAbstractTableModel):
    """Beat-count rows, then one row per episode ``(start_s, end_s, label, confidence)``. Episode rows are
    formatted only when Qt asks for a visible cell, so a Holter's thousands of episodes cost nothing until
    scrolled to. Every row reads ``(finding, onset, offset, duration/count, (t0_s, t1_s) | None)``."""

    HEADERS = ("Finding", "Onset", "Offset", "Duration / count")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.beat_rows: list[tuple] = []
        self.episodes: list[tuple[float, float, str, float]] = []
        self.timebase = TimeBase()

    def set_rows(self, beat_rows: list[tuple], episodes: list[tuple[float, float, str, float]]) -> None:
        self.beginResetModel()
        self.beat_rows, self.episodes = list(beat_rows), list(episodes)
        self.endResetModel()

    def row(self, i: int) -> tuple:
        if i < len(self.beat_rows):
            return self.beat_rows[i]
        a, b, label, conf = self.episodes[i - len(self.beat_rows)]
        return (f"{label} episode ({conf:.0%})", self.timebase.at(a), self.timebase.at(b), _duration(b - a),
                (a, b))

    def span(self, i: int) -> tuple[float, float] | None:
        return self.row(i)[4] if 0 <= i < self.rowCount() else None

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.beat_rows) + len(self.episodes)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.row(index.row())[index.column()]
        return None

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


def rhythm_class_text(d: OverlayData, top: tuple[str, float], duration_s: float) -> str:
    """The rhythm head's class of a recording without a record-level verdict (longer than a strip): its class and
    probability, unless most beats are paced — the classes know no paced rhythm, and "normal sinus rhythm" over a
    paced recording would be a confident wrong finding."""
    scope = "record" if duration_s <= 120 else "mean over windows"
    head = f"{top[0]} — {RECORD_CLASS_NAMES.get(top[0], top[0])}, p = {top[1]:.2f}"
    p = paced_beats(d.beat_class)
    if p is None:
        return f"Rhythm ({scope}): {head}"
    if p.rhythm:
        return (f"Rhythm ({scope}): paced rhythm — {p.paced} of {p.total} beats paced (the rhythm classes know no "
                f"paced rhythm; they read {head})")
    return f"Rhythm ({scope}): {head}\n{p.note()}"
