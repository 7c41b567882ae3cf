// A block deleted from the middle of a chain leaves the blocks either side of it joined
// (graph.js takeOut, the inverse of insertOnWire); Canvas.jsx's deleteSelection uses it when one
// block is deleted. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromGraph, takeOut, toGraph } from "../src/graph.js";

const catalog = new Map(
  [
    { type: "Input", ports: { kind: "none" } },
    { type: "Output", ports: { kind: "single" } },
    { type: "Conv2d", ports: { kind: "single" } },
    { type: "MaxPool2d", ports: { kind: "single" } },
    { type: "ReLU", ports: { kind: "single" } },
    { type: "Add", ports: { kind: "variadic", min: 2, max: null } },
    { type: "Chunk", ports: { kind: "single" }, outputs: "several" },
  ].map((s) => [s.type, s]),
);

function level(nodes, edges) {
  const graph = {
    nodes: nodes.map(([id, type], i) => ({ id, type, position: [i * 200, 0] })),
    edges: edges.map(([source, target, port]) => ({ source, target, ...(port === undefined ? {} : { port }) })),
  };
  return fromGraph(graph, catalog);
}

const wires = (edges) => toGraph([], edges).edges.map((e) => [e.source, e.target, e.port]);

test("a block in the middle of a chain is taken out and its neighbours joined", () => {
  const { nodes, edges } = level(
    [["x", "Input"], ["conv1", "Conv2d"], ["pool1", "MaxPool2d"], ["conv2", "Conv2d"], ["y", "Output"]],
    [["x", "conv1"], ["conv1", "pool1"], ["pool1", "conv2"], ["conv2", "y"]],
  );
  const out = takeOut(edges, nodes, catalog, "pool1");
  assert.deepEqual(out.joined, [["conv1", "conv2"]]);
  assert.deepEqual(wires(out.edges), [["x", "conv1", undefined], ["conv1", "conv2", undefined], ["conv2", "y", undefined]]);
});

test("the joined wire keeps its place among the target's inputs; a source feeding it already adds none", () => {
  // x -> relu1 -> add (its second input) and x -> add: a skip wire's join
  const { nodes, edges } = level(
    [["x", "Input"], ["a", "ReLU"], ["relu1", "ReLU"], ["add", "Add"], ["y", "Output"]],
    [["x", "a"], ["x", "relu1"], ["a", "add", 0], ["relu1", "add", 1], ["add", "y"]],
  );
  const out = takeOut(edges, nodes, catalog, "relu1");
  assert.deepEqual(out.joined, [["x", "add"]]);
  assert.deepEqual(wires(out.edges).filter((w) => w[1] === "add"), [["a", "add", 0], ["x", "add", 1]]);
  // then a taken out: its source x feeds add already, so add gets no second wire from x
  const again = takeOut(out.edges, nodes, catalog, "a");
  assert.deepEqual(again.joined, []);
});

test("an end of the design, a join and a block of several outputs are no links of a chain", () => {
  const { nodes, edges } = level(
    [["x", "Input"], ["c", "Chunk"], ["add", "Add"], ["relu", "ReLU"], ["y", "Output"]],
    [["x", "c"], ["c", "add"], ["x", "add"], ["add", "relu"]],
  );
  for (const id of ["x", "c", "add", "relu", "y"]) assert.equal(takeOut(edges, nodes, catalog, id), null, id);
});
