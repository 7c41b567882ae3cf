// Unit tests of blocks written at one spot (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { placeMissing, unstack } from "../src/layout.js";

const at = (id, x, y) => ({ id, position: x === null ? null : { x, y } });

test("blocks a script wrote at one spot lose it, to be placed anew", () => {
  const nodes = [at("a", 0, 0), at("b", 0, 0), at("c", 0, 0)];
  assert.deepEqual(unstack(nodes).map((n) => n.position), [null, null, null]);
});

test("only the blocks that share a spot lose theirs", () => {
  const nodes = [at("a", 0, 0), at("b", 300, 0), at("c", 300.2, 0), at("d", null)];
  assert.deepEqual(unstack(nodes).map((n) => n.position), [{ x: 0, y: 0 }, null, null, null]);
});

test("a design whose blocks stand apart is left as it is", () => {
  const nodes = [at("a", 0, 0), at("b", 300, 0), at("c", 0, 200)];
  assert.equal(unstack(nodes), nodes);
});

test("a design all at one spot is laid out with no two cards on one spot", () => {
  const nodes = ["a", "b", "c", "d"].map((id) => at(id, 0, 0));
  const edges = [
    { source: "a", target: "b" },
    { source: "b", target: "c" },
    { source: "c", target: "d" },
  ];
  const laid = placeMissing(unstack(nodes), edges, () => ({ w: 200, h: 80 }), { width: 900, height: 600 });
  const spots = new Set(laid.map((n) => `${n.position.x},${n.position.y}`));
  assert.equal(spots.size, 4);
});
