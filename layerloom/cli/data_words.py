"""The data loader's messages in command-line words.

The loader names its options as the Python API takes them (``drop=['signup']``,
``kind='text'``); at the shell they are ``--data-option`` flags (``--data-option
drop=signup``), written so that the shell keeps what the option needs (a list of several
columns as JSON, in quotes). The Data page words them its own way (ui/pages/data.py).
"""

from __future__ import annotations

import ast
import json
import re
import shlex


def _drop(listed: str, option: str = "drop") -> str:
    """``['a', 'b']`` as the flag that gives those columns to ``option`` (drops them, or reads
    them as numbers)."""
    try:
        names = ast.literal_eval(listed)
    except (ValueError, SyntaxError):
        return f"--data-option {option}={shlex.quote(listed)}"
    names = [names] if isinstance(names, str) else list(names)
    if len(names) == 1:
        return f"--data-option {shlex.quote(option + '=' + str(names[0]))}"
    return f"--data-option {shlex.quote(option + '=' + json.dumps(names, ensure_ascii=False))}"


def _option(name: str, value: str) -> str:
    return f"--data-option {shlex.quote(f'{name}={value}')}"


_WORDS = [
    (re.compile(r"(?<![\w-])(drop|numbers)=(\[[^\]]*\])"), lambda m: _drop(m[2], m[1])),
    (re.compile(r"(?<=\(or )task=(\w+)"), lambda m: _option("task", m[1])),
    (re.compile(r"(?<![\w-])(kind|sheet|date_order)=(['\"])(.*?)\2"),
     lambda m: _option(m[1], m[3])),
    (re.compile(r"(?<=with )(kind|target)=(\w+)"), lambda m: _option(m[1], m[2])),
    (re.compile(r"raise max_categories\b"), lambda m: "raise it with --data-option "
                                                      "max_categories=N"),
    (re.compile(r"(?<![\w-])leave_out_broken=True\b"),
     lambda m: _option("leave_out_broken", "true")),
]


def cli_words(message: str) -> str:
    """``message`` with each Python option it names as the flag to type.

    >>> cli_words("drop it with drop=['signup'] unless its value means something")
    'drop it with --data-option drop=signup unless its value means something'
    >>> cli_words("drop them with drop=['last seen', 'signup'], or give the model a number")
    'drop them with --data-option \\'drop=["last seen", "signup"]\\', or give the model a number'
    >>> cli_words("to read them as numbers, set numbers=['zip'] (or task=regression)")
    'to read them as numbers, set --data-option numbers=zip (or --data-option task=regression)'
    >>> cli_words("load the file with kind='text' if it holds free text; with target=NAME")
    'load the file with --data-option kind=text if it holds free text; with --data-option target=NAME'
    >>> cli_words("or leave them out with leave_out_broken=True (named in the notes)")
    'or leave them out with --data-option leave_out_broken=true (named in the notes)'
    """
    for pattern, words in _WORDS:
        message = pattern.sub(words, message)
    return message
