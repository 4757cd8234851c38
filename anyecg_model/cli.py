"""`anyecg`: the headless command line. Each subcommand lives in :mod:`anyecg_model.commands`."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

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
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anyecg", description="AnyECG Workstation command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
