// A wire back to another row of a design laid out in rows by hand (the templates are) runs out
// of its source, along the free band between the rows, and into its target from the left: it
// crosses no block, where the plain curve looped behind the blocks between its ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { wrapRoutes } from "../src/routes.js";
import { plainCurve, samplePoints, wireSegments } from "../src/wires.js";

// seed-cnn as its template places it (assets/templates/seed-cnn.json), with card sizes as the
// canvas estimates them: three rows of three blocks, the Output alone on a fourth
const CARDS = {
  image: [0, 10, 150, 96], conv1: [250, 0, 200, 138], relu1: [540, 30, 150, 56],
  pool1: [0, 192, 160, 104], conv2: [250, 182, 200, 138], relu2: [540, 212, 150, 56],
  pool2: [0, 364, 160, 104], flat: [250, 384, 150, 56], fc: [490, 374, 200, 86],
  probs: [0, 526, 150, 56],
};
const nodes = Object.entries(CARDS).map(([id, [x, y]]) => ({ id, position: { x, y } }));
const sizeOf = (n) => ({ w: CARDS[n.id][2], h: CARDS[n.id][3] });
const chain = Object.keys(CARDS);
const edges = chain.slice(1).map((target, i) => ({ id: `e${i}`, source: chain[i], target }));
const byId = (id) => edges.find((e) => e.id === id);

// where the canvas puts the handles: the middle of a card's right (out) and left (in) sides
function handles(e, cards = CARDS) {
  const [sx, sy, sw, sh] = cards[e.source];
  const [tx, ty, , th] = cards[e.target];
  return [sx + sw, sy + sh / 2, tx, ty + th / 2];
}

// the cards (other than the wire's ends) that points along a wire fall inside
function crossings(points, e, cards = CARDS) {
  return Object.entries(cards)
    .filter(([id]) => id !== e.source && id !== e.target)
    .filter(([, [x, y, w, h]]) => points.some(([px, py]) => px > x + 2 && px < x + w - 2 && py > y + 2 && py < y + h - 2))
    .map(([id]) => id);
}

test("the wires back to the next row go along the band between the rows; forward wires stay curves", () => {
  const routes = wrapRoutes(nodes, edges, sizeOf);
  const wrapped = Object.keys(routes).map((id) => `${byId(id).source}>${byId(id).target}`);
  assert.deepEqual(wrapped, ["relu1>pool1", "relu2>pool2", "fc>probs"]);
  // the band between row 1 (conv1 ends at 138) and row 2 (conv2 starts at 182), and so on
  assert.deepEqual(Object.values(routes).map((r) => r.gap), [160, 342, 497]);
});

test("a wrapped wire crosses no block, where its plain curve crossed some", () => {
  const routes = wrapRoutes(nodes, edges, sizeOf);
  for (const [id, route] of Object.entries(routes)) {
    const e = byId(id);
    const along = samplePoints(wireSegments(...handles(e), route), 3);
    assert.deepEqual(crossings(along, e), [], `${e.source}>${e.target}`);
  }
  const relu1 = byId("e2");
  assert.notDeepEqual(crossings(samplePoints(plainCurve(...handles(relu1)), 3), relu1), []);
});

test("no free band, or a block in the way down, leaves the plain curve", () => {
  // a block filling the band between rows 1 and 2 across the whole run
  const wide = [...nodes, { id: "wide", position: { x: -40, y: 140 } }];
  const size = (n) => (n.id === "wide" ? { w: 800, h: 40 } : sizeOf(n));
  assert.equal(wrapRoutes(wide, edges, size).e2, undefined);
  // a block right of relu1, where the wire goes down
  const beside = [...nodes, { id: "beside", position: { x: 700, y: 100 } }];
  const size2 = (n) => (n.id === "beside" ? { w: 60, h: 60 } : sizeOf(n));
  assert.equal(wrapRoutes(beside, edges, size2).e2, undefined);
  assert.ok(wrapRoutes(beside, edges, size2).e5); // relu2 > pool2 is clear still
});

