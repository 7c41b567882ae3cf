"""The documentation a newcomer reads is true: the block reference is what the registry
generates, every command of the README's quick start parses (and every command is there), its
links lead to files of this repository, and nothing names a path of one machine."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from layerloom.cli import build_parser
from layerloom.graph.docs import block_reference, builtin_blocks

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_blocks_md_is_what_the_registry_generates():
    committed = (ROOT / "docs" / "blocks.md").read_text(encoding="utf-8")
    assert committed == block_reference(), (
        "docs/blocks.md is stale: run python -m layerloom.graph.docs > docs/blocks.md")


def test_the_reference_covers_every_block_and_param():
    text = block_reference()
    for spec in builtin_blocks():
        assert f"\n### {spec.type}\n" in text
        for param in spec.params:
            if not param.inferred:
                assert f"| `{param.name}` |" in text, (spec.type, param.name)
    conv = text.split("\n### Conv2d\n", 1)[1].split("\n### ", 1)[0]
    assert "Inferred: `in_channels`." in conv
    assert "| `kernel_size` | int_tuple | `3` | ≥ 1, 2 values or one for all |" in conv


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("layerloom ")]


def test_every_quick_start_command_parses():
    parser = build_parser()
    commands = _readme_commands()
    assert len(commands) >= 15
    for line in commands:
        argv = shlex.split(re.sub(r"\[[^\]]*\]", "", line))[1:]
        args = parser.parse_args(argv)
        assert getattr(args, "func", None), line


def test_every_command_is_in_the_quick_start():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    used = {shlex.split(line)[1] for line in _readme_commands()}
    assert set(sub.choices) - used == set()


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\(((?:docs/|CONTRIBUTING)[^)#]*)",
                                                       README))))
def test_readme_links_lead_to_files_here(link):
    assert (ROOT / link).is_file(), link


def test_layerloom_home_comes_before_the_first_command():
    assert README.index("LAYERLOOM_HOME") < README.index("make run")
    assert "opens the designer on" not in README  # it prints a URL; nothing opens


def test_no_document_names_a_path_of_one_machine():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    docs += [p for p in (ROOT / "CONTRIBUTING.md",) if p.exists()]
    for path in docs:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])/(work|tmp|root|home/\w+)/", text), path.name
        assert "design note" not in text.lower(), path.name


def test_a_bound_that_excludes_its_value_reads_so():
    """CELU's alpha refuses 0 (PyTorch divides by it): the reference says > 0, not ≥ 0, as the
    check does."""
    from layerloom.graph.registry import find_block

    text = block_reference()
    section = text[text.index("\n### CELU\n"):text.index("\n### SELU\n")]
    assert "| `alpha` | float | `1.0` | > 0 |" in section
    alpha = next(p for p in find_block("CELU").params if p.name == "alpha")
    assert alpha.describe()["min_exclusive"] is True
    assert "min_exclusive" not in next(
        p for p in find_block("Conv2d").params if p.name == "out_channels").describe()
