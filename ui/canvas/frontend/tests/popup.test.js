import test from "node:test";
import assert from "node:assert/strict";
import { keepInside } from "../src/viewport.js";

// the 1366x768 designer's pane: 644 x 523 px
const W = 644;
const H = 523;

test("a pop-up that fits where it was asked for stays there", () => {
  assert.deepEqual(keepInside(100, 120, 150, 80, W, H), { x: 100, y: 120 });
});

test("a block's menu near the right edge moves left to stand whole in the pane", () => {
  // right-click 30 px from the edge: the 140 px menu read "Dupli", "Copy", "Delet"
  const at = keepInside(W - 30, 150, 142, 84, W, H);
  assert.equal(at.x + 142, W - 4);
  assert.equal(at.y, 150);
});

test("search-to-add near the bottom-right corner moves up and left, 300 px box and all", () => {
  // the box was clamped by a guess of 262 px and ran 38 px past the edge
  const at = keepInside(W - 10, H - 10, 302, 302, W, H);
  assert.deepEqual(at, { x: W - 302 - 4, y: H - 302 - 4 });
});

test("a pop-up larger than the pane keeps its top-left corner in", () => {
  assert.deepEqual(keepInside(50, 50, 900, 900, W, H), { x: 4, y: 4 });
  assert.deepEqual(keepInside(-20, -5, 10, 10, W, H), { x: 4, y: 4 });
});

test("a place not known yet (the first draw) starts at the pane's corner", () => {
  assert.deepEqual(keepInside(undefined, undefined, 10, 10, W, H), { x: 4, y: 4 });
});
