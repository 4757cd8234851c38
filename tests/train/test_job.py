"""The fine-tuning job: a tiny model learns a learnable beat difference, cancel/resume continue from the saved
epoch in a spawned process, a dead worker is reported, and versions are saved safely and switch findings."""
from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from anyecg_model.model.anyecg import AnyECG
from anyecg_model.model.checkpoint import save_checkpoint
from anyecg_model.model import versions
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR
from anyecg_model.train.data.dataset_builder import DatasetConfig, build_dataset
from anyecg_model.train.finetune.options import config_from_args
from anyecg_model.train.finetune.config import FinetuneConfig
from anyecg_model.train.finetune.job import JobConfig, TrainingJob
from anyecg_model.train.finetune.worker import run_job, worker_main
from anyecg_model.train.tasks import get_task

from beat_synth import beat_record

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Six synthetic 60-s records (N vs premature, wide, inverted V beats), their data set and a tiny model."""
    root = tmp_path_factory.mktemp("job")
    files = []
    for i in range(6):
        beat_record(root / "data" / f"r{i}", seed=i)
        files.append(root / "data" / f"r{i}.hea")
    ds = build_dataset(DatasetConfig("beats", files, val_fraction=0.34))
    ds.write_corpus(root / "corpus")
    torch.manual_seed(0)
    model = AnyECG.from_size("tiny")
    model.add_head("beats", {"type": "beats"})
    model.add_head("rhythm", {"type": "rhythm"})
    save_checkpoint(model, root / "init", {"name": "shipped-tiny", "model_version": "0"})
    return root


def _cfg(root: Path, work: str, dataset: Path | None = None, **kw) -> JobConfig:
    base = dict(task="beats", init=root / "init", epochs=3, lr=3e-3, batch_size=4, threads=1, nice=0,
                version_name="clinic", models_root=root / "models")
    base.update(kw)
    return JobConfig.for_dataset(dataset or root / "corpus", root / work, **base)


def _run_inline(cfg: JobConfig) -> list[tuple[str, dict]]:
    events = []
    run_job(cfg, lambda k, d: events.append((k, d)), threading.Event(), threading.Event())
    return events


@pytest.fixture(scope="module")
def finished(setup):
    events = _run_inline(_cfg(setup, "inline", models_root=setup / "models-inline"))
    return dict(events)["finished"], events


def test_finetuning_improves_the_validation_metric(finished):
    result, events = finished
    before, after = result["before"], result["after"]
    assert after["jkappa"] > before["jkappa"] + 0.2
    assert after["Se_V"] > 0.5 and after["accuracy"] > 0.85
    epochs = [d for k, d in events if k == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert all(np.isfinite(e["val_loss"]) for e in epochs)


def test_result_lists_changed_beats_and_confusions(finished):
    result, _ = finished
    cb, ca = np.array(result["confusion_before"]), np.array(result["confusion_after"])
    assert cb.sum() == ca.sum() == result["after"]["n_beats"]
    assert np.trace(ca) > np.trace(cb)
    assert result["n_changed"] == len(result["changed"]) > 0
    c = result["changed"][0]
    assert c["before"] != c["after"] and c["record"].startswith("r") and c["time_s"] >= 0


def test_version_holds_config_training_data_and_metrics(finished, setup):
    result, _ = finished
    path = Path(result["version"]["path"])
    assert path.name == "clinic-1" and path.parent == setup / "models-inline"
    assert json.loads((path / "config.json").read_text())["model_version"] == "1"
    assert len(json.loads((path / "training_data.json").read_text())["records"]) == 6
    assert json.loads((path / "metrics.json").read_text())["after"]["jkappa"] == result["after"]["jkappa"]
    job = json.loads((path / "job.json").read_text())
    assert job["command_line"].startswith("anyecg finetune --task beats")


def test_validation_loss_is_the_cross_entropy_of_the_reference_class():
    from anyecg_model.train.tasks.evaluation import Predictions

    p = Predictions("beats", np.array([0, 2]), np.array([[0.5, 0, 0.5, 0, 0], [0.25, 0, 0.75, 0, 0]]),
                    np.array([0, 0]))
    assert get_task("beats").prediction_loss(p) == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)


def test_cancel_keeps_the_epoch_and_resume_continues_from_it(setup):
    cancel, events = threading.Event(), []

    def emit(kind, data):
        events.append((kind, data))
        if kind == "epoch" and data["epoch"] == 1:
            cancel.set()  # the Cancel button, pressed while epoch 2 starts

    models = setup / "models-cancelled"
    run_job(_cfg(setup, "cancelled", epochs=3, models_root=models), emit, cancel, threading.Event())
    assert events[-1] == ("cancelled", {"epoch": 1, "work_dir": str(setup / "cancelled")})
    assert not models.exists() or not any(models.iterdir())  # no half-written version
    first = dict(events)["epoch"]["train_loss"]
    resumed = _run_inline(_cfg(setup, "cancelled", epochs=3, resume=True, models_root=models))
    assert [d["epoch"] for k, d in resumed if k == "epoch"] == [1, 2, 3]  # epoch 1 from history, 2 and 3 trained
    kind, result = resumed[-1]
    assert kind == "finished" and result["version"]["label"] == "clinic-1"
    assert result["history"][0]["train_loss"] == first


def test_pause_and_cancel_reach_the_worker_process(setup):
    models = setup / "models-paused"
    job = TrainingJob(_cfg(setup, "spawned", models_root=models))
    job.pause()  # pressed before the first step: the worker stops there
    job.start()
    seen = []
    while not job.done:
        for e in job.wait(timeout_s=0.5):
            seen.append(e)
            if e.kind == "paused":
                assert job.state == "paused"
                job.cancel()
    assert [e.kind for e in seen][-1] == "cancelled"
    assert seen[-1].data["epoch"] == 0 and "status" in [e.kind for e in seen]
    assert not models.exists() or not any(models.iterdir())  # no version written


def test_a_killed_worker_is_reported_and_harms_nothing(setup):
    job = TrainingJob(_cfg(setup, "killed")).start()
    job.process.kill()
    events = job.wait(timeout_s=60)
    assert events[-1].kind == "failed" and "ended unexpectedly" in events[-1].data["message"]


def test_bad_dataset_folder_fails_with_its_name(setup, tmp_path):
    import queue

    q = queue.Queue()
    worker_main(_cfg(setup, "bad", dataset=tmp_path / "nowhere"), q, threading.Event(), threading.Event())
    event = q.get_nowait()
    assert event.kind == "failed" and "nowhere" in event.data["message"]


def test_disk_full_while_saving_leaves_nothing_and_overwrites_nothing(finished, setup, monkeypatch, tmp_path):
    result, _ = finished
    src = Path(result["version"]["path"])
    root = tmp_path / "models"
    first = versions.save_version(src, "clinic", training_data={}, metrics={"a": 1}, job={}, root=root)
    before = (first.path / "model.safetensors").read_bytes()

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(versions, "_copy_file", full)
    with pytest.raises(versions.VersionError, match="disk full"):
        versions.save_version(src, "clinic", training_data={}, metrics={}, job={}, root=root)
    assert sorted(p.name for p in root.iterdir()) == ["clinic-1"]  # no temporary, no clinic-2
    assert (first.path / "model.safetensors").read_bytes() == before


def test_never_saves_over_the_shipped_model(finished):
    result, _ = finished
    with pytest.raises(versions.VersionError, match="shipped"):
        versions.save_version(Path(result["version"]["path"]), "x", training_data={}, metrics={}, job={},
                              root=SHIPPED_MODEL_DIR.parent)


def _agreement(findings, rec) -> float:
    """Share of the model's beats whose class equals the reference beat's within 150 ms."""
    ref_t = rec.annotations.sample / rec.fs
    ref = np.array(["NSVFQ".index(s) for s in rec.annotations.symbol.tolist()])
    k = np.clip(np.searchsorted(ref_t, findings.beats.time_s), 1, len(ref_t) - 1)
    k = np.where(np.abs(ref_t[k - 1] - findings.beats.time_s) < np.abs(ref_t[k] - findings.beats.time_s), k - 1, k)
    near = np.abs(ref_t[k] - findings.beats.time_s) < 0.15
    return float(np.mean(findings.beats.label[near] == ref[k[near]]))


def test_switching_versions_changes_the_findings(finished, setup, tmp_path):
    from anyecg_model.analysis.analyzer import Analyzer
    from anyecg_model.io import open_recording

    result, _ = finished
    root = Path(result["version"]["path"]).parent
    assert versions.active_model_dir(root) == SHIPPED_MODEL_DIR
    rec = open_recording(setup / "data" / "r5.hea")
    shipped = Analyzer(setup / "init", device="cpu").analyze(rec, tasks=("arrhythmia",))
    active = versions.set_active("clinic-1", root)
    assert active == root / "clinic-1" and versions.active_version(root).label == "clinic-1"
    tuned = Analyzer(active, device="cpu").analyze(rec, tasks=("arrhythmia",))
    assert (shipped.model.name, shipped.model.version) == ("shipped-tiny", "0")
    assert (tuned.model.name, tuned.model.version) == ("clinic", "1")
    assert len(tuned.beats) == len(shipped.beats) > 0
    assert np.any(tuned.beats.label != shipped.beats.label)
    # the fine-tuned version agrees better with the reference labels of this validation record
    assert _agreement(tuned, rec) > _agreement(shipped, rec)
    versions.set_active(None, root)
    assert versions.active_model_dir(root) == SHIPPED_MODEL_DIR


def test_exported_command_line_is_the_same_finetune_config(setup):
    """The headless twin: ``anyecg finetune`` parses the exported line into the job's own FinetuneConfig."""
    import shlex

    from anyecg_model.cli import build_parser

    for cfg in (_cfg(setup, "x", train="last", last_layers=2, max_steps_per_epoch=9),
                _cfg(setup, "y", init=None, size="tiny", device="cpu", resume=True),
                _cfg(setup, "z", reset_head=True, max_windows_per_record=3)):
        argv = shlex.split(cfg.command_line())
        assert argv[0] == "anyecg"
        args = build_parser().parse_args(argv[1:])
        assert config_from_args(FinetuneConfig, args) == cfg.finetune
        many = shlex.split(cfg.command_line(nproc=8))
        assert many[:5] == ["torchrun", "--standalone", "--nproc_per_node=8", "-m", "anyecg_model.cli"]
        assert many[5:] == argv[1:]
