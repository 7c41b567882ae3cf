// Unit tests of the automatic view (no browser): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BLANK_VIEW,
  arrivalViewport,
  autoViewport,
  isNewGraph,
  keepInPane,
  wireRects,
} from "../src/viewport.js";

const OPTS = { padding: 0.15, minZoom: 0.5, maxZoom: 1.1 };
/** A left-to-right chain of `n` boxes 200×60, 220 apart, as the layout draws seed-cnn. */
const chain = (n, y = 0) =>
  Array.from({ length: n }, (_, i) => ({ x: i * 220, y, width: 200, height: 60 }));
/** Where a box lands on screen under `v`. */
const onScreen = (r, v) => ({
  left: r.x * v.zoom + v.x,
  right: (r.x + r.width) * v.zoom + v.x,
  top: r.y * v.zoom + v.y,
  bottom: (r.y + r.height) * v.zoom + v.y,
});

test("a graph that fits is centred whole, as fitView would", () => {
  const rects = chain(3); // 640 wide
  const v = autoViewport(rects, 1000, 600, OPTS);
  const first = onScreen(rects[0], v);
  const last = onScreen(rects[2], v);
  assert.ok(v.zoom > 0.5 && v.zoom <= 1.1);
  assert.ok(Math.abs(first.left - (1000 - last.right)) < 1, "centred horizontally");
  assert.ok(Math.abs(first.top - (600 - first.bottom)) < 1, "centred vertically");
  assert.ok(first.left >= 65 && last.right <= 1000 - 65, "inside the padding");
});

test("zoom is capped at maxZoom for a small graph", () => {
  const v = autoViewport(chain(1), 1000, 600, OPTS);
  assert.equal(v.zoom, 1.1);
  const box = onScreen(chain(1)[0], v);
  assert.ok(Math.abs(box.left + box.right - 1000) < 1);
});

test("a chain too wide for minZoom keeps minZoom and starts at its inputs", () => {
  const rects = chain(10); // 2180 wide: 1090 px at 0.5 in a 676 px pane
  const v = autoViewport(rects, 676, 658, OPTS);
  assert.equal(v.zoom, 0.5);
  const first = onScreen(rects[0], v);
  assert.equal(first.left, 44, "the first node sits at the left padding, not cut off");
  assert.ok(onScreen(rects[9], v).right > 676, "the tail is left for the user to pan to");
  assert.ok(Math.abs(first.top - (658 - first.bottom)) < 1, "centred vertically");
});

test("too wide with its last block selected: panned the least that shows that block whole", () => {
  const rects = chain(10);
  const v = autoViewport(rects, 676, 658, { ...OPTS, focus: [rects[9]] });
  assert.equal(v.zoom, 0.5);
  const last = onScreen(rects[9], v);
  assert.equal(last.right, 676 - 12, "at the pane's right edge, its margin kept");
  assert.ok(last.left >= 12);
  // a selected block already in view leaves the view as it was
  const plain = autoViewport(rects, 676, 658, OPTS);
  assert.deepEqual(autoViewport(rects, 676, 658, { ...OPTS, focus: [rects[0]] }), plain);
  // a graph that fits whole is not moved for its selection
  const small = chain(3);
  assert.deepEqual(autoViewport(small, 1000, 600, { ...OPTS, focus: [small[2]] }),
    autoViewport(small, 1000, 600, OPTS));
});

test("too wide: centred vertically on the nodes in view at the start, not on far ones", () => {
  const rects = [...chain(4), { x: 3000, y: 2000, width: 200, height: 60 }];
  const v = autoViewport(rects, 676, 658, OPTS);
  assert.equal(v.zoom, 0.5);
  const first = onScreen(rects[0], v);
  assert.ok(Math.abs(first.top - (658 - first.bottom)) < 1);
});

test("the toolbar's strip at the top is kept clear", () => {
  const rects = [
    { x: 0, y: 0, width: 200, height: 60 },
    { x: 0, y: 500, width: 200, height: 60 },
  ];
  const v = autoViewport(rects, 676, 658, { ...OPTS, top: 70 });
  assert.ok(onScreen(rects[0], v).top >= 78);
  assert.ok(onScreen(rects[1], v).bottom <= 658 - 42); // padding: 42 px of 658
});

