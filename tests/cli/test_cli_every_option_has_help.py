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


def _dataset_help(parser: argparse.ArgumentParser, name: str) -> dict[str, str]:
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                found.update(_dataset_help(sub, f"{name} {command}"))
        elif "--dataset" in action.option_strings:
            found[name] = action.help
    return found


def test_every_dataset_option_names_every_file_kind_the_loader_reads():
    """``--dataset``'s help lists the file kinds: .data and .xlsx were read but not named."""
    from layerloom.runtime.data import list_file_kinds

    suffixes = [s for kind in list_file_kinds() for s in kind["suffixes"]]
    helps = _dataset_help(build_parser(), "layerloom")
    assert {"layerloom train", "layerloom validate"} <= set(helps)
    for command, text in helps.items():
        assert [s for s in suffixes if s not in text] == [], command
