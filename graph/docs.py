"""The block reference (``docs/blocks.md``), generated from the block library itself.

    python -m layerloom.graph.docs > docs/blocks.md

Every built-in block with its category, what it computes, its inputs, the sizes it infers from
them, and each param's kind, default, bounds and meaning, as the registry declares them (a test
regenerates the file and compares). Blocks added by plugins are left out.
"""

from __future__ import annotations

import sys

from .registry import BlockSpec, all_blocks

HEADER = """# Block reference

Generated from LayerLoom's block library by `python -m layerloom.graph.docs > docs/blocks.md`;
do not edit by hand. Shapes leave out the batch dimension and are channels-first (see
[the graph format](graph-format.md)). A param whose value is a string starting with `=` is an
expression over the design's variables; the sizes listed as *Inferred* follow from the input
and are never written.
"""


def builtin_blocks() -> list[BlockSpec]:
    """The blocks LayerLoom ships (declared under ``layerloom.graph.blocks``)."""
    return [spec for spec in all_blocks()
            if getattr(spec.infer, "__module__", "").startswith("layerloom.graph.blocks")]


def block_reference(blocks: list[BlockSpec] | None = None) -> str:
    """``docs/blocks.md``: an index by category, then one section per block."""
    blocks = builtin_blocks() if blocks is None else blocks
    categories: dict[str, list[BlockSpec]] = {}
    for spec in blocks:
        categories.setdefault(spec.category, []).append(spec)
    lines = [HEADER, f"{len(blocks)} blocks in {len(categories)} categories.", ""]
    for category, specs in categories.items():
        lines.append(f"- **{category}**: " + ", ".join(f"[{s.type}](#{s.type.lower()})"
                                                        for s in specs))
    for category, specs in categories.items():
        lines += ["", f"## {category}"]
        for spec in specs:
            lines += [""] + _block(spec)
    return "\n".join(lines).rstrip() + "\n"


def _block(spec: BlockSpec) -> list[str]:
    d = spec.describe()
    lines = [f"### {spec.type}", "", _text(d["help"])]
    facts = [f"Inputs: {_ports(d['ports'])}."]
    if d.get("outputs") == "several":
        facts.append("Outputs: several, named `\"0\"`, `\"1\"`… in order; an edge picks one "
                     "with `source_port` (its index or name), an edge without one takes the "
                     "first.")
    if d.get("inferred"):
        facts.append("Inferred: " + ", ".join(f"`{n}`" for n in d["inferred"]) + ".")
    if d.get("doc_url"):
        facts.append(f"[PyTorch documentation]({d['doc_url']}).")
    lines += ["", " ".join(facts)]
    params = [p for p in d["params"] if not p.get("inferred")]
    if params:
        lines += ["", "| param | kind | default | allowed | meaning |",
                  "| --- | --- | --- | --- | --- |"]
        for p in params:
            lines.append(f"| `{p['name']}` | {p['kind']} | {_value(p['default'])} | "
                         f"{_allowed(p)} | {_text(p['help'])} |")
    return lines


def _ports(ports: dict) -> str:
    kind = ports["kind"]
    if kind == "none":
        return "none (it is where data enters)"
    if kind == "named":
        return "named ports " + ", ".join(f"`{n}`" for n in ports["names"]) + \
            (f" (at least {ports['min']} connected)" if ports["min"] else "")
    if kind == "variadic":
        most = "any number" if ports["max"] is None else f"up to {ports['max']}"
        return f"{ports['min']} to {most}, in order"
    return "one"


def _allowed(p: dict) -> str:
    parts = []
    if p.get("choices"):
        parts.append(" / ".join(_value(c) for c in p["choices"]))
    if p.get("min") is not None:
        parts.append(f"{'>' if p.get('min_exclusive') else '≥'} {p['min']}")
    if p.get("max") is not None:
        parts.append(f"≤ {p['max']}")
    if p.get("length"):
        parts.append(f"{p['length']} values or one for all")
    if p.get("nullable"):
        parts.append("or none")
    return ", ".join(parts)


def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"`\"{value}\"`"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _text(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


if __name__ == "__main__":
    sys.stdout.write(block_reference())
