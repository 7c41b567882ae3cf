"""The ``layerloom`` command.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``func`` on them; ``main`` wires them together. A command returns its
exit code: 0 success, 1 the input is invalid (problems listed), 2 a file cannot be read.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from layerloom import __version__

# In the order they appear in --help.
COMMAND_MODULES = ("app", "graph_commands", "templates", "codegen", "train", "export",
                   "import_torch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="layerloom",
        description="Design neural networks as block graphs, compile them to PyTorch, train, "
                    "compare and export.")
    parser.add_argument("--version", action="version", version=f"layerloom {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
