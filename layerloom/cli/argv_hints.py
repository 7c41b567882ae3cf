"""What a command line that argparse refuses with "unrecognized arguments" most likely meant, in
one clause for its error line. Two slips give such arguments: a path with spaces left unquoted
(``--dataset my data.csv`` reads ``my`` as the path and ``data.csv`` as one argument more), and a
``NAME=VALUE`` option given two words (``--set features 4``)."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

MAX_WORDS = 6  # the most words of one unquoted path looked for


def unrecognized_hint(parser: argparse.ArgumentParser, argv: list[str],
                      extras: list[str]) -> str:
    """``; ...`` naming the slip behind ``extras`` (what argparse did not recognise in
    ``argv``), or an empty string."""
    for start, word in enumerate(argv):
        if word.startswith("-"):
            continue
        for end in range(min(len(argv), start + MAX_WORDS), start + 1, -1):
            words = argv[start:end]
            if any(w.startswith("-") for w in words[1:]) or words[-1] not in extras:
                continue
            joined = " ".join(words)
            if Path(joined).expanduser().exists():
                return (f"; {shlex.quote(joined)} is one path with spaces in its name: put it "
                        f"in quotes ({_option_before(argv, start)}{shlex.quote(joined)})")
    pairs = _name_value_options(parser)
    for i, word in enumerate(argv[2:], start=2):
        option, name = argv[i - 2], argv[i - 1]
        if word in extras and option in pairs and "=" not in name:
            return (f"; {option} takes {pairs[option]} as one word: {option} "
                    f"{shlex.quote(f'{name}={word}')}")
    return ""


def _option_before(argv: list[str], index: int) -> str:
    """``--dataset `` where the word at ``index`` is that option's value, else nothing."""
    before = argv[index - 1] if index else ""
    return f"{before} " if before.startswith("-") else ""


def _name_value_options(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Every option of ``parser`` and its subcommands whose value is ``NAME=VALUE`` (by its
    metavar), with that metavar: ``{"--set": "NAME=VALUE", "--cfg": "FIELD=VALUE", ...}``."""
    found: dict[str, str] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.update(_name_value_options(sub))
        elif isinstance(action.metavar, str) and "=" in action.metavar:
            found.update({flag: action.metavar for flag in action.option_strings})
    return found
