// Every block of a cycle is marked with the cycle's error, not only the one Python reports it on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cycleIds, markCycles } from "../src/problems.js";

const CYCLE = "cycle: add1 \u2192 linear1 \u2192 relu1 \u2192 add1 (a graph must flow one way; remove one of these edges)";
const clean = () => ({ output_shape: null, params: 0, macs: 0, errors: [], warnings: [] });

test("a cycle reported on its first block marks each block on it, with the message naming it", () => {
  const ann = {
    nodes: {
      input1: { ...clean(), output_shape: [4] },
      add1: { ...clean(), errors: [CYCLE] },
      linear1: clean(),
      relu1: { ...clean(), warnings: ["something"] },
      output1: clean(),
    },
    edges: { "input1->add1": { shape: [4] } },
  };
  const out = markCycles(ann);
  for (const id of ["add1", "linear1", "relu1"]) assert.deepEqual(out.nodes[id].errors, [CYCLE], id);
  assert.deepEqual(out.nodes.input1.errors, []);
  assert.deepEqual(out.nodes.output1.errors, []);
  assert.deepEqual(out.nodes.relu1.warnings, ["something"]);
  assert.equal(out.edges, ann.edges);
  assert.deepEqual(ann.nodes.linear1.errors, [], "the annotations given are left as they are");
});

test("no cycle, or one every block already shows: the same object", () => {
  const ann = { nodes: { a: { ...clean(), errors: ["Linear needs in_features"] }, b: clean() } };
  assert.equal(markCycles(ann), ann);
  const both = { nodes: { a: { ...clean(), errors: ["cycle: a \u2192 b \u2192 a (x)"] }, b: { ...clean(), errors: ["cycle: a \u2192 b \u2192 a (x)"] } } };
  assert.equal(markCycles(both), both);
  assert.equal(markCycles(null), null);
  assert.deepEqual(markCycles({}), {});
});

test("a block the cycle names that this level lacks is not made up; a self-loop is its own", () => {
  const ann = { nodes: { a: { ...clean(), errors: ["cycle: a \u2192 gone \u2192 a (x)"] } } };
  assert.deepEqual(Object.keys(markCycles(ann).nodes), ["a"]);
  assert.deepEqual(cycleIds("edge a->a connects a node to itself (cycle: a \u2192 a)"), null);
  assert.deepEqual(cycleIds("cycle: a \u2192 b \u2192 a (remove one)"), ["a", "b"]);
  assert.equal(cycleIds("layer1/c1: cycle: a \u2192 b \u2192 a (x)"), null); // inside another level
});
