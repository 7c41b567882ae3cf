// Blocks with several outputs on the canvas (no browser): `npm test`. One source handle per
// output; an edge's `source_port` picks the handle it starts at and survives a round trip; a
// wire dragged from an output saves it.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  connect,
  cloneFragment,
  fragmentOf,
  fromGraph,
  graphKey,
  outputPorts,
  sourceIndex,
  toGraph,
} from "../src/graph.js";

const catalog = new Map(
  [
    { type: "Input", ports: { kind: "none" } },
    { type: "Output", ports: { kind: "single" } },
    { type: "ReLU", ports: { kind: "single" } },
    { type: "Concat", ports: { kind: "variadic", min: 1, max: null } },
    { type: "Chunk", ports: { kind: "single" }, outputs: "several" },
    { type: "Split", ports: { kind: "single" }, outputs: "several" },
    {
      type: "TwoWay",
      category: "Blocks",
      composite: true,
      ports: { kind: "single" },
      outputs: "several",
      output_names: ["main", "side"],
    },
  ].map((s) => [s.type, s]),
);

const level = {
  nodes: [
    { id: "x", type: "Input", params: { shape: [8, 4, 4] }, position: [0, 0] },
    { id: "split", type: "Chunk", params: { chunks: 2 }, position: [200, 0] },
    { id: "a", type: "ReLU", position: [400, 0] },
    { id: "b", type: "ReLU", position: [400, 100] },
    { id: "two", type: "TwoWay", position: [600, 0] },
    { id: "y", type: "Output", position: [800, 0] },
    { id: "z", type: "Output", position: [800, 100] },
  ],
  edges: [
    { source: "x", target: "split" },
    { source: "split", target: "a", source_port: 0 },
    { source: "split", target: "b", source_port: "1" },
    { source: "a", target: "two" },
    { source: "two", target: "y", source_port: "side" },
    { source: "two", target: "z" },
  ],
};

test("an edge's source_port picks the output handle it starts at", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const handle = (s, t) => edges.find((e) => e.source === s && e.target === t).sourceHandle;
  assert.equal(handle("x", "split"), "out");
  assert.equal(handle("split", "a"), "out:0");
  assert.equal(handle("split", "b"), "out:1"); // Chunk's outputs are named by their index
  assert.equal(handle("two", "y"), "out:1"); // the composite's Output 'side'
  assert.equal(handle("two", "z"), "out:0"); // no source_port: the first output
  assert.equal(nodes.find((n) => n.id === "two").data.outCount, 2);
});

test("source_port round-trips exactly as written, and files without it stay without", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const back = toGraph(nodes, edges);
  assert.deepEqual(back.edges, level.edges);
  assert.equal(graphKey(back), graphKey(level));
  const plain = { nodes: level.nodes, edges: [{ source: "x", target: "split" }] };
  const again = fromGraph(plain, catalog);
  assert.deepEqual(toGraph(again.nodes, again.edges).edges, plain.edges);
  const moved = structuredClone(level);
  moved.edges[2].source_port = 0;
  assert.notEqual(graphKey(moved), graphKey(level));
});

test("a source_port that names no output gets a marked handle of its own", () => {
  const bad = structuredClone(level);
  bad.edges[4].source_port = "sid";
  const { nodes, edges } = fromGraph(bad, catalog);
  assert.equal(edges[4].sourceHandle, "out:?sid");
  assert.deepEqual(nodes.find((n) => n.id === "two").data.extraOuts, ["out:?sid"]);
  assert.equal(toGraph(nodes, edges).edges[4].source_port, "sid");
});

test("outputs drawn: names and shapes from Python, else from the spec or the params", () => {
  const ann = { ports: ["0", "1", "2"], output_shapes: [[3, 4, 4], [3, 4, 4], [2, 4, 4]] };
  const ports = outputPorts(catalog.get("Chunk"), { params: { chunks: 3 } }, ann);
  assert.deepEqual(ports.map((p) => [p.index, p.name, p.shape]), [
    [0, "0", [3, 4, 4]], [1, "1", [3, 4, 4]], [2, "2", [2, 4, 4]],
  ]);
  assert.deepEqual(outputPorts(catalog.get("Chunk"), { params: { chunks: 4 } }, null)
    .map((p) => p.name), ["0", "1", "2", "3"]);
  assert.deepEqual(outputPorts(catalog.get("Split"), { params: { sizes: [2, 6] } }, null)
    .length, 2);
  assert.deepEqual(outputPorts(catalog.get("TwoWay"), {}, null).map((p) => p.name),
    ["main", "side"]);
  assert.equal(outputPorts(catalog.get("Chunk"), { params: {}, outCount: 5 }, null).length, 5);
  assert.equal(sourceIndex("side", catalog.get("TwoWay")), 1);
  assert.equal(sourceIndex("2", catalog.get("Chunk")), 2);
  assert.equal(sourceIndex("x", catalog.get("Chunk")), null);
  assert.equal(sourceIndex(-1, catalog.get("Chunk")), null);
});

test("a wire dragged from an output saves source_port (the index, or a composite's name)", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  let next = connect(edges, nodes, catalog,
    { source: "split", sourceHandle: "out:1", target: "a", targetHandle: "in" });
  let wire = next.find((e) => e.source === "split" && e.target === "a");
  assert.equal(wire.sourceHandle, "out:1");
  assert.deepEqual(toGraph(nodes, next).edges.find((e) => e.target === "a"),
    { source: "split", target: "a", source_port: 1 });
  next = connect(edges, nodes, catalog,
    { source: "two", sourceHandle: "out:1", target: "z", targetHandle: "in" });
  assert.deepEqual(toGraph(nodes, next).edges.find((e) => e.target === "z"),
    { source: "two", target: "z", source_port: "side" });
  next = connect(edges, nodes, catalog, { source: "a", sourceHandle: "out", target: "b" });
  assert.deepEqual(toGraph(nodes, next).edges.find((e) => e.target === "b"),
    { source: "a", target: "b" });
});

test("copy and paste keep each wire on its output", () => {
  const { nodes, edges } = fromGraph(level, catalog);
  const chosen = nodes.map((n) => ({ ...n, selected: ["split", "a", "b"].includes(n.id) }));
  const fragment = fragmentOf(chosen, edges);
  const pasted = cloneFragment(JSON.parse(JSON.stringify(fragment)), new Set(), 10, 10);
  const ports = pasted.edges.map((e) => [e.sourceHandle, e.data.sourcePort]);
  assert.deepEqual(ports, [["out:0", 0], ["out:1", "1"]]);
});
