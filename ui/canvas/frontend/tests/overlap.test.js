// Unit tests of blocks moved apart where a design puts them partly over each other: `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { spreadMessage, spreadOverlaps } from "../src/overlap.js";

const at = (id, x, y) => ({ id, position: x === null ? null : { x, y } });
const card = () => ({ w: 200, h: 90 });
const boxes = (nodes) => nodes.map((n) => ({ id: n.id, ...n.position, w: 200, h: 90 }));
const overlapping = (nodes) => {
  const b = boxes(nodes.filter((n) => n.position));
  return b.flatMap((p, i) =>
    b.slice(i + 1).filter((q) => p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h)
      .map((q) => [p.id, q.id]),
  );
};

test("a column whose rows are closer than a card is tall opens with no card over another", () => {
  const nodes = [0, 1, 2, 3].map((i) => at(`b${i}`, 0, i * 60));
  const { nodes: out, moved } = spreadOverlaps(nodes, card);
  assert.deepEqual(overlapping(out), []);
  assert.deepEqual(moved, ["b1", "b2", "b3"]);
  assert.deepEqual(out[0].position, { x: 0, y: 0 }); // the first stays where it was written
  assert.deepEqual(out[1].position, { x: 0, y: 106 }); // the least move down that frees it
  assert.ok(out.every((n) => n.position.x === 0), "the column stays a column");
});

test("a card that overlaps another by a little moves the little way, sideways", () => {
  const nodes = [at("a", 0, 0), at("b", 150, 10)];
  const { nodes: out } = spreadOverlaps(nodes, card);
  assert.deepEqual(out[1].position, { x: 216, y: 10 });
});

test("cards over nothing, and cards without a position, are left where they are", () => {
  const nodes = [at("a", 0, 0), at("b", 0, 40), at("far", 900, 900), at("new", null)];
  const { nodes: out, moved } = spreadOverlaps(nodes, card);
  assert.deepEqual(moved, ["b"]);
  assert.equal(out[2], nodes[2]);
  assert.equal(out[3], nodes[3]);
});

test("a design whose cards stand apart (or just touch) is the same array, none moved", () => {
  const nodes = [at("a", 0, 0), at("b", 200, 0), at("c", 0, 90)];
  const out = spreadOverlaps(nodes, card);
  assert.equal(out.nodes, nodes);
  assert.deepEqual(out.moved, []);
});

test("a moved card finds room among several it would land on", () => {
  // b over a; right of a is c, below a is d: b goes where neither is
  const nodes = [at("a", 0, 0), at("c", 216, 0), at("d", 0, 106), at("b", 20, 20)];
  const { nodes: out } = spreadOverlaps(nodes, card);
  assert.deepEqual(overlapping(out), []);
});

test("the canvas says once which blocks it moved", () => {
  assert.equal(spreadMessage([]), null);
  assert.match(spreadMessage(["b1"]), /^1 block lay partly over another and moved apart \(b1\)/);
  assert.match(spreadMessage(["a", "b", "c", "d"]), /^4 blocks lay .*\(a, b, c, …\)/);
});

test("a column pushed down by its first overlaps stays a column, in its order", () => {
  // Linear cards 90 tall and ReLU cards 50 tall written 60 apart: pushing one down lands it
  // on the next, which goes below it, never beside it
  const nodes = [at("in", 0, 0)];
  for (let i = 1; i < 4; i++) nodes.push(at(`lin${i}`, 20, 120 * i - 60), at(`relu${i}`, 20, 120 * i));
  const size = (n) => ({ w: 200, h: n.id.startsWith("relu") ? 50 : 90 });
  const { nodes: out } = spreadOverlaps(nodes, size);
  const ys = out.map((n) => n.position.y);
  assert.deepEqual([...ys].sort((a, b) => a - b), ys);
  assert.ok(out.slice(1).every((n) => n.position.x === 20), JSON.stringify(out.map((n) => n.position)));
  for (let i = 1; i < out.length; i++) {
    assert.ok(out[i].position.y >= out[i - 1].position.y + size(out[i - 1]).h, out[i].id);
  }
});
