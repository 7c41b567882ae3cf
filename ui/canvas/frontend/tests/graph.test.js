// Unit tests of the canvas's graph logic (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canConnect,
  cloneFragment,
  connect,
  fragmentOf,
  freshId,
  fromGraph,
  graphKey,
  renumberPorts,
  toGraph,
} from "../src/graph.js";
import { layeredLayout, placeMissing } from "../src/layout.js";

const catalog = new Map(
  [
    { type: "Input", ports: { kind: "none" } },
    { type: "Output", ports: { kind: "single" } },
    { type: "Linear", ports: { kind: "single" } },
    { type: "Add", ports: { kind: "variadic", min: 2, max: null } },
    { type: "MultiheadAttention", ports: { kind: "named", names: ["query", "key", "value"] } },
  ].map((s) => [s.type, s]),
);

const level = {
  nodes: [
    { id: "x", type: "Input", params: { shape: [4, 8] }, position: [0, 0] },
    { id: "attn", type: "MultiheadAttention", params: { num_heads: 2 }, position: [200, 0], note: "kept" },
    { id: "fc", type: "Linear", position: [400, 0], label: "head", repeat: 2 },
    { id: "sum", type: "Add", position: [600, 0] },
    { id: "out", type: "Output", position: [800, 0] },
  ],
  edges: [
    { source: "x", target: "attn" },
    { source: "attn", target: "fc" },
    { source: "x", target: "sum" },
    { source: "fc", target: "sum" },
    { source: "sum", target: "out" },
  ],
};

test("a level survives the round trip, unknown keys included", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const back = toGraph(nodes, edges);
  assert.deepEqual(back, level);
  assert.equal(graphKey(back), graphKey(level));
  // an unnamed edge into a named-port block shows on its first port
  assert.equal(edges[0].targetHandle, "query");
  assert.deepEqual(edges.filter((e) => e.target === "sum").map((e) => e.data.order), [1, 2]);
});

test("graphKey ignores what Python cannot tell apart and nothing else", () => {
  const a = { nodes: [{ id: "r", type: "ReLU", position: [1.2, 3.7] }], edges: [] };
  const b = { nodes: [{ id: "r", type: "ReLU", params: {}, position: [1, 4] }], edges: [] };
  const c = { nodes: [{ id: "r", type: "ReLU", position: [1, 5] }], edges: [] };
  assert.equal(graphKey(a), graphKey(b));
  assert.notEqual(graphKey(a), graphKey(c));
});

test("fresh ids: lowercased type plus the lowest free number, always valid", () => {
  const used = new Set(["linear1", "linear3"]);
  assert.equal(freshId("Linear", used), "linear2");
  assert.equal(freshId("Linear", used), "linear4");
  assert.match(freshId("Wéird Block!", new Set()), /^[A-Za-z0-9_-]{1,64}$/);
});

test("connecting to a named port names every edge into that block", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const next = connect(edges, nodes, catalog, { source: "x", target: "attn", targetHandle: "key" });
  const into = toGraph(nodes, next).edges.filter((e) => e.target === "attn");
  assert.deepEqual(into.map((e) => e.port).sort(), ["key", "query"]);
  // the same port again replaces its edge
  const again = connect(next, nodes, catalog, { source: "x", target: "attn", targetHandle: "key" });
  assert.equal(again.filter((e) => e.target === "attn").length, 2);
});

test("single inputs are replaced, variadic ones appended unnamed, cycles and Inputs refused", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const single = connect(edges, nodes, catalog, { source: "x", target: "fc", targetHandle: "in" });
  assert.deepEqual(single.filter((e) => e.target === "fc").map((e) => e.source), ["x"]);
  const variadic = connect(edges, nodes, catalog, { source: "attn", target: "sum", targetHandle: "in" });
  const sums = toGraph(nodes, variadic).edges.filter((e) => e.target === "sum");
  assert.deepEqual(sums.map((e) => [e.source, e.port]), [["x", undefined], ["fc", undefined], ["attn", undefined]]);
  assert.equal(connect(edges, nodes, catalog, { source: "out", target: "x", targetHandle: "in" }), null);
  assert.equal(canConnect(edges, nodes, catalog, { source: "sum", target: "attn", targetHandle: "query" }), false);
  assert.equal(canConnect(edges, nodes, catalog, { source: "x", target: "out", targetHandle: "in" }), true);
});

test("numbered ports stay numbered and gap-free", () => {
  const g = { nodes: level.nodes, edges: [{ source: "x", target: "sum", port: 0 }, { source: "fc", target: "sum", port: 1 }] };
  const { nodes, edges } = fromGraph(g, catalog);
  const more = connect(edges, nodes, catalog, { source: "attn", target: "sum", targetHandle: "in" });
  assert.deepEqual(toGraph(nodes, more).edges.map((e) => e.port), [0, 1, 2]);
  const dropped = renumberPorts(more.filter((e) => e.source !== "x"));
  assert.deepEqual(toGraph(nodes, dropped).edges.map((e) => e.port), [0, 1]);
});

