// A block dropped from the palette onto a wire goes onto it: which blocks can (one input, one
// output), the edges afterwards (graph.js insertOnWire), and which wire a drop point is on
// (wires.js wireAt). `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromGraph, insertOnWire, insertable, makeRoom, toGraph } from "../src/graph.js";
import { plainCurve, samplePoints, wireAt } from "../src/wires.js";

const catalog = new Map(
  [
    { type: "Input", ports: { kind: "none" } },
    { type: "Output", ports: { kind: "single" } },
    { type: "Linear", ports: { kind: "single" } },
    { type: "ReLU", ports: { kind: "single" } },
    { type: "BatchNorm2d", ports: { kind: "single" } },
    { type: "Gate", ports: { kind: "named", names: ["x"] } },
    { type: "Add", ports: { kind: "variadic", min: 2, max: null } },
    { type: "Concat", ports: { kind: "variadic", min: 2, max: null } },
    { type: "MultiheadAttention", ports: { kind: "named", names: ["query", "key", "value"] } },
    { type: "Chunk", ports: { kind: "single" }, outputs: "several" },
    { type: "Sink", ports: { kind: "single" }, outputs: 0 },
    { type: "BasicBlock", ports: { kind: "single" }, category: "Blocks" },
  ].map((s) => [s.type, s]),
);

const newNode = (id, type) => ({ id, type: "block", position: { x: 0, y: 0 }, data: { type, params: {} } });

function level(graph, ...added) {
  const { nodes, edges } = fromGraph(graph, catalog);
  return { nodes: [...nodes.map((n) => ({ ...n, position: n.position || { x: 0, y: 0 } })), ...added], edges };
}

const chain = {
  nodes: [
    { id: "x", type: "Input", position: [0, 0] },
    { id: "conv1", type: "Linear", position: [200, 0] },
    { id: "relu1", type: "ReLU", position: [400, 0] },
    { id: "y", type: "Output", position: [600, 0] },
  ],
  edges: [
    { source: "x", target: "conv1" },
    { source: "conv1", target: "relu1", note: "kept" },
    { source: "relu1", target: "y" },
  ],
};

test("only a block with one input and one output can go onto a wire", () => {
  const can = (type) => insertable(catalog.get(type), type);
  for (const type of ["Linear", "ReLU", "BatchNorm2d", "Gate", "BasicBlock"]) assert.ok(can(type), type);
  // no input, no output, several inputs, several outputs, an unknown type
  for (const type of ["Input", "Output", "Sink", "Add", "Concat", "MultiheadAttention", "Chunk"]) {
    assert.ok(!can(type), type);
  }
  assert.ok(!insertable(undefined, "Mystery"));
});

test("the wire source -> target becomes source -> new -> target, in its place", () => {
  const { nodes, edges } = level(chain, newNode("batchnorm2d1", "BatchNorm2d"));
  const wire = edges.find((e) => e.source === "conv1" && e.target === "relu1");
  const next = insertOnWire(edges, nodes, catalog, wire.id, "batchnorm2d1");
  assert.deepEqual(toGraph(nodes, next).edges, [
    { source: "x", target: "conv1" },
    { source: "conv1", target: "batchnorm2d1" },
    { source: "batchnorm2d1", target: "relu1", note: "kept" }, // its unknown keys go on
    { source: "relu1", target: "y" },
  ]);
  const into = next.find((e) => e.target === "batchnorm2d1");
  const out = next.find((e) => e.source === "batchnorm2d1");
  assert.equal(into.targetHandle, "in");
  assert.equal(out.targetHandle, wire.targetHandle);
  assert.notEqual(into.id, out.id);
  assert.equal(edges.length, 3, "the edges given are left as they were");
});

test("a named input, a numbered place among a variadic block's inputs and an output of several are kept", () => {
  const graph = {
    nodes: [
      { id: "x", type: "Input", position: [0, 0] },
      { id: "split", type: "Chunk", params: { chunks: 2 }, position: [200, 0] },
      { id: "a", type: "ReLU", position: [400, 0] },
      { id: "cat", type: "Concat", position: [600, 0] },
      { id: "attn", type: "MultiheadAttention", position: [800, 0] },
    ],
    edges: [
      { source: "x", target: "split" },
      { source: "split", target: "cat", source_port: 1, port: 0 },
      { source: "a", target: "cat", port: 1 },
      { source: "x", target: "a" },
      { source: "cat", target: "attn", port: "key" },
    ],
  };
  const { nodes, edges } = level(graph, newNode("gate1", "Gate"), newNode("relu2", "ReLU"));
  const wire = (s, t) => edges.find((e) => e.source === s && e.target === t).id;
  let next = insertOnWire(edges, nodes, catalog, wire("split", "cat"), "gate1");
  next = insertOnWire(next, nodes, catalog, next.find((e) => e.target === "attn").id, "relu2");
  assert.deepEqual(toGraph(nodes, next).edges, [
    { source: "x", target: "split" },
    { source: "split", target: "gate1", port: "x", source_port: 1 },
    { source: "gate1", target: "cat", port: 0 },
    { source: "a", target: "cat", port: 1 },
    { source: "x", target: "a" },
    { source: "cat", target: "relu2" },
    { source: "relu2", target: "attn", port: "key" },
  ]);
  assert.equal(next.find((e) => e.target === "gate1").sourceHandle, "out:1");
});

