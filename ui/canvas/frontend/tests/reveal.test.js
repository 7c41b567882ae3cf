// Unit tests of the view after an edit (no browser): `npm test`. revealViewport brings the
// blocks an edit touched into view (ungroup's inner blocks and the neighbours it pushed, a block
// put on a wire and the row it made room in); editTouched tells them from two graphs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { READABLE_ZOOM, editTouched, revealViewport, showsInPane } from "../src/viewport.js";

const box = (x, y, width = 200, height = 80) => ({ x, y, width, height });
/** Where a box lands on screen under `v`. */
const onScreen = (r, v) => ({
  left: r.x * v.zoom + v.x,
  right: (r.x + r.width) * v.zoom + v.x,
  top: r.y * v.zoom + v.y,
  bottom: (r.y + r.height) * v.zoom + v.y,
});
const inside = (r, v, w, h) => {
  const s = onScreen(r, v);
  return s.left >= -0.01 && s.top >= -0.01 && s.right <= w + 0.01 && s.bottom <= h + 0.01;
};
// the designer's pane at a 1366×768 window
const W = 644;
const H = 507;

test("blocks already whole in view: the view does not move", () => {
  const view = { x: 10, y: 20, zoom: 1 };
  const touched = { first: [box(0, 0)], rest: [box(300, 100)] };
  assert.equal(revealViewport(touched, W, H, view), null);
  // partly out, even by a few pixels, is not in view
  assert.notEqual(revealViewport({ first: [box(440, 0)], rest: [] }, W, H, view), null);
});

test("blocks that fit at the current zoom are panned in, the least, and the zoom kept", () => {
  const view = { x: 0, y: 0, zoom: 1 };
  // a row pushed 56 px past the right edge
  const rest = [box(280, 100), box(500, 100)];
  const v = revealViewport({ first: [box(100, 100)], rest }, W, H, view);
  assert.equal(v.zoom, 1);
  assert.equal(v.y, 0, "nothing to move vertically");
  assert.equal(onScreen(rest[1], v).right, W - 12, "the last block just inside the margin");
  assert.ok(inside(box(100, 100), v, W, H));
});

test("too wide at the current zoom: zooms out only as far as they need", () => {
  const view = { x: 0, y: 0, zoom: 1.1 };
  const first = [box(0, 0)];
  const rest = [box(260, 0), box(520, 0)]; // 720 flow px wide: 792 px at 1.1
  const v = revealViewport({ first, rest }, W, H, view);
  assert.ok(v.zoom < 1.1 && v.zoom >= READABLE_ZOOM, `${v.zoom}`);
  assert.ok(Math.abs(v.zoom - (W - 24) / 720) < 1e-9, "just what they need");
  for (const r of [...first, ...rest]) assert.ok(inside(r, v, W, H));
});

test("never below the readable zoom: the new blocks are shown before the pushed ones", () => {
  // ungroup of the tester's block at 1366x768: the inner blocks 800 flow px wide from the
  // block's corner, a neighbour pushed right of them and the rows under it pushed down
  const view = { x: 60, y: 40, zoom: 0.79 };
  const inner = [box(300, 284), box(624, 317), box(325, 505), box(549, 481), box(799, 481)];
  const pushed = [box(1120, 290), box(0, 700), box(230, 714)];
  const v = revealViewport({ first: inner, rest: pushed }, W, H, view);
  assert.equal(v.zoom, READABLE_ZOOM, "zoomed out, to the readable zoom and no further");
  for (const r of inner) assert.ok(inside(r, v, W, H), JSON.stringify(onScreen(r, v)));
  assert.ok(!pushed.every((r) => inside(r, v, W, H)), "not all of them fit");
});

test("a view the user zoomed out further keeps its zoom: it never zooms in", () => {
  const view = { x: 0, y: 0, zoom: 0.4 };
  const first = [box(2000, 0)];
  const v = revealViewport({ first, rest: [] }, W, H, view);
  assert.equal(v.zoom, 0.4);
  assert.ok(inside(first[0], v, W, H));
  // nor does it zoom in on a small block out of view
  const far = revealViewport({ first: [box(5000, 5000)], rest: [] }, W, H, { x: 0, y: 0, zoom: 1 });
  assert.equal(far.zoom, 1);
});

test("new blocks too large for the pane are shown from their top-left corner", () => {
  const view = { x: 0, y: 0, zoom: 1 };
  const first = [box(1000, 1000), box(2400, 1900)]; // 1600 × 980 flow px
  const v = revealViewport({ first, rest: [] }, W, H, view);
  assert.equal(v.zoom, READABLE_ZOOM);
  const s = onScreen(first[0], v);
  assert.equal(s.left, 12);
  assert.equal(s.top, 12);
});

test("the pan keeps the blocks that were in view where it can: the least move", () => {
  // a block inserted in view, its row pushed down: only the vertical pan needed
  const view = { x: -100, y: -50, zoom: 1 };
  const first = [box(200, 300)];
  const rest = [box(200, 500)];
  const v = revealViewport({ first, rest }, W, H, view);
  assert.equal(v.x, -100);
  assert.equal(onScreen(rest[0], v).bottom, H - 12);
  assert.ok(inside(first[0], v, W, H));
});

test("no boxes, no pane or no view: no move", () => {
  const view = { x: 0, y: 0, zoom: 1 };
  assert.equal(revealViewport({ first: [], rest: [] }, W, H, view), null);
  assert.equal(revealViewport({ first: [box(900, 0)] }, 0, 0, view), null);
  assert.equal(revealViewport({ first: [box(900, 0)] }, W, H, { x: NaN, y: 0, zoom: 1 }), null);
  assert.equal(revealViewport({ first: [{ x: NaN, y: 0, width: 1, height: 1 }] }, W, H, view), null);
});

test("editTouched: the blocks an edit added and those it moved", () => {
  const node = (id, type, x, y) => ({ id, position: { x, y }, data: { type } });
  const before = [node("a", "Input", 0, 0), node("g", "Block", 300, 0), node("c", "ReLU", 600, 0)];
  const after = [
    node("a", "Input", 0, 0),
    node("x1", "Conv2d", 300, 0),
    node("x2", "ReLU", 550, 0),
    node("c", "ReLU", 900, 0),
  ];
  assert.deepEqual(editTouched(before, after), { added: ["x1", "x2"], moved: ["c"] });
  // a node of the same id and another type is a new block
  assert.deepEqual(editTouched(before, [node("a", "Linear", 0, 0)]), { added: ["a"], moved: [] });
});

test("showsInPane: any part of a box in the pane", () => {
  const view = { x: 0, y: 0, zoom: 1 };
  assert.equal(showsInPane(box(600, 0), view, W, H), true);
  assert.equal(showsInPane(box(644, 0), view, W, H), false);
  assert.equal(showsInPane(box(-199, -79), view, W, H), true);
});
