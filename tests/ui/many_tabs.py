"""Several tabs editing one design at once, driven from a seed (tests/ui/test_eight_tabs.py):
each tab a :class:`~layerloom.ui.state.DesignerState` on one project, each step one tab's
edit, made either on the design it shows (its page caught up first) or on the older one its
page still shows (a callback; a canvas change, which the page handles after catching up, as
ui/app.py runs them): params, variables, labels, blocks added, removed, moved and rewired on
the canvas, renames, groups, ungroups, undo and redo, at the top level or inside a composite
block the tab opened (groups in groups too).

Every value an edit sets is one no other edit sets (a mark: out_channels 1000 + n, a label
``L<n>``, a Dropout's p, a variable's value), so that afterwards each can be looked for in
the design saved, in the snapshots and in what its tab was told (:func:`unaccounted`)."""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field

from layerloom.graph import edit, load_graph, validate
from layerloom.ui import edit_marks
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

KINDS = ("param", "param", "variable", "label", "add", "remove", "move", "rename", "group",
         "ungroup", "undo", "redo", "open", "up")


@dataclass
class Made:
    """One edit: its tab, what it did, and the marks it set (and took away) in that tab's
    design."""

    n: int
    tab: int
    kind: str
    marks: set = field(default_factory=set)  # marks its design has that the one before had not
    gone: set = field(default_factory=set)  # marks its tab showed that its design has not
    told: list[str] = field(default_factory=list)  # what the tab was told at this edit


def used(design: dict) -> dict:
    """``design`` with only the composite blocks it uses (at the top level, or inside a block
    it uses): a block's definition left unused (ungrouped) is in the file but computes
    nothing, and a value that is only there is no longer in the design."""
    blocks = design.get("blocks") or {}
    seen: set = set()
    levels = [design]
    while levels:
        for node in levels.pop().get("nodes", []):
            kind = node.get("type")
            if kind in blocks and kind not in seen:
                seen.add(kind)
                levels.append(blocks[kind])
    return {**design, "blocks": {name: blocks[name] for name in sorted(seen)}}


def marks(design: dict) -> set:
    """The marks in what ``design`` computes (:func:`used`): labels ``L<n>``, blocks renamed
    ``R<n>`` and Dropouts added ``D<n>``, ids and keys included, and the numbers
    (:mod:`layerloom.ui.edit_marks`)."""
    return edit_marks.marks(used(design), letters="LRD", keys=True)