test("a graph too tall for minZoom is aligned to the top", () => {
  const rects = Array.from({ length: 12 }, (_, i) => ({ x: 0, y: i * 150, width: 200, height: 60 }));
  const v = autoViewport(rects, 676, 658, OPTS);
  assert.equal(v.zoom, 0.5);
  assert.equal(onScreen(rects[0], v).top, 42);
  const box = onScreen(rects[0], v);
  assert.ok(Math.abs(box.left + box.right - 676) < 1, "still centred horizontally");
});

test("nothing to show, or no room: no view", () => {
  assert.equal(autoViewport([], 676, 658, OPTS), null);
  assert.equal(autoViewport(chain(2), 0, 0, OPTS), null);
  assert.equal(autoViewport([{ x: NaN, y: 0, width: 1, height: 1 }], 676, 658, OPTS), null);
});

const node = (id, type, x, y) => ({ id, position: { x, y }, data: { type } });
const level = [
  node("image", "Input", 0, 0),
  node("conv1", "Conv2d", 220, 0),
  node("relu1", "ReLU", 440, 0),
  node("fc", "Linear", 660, 0),
];

test("edits are not another graph: a param, a node added or removed, a node moved", () => {
  const param = level.map((n) => (n.id === "conv1" ? { ...n, data: { ...n.data, params: { stride: 2 } } } : n));
  assert.equal(isNewGraph(level, param), false);
  assert.equal(isNewGraph(level, [...level, node("relu3", "ReLU", 900, 0)]), false);
  assert.equal(isNewGraph(level, level.slice(1)), false);
  assert.equal(isNewGraph(level, level.map((n, i) => (i ? n : node(n.id, "Input", 50, 80)))), false);
  assert.equal(isNewGraph(level, []), false);
});

test("another level or project is another graph, even where some ids repeat", () => {
  const inner = [node("x", "Input", 0, 0), node("conv1", "Conv2d", 300, 40), node("relu1", "ReLU", 500, 40), node("out", "Output", 700, 0)];
  assert.equal(isNewGraph(level, inner), true);
  assert.equal(isNewGraph([], level), true);
  const retyped = level.map((n) => ({ ...n, data: { type: "Identity" } }));
  assert.equal(isNewGraph(level, retyped), true);
});

test("after undo (positions: false) a move of every node back is still an edit", () => {
  const moved = level.map((n) => node(n.id, n.data.type, n.position.x + 100, n.position.y + 100));
  assert.equal(isNewGraph(level, moved), true);
  assert.equal(isNewGraph(level, moved, { positions: false }), false);
});

test("a graph that fits at the readable zoom only with a tight margin is fitted whole", () => {
  // seed-cnn's rows in a short window (1280x720): 582 flow px tall, a pane 451 px high; with
  // the usual margin it was shown from its top and its last row (the Output) cut off
  const rects = [
    { x: 0, y: 0, width: 200, height: 90 },
    { x: 0, y: 526, width: 200, height: 56 },
  ];
  const v = autoViewport(rects, 590, 451, { padding: 0.12, minZoom: 0.75, maxZoom: 1.1 });
  assert.ok(v.zoom >= 0.75);
  const topPx = v.y;
  const bottomPx = v.y + 582 * v.zoom;
  assert.ok(topPx >= 0 && bottomPx <= 451, `${topPx} ${bottomPx}`);
  // with room to spare the usual margin is kept
  const roomy = autoViewport(rects, 590, 900, { padding: 0.12, minZoom: 0.75, maxZoom: 1.1 });
  assert.ok(roomy.y >= Math.floor((900 - 900 / 1.12) / 2));
});

