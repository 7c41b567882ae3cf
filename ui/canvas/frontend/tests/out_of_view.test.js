// Unit tests of what a view leaves out (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { outOfView, viewShowing } from "../src/viewport.js";

/** A column of `n` cards 200×60, 100 apart, from y = 0: a tall design laid out in rows. */
const column = (n) =>
  Array.from({ length: n }, (_, i) => ({ id: `b${i}`, x: 0, y: i * 100, width: 200, height: 60 }));

test("a tall design's blocks below the pane are counted, the first of them named", () => {
  // a 600×500 pane at zoom 1 shows b0..b4 whole (b4 ends at 460); b5 is cut at 500-560
  const out = outOfView(column(12), { x: 10, y: 0, zoom: 1 }, 600, 500);
  assert.equal(out.count, 7);
  assert.equal(out.below, 7);
  assert.equal(out.above + out.left + out.right, 0);
  assert.equal(out.next, "b5");
});

test("blocks off each side are counted by the side they lie past", () => {
  const rects = [
    { id: "l", x: -300, y: 100, width: 200, height: 60 },
    { id: "in", x: 100, y: 100, width: 200, height: 60 },
    { id: "r", x: 900, y: 100, width: 200, height: 60 },
    { id: "a", x: 100, y: -200, width: 200, height: 60 },
  ];
  const out = outOfView(rects, { x: 0, y: 0, zoom: 1 }, 800, 400);
  assert.deepEqual(
    { count: out.count, left: out.left, right: out.right, above: out.above, below: out.below, next: out.next },
    { count: 3, left: 1, right: 1, above: 1, below: 0, next: "l" },
  );
});

test("a design wholly in view leaves nothing out", () => {
  const out = outOfView(column(3), { x: 0, y: 0, zoom: 1 }, 600, 500);
  assert.equal(out.count, 0);
  assert.equal(out.next, null);
  assert.equal(outOfView(column(3), null, 600, 500).count, 0);
});

test("the view that shows a block below pans down to it, at the same zoom", () => {
  const view = { x: 10, y: 0, zoom: 0.75 };
  const b = column(12)[9]; // y 900..960 → 675..720 on screen, past a 500 px pane
  const v = viewShowing(b, view, 600, 500, 24);
  assert.equal(v.zoom, 0.75);
  assert.equal(v.x, 10);
  assert.equal(960 * 0.75 + v.y, 500 - 24); // its bottom edge 24 px above the pane's
  assert.deepEqual(outOfView([b], v, 600, 500).count, 0);
  assert.equal(viewShowing(column(1)[0], view, 600, 500), null);
});