test("a block that cannot go onto a wire, or a wire that is not there, changes nothing", () => {
  const { nodes, edges } = level(chain, newNode("add1", "Add"), newNode("input1", "Input"),
    newNode("output1", "Output"), newNode("relu2", "ReLU"));
  const wire = edges[1].id;
  for (const id of ["add1", "input1", "output1"]) assert.equal(insertOnWire(edges, nodes, catalog, wire, id), null, id);
  assert.equal(insertOnWire(edges, nodes, catalog, "no-such-wire", "relu2"), null);
  assert.equal(insertOnWire(edges, nodes, catalog, wire, "no-such-node"), null);
  assert.equal(insertOnWire(edges, nodes, catalog, wire, "relu1"), null); // one of its own ends
});

test("a drop point is on the nearest wire within the tolerance, else on none", () => {
  const wires = [
    { id: "a", points: samplePoints(plainCurve(0, 0, 200, 0)) }, // level
    { id: "b", points: samplePoints(plainCurve(0, 40, 200, 120)) }, // an S-curve below it
    { id: "c", points: [[300, 0], [300, 100], [500, 100]] }, // a route with a corner
  ];
  assert.equal(wireAt([100, 0], wires, 6), "a");
  assert.equal(wireAt([100, 5], wires, 6), "a");
  assert.equal(wireAt([100, 7], wires, 6), null); // a few pixels off: not on it
  assert.equal(wireAt([100, 80], wires, 6), "b"); // the middle of the S-curve
  assert.equal(wireAt([100, 60], wires, 6), null);
  assert.equal(wireAt([300, 50], wires, 6), "c");
  assert.equal(wireAt([400, 97], wires, 6), "c");
  assert.equal(wireAt([350, 50], wires, 6), null);
  // two wires in reach: the nearer one
  const close = [{ id: "top", points: [[0, 0], [100, 0]] }, { id: "low", points: [[0, 8], [100, 8]] }];
  assert.equal(wireAt([50, 3], close, 6), "top");
  assert.equal(wireAt([50, 5], close, 6), "low");
  assert.equal(wireAt([50, 5], [], 6), null);
});

test("a block put between two neighbours of a row makes room: the rest of the row moves right", () => {
  const box = (x, y, width = 150, height = 80) => ({ x, y, width, height });
  // seed-cnn's first row: conv1 and relu1 60 apart; the next row, below, stays
  const rects = new Map([
    ["image", box(0, 0)],
    ["conv1", box(200, 0, 160, 100)],
    ["relu1", box(420, 10, 120, 40)],
    ["more", box(600, 5)],
    ["pool1", box(0, 200)],
    ["new", box(330, -10, 150, 60)], // dropped on the wire between conv1 and relu1
  ]);
  const moves = makeRoom(rects, "new", "conv1", "relu1");
  assert.deepEqual(moves.get("new"), { x: 440, y: -10 }); // clear of conv1 by the gap
  // relu1 (and what follows it on the row) clear of the new block by the gap
  assert.deepEqual(moves.get("relu1"), { x: 670, y: 10 });
  assert.deepEqual(moves.get("more"), { x: 850, y: 5 });
  assert.ok(!moves.has("pool1") && !moves.has("image") && !moves.has("conv1"));

  // room enough already: nothing moves
  const wide = new Map([["a", box(0, 0)], ["b", box(800, 0)], ["new", box(300, 0)]]);
  assert.equal(makeRoom(wide, "new", "a", "b").size, 0);
});

test("a block put on a wire that wraps round to the next row goes in line with the target's row", () => {
  const box = (x, y, width = 150, height = 80) => ({ x, y, width, height });
  const over = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  // after Auto layout: input, linear1 on the first row; relu1, linear2 on the second; the
  // block dropped where the wire a → b runs back along the gap, over input and relu1
  const rects = new Map([
    ["input", box(0, 0)],
    ["a", box(250, 0)],
    ["b", box(0, 140, 150, 60)],
    ["c", box(250, 140)],
    ["out", box(0, 280, 150, 60)],
    ["new", box(60, 50, 150, 100)],
  ]);
  const moves = makeRoom(rects, "new", "a", "b");
  // in b's place, level with it; b and the rest of its row clear it by the gap
  assert.deepEqual(moves.get("new"), { x: 0, y: 120 });
  assert.deepEqual(moves.get("b"), { x: 230, y: 140 });
  assert.deepEqual(moves.get("c"), { x: 480, y: 140 });
  assert.ok(!moves.has("input") && !moves.has("a") && !moves.has("out"));
  const placed = new Map([...rects].map(([k, r]) => [k, { ...r, ...(moves.get(k) || {}) }]));
  for (const [k, r] of placed) if (k !== "new") assert.ok(!over(placed.get("new"), r), k);

  // a straight wire whose block, after the row moved, still covers a block of another row
  // (a tall one): the block goes to the nearest free spot
  const tall = new Map([
    ["a", box(0, 0)],
    ["b", box(400, 0)],
    ["big", box(190, 90, 200, 200)],
    ["new", box(200, 40, 150, 80)],
  ]);
  const m2 = makeRoom(tall, "new", "a", "b");
  const n2 = { ...tall.get("new"), ...m2.get("new") };
  const p2 = new Map([...tall].map(([k, r]) => [k, { ...r, ...(m2.get(k) || {}) }]));
  for (const [k, r] of p2) if (k !== "new") assert.ok(!over(n2, r), k);
});