test("copy and paste give fresh ids, keep inner edges and their ports, drop outer ones", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const chosen = nodes.map((n) => ({ ...n, selected: ["x", "attn", "fc"].includes(n.id) }));
  const fragment = JSON.parse(JSON.stringify(fragmentOf(chosen, edges)));
  const used = new Set(nodes.map((n) => n.id));
  const pasted = cloneFragment(fragment, used, 40, 40);
  assert.deepEqual(pasted.nodes.map((n) => n.id), ["input1", "multiheadattention1", "linear1"]);
  assert.deepEqual(pasted.nodes[0].position, { x: 40, y: 40 });
  const out = toGraph(pasted.nodes, pasted.edges);
  assert.deepEqual(out.edges, [
    { source: "input1", target: "multiheadattention1" },
    { source: "multiheadattention1", target: "linear1" },
  ]);
  assert.equal(pasted.edges[0].targetHandle, "query");
  assert.equal(out.nodes[2].label, "head");
});

test("layered layout puts every node right of its inputs", () => {
  const ids = ["a", "b", "c", "d"];
  const edges = [{ source: "a", target: "b" }, { source: "b", target: "d" }, { source: "a", target: "c" }, { source: "c", target: "d" }];
  const pos = layeredLayout(ids, edges, () => ({ w: 100, h: 50 }));
  for (const e of edges) assert.ok(pos.get(e.source).x < pos.get(e.target).x, `${e.source} left of ${e.target}`);
  assert.equal(pos.get("b").x, pos.get("c").x);
  assert.notEqual(pos.get("b").y, pos.get("c").y);
});

test("layout copes with cycles, and placeMissing places only what has no position", () => {
  const pos = layeredLayout(["a", "b"], [{ source: "a", target: "b" }, { source: "b", target: "a" }], () => ({ w: 10, h: 10 }));
  assert.equal(pos.size, 2);
  const nodes = [
    { id: "a", position: { x: 5, y: 7 }, data: {} },
    { id: "b", position: null, data: {} },
  ];
  const placed = placeMissing(nodes, [{ source: "a", target: "b" }], () => ({ w: 100, h: 50 }));
  assert.deepEqual(placed[0].position, { x: 5, y: 7 });
  assert.ok(placed[1].position.x > 5);
});

test("300 nodes: converted and laid out whole", () => {
  const nodes = [];
  const edges = [];
  for (let i = 0; i < 300; i++) {
    nodes.push({ id: `n${i}`, type: i % 10 === 9 ? "Add" : "Linear" });
    if (i) edges.push({ source: `n${i - 1}`, target: `n${i}` });
    if (i % 10 === 9) edges.push({ source: `n${i - 5}`, target: `n${i}` });
  }
  const rf = fromGraph({ nodes, edges }, catalog);
  const placed = placeMissing(rf.nodes, rf.edges, () => ({ w: 190, h: 80 }));
  const graph = toGraph(placed, rf.edges);
  assert.equal(graph.nodes.length, 300);
  assert.equal(graph.edges.length, edges.length);
  assert.ok(graph.nodes.every((n) => Array.isArray(n.position) && n.position.every(Number.isFinite)));
  assert.equal(new Set(graph.nodes.map((n) => n.position.join(","))).size, 300, "no two at one spot");
  assert.equal(typeof graphKey(graph), "string");
});

test("a refused connection says why", async () => {
  const { connectProblem, replacedBy } = await import("../src/graph.js");
  const cat = new Map([
    ["Input", { type: "Input", ports: { kind: "none" } }],
    ["ReLU", { type: "ReLU" }],
    ["Output", { type: "Output" }],
    ["Add", { type: "Add", ports: { kind: "variadic", min: 2, max: 2 } }],
  ]);
  const node = (id, type) => ({ id, position: { x: 0, y: 0 }, data: { type } });
  const nodes = [node("x", "Input"), node("r", "ReLU"), node("s", "ReLU"), node("y", "Output"), node("a", "Add")];
  const edges = [
    { id: "1", source: "x", target: "r", targetHandle: "in" },
    { id: "2", source: "r", target: "s", targetHandle: "in" },
    { id: "3", source: "x", target: "a", targetHandle: "in" },
    { id: "4", source: "r", target: "a", targetHandle: "in" },
  ];
  const why = (source, target, targetHandle = "in") => connectProblem(edges, nodes, cat, { source, target, targetHandle });
  assert.equal(why("r", "x"), "Input has no input port");
  assert.equal(why("s", "r"), "s → r would make a cycle (r → s already leads back)");
  assert.equal(why("r", "r"), "a block cannot feed itself");
  assert.equal(why("y", "s"), "Output has no output port");
  assert.match(why("s", "a"), /Add takes at most 2 inputs/);
  assert.equal(why("x", "y"), null);
  // a single input takes one wire: a new one replaces the old
  assert.equal(replacedBy(edges, nodes, cat, { target: "s", targetHandle: "in" }).source, "r");
  assert.equal(replacedBy(edges, nodes, cat, { target: "y", targetHandle: "in" }), null);
  assert.equal(replacedBy(edges, nodes, cat, { target: "a", targetHandle: "in" }), null);
});