class Tabs:
    """``hand``: about one step in ``hand`` is an edit of the design file made outside
    LayerLoom (a param, a label or a variable written into graph.json, as an editor would),
    made by a user who is no tab (its edits are ``Made.tab == len(tabs)``); 0: none, and the
    seed's steps are those it always made."""

    def __init__(self, store: ProjectStore, graph, tabs: int, seed: int, hand: int = 0):
        self.store = store
        first = DesignerState.new(store, graph)
        self.pid = first.project_id
        self.tabs = [first] + [DesignerState.open(store, self.pid) for _ in range(tabs - 1)]
        self.seqs = [0] * tabs
        self.rng = random.Random(seed)
        self.hand = hand
        self.hand_rng = random.Random(f"hand {seed}")
        self.n = 0
        self.made: list[Made] = []
        # what each tab was told (and the hand, told nothing)
        self.heard: list[list[str]] = [[] for _ in range(tabs + 1)]

    def _on_disk(self) -> dict:
        """The design file as it is, read without taking a hand edit in as a save (as
        :meth:`ProjectStore.load` does): a tab's next edit meets it as it is."""
        return load_graph(self.store.projects / self.pid / "graph.json").to_dict()

    def _hear(self, i: int) -> list[str]:
        said = [" ".join([n.text, *n.details]) for n in self.tabs[i].take_notices()]
        self.heard[i] += said
        return said

    def step(self) -> None:
        if self.hand and self.hand_rng.randrange(self.hand) == 0:
            self._by_hand()
            return
        i = self.rng.randrange(len(self.tabs))
        tab = self.tabs[i]
        caught = self.rng.random() < 0.6  # the page ran since the last save it did not show
        # else a callback's edit, or a canvas change: made on what the page showed, handled
        # in the run that catches up first
        self.stale = not caught and self.rng.random() < 0.5
        if caught:
            tab.catch_up()
            self._hear(i)
        self.n += 1
        kind = self.rng.choice(KINDS)
        before = tab.graph.to_dict()
        saved = self._on_disk()  # other tabs' marks: not this edit's
        getattr(self, f"_{kind}")(tab, i)
        after = tab.graph.to_dict()
        was, now = marks(before) | marks(saved), marks(after)
        # a mark it took away is one its tab showed: a later edit there that removes one it
        # never showed takes it away unseen (to be told)
        self.made.append(Made(self.n, i, kind, now - was, marks(before) - now, self._hear(i)))

    def _by_hand(self) -> None:
        """graph.json edited outside LayerLoom: a param, a label or a variable of the top
        level set to a mark, the file written in place as an editor writes it."""
        self.n += 1
        path = self.store.projects / self.pid / "graph.json"
        before = json.loads(path.read_text())
        after = copy.deepcopy(before)
        what = self.hand_rng.choice(["param", "label", "variable"])
        nodes = after["nodes"]
        if what == "param":
            convs = [n for n in nodes if n["type"] in ("Conv2d", "Linear")]
            if convs:
                node = self.hand_rng.choice(convs)
                name = "out_channels" if node["type"] == "Conv2d" else "out_features"
                node.setdefault("params", {})[name] = 1000 + self.n
        elif what == "label":
            self.hand_rng.choice(nodes)["label"] = f"L{self.n}"
        else:
            after.setdefault("variables", {})[
                self.hand_rng.choice(["width2", "depth", "gain"])] = 1000 + self.n
        path.write_text(json.dumps(after, indent=1))
        now = marks(after)
        self.made.append(Made(self.n, len(self.tabs), "hand", now - marks(before),
                              marks(before) - now))

    # -- the edits ------------------------------------------------------------------------

    def _top(self, tab: DesignerState, *types: str) -> list[str]:
        """The ids of the nodes of the level the tab shows (of ``types``)."""
        return [n["id"] for n in tab.level()["nodes"] if not types or n["type"] in types]

    def _type(self, tab: DesignerState, nid: str) -> str:
        return next(n["type"] for n in tab.level()["nodes"] if n["id"] == nid)

    def _param(self, tab: DesignerState, i: int) -> None:
        convs = self._top(tab, "Conv2d", "Linear")
        if convs:
            nid = self.rng.choice(convs)
            name = "out_channels" if self._type(tab, nid) == "Conv2d" else "out_features"
            tab.apply(edit.set_param, tab.path, nid, name, 1000 + self.n)

    def _variable(self, tab: DesignerState, i: int) -> None:
        tab.apply(edit.set_variable, self.rng.choice(["width2", "depth", "gain"]), 1000 + self.n)

    def _label(self, tab: DesignerState, i: int) -> None:
        ids = self._top(tab)
        tab.apply(edit.update_node, tab.path, self.rng.choice(ids), label=f"L{self.n}")

    def _rename(self, tab: DesignerState, i: int) -> None:
        ids = [nid for nid in self._top(tab) if self._type(tab, nid) not in ("Input", "Output")]
        if ids:
            tab.apply(edit.rename_node, tab.path, self.rng.choice(ids), f"R{self.n}")

    def _canvas(self, tab: DesignerState, i: int, level: dict) -> None:
        self.seqs[i] += 1
        base = tab.canvas_version()
        if self.stale:  # the page's run catches up before it handles the change
            tab.catch_up()
        tab.handle_events({"events": [{"seq": self.seqs[i], "event": "change",
                                       "base": base, "graph": level, "selected": []}]})

    def _add(self, tab: DesignerState, i: int) -> None:
        """A Dropout dropped on a wire of the top level (A → B becomes A → D<n> → B)."""
        level = copy.deepcopy(tab.level())
        wires = [e for e in level["edges"] if not e.get("source_port") and not e.get("target_port")]
        if not wires:
            return
        wire = self.rng.choice(wires)
        nid = f"D{self.n}"
        level["nodes"].append({"id": nid, "type": "Dropout", "params": {"p": self.n / 10000},
                               "position": [self.rng.randrange(600), self.rng.randrange(600)]})
        level["edges"].remove(wire)
        level["edges"] += [{"source": wire["source"], "target": nid},
                           {"source": nid, "target": wire["target"]}]
        self._canvas(tab, i, level)

    def _remove(self, tab: DesignerState, i: int) -> None:
        """A Dropout (one in, one out) deleted, what fed it wired to what it fed."""
        level = copy.deepcopy(tab.level())
        drops = [n["id"] for n in level["nodes"] if n["type"] == "Dropout"]
        if not drops:
            return
        nid = self.rng.choice(drops)
        ins = [e for e in level["edges"] if e["target"] == nid]
        outs = [e for e in level["edges"] if e["source"] == nid]
        if len(ins) != 1 or len(outs) != 1:
            return
        level["nodes"] = [n for n in level["nodes"] if n["id"] != nid]
        level["edges"] = [e for e in level["edges"] if nid not in (e["source"], e["target"])]
        level["edges"].append({"source": ins[0]["source"], "target": outs[0]["target"]})
        self._canvas(tab, i, level)

    def _move(self, tab: DesignerState, i: int) -> None:
        level = copy.deepcopy(tab.level())
        node = self.rng.choice(level["nodes"])
        node["position"] = [self.rng.randrange(800), self.rng.randrange(800)]
        self._canvas(tab, i, level)

    def _group(self, tab: DesignerState, i: int) -> None:
        ids = [nid for nid in self._top(tab) if self._type(tab, nid) not in ("Input", "Output")]
        if ids:
            tab.group([self.rng.choice(ids)])

    def _uses(self, tab: DesignerState) -> list[str]:
        return [nid for nid in self._top(tab) if self._type(tab, nid) in tab.graph.blocks]

    def _ungroup(self, tab: DesignerState, i: int) -> None:
        uses = self._uses(tab)
        if uses:
            tab.apply(edit.ungroup, self.rng.choice(uses), path=tab.path)

    def _open(self, tab: DesignerState, i: int) -> None:
        uses = self._uses(tab)
        if uses:
            tab.open_block(self.rng.choice(uses))

    def _up(self, tab: DesignerState, i: int) -> None:
        if tab.path:
            tab.go_to(tab.path[:-1])

    def _undo(self, tab: DesignerState, i: int) -> None:
        tab.undo()

    def _redo(self, tab: DesignerState, i: int) -> None:
        tab.redo()

    # -- afterwards -----------------------------------------------------------------------

    def settle(self) -> dict:
        """Every tab catches up; the design saved."""
        for i, tab in enumerate(self.tabs):
            tab.catch_up()
            self._hear(i)
        return self.store.load(self.pid).graph.to_dict()


