// A wire refused because it would close a cycle names the blocks of that cycle.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connectProblem, cycleMessage, cyclePath } from "../src/graph.js";

const chain = (...ids) => ids.slice(1).map((t, i) => ({ id: `${ids[i]}-${t}`, source: ids[i], target: t }));

test("cyclePath: the shortest way back from the target to the source, or null", () => {
  const edges = [...chain("input1", "conv2d1", "relu1", "flatten1", "linear1", "output1"), ...chain("conv2d1", "linear1")];
  assert.deepEqual(cyclePath(edges, "linear1", "conv2d1"), ["conv2d1", "linear1"]);
  assert.deepEqual(cyclePath(edges, "flatten1", "conv2d1"), ["conv2d1", "relu1", "flatten1"]);
  assert.equal(cyclePath(edges, "conv2d1", "linear1"), null); // forwards: no cycle
  assert.equal(cyclePath(edges, "input1", "output1"), null);
  assert.deepEqual(cyclePath(edges, "relu1", "relu1"), ["relu1"]);
});

test("the refusal names the wire and the blocks that already lead back", () => {
  const edges = chain("input1", "conv2d1", "relu1", "linear1", "output1");
  const node = (id, type) => ({ id, position: { x: 0, y: 0 }, data: { type } });
  const nodes = [node("input1", "Input"), node("conv2d1", "Conv2d"), node("relu1", "ReLU"), node("linear1", "Linear"), node("output1", "Output")];
  const catalog = new Map([
    ["Input", { type: "Input", ports: { inputs: 0 } }],
    ["Conv2d", { type: "Conv2d" }],
    ["ReLU", { type: "ReLU" }],
    ["Linear", { type: "Linear" }],
    ["Output", { type: "Output", outputs: 0 }],
  ]);
  const why = connectProblem(edges, nodes, catalog, { source: "linear1", target: "conv2d1", targetHandle: "in" });
  assert.equal(why, "linear1 → conv2d1 would make a cycle (conv2d1 → relu1 → linear1 already leads back)");
});

test("a long way back shows its first blocks and its last, … for the rest", () => {
  const ids = ["a", "b", "c", "d", "e", "f", "g"];
  const path = cyclePath(chain(...ids), "g", "a");
  assert.deepEqual(path, ids);
  assert.equal(cycleMessage("g", "a", path), "g → a would make a cycle (a → b → … → g already leads back)");
  assert.equal(cycleMessage("e", "a", ids.slice(0, 5)), "e → a would make a cycle (a → b → c → d → e already leads back)");
});
