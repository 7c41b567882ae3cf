""""Did you mean" for a name typed at the shell (a template, a dataset): every known name the
typed one begins (``resnet`` is both ``resnet-mini`` and ``resnet18``), case aside, else the
closest one by spelling.

>>> did_you_mean("resnet", ["lenet5", "resnet-mini", "resnet18"])
" (did you mean 'resnet-mini' or 'resnet18'?)"
>>> did_you_mean("MNIST", ["mnist-5k", "digits"])
" (did you mean 'mnist-5k'?)"
>>> did_you_mean("seed_cnn", ["seed-cnn", "lenet5"])
" (did you mean 'seed-cnn'?)"
>>> did_you_mean("zzz", ["seed-cnn"])
''
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_NAMED = 3


def meant(name: str, known: Iterable[str], cutoff: float = 0.6) -> list[str]:
    """The known names ``name`` may have meant: those it begins, else the closest one."""
    known = list(known)
    typed = name.strip().lower()
    if typed:
        begun = [k for k in known if k.lower().startswith(typed)]
        if begun:
            return begun[:MAX_NAMED]
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(typed, list(by_lower), n=1, cutoff=cutoff)
    return [by_lower[c] for c in close]


def did_you_mean(name: str, known: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'a' or 'b'?)`` for :func:`meant`'s names; empty where there are none."""
    names = [f"'{k}'" for k in meant(name, known, cutoff)]
    if not names:
        return ""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"