def unaccounted(tabs: Tabs) -> list[str]:
    """The marks edits set that are neither in the design saved, nor taken away by a later edit
    made on a design that showed them (a delete, a new value: a user's choice), nor told to
    their tab and kept in a snapshot; and the marks in the design no edit set. Empty when no
    edit was lost or altered unsaid."""
    saved = tabs.settle()
    # still a design, every block it uses defined
    problems = [str(e) for e in validate(load_graph(saved)).errors if "unknown block type" in str(e)]
    kept: set = set()
    for snap in tabs.store.snapshots(tabs.pid):
        kept |= marks(tabs.store.load_snapshot(tabs.pid, snap.id).to_dict())
    final = marks(saved)
    every = set().union(*(m.marks for m in tabs.made)) if tabs.made else set()
    problems += [f"the design holds {leaf}, which no edit set" for leaf in sorted(final - every)]
    for made in tabs.made:
        for leaf in sorted(made.marks - final):
            # an undo or redo takes back only what is still its own tab's: another tab's value
            # it took away is one it altered (a tab whose edit set the mark, and another's
            # undo then put it back, takes back its own)
            setters = {m.tab for m in tabs.made if leaf in m.marks}
            if any(m.n > made.n and leaf in m.gone and (m.tab in setters or m.kind not in
                                                         ("undo", "redo")) for m in tabs.made):
                continue
            # a hand edit's user is no tab, and is told nothing: its value is kept
            told = made.kind == "hand" or any("was not applied" in text for text in made.told) \
                or any(str(json.loads(leaf)) in text for text in tabs.heard[made.tab])
            if not told or leaf not in kept:
                problems.append(f"edit {made.n} ({made.kind}, tab {made.tab}) set {leaf}: not "
                                f"in the design; told: {told}; in a snapshot: {leaf in kept}")
    return problems
