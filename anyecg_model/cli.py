"""`anyecg`: the headless command line. Each subcommand lives in :mod:`anyecg_model.commands`."""
from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import logging
import sys
from pathlib import Path

#: subcommand → module defining ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, str] = {
    "info": "anyecg_model.commands.info",
    "convert": "anyecg_model.commands.convert",
    "pretrain-tokenizer": "anyecg_model.commands.pretrain_tokenizer",
    "pretrain": "anyecg_model.commands.pretrain",
    "report": "anyecg_model.commands.report",
    "analyze": "anyecg_model.commands.analyze",
    "reconstruct": "anyecg_model.commands.reconstruct",
    "finetune": "anyecg_model.commands.finetune",
    "evaluate": "anyecg_model.commands.evaluate",
    "demo": "anyecg_model.commands.demo",
}


def _summary(module_name: str) -> str:
    """First docstring line of a subcommand module, read without importing it (no torch at start-up)."""
    spec = importlib.util.find_spec(module_name)
    source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    return (ast.get_docstring(ast.parse(source)) or "").strip().splitlines()[0] if source else ""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``anyecg`` parser with every subcommand's arguments, or, given ``command``, only that one's
    (its module alone is imported, so ``anyecg info`` never loads torch; ``""`` imports none)."""
    parser = argparse.ArgumentParser(prog="anyecg", description="AnyECG Workstation command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        p = sub.add_parser(name, help=_summary(module_name))
        if command is None or name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if a in COMMANDS), "")
    args = build_parser(command).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
