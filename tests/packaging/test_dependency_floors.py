"""The lowest Streamlit that pyproject.toml accepts runs every page.

pip keeps an installed release that meets a requirement, so a user whose environment already
held Streamlit 1.45 or 1.53 (both met ``streamlit>=1.40``) got a designer whose pages failed:
on 1.45 every page was blank (``st.html() got an unexpected keyword argument
'unsafe_allow_javascript'``, the details hidden from the browser), on 1.53 the Data page said
``TypeError: LayoutsMixin.expander() got an unexpected keyword argument 'key'``. 1.64 is the
lowest release the installed wheel's pages were run on (tests/packaging/test_packaging_wheel.py's
page check, under that release) and found whole.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# The calls that need a newer Streamlit than the one before them, and the lowest release with
# all of them that every page was run on.
NEWER_CALLS = {r"st\.expander\([^)]*\bkey=": "1.64", r"unsafe_allow_javascript=": "1.64"}


def _floor(name: str) -> Version:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name == name:
            lows = [Version(s.version) for s in requirement.specifier
                    if s.operator in (">=", "==", "~=")]
            assert lows, f"{name} has no lowest version in pyproject.toml: {line}"
            return max(lows)
    raise AssertionError(f"{name} is not a dependency in pyproject.toml")


def test_the_streamlit_floor_has_every_call_the_pages_make():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "ui").rglob("*.py"))
    used = {pattern: version for pattern, version in NEWER_CALLS.items()
            if re.search(pattern, sources)}
    assert used, "the UI no longer makes these calls: update NEWER_CALLS"
    needed = max(Version(v) for v in used.values())
    assert _floor("streamlit") >= needed, (
        f"pyproject.toml accepts streamlit {_floor('streamlit')}, but the pages call "
        f"{sorted(used)}: they need {needed} or newer")