test("a wire already routed by the auto layout is left to its route", () => {
  const routed = { e2: [[0, 0], [1, 1]] };
  assert.equal(wrapRoutes(nodes, edges, sizeOf, routed).e2, undefined);
});

// A residual block drawn in one row by hand: the skip wire linear1 > add runs straight under
// relu and linear2 as the plain curve; it goes round them instead, along the free band nearest
// its way, and the wires between neighbours stay curves.
const ROW = {
  input: [0, 0, 150, 80], linear1: [200, 0, 180, 96], relu: [430, 20, 150, 56],
  linear2: [630, 0, 180, 96], add: [860, 10, 150, 76], out: [1060, 20, 150, 56],
};
const rowNodes = Object.entries(ROW).map(([id, [x, y]]) => ({ id, position: { x, y } }));
const rowSize = (n) => ({ w: ROW[n.id][2], h: ROW[n.id][3] });
const rowEdges = [
  ["input", "linear1"], ["linear1", "relu"], ["relu", "linear2"], ["linear2", "add"],
  ["linear1", "add"], ["add", "out"],
].map(([source, target], i) => ({ id: `r${i}`, source, target }));

test("a skip wire that would run under the blocks of its row goes round them", () => {
  const routes = wrapRoutes(rowNodes, rowEdges, rowSize);
  assert.deepEqual(Object.keys(routes), ["r4"]); // linear1 > add only
  const skip = rowEdges[4];
  assert.deepEqual(crossings(samplePoints(plainCurve(...handles(skip, ROW)), 3), skip, ROW), ["relu", "linear2"]);
  const along = samplePoints(wireSegments(...handles(skip, ROW), routes.r4), 3);
  assert.deepEqual(crossings(along, skip, ROW), []);
  // the nearest free band: just above the row (its tallest blocks start at 0), not far off
  assert.ok(routes.r4.gap < 0 && routes.r4.gap > -60, `gap ${routes.r4.gap}`);
});

test("a block dropped onto a forward wire's way sends that wire round it; one clear of it does not", () => {
  // the Output placed between linear1 and add, under the skip wire (a newcomer's design)
  const nodes = rowNodes.map((n) => (n.id === "out" ? { ...n, position: { x: 600, y: 130 } } : n));
  const size = (n) => rowSize(n);
  const edges = [
    { id: "a", source: "input", target: "linear1" },
    { id: "b", source: "linear1", target: "add" },
  ];
  const without = nodes.filter((n) => n.id === "input" || n.id === "linear1" || n.id === "add" || n.id === "out");
  // out (at y 130..186) is below the straight way from linear1 (48) to add (48): clear, a curve
  assert.deepEqual(wrapRoutes(without, edges, size), {});
  const onWay = without.map((n) => (n.id === "out" ? { ...n, position: { x: 600, y: 30 } } : n));
  const routes = wrapRoutes(onWay, edges, size);
  assert.deepEqual(Object.keys(routes), ["b"]);
  const [sx, sy, sw, sh] = ROW.linear1;
  const [tx, ty, , th] = ROW.add;
  const along = samplePoints(wireSegments(sx + sw, sy + sh / 2, tx, ty + th / 2, routes.b), 3);
  const [ox, oy, ow, oh] = [600, 30, 150, 56];
  assert.ok(!along.some(([x, y]) => x > ox + 2 && x < ox + ow - 2 && y > oy + 2 && y < oy + oh - 2));
});

test("a forward wire too short for its legs keeps the plain curve", () => {
  const nodes = [
    { id: "a", position: { x: 0, y: 0 } },
    { id: "b", position: { x: 120, y: 0 } },
    { id: "c", position: { x: 105, y: 10 } },
  ];
  const size = (n) => (n.id === "c" ? { w: 10, h: 20 } : { w: 100, h: 40 });
  assert.deepEqual(wrapRoutes(nodes, [{ id: "e", source: "a", target: "b" }], size), {});
});
