"""``TrainingPanel``: fine-tune the model on the user's own labelled recordings and see what changed.

Three pages — Data (:class:`~.data_tab.DataTab`), Train (:class:`~.train_tab.TrainTab`), Result
(:class:`~.result_tab.ResultTab`) — under one task choice. The panel owns no training logic: the data set
comes from :mod:`anyecg_model.train.data.dataset_builder`, the job from :mod:`anyecg_model.train.finetune.job` (a worker
process running the same library as ``anyecg finetune``), versions from :mod:`anyecg_model.model.versions`.
Working folders live under ``<models root>/../training/<task>-<time>/`` (``dataset``, ``work``).
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from anyecg_model.model import versions
from anyecg_model.model.cuda_probe import cuda_present
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.train.data.dataset_builder import UserDataset
from anyecg_model.train.tasks import TASKS
from anyecg_model.train.finetune.job import JobConfig, JobEvent

from .data_tab import DataTab
from .result_tab import ResultTab
from .train_tab import TrainTab
from .workers import DatasetBuilder, JobRunner

TASK_TITLES = {"beats": "Beat classes (N S V F Q)", "rhythm": "Rhythm classes (N A O ~)",
               "anomaly": "Anomaly (normal / abnormal)", "leadgen": "Lead generation"}


class TrainingPanel(QtWidgets.QWidget):
    """Signals: ``versionChanged(str checkpoint_dir)`` after the viewer's model version is switched."""

    versionChanged = QtCore.Signal(str)

    def __init__(self, window=None, models_root: Path | None = None, parent=None):
        super().__init__(parent)
        self.window = window
        self.models_root = Path(models_root) if models_root else versions.models_root()
        self.dataset: UserDataset | None = None
        self.dataset_dir: Path | None = None
        self.job_cfg: JobConfig | None = None
        self.result: dict | None = None
        self.last_message = ""
        self.builder: DatasetBuilder | None = None
        self.runner = JobRunner(self)
        self.runner.event.connect(self._on_event)
        lay = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Task:"))
        self.task = QtWidgets.QComboBox()
        for t in TASKS:
            self.task.addItem(TASK_TITLES[t], t)
        self.task.currentIndexChanged.connect(self._task_changed)
        top.addWidget(self.task, 1)
        lay.addLayout(top)
        self.tabs = QtWidgets.QTabWidget()
        self.data_tab = DataTab()
        self.train_tab = TrainTab()
        self._cuda_checked = False
        self.result_tab = ResultTab()
        self.tabs.addTab(self.data_tab, "1 · Data")
        self.tabs.addTab(self.train_tab, "2 · Train")
        self.tabs.addTab(self.result_tab, "3 · Result")
        lay.addWidget(self.tabs)
        self.data_tab.buildRequested.connect(self.build_dataset)
        self.data_tab.addOpenRequested.connect(self._add_open_recording)
        self.train_tab.startRequested.connect(self.start)
        self.train_tab.pauseToggled.connect(lambda p: self.runner.pause() if p else self.runner.resume())
        self.train_tab.cancelRequested.connect(self.runner.cancel)
        self.train_tab.resumeRequested.connect(self.resume)
        self.train_tab.exportRequested.connect(self.show_export)
        self.result_tab.useVersionRequested.connect(self.use_version)
        self.result_tab.changedActivated.connect(self._show_in_viewer)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.runner.shutdown)
        self.refresh_versions()

    # ------------------------------------------------------------------ state
    def showEvent(self, event) -> None:
        if not self._cuda_checked:
            self._cuda_checked = True
            self.train_tab.set_cuda_available(cuda_present())  # a child process asks torch: seconds, once
        super().showEvent(event)

    @property
    def task_key(self) -> str:
        return self.task.currentData()

    @property
    def training_root(self) -> Path:
        return self.models_root.parent / "training"

    def _task_changed(self) -> None:
        self.dataset, self.dataset_dir = None, None
        self.train_tab.status.setText("Build a data set for this task, then start training.")

    def refresh_versions(self) -> None:
        """Refill the base-model and viewer-model choices from the model folder."""
        listed = versions.list_versions(self.models_root)
        active = versions.active_version(self.models_root)
        self.result_tab.set_versions([v.label for v in listed], active.label if active else None)
        combo = self.train_tab.base_model
        current = combo.currentData()
        combo.clear()
        if (SHIPPED_MODEL_DIR / "config.json").exists():
            combo.addItem(f"Shipped default ({SHIPPED_MODEL_DIR.name})", str(SHIPPED_MODEL_DIR))
        for v in reversed(listed):
            combo.addItem(f"My version {v.label}" + (f" ({v.task})" if v.task else ""), str(v.path))
        combo.addItem("Random initialisation (small, untrained baseline)", "")
        if current is not None and combo.findData(current) >= 0:
            combo.setCurrentIndex(combo.findData(current))

    def message(self, title: str, text: str) -> None:
        from ..dialogs import show_message

        self.last_message = text
        show_message(self, title, text)

    # ------------------------------------------------------------------ data
    def _add_open_recording(self) -> None:
        rec = self.window.recording if self.window is not None else None
        if rec is not None and rec.path and not rec.path.startswith("<"):
            self.data_tab.add_paths([rec.path])

    def build_dataset(self) -> None:
        if self.builder is not None and self.builder.running:
            return
        try:
            cfg = self.data_tab.config(self.task_key)
        except ValueError as exc:
            self.data_tab.status.setText(f"✖ {exc}")
            return
        out = self.training_root / f"{self.task_key}-{time.strftime('%Y%m%d-%H%M%S')}" / "dataset"
        self.data_tab.build_button.setEnabled(False)
        self.data_tab.status.setText("Reading recordings and labels…")
        self.builder = DatasetBuilder(cfg, out, self)
        self.builder.built.connect(self._on_built)
        self.builder.failed.connect(self._on_build_failed)
        self.builder.finished.connect(lambda: self.data_tab.build_button.setEnabled(True))
        self.builder.start()

    def _on_built(self, ds: UserDataset, written: str) -> None:
        self.dataset = ds
        self.dataset_dir = Path(written) if written else None
        self.data_tab.show_dataset(ds)
        if ds.ok:
            self.train_tab.status.setText(f"Data set ready ({len(ds.records)} records) in {written}.")

    def _on_build_failed(self, text: str) -> None:
        self.data_tab.status.setText(f"✖ {text}")

    # ------------------------------------------------------------------ training
    def job_config(self, resume: bool = False) -> JobConfig:
        """The job the Train page describes (for the current data set)."""
        t = self.train_tab
        base = t.base_model.currentData()
        dataset = self.dataset_dir or Path("<dataset folder>")
        work = dataset.parent / f"work-{time.strftime('%Y%m%d-%H%M%S')}"
        return JobConfig.for_dataset(dataset, work, task=self.task_key, init=Path(base) if base else None,
                                     train=t.train_key, last_layers=t.last_layers.value(), epochs=t.epochs.value(),
                                     lr=t.lr.value(), batch_size=t.batch_size.value(), device=t.device_key,
                                     resume=resume, version_name=t.name.text().strip() or None,
                                     models_root=self.models_root)

    def start(self) -> None:
        if self.dataset is None or self.dataset_dir is None:
            self.message("Training", "Build a data set without errors first (page 1 · Data).")
            return
        name = self.train_tab.name.text().strip()
        try:
            versions.check_name(name)
        except versions.VersionError as exc:
            self.message("Training", str(exc))
            return
        self.job_cfg = self.job_config()
        self._launch(self.job_cfg)

    def resume(self) -> None:
        if self.job_cfg is None:
            return
        self.job_cfg = self.job_cfg.resumed()
        self._launch(self.job_cfg, clear=False)

    def _launch(self, cfg: JobConfig, clear: bool = True) -> None:
        if clear:
            self.train_tab.clear()
        self.train_tab.set_running(True, can_resume=False)
        self.train_tab.status.setText("starting the training process…")
        self.runner.start(cfg)

    def _on_event(self, e: JobEvent) -> None:
        self.train_tab.show_event(e)
        if e.kind == "finished":
            self.result = e.data
            self.train_tab.set_running(False, can_resume=False)
            self.train_tab.progress.setValue(1000)
            self.train_tab.eta.setText("done")
            v = e.data.get("version")
            self.train_tab.status.setText(f"finished: saved as {v['label']}" if v else "finished")
            self.refresh_versions()
            self.result_tab.show_result(e.data)
            self.tabs.setCurrentWidget(self.result_tab)
        elif e.kind == "cancelled":
            self.train_tab.set_running(False, can_resume=e.data.get("epoch", 0) > 0)
            self.train_tab.status.setText(f"cancelled after epoch {e.data.get('epoch', 0)}: no model version was "
                                          f"saved; “Resume from last epoch” continues")
        elif e.kind == "failed":
            self.train_tab.set_running(False, can_resume=bool(self.train_tab.history))
            self.train_tab.status.setText(f"✖ {e.data['message']}")
            self.message("Training failed", e.data["message"])

    # ------------------------------------------------------------------ export and versions
    def command_lines(self) -> tuple[str, str]:
        cfg = self.job_cfg or self.job_config()
        return cfg.command_line(), cfg.command_line(nproc=4)

    def show_export(self) -> None:
        one, many = self.command_lines()
        dlg = QtWidgets.QDialog(self)
        dlg.setWindowTitle("Run this fine-tuning elsewhere")
        lay = QtWidgets.QVBoxLayout(dlg)
        lay.addWidget(QtWidgets.QLabel("The same job from a shell (copy the data set folder with it):"))
        text = QtWidgets.QPlainTextEdit(f"{one}\n\n# several GPUs on one machine:\n{many}\n")
        text.setReadOnly(True)
        text.setMinimumSize(720, 160)
        lay.addWidget(text)
        copy = QtWidgets.QPushButton("Copy")
        copy.clicked.connect(lambda: QtGui.QGuiApplication.clipboard().setText(text.toPlainText()))
        lay.addWidget(copy)
        dlg.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.export_text = text

    def use_version(self, label: str) -> None:
        """Switch the viewer's analysis to ``label`` ("" = the shipped default); later findings carry it."""
        try:
            path = versions.set_active(label or None, self.models_root)
        except versions.VersionError as exc:
            self.message("Model version", str(exc))
            return
        if self.window is not None and self.window.model is not None:
            self.window.model.set_model_dir(path)
        self.refresh_versions()
        self.versionChanged.emit(str(path))

    def _show_in_viewer(self, record: str, t: float) -> None:
        if self.window is None or self.dataset is None:
            return
        match = next((r for r in self.dataset.records if r.record == record), None)
        if match is not None and self.window.open_path(match.path):
            self.window.centre_on(t)
