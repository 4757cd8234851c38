"""The fine-tuning options are generated from FinetuneConfig: same names, types, defaults and choices, a new
field is a new option, and the written command line parses back to the config."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from anyecg_model.cli import build_parser
from anyecg_model.train.finetune.options import add_options, config_from_args, option, to_argv
from anyecg_model.train.finetune.config import FinetuneConfig


def _sub(command: str) -> argparse.ArgumentParser:
    parser = build_parser(command)
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]


def test_finetune_defaults_are_the_config_defaults(tmp_path):
    args = build_parser("finetune").parse_args(["finetune", "--task", "rhythm", "--out", str(tmp_path)])
    assert config_from_args(FinetuneConfig, args) == FinetuneConfig("rhythm", tmp_path)


def test_every_config_field_is_a_finetune_option():
    dests = {a.dest for a in _sub("finetune")._actions}
    fields = {f.name for f in dataclasses.fields(FinetuneConfig) if f.metadata.get("cli", True)}
    assert fields <= dests
    assert "extra_metadata" not in dests  # a dict stays off the command line (cli=False)
    choices = {a.dest: a.choices for a in _sub("finetune")._actions}
    assert set(choices["task"]) == {"beats", "rhythm", "anomaly", "leadgen"}
    assert tuple(choices["train"]) == ("head", "last", "full")


def test_evaluate_shares_the_overlapping_options():
    finetune = {a.dest: (a.default, a.choices) for a in _sub("finetune")._actions}
    evaluate = {a.dest: (a.default, a.choices) for a in _sub("evaluate")._actions}
    for name in ("task", "device", "corpus"):
        assert evaluate[name] == finetune[name]


@dataclasses.dataclass
class _Extended(FinetuneConfig):
    warmup_steps: int = dataclasses.field(default=20, metadata=option("warm-up steps"))
    label_smoothing: float | None = dataclasses.field(default=None, metadata=option("label smoothing"))


def test_a_new_field_appears_as_an_option_with_its_default(tmp_path):
    parser = argparse.ArgumentParser()
    add_options(parser, _Extended)
    args = parser.parse_args(["--task", "beats", "--out", str(tmp_path)])
    assert args.warmup_steps == 20 and args.label_smoothing is None
    cfg = config_from_args(_Extended, parser.parse_args(
        ["--task", "beats", "--out", str(tmp_path), "--warmup-steps", "5", "--label-smoothing", "0.1"]))
    assert (cfg.warmup_steps, cfg.label_smoothing) == (5, 0.1)
    assert config_from_args(_Extended, parser.parse_args(to_argv(cfg))) == cfg


def test_the_written_command_line_parses_back(tmp_path):
    parser = argparse.ArgumentParser()
    add_options(parser, FinetuneConfig)
    for cfg in (FinetuneConfig("leadgen", tmp_path / "o", init=None, size="tiny", lr=3e-5, resume=True),
                FinetuneConfig("anomaly", tmp_path / "o", init=tmp_path / "ckpt", reset_head=True,
                               max_windows_per_record=4, corpus=tmp_path / "c")):
        assert config_from_args(FinetuneConfig, parser.parse_args(to_argv(cfg))) == cfg
    shown = to_argv(FinetuneConfig("beats", tmp_path / "o"), first=("task", "epochs"))
    assert shown == ["--task", "beats", "--epochs", "5", "--out", str(tmp_path / "o")]


def test_a_field_the_command_line_cannot_give_must_say_so():
    @dataclasses.dataclass
    class Bad:
        table: dict = dataclasses.field(default_factory=dict)

    with pytest.raises(TypeError, match="cli=False"):
        add_options(argparse.ArgumentParser(), Bad)


def test_bad_values_are_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="epochs"):
        FinetuneConfig("beats", tmp_path, epochs=0)
    with pytest.raises(SystemExit):
        build_parser("finetune").parse_args(["finetune", "--task", "beats", "--out", "o", "--train", "some"])
    assert isinstance(FinetuneConfig("beats", "o").out, Path)
