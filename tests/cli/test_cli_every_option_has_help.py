"""Every option and argument of every command says what it is in ``--help`` (CONTRIBUTING: the
CLI's options all have help): ``layerloom sweep --help`` listed ``--trials TRIALS`` and
``--sampler`` with no word on what they do or their defaults."""

from __future__ import annotations

import argparse

from layerloom.cli import build_parser


def _unexplained(parser: argparse.ArgumentParser, name: str) -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                found += _unexplained(sub, f"{name} {command}")
        elif not action.help:
            found.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    return found


def test_every_option_of_every_command_has_help():
    assert _unexplained(build_parser(), "layerloom") == []