test("a blank design or an empty level opens at the blank view, zoom 1, whatever was kept", () => {
  assert.deepEqual(BLANK_VIEW, { x: 0, y: 0, zoom: 1 });
  // the view of the design shown before, or one kept for this empty level: not used
  for (const kept of [null, { x: -480, y: 120, zoom: 0.54 }, { x: 40, y: 30, zoom: 2.2 }, { zoom: NaN }]) {
    assert.deepEqual(arrivalViewport(kept, [], 900, 500), BLANK_VIEW);
    assert.deepEqual(arrivalViewport(kept, undefined, 900, 500), BLANK_VIEW);
  }
  // a level with blocks: the view kept for it if it shows one, else the automatic view (null)
  const kept = { x: 10, y: 20, zoom: 0.9 };
  assert.deepEqual(arrivalViewport(kept, chain(3), 900, 500), kept);
  assert.equal(arrivalViewport({ x: -5000, y: 0, zoom: 1 }, chain(3), 900, 500), null);
  assert.equal(arrivalViewport(null, chain(3), 900, 500), null);
});

// ---- a dropped block is kept inside the pane ----------------------------------------------

test("a card dropped by the pane's left edge is nudged right, whole into view", () => {
  const view = { x: 0, y: 0, zoom: 1 };
  // centred on a pointer 20 px from the palette: its left 80 px were under the palette
  const p = keepInPane({ x: 20 - 100, y: 300 - 30 }, { w: 200, h: 60 }, view, 1000, 600);
  assert.equal(p.x, 8);
  assert.equal(p.y, 270, "a card already in view vertically stays where it was dropped");
  const q = keepInPane({ x: 900, y: 580 }, { w: 200, h: 60 }, { x: -50, y: 20, zoom: 0.5 }, 1000, 600);
  const s = onScreen({ x: q.x, y: q.y, width: 200, height: 60 }, { x: -50, y: 20, zoom: 0.5 });
  assert.ok(s.left >= 8 && s.right <= 992 && s.top >= 8 && s.bottom <= 592, JSON.stringify(s));
  const top = keepInPane({ x: 100, y: -40 }, { w: 200, h: 60 }, view, 1000, 600);
  assert.equal(top.y, 8, "nudged down from the top edge");
});


test("a design laid out in rows opens with its wires' turns inside the pane", () => {
  // seed-cnn without positions in the designer's pane at 1366x768 (631x523): rows of blocks
  // 765 wide, which fit the pane's width at the readable zoom only with a tight margin; the
  // wire from a row's last block to the next row's first turns down 22 px right of the widest
  // row and 22 px left of the blocks (layout.js)
  const row = (y) => [0, 310, 625].map((x) => ({ x, y, width: 140, height: 90 }));
  const rects = [...row(0), ...row(150), ...row(300), { x: 0, y: 450, width: 120, height: 50 }];
  const ids = rects.map((_, i) => `n${i}`);
  const byId = new Map(ids.map((id, i) => [id, rects[i]]));
  const edges = ids.slice(1).map((id, i) => ({ id: `e${i}`, source: ids[i], target: id }));
  const routes = {};
  for (const i of [2, 5, 8]) {
    const s = rects[i];
    const t = rects[i + 1];
    const gap = s.y + s.height + 30;
    routes[`e${i}`] = [[765, s.y + 45], [787, s.y + 45], [787, gap], [-22, gap], [-22, t.y + 45], [0, t.y + 45]];
  }
  const wires = wireRects(edges, byId, routes);
  assert.equal(wires.length, edges.length);
  assert.equal(Math.max(...wires.map((r) => r.x + r.width)), 787);
  assert.equal(Math.min(...wires.map((r) => r.x)), -22);
  const opts = { padding: 0.12, minZoom: 0.75, maxZoom: 1.1 };
  const v = autoViewport(rects, 631, 523, { ...opts, wires });
  assert.ok(v.zoom >= 0.75);
  assert.ok(787 * v.zoom + v.x <= 631 - 4, `the right turns end at ${787 * v.zoom + v.x} of 631`);
  assert.ok(-22 * v.zoom + v.x >= 4, `the left turns start at ${-22 * v.zoom + v.x}`);
});

test("a plain curve back to an earlier block is held whole, its loop out of the source too", () => {
  const byId = new Map([
    ["a", { x: 300, y: 0, width: 100, height: 40 }],
    ["b", { x: 0, y: 100, width: 100, height: 40 }],
  ]);
  const [box] = wireRects([{ id: "w", source: "a", target: "b" }], byId, {});
  assert.ok(box.x + box.width > 400 && box.x < 0, JSON.stringify(box));
});
