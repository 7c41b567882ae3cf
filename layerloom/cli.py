"""The ``layerloom`` command."""

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerloom", description=__doc__)
    parser.add_subparsers(dest="command")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not args.command:
        build_parser().print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
