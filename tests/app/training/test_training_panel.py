"""The training panel: data-set counts and problems, job events → progress/ETA/plots/result view, a dead worker
leaves the window up, command-line export, and the viewer's model-version switch."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "train"))
from beat_synth import beat_record  # noqa: E402

from anyecg_model.train.finetune.job import JobEvent  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("ANYECG_MODELS_DIR", str(tmp_path / "models"))
    from app.training.panel import TrainingPanel

    p = TrainingPanel(None, models_root=tmp_path / "models")
    qtbot.addWidget(p)
    p.resize(980, 900)
    return p


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("panel-data")
    for i in range(4):
        beat_record(d / f"p{i}", seed=10 + i, duration_s=30.0)
    beat_record(d / "flat", seed=20, duration_s=30.0, p_v=0.0)
    return [d / f"p{i}.hea" for i in range(4)]


def _build(qtbot, panel, paths) -> None:
    panel.data_tab.add_paths(paths)
    panel.build_dataset()
    qtbot.waitUntil(lambda: panel.builder is not None and panel.builder.done, timeout=60_000)
    qtbot.waitUntil(lambda: panel.dataset is not None or panel.data_tab.status.text().startswith("✖"))


def test_counts_export_and_a_dead_worker(qtbot, panel, records):
    from anyecg_model.io import open_recording

    _build(qtbot, panel, records)
    assert panel.dataset.ok and panel.dataset_dir is not None and (panel.dataset_dir / "index.json").exists()
    t = panel.data_tab.counts
    rows = [t.verticalHeaderItem(r).text() for r in range(t.rowCount())]
    n_v = sum(int(np.sum(open_recording(p).annotations.symbol == "V")) for p in records)
    assert int(t.item(rows.index("V"), 2).text()) == n_v
    assert panel.data_tab.records.rowCount() == len(records)
    splits = {panel.data_tab.records.item(r, 2).text() for r in range(len(records))}
    assert splits == {"train", "val"}
    # the same job as a command line (headless twin), then a worker that dies leaves the panel usable
    panel.train_tab.epochs.setValue(7)
    panel.train_tab.batch_size.setValue(16)
    one, many = panel.command_lines()
    assert one.startswith("anyecg finetune --task beats --corpus " + str(panel.dataset_dir))
    assert "--epochs 7" in one and "--batch-size 16" in one and "--train head" in one
    assert many.startswith("torchrun --standalone --nproc_per_node=4 -m anyecg_model.cli finetune")
    panel.show_export()
    assert one in panel.export_text.toPlainText() and many in panel.export_text.toPlainText()
    panel.start()
    assert panel.runner.running
    panel.runner.job.process.kill()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert "ended unexpectedly" in panel.train_tab.status.text()
    assert panel.train_tab.start_button.isEnabled()


def test_one_class_data_set_shows_the_error_and_cannot_start(qtbot, panel, records):
    _build(qtbot, panel, [records[0].parent / "flat.hea"])
    texts = [panel.data_tab.issues.item(i).text() for i in range(panel.data_tab.issues.count())]
    assert any("one class only" in t or "cannot be split" in t for t in texts)
    assert panel.dataset_dir is None
    panel.start()
    assert not panel.runner.running
    assert "Build a data set" in panel.last_message


def test_events_drive_progress_plots_and_the_result_view(qtbot, panel):
    panel.train_tab.set_running(True, can_resume=False)
    panel._on_event(JobEvent("progress", {"step": 25, "total": 100, "eta_s": 95.0}))
    assert panel.train_tab.progress.value() == 250 and panel.train_tab.eta.text() == "ETA 1:35"
    for ep, (tl, vl, m) in enumerate([(0.9, 0.7, 0.3), (0.5, 0.45, 0.6)], start=1):
        panel._on_event(JobEvent("epoch", {"epoch": ep, "train_loss": tl, "val_loss": vl, "metric": "jkappa",
                                           "metric_value": m, "val": {}, "elapsed_s": ep * 10.0}))
    x, y = panel.train_tab.val_curve.getData()
    assert list(x) == [1, 2] and list(y) == [0.7, 0.45]
    assert list(panel.train_tab.metric_curve.getData()[1]) == [0.3, 0.6]
    classes = ["N", "S", "V", "F", "Q"]
    before = {"Se_N": 0.9, "+P_N": 0.95, "Se_V": 0.4, "+P_V": 0.5, "Se_S": 0, "+P_S": 0, "accuracy": 0.8,
              "jkappa": 0.3}
    after = {**before, "Se_V": 0.8, "+P_V": 0.7, "accuracy": 0.9, "jkappa": 0.6}
    cb = [[90, 0, 10, 0, 0], [0] * 5, [6, 0, 4, 0, 0], [0] * 5, [0] * 5]
    ca = [[95, 0, 5, 0, 0], [0] * 5, [2, 0, 8, 0, 0], [0] * 5, [0] * 5]
    changed = [{"record": "p1", "time_s": 12.5, "reference": "V", "before": "N", "after": "V"}]
    panel._on_event(JobEvent("finished", {"task": "beats", "classes": classes, "before": before, "after": after,
                                          "confusion_before": cb, "confusion_after": ca, "changed": changed,
                                          "n_changed": 1, "best_epoch": 2, "history": [{}, {}],
                                          "version": {"label": "clinic-1", "path": "/x/clinic-1"}}))
    r = panel.result_tab
    assert panel.tabs.currentWidget() is r
    labels = [r.metrics.verticalHeaderItem(i).text() for i in range(r.metrics.rowCount())]
    assert "V sensitivity" in labels and "S sensitivity" not in labels  # no S beats: not listed
    i = labels.index("V sensitivity")
    assert (r.metrics.item(i, 0).text(), r.metrics.item(i, 1).text(), r.metrics.item(i, 2).text()) == \
        ("0.400", "0.800", "+0.400")
    assert r.confusion_after.item(2, 2).text() == "8" and r.confusion_before.item(2, 0).text() == "6"
    m = r.changed_model
    assert m.rowCount() == 1 and m.data(m.index(0, 3)) == "N" and m.data(m.index(0, 1)) == "12.50"
    with qtbot.waitSignal(r.changedActivated) as sig:
        r.changed.doubleClicked.emit(m.index(0, 2))
    assert sig.args == ["p1", 12.5]
    assert "clinic-1" in r.summary.text()
    assert panel.train_tab.start_button.isEnabled()


def test_switching_the_viewer_version_tells_the_model_controller(qtbot, tmp_path, monkeypatch):
    import torch

    from anyecg_model.model import versions
    from anyecg_model.model.anyecg import AnyECG
    from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
    from anyecg_model.model.checkpoint import save_checkpoint
    from app.training.panel import TrainingPanel

    torch.manual_seed(0)
    save_checkpoint(AnyECG.from_size("tiny"), tmp_path / "ckpt")
    root = tmp_path / "models"
    versions.save_version(tmp_path / "ckpt", "clinic", training_data={}, metrics={}, job={"task": "beats"},
                          root=root)

    class Controller:
        dirs: list = []

        def set_model_dir(self, path):
            self.dirs.append(Path(path))

    class Window:
        model = Controller()
        recording = None

    p = TrainingPanel(Window(), models_root=root)
    qtbot.addWidget(p)
    assert p.result_tab.versions.count() == 2
    with qtbot.waitSignal(p.versionChanged):
        p.use_version("clinic-1")
    assert Window.model.dirs[-1] == root / "clinic-1"
    assert versions.active_model_dir(root) == root / "clinic-1"
    assert p.result_tab.versions.currentData() == "clinic-1"
    p.use_version("")
    assert Window.model.dirs[-1] == SHIPPED_MODEL_DIR
