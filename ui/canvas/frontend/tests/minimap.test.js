// Unit tests of the design's map (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAP_MIN_BOX, MAP_WIDTH, centredOn, mapFrame, viewRect } from "../src/minimap.js";

/** The view's box on the map, in map px, and where it starts. */
const box = (f, view) => ({
  left: (view.x - f.x) / f.scale,
  top: (view.y - f.y) / f.scale,
  width: view.width / f.scale,
  height: view.height / f.scale,
});

// a 60-block column 220 wide, 150 a block (9,000 tall), seen through a 1000×800 view
const column = { x: 0, y: 0, width: 220, height: 9000 };
const top = { x: -400, y: -20, width: 1000, height: 800 };

test("a tall column's map keeps its width, takes a capped height, and a box one can grab", () => {
  const f = mapFrame(column, top, 600);
  assert.equal(f.width, MAP_WIDTH);
  assert.equal(f.height, 150);
  assert.equal(f.whole, false);
  const b = box(f, top);
  assert.ok(b.height >= MAP_MIN_BOX - 1e-9 && b.width >= MAP_MIN_BOX - 1e-9, JSON.stringify(b));
  assert.ok(b.left >= 0 && b.left + b.width <= f.width, "the box lies across the map");
});

test("the part of a tall design shown slides along it with the view, as a scrollbar does", () => {
  const atTop = mapFrame(column, top, 600);
  assert.ok(box(atTop, top).top < 10, "the view at the top: its box at the map's top");
  const foot = { ...top, y: 9000 - 780 };
  const atFoot = mapFrame(column, foot, 600);
  const b = box(atFoot, foot);
  assert.ok(atFoot.height - (b.top + b.height) < 10, "the view at the foot: its box at the map's foot");
  // half way: the box half way down the map
  const mid = { ...top, y: (9000 - 20 - 780) / 2 };
  const m = box(mapFrame(column, mid, 600), mid);
  assert.ok(Math.abs(m.top + m.height / 2 - 75) < 10, JSON.stringify(m));
});

test("a drag of the box moves the view so that the box stays under the pointer", () => {
  const mid = { ...top, y: 4000 };
  const f = mapFrame(column, mid, 600);
  const moved = { ...mid, y: mid.y + 20 * f.rate.y };
  const g = mapFrame(column, moved, 600);
  assert.ok(Math.abs(box(g, moved).top - box(f, mid).top - 20) < 1e-6);
});

test("a design that fits the map is shown whole, its height its shape's", () => {
  const small = { x: 0, y: 0, width: 1600, height: 900 };
  const view = { x: 0, y: 0, width: 1000, height: 700 };
  const f = mapFrame(small, view, 600);
  assert.equal(f.whole, true);
  assert.equal(f.width, MAP_WIDTH);
  assert.ok(f.height < 120 && f.height >= 60, String(f.height));
  // the whole design inside the map
  assert.ok(f.x <= 0 && f.y <= 0);
  assert.ok(f.x + f.width * f.scale >= 1600 && f.y + f.height * f.scale >= 900);
});

test("a short pane's map is no taller than a quarter of it", () => {
  assert.equal(mapFrame(column, top, 360).height, 90);
});

test("a click on the map centres the view there, at the same zoom", () => {
  const v = centredOn({ x: 100, y: 5000 }, { x: 0, y: 0, zoom: 0.5 }, 800, 600);
  const r = viewRect(v, 800, 600);
  assert.equal(v.zoom, 0.5);
  assert.equal(r.x + r.width / 2, 100);
  assert.equal(r.y + r.height / 2, 5000);
});
