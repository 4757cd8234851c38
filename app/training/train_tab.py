"""The panel's second page: what and how to train, start/pause/cancel/resume, a progress bar with ETA and live
plots of the training and validation loss and of the task metric per epoch (pyqtgraph)."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from anyecg_model.train.finetune.job import JobEvent

#: What to train: (text, JobConfig.train).
TRAIN_CHOICES = (("Head only (fast: backbone frozen)", "head"), ("Last layers + head", "last"),
                 ("Full fine-tuning", "full"))
DEVICE_CHOICES = (("Automatic (GPU when available)", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda"))
METRIC_NAMES = {"jkappa": "jκ", "F1_mean_NAO": "mean F1 (N, A, O)", "AUROC": "AUROC", "r": "Pearson r"}


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "ETA —"
    seconds = int(round(seconds))
    return f"ETA {seconds // 60:d}:{seconds % 60:02d}" if seconds < 3600 else \
        f"ETA {seconds // 3600:d} h {seconds % 3600 // 60:02d} min"


class TrainTab(QtWidgets.QWidget):
    """Signals: ``startRequested()``, ``pauseToggled(bool paused)``, ``cancelRequested()``,
    ``resumeRequested()`` (continue a cancelled job from its last epoch), ``exportRequested()``."""

    startRequested = QtCore.Signal()
    pauseToggled = QtCore.Signal(bool)
    cancelRequested = QtCore.Signal()
    resumeRequested = QtCore.Signal()
    exportRequested = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        form = QtWidgets.QFormLayout()
        self.base_model = QtWidgets.QComboBox()
        form.addRow("Start from", self.base_model)
        self.train_mode = QtWidgets.QComboBox()
        for text, _ in TRAIN_CHOICES:
            self.train_mode.addItem(text)
        form.addRow("Train", self.train_mode)
        self.last_layers = QtWidgets.QSpinBox()
        self.last_layers.setRange(1, 48)
        form.addRow("Last layers", self.last_layers)
        self.train_mode.currentIndexChanged.connect(
            lambda i: self.last_layers.setEnabled(TRAIN_CHOICES[i][1] == "last"))
        self.last_layers.setEnabled(False)
        self.epochs = QtWidgets.QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(5)
        form.addRow("Epochs", self.epochs)
        self.lr = QtWidgets.QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(1e-3)
        form.addRow("Learning rate", self.lr)
        self.batch_size = QtWidgets.QSpinBox()
        self.batch_size.setRange(1, 1024)
        self.batch_size.setValue(32)
        form.addRow("Batch size (windows of 10 s)", self.batch_size)
        self.device = QtWidgets.QComboBox()
        for text, _ in DEVICE_CHOICES:
            self.device.addItem(text)
        self.set_cuda_available(False)
        form.addRow("Device", self.device)
        self.name = QtWidgets.QLineEdit("clinic")
        self.name.setToolTip("Saved as a new version <name>-<n> in your model folder, never over the shipped model")
        form.addRow("Save as", self.name)
        lay.addLayout(form)
        row = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start training")
        self.start_button.clicked.connect(self.startRequested)
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.resume_button = QtWidgets.QPushButton("Resume from last epoch")
        self.resume_button.clicked.connect(self.resumeRequested)
        self.export_button = QtWidgets.QPushButton("Export as command line…")
        self.export_button.clicked.connect(self.exportRequested)
        for b in (self.start_button, self.pause_button, self.cancel_button, self.resume_button, self.export_button):
            row.addWidget(b)
        lay.addLayout(row)
        prow = QtWidgets.QHBoxLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.eta = QtWidgets.QLabel("ETA —")
        self.eta.setMinimumWidth(110)
        prow.addWidget(self.progress, 1)
        prow.addWidget(self.eta)
        lay.addLayout(prow)
        self.status = QtWidgets.QLabel("Build a data set, then start training.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status)
        self.loss_plot = pg.PlotWidget(title="Loss per epoch")
        self.loss_plot.setBackground("w")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "epoch")
        self.train_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2), symbol="o",
                                               symbolSize=6, symbolBrush="#1f77b4", name="training")
        self.val_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#d62728", width=2), symbol="s",
                                             symbolSize=6, symbolBrush="#d62728", name="validation")
        self.metric_plot = pg.PlotWidget(title="Validation metric per epoch")
        self.metric_plot.setBackground("w")
        self.metric_plot.setLabel("bottom", "epoch")
        self.metric_curve = self.metric_plot.plot([], [], pen=pg.mkPen("#2ca02c", width=2), symbol="o",
                                                  symbolSize=6, symbolBrush="#2ca02c")
        for p in (self.loss_plot, self.metric_plot):
            p.showGrid(x=True, y=True, alpha=0.3)
            p.getAxis("bottom").setTickSpacing(1, 1)  # whole epochs
            p.setMinimumHeight(150)
        lay.addWidget(self.loss_plot, 1)
        lay.addWidget(self.metric_plot, 1)
        self.history: list[dict] = []
        self.set_running(False, can_resume=False)

    # ------------------------------------------------------------------ settings
    def set_cuda_available(self, available: bool) -> None:
        """Offer the "CUDA GPU" device only when one is present."""
        keys = [key for _, key in DEVICE_CHOICES]
        self.device.model().item(keys.index("cuda")).setEnabled(available)

    @property
    def train_key(self) -> str:
        return TRAIN_CHOICES[self.train_mode.currentIndex()][1]

    @property
    def device_key(self) -> str:
        return DEVICE_CHOICES[self.device.currentIndex()][1]

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Continue" if paused else "Pause")
        self.pauseToggled.emit(paused)

    def set_running(self, running: bool, can_resume: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.resume_button.setEnabled(not running and can_resume)
        for w in (self.base_model, self.train_mode, self.epochs, self.lr, self.batch_size, self.device, self.name):
            w.setEnabled(not running)
        self.last_layers.setEnabled(not running and self.train_key == "last")
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)

    # ------------------------------------------------------------------ events
    def clear(self) -> None:
        self.history = []
        self.progress.setValue(0)
        self.eta.setText("ETA —")
        self._redraw()

    def show_event(self, e: JobEvent) -> None:
        """Reflect one job event (progress, epoch, status, paused/running)."""
        if e.kind == "progress":
            self.progress.setValue(int(1000 * e.data["step"] / max(1, e.data["total"])))
            self.eta.setText(format_eta(e.data.get("eta_s")))
        elif e.kind == "epoch":
            self.history = [h for h in self.history if h["epoch"] < e.data["epoch"]] + [e.data]
            self._redraw()
            v = e.data.get("metric_value")
            self.status.setText(f"epoch {e.data['epoch']}: training loss {e.data['train_loss']:.3f}, validation "
                                f"loss {_fmt(e.data.get('val_loss'))}, "
                                f"{METRIC_NAMES.get(e.data['metric'], e.data['metric'])} {_fmt(v)}")
        elif e.kind == "status":
            self.status.setText(e.data["text"])
        elif e.kind == "paused":
            self.status.setText("paused — Continue resumes at the next step")
        elif e.kind == "running":
            self.status.setText("training")

    def _redraw(self) -> None:
        ep = [h["epoch"] for h in self.history]
        self.train_curve.setData(ep, [_num(h.get("train_loss")) for h in self.history])
        self.val_curve.setData(ep, [_num(h.get("val_loss")) for h in self.history])
        self.metric_curve.setData(ep, [_num(h.get("metric_value")) for h in self.history])
        if self.history:
            name = self.history[-1]["metric"]
            self.metric_plot.setTitle(f"Validation {METRIC_NAMES.get(name, name)} per epoch")


def _num(v) -> float:
    return float("nan") if v is None else float(v)


def _fmt(v) -> str:
    return "—" if v is None or not math.isfinite(float(v)) else f"{float(v):.3f}"
