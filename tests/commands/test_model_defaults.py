"""The shipped model's location is one absolute path: every command's default finds it from any working directory."""
from __future__ import annotations

import pytest

from anyecg_model.cli import build_parser
from anyecg_model.model.shipped import SHIPPED_MODEL_DIR

ARGV = {
    "evaluate": (["evaluate", "--task", "beats"], "model"),
    "finetune": (["finetune", "--task", "beats", "--out", "out"], "init"),
    "analyze": (["analyze", "x.hea"], "model"),
    "reconstruct": (["reconstruct", "x.hea", "--leads", "V1", "--out", "y.hea"], "model"),
}


def test_the_shipped_model_is_an_absolute_folder_that_exists():
    assert SHIPPED_MODEL_DIR.is_absolute()
    assert SHIPPED_MODEL_DIR.is_dir()


@pytest.mark.parametrize("command", sorted(ARGV))
def test_model_default_is_the_shipped_model_from_any_working_directory(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, dest = ARGV[command]
    args = build_parser().parse_args(argv)
    assert getattr(args, dest) == SHIPPED_MODEL_DIR
    assert getattr(args, dest).is_dir()


def test_finetuning_and_the_viewer_default_to_the_same_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from anyecg_model.model import versions
    from anyecg_model.train.finetune.config import FinetuneConfig
    from app.main import build_parser as viewer_parser

    assert FinetuneConfig("beats", tmp_path / "out").init == SHIPPED_MODEL_DIR
    assert versions.active_model_dir(tmp_path / "no-versions") == SHIPPED_MODEL_DIR
    monkeypatch.setenv("COLUMNS", "1000")  # argparse would wrap a long path
    assert f"(default: {SHIPPED_MODEL_DIR})" in viewer_parser().format_help()
