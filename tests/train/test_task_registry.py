"""Training tasks are registered objects: each has its head, a new one is one module, nothing branches on names."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anyecg_model.train.tasks import TASKS, TrainingTask, get_task, task_names
from anyecg_model.train.tasks import base

TRAIN = Path(__file__).resolve().parents[2] / "anyecg_model" / "train"


def test_the_four_tasks_in_their_order_each_with_its_head_and_metric():
    from anyecg_model.model import heads  # noqa: F401  (registers the head types)
    from anyecg_model.model.head_registry import HEAD_TYPES

    assert TASKS == ("beats", "rhythm", "anomaly", "leadgen")
    for name in TASKS:
        task = get_task(name)
        assert task.name == name and task.head in HEAD_TYPES
        assert task.selection_metric and task.cache_set and task.classes and task.stage.epochs >= 1


def test_an_unknown_task_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown task 'qt'; known: beats, rhythm, anomaly, leadgen"):
        get_task("qt")


def test_a_new_task_is_offered_by_finetune_and_the_data_sets(tmp_path):
    from anyecg_model.cli import build_parser
    from anyecg_model.train.data.dataset_builder import DatasetConfig
    from anyecg_model.train.finetune.config import FinetuneConfig

    @base.register_task
    class QTTask(TrainingTask):
        name = "qt_interval"
        order = 25

    try:
        assert task_names() == ("beats", "rhythm", "qt_interval", "anomaly", "leadgen")
        args = build_parser("finetune").parse_args(["finetune", "--task", "qt_interval", "--out", str(tmp_path)])
        assert FinetuneConfig(args.task, args.out).task == "qt_interval"
        assert DatasetConfig("qt_interval", []).task == "qt_interval"
        with pytest.raises(ValueError, match="already registered"):
            base.register_task(QTTask)
    finally:
        del base._TASKS["qt_interval"]


def test_record_tasks_read_their_own_table_labels():
    assert get_task("rhythm").label_from_table(" (AFIB ") == 1
    assert get_task("anomaly").label_from_table("AF") == 1
    assert get_task("anomaly").label_from_table("normal") == 0
    assert get_task("beats").label_from_table("N") == -1


def test_beats_drop_rare_classes_per_beat_and_record_tasks_per_record():
    from anyecg_model.train.data.dataset_builder import RecordItem

    item = RecordItem("p", "r", "p", 360.0, 3600, ["I"], "h", beat_sample=np.array([1, 2, 3]),
                      beat_class=np.array([0, 3, 0]), label=2)
    get_task("beats").drop_classes(item, [3])
    assert item.beat_class.tolist() == [0, 0] and item.beat_sample.tolist() == [1, 3]
    get_task("rhythm").drop_classes(item, [2])
    assert item.label == -1 and len(get_task("rhythm").examples(item)) == 0


def test_the_registry_imports_no_torch():
    """The viewer's training panel builds data sets through the task objects without loading torch."""
    code = "import sys, anyecg_model.train.tasks, anyecg_model.train.data.dataset_builder; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_training_code_branches_on_a_task_name():
    pattern = re.compile(r"""task\s*(==|!=|in)\s*\(?["'](beats|rhythm|anomaly|leadgen)["']""")
    offenders = [f"{p.relative_to(TRAIN)}:{n}" for p in TRAIN.rglob("*.py") if "tasks" not in p.parts
                 for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
