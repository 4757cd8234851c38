"""Command-line options generated from a dataclass config, and the command line that gives a config back.

A config field becomes ``--field-name`` with the field's type (``X | None`` → ``X``), default and help; its
``metadata`` (built by :func:`option`) adds the help text, the choices, a flag that sets an optional field
to None (``--random-init`` for ``init``), or ``cli=False`` to keep it off the command line. A field without a
default is a required option. So ``anyecg finetune`` offers exactly the fields of ``FinetuneConfig``: a new
field is a new option, with its default, and :func:`to_argv` writes the line that parses back to the config.
"""
from __future__ import annotations

import argparse
import dataclasses
import typing
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

_SCALARS = (bool, int, float, str, Path)


def option(help: str, *, choices: Sequence | Callable[[], Sequence] | None = None,
           none_flag: tuple[str, str] | None = None, cli: bool = True) -> dict:
    """Field metadata for :func:`add_options`: ``help`` text; ``choices`` (or a callable giving them when the
    parser is built, e.g. the registered task names); ``none_flag`` = (flag, help) of a flag that sets the
    field to None; ``cli=False`` keeps the field off the command line."""
    return {"help": help, "choices": choices, "none_flag": none_flag, "cli": cli}


def _fields(cls, only: Iterable[str] | None = None) -> list[dataclasses.Field]:
    fields = [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True)]
    if only is None:
        return fields
    by_name = {f.name: f for f in fields}
    return [by_name[name] for name in only]


def _scalar_type(cls, f: dataclasses.Field) -> type:
    """The field's type without ``| None``; a type the command line cannot give is a TypeError."""
    hint = typing.get_type_hints(cls)[f.name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    t = args[0] if args and len(args) == 1 else hint
    if t not in _SCALARS:
        raise TypeError(f"{cls.__name__}.{f.name}: a {hint} field needs option(..., cli=False)")
    return t


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_options(parser: argparse.ArgumentParser, cls, only: Iterable[str] | None = None) -> None:
    """One option per field of the dataclass ``cls`` (or of the fields named in ``only``); see module doc."""
    for f in _fields(cls, only):
        t, default, meta = _scalar_type(cls, f), _default(f), f.metadata
        kw: dict[str, Any] = {"help": meta.get("help")}
        if default is dataclasses.MISSING:
            kw["required"] = True
        else:
            kw["default"] = default
            if kw["help"] and t is not bool and default is not None and "default" not in kw["help"]:
                kw["help"] += " (default %(default)s)"
        if t is bool:
            kw["action"] = "store_true" if not default else argparse.BooleanOptionalAction
        else:
            kw["type"] = t
            if t is Path:
                kw["metavar"] = "DIR"
            choices = meta.get("choices")
            if choices is not None:
                kw["choices"] = tuple(choices() if callable(choices) else choices)
        parser.add_argument(_flag(f.name), **kw)
        if meta.get("none_flag"):
            flag, text = meta["none_flag"]
            parser.add_argument(flag, dest=f"{f.name}__none", action="store_true", help=text)


def config_from_args(cls, args: argparse.Namespace, **overrides):
    """The ``cls`` instance the parsed options describe (fields not on the command line keep their defaults,
    ``overrides`` win)."""
    values = {}
    for f in _fields(cls):
        if not hasattr(args, f.name):
            continue
        values[f.name] = None if getattr(args, f"{f.name}__none", False) else getattr(args, f.name)
    values.update(overrides)
    return cls(**values)


def to_argv(cfg, first: Sequence[str] = ()) -> list[str]:
    """Options that parse back to ``cfg``: the fields named in ``first`` (always, in that order), then every
    other field that differs from its default or has none, in field order."""
    cls = type(cfg)
    fields = {f.name: f for f in _fields(cls)}
    out: list[str] = []
    for name in list(first) + [n for n in fields if n not in first]:
        f = fields[name]
        value, default = getattr(cfg, name), _default(f)
        if name not in first and default is not dataclasses.MISSING and value == default:
            continue
        if value is None:
            if f.metadata.get("none_flag"):
                out.append(f.metadata["none_flag"][0])
            continue
        if isinstance(value, bool):
            if value:
                out.append(_flag(name))
            elif default:
                out.append("--no-" + name.replace("_", "-"))
            continue
        out += [_flag(name), str(value)]
    return out
