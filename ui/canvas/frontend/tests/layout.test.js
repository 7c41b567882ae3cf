import { test } from "node:test";
import assert from "node:assert/strict";
import { fitLayout, layerColumns, layeredLayout } from "../src/layout.js";
import { READABLE_ZOOM, autoViewport, keptViewport } from "../src/viewport.js";

const chain = (n) => {
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const edges = ids.slice(1).map((id, i) => ({ source: ids[i], target: id }));
  return { ids, edges };
};
const card = () => ({ w: 200, h: 110 });
// the designer's pane at 1440×900: about 850 × 620 pixels, less padding
const PANE = { width: 740, height: 540, maxZoom: 1.1 };

test("a short chain stays on one row", () => {
  const { ids, edges } = chain(3);
  const { pos, perRow, zoom } = fitLayout(ids, edges, card, PANE);
  assert.equal(perRow, 3);
  assert.ok(zoom >= READABLE_ZOOM);
  assert.equal(new Set(ids.map((id) => pos.get(id).y)).size, 1);
});

test("the seed CNN's ten-block chain wraps onto rows that fit at a readable zoom", () => {
  const { ids, edges } = chain(10);
  const one = layeredLayout(ids, edges, card);
  const xs = ids.map((id) => one.get(id).x);
  // one row would need zoom < 0.4 to fit
  assert.ok(PANE.width / (Math.max(...xs) + 200) < 0.4);
  const { pos, perRow, zoom } = fitLayout(ids, edges, card, PANE);
  assert.ok(perRow < 10 && perRow >= 3, `perRow ${perRow}`);
  assert.ok(zoom >= READABLE_ZOOM, `zoom ${zoom}`);
  // reads like text: each row left to right, later rows lower down
  for (let i = 1; i < ids.length; i++) {
    const a = pos.get(ids[i - 1]);
    const b = pos.get(ids[i]);
    if (i % perRow) {
      assert.ok(b.x > a.x && b.y === a.y);
    } else {
      assert.ok(b.x < a.x && b.y > a.y);
    }
  }
  // and the automatic view of it is readable with every block in view
  const rects = ids.map((id) => ({ ...pos.get(id), width: 200, height: 110 }));
  const view = autoViewport(rects, 850, 620, { minZoom: READABLE_ZOOM, maxZoom: 1.1 });
  assert.ok(view.zoom >= READABLE_ZOOM);
  for (const r of rects) {
    assert.ok(r.x * view.zoom + view.x >= 0 && (r.x + r.width) * view.zoom + view.x <= 850);
    assert.ok(r.y * view.zoom + view.y >= 0 && (r.y + r.height) * view.zoom + view.y <= 620);
  }
});

test("columns keep branches side by side; wrapping never overlaps cards", () => {
  // a residual block: a → b → c → add, a → add
  const ids = ["a", "b", "c", "add", "d", "e", "f", "g"];
  const edges = [
    { source: "a", target: "b" }, { source: "b", target: "c" }, { source: "c", target: "add" },
    { source: "a", target: "add" }, { source: "add", target: "d" }, { source: "d", target: "e" },
    { source: "e", target: "f" }, { source: "f", target: "g" },
  ];
  assert.deepEqual(layerColumns(ids, edges), [["a"], ["b"], ["c"], ["add"], ["d"], ["e"], ["f"], ["g"]]);
  // a pane three columns wide
  const { pos } = fitLayout(ids, edges, card, { width: 3 * 280, height: 400, maxZoom: 1, goodZoom: 1 });
  const boxes = ids.map((id) => pos.get(id));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      const overlap = a.x < b.x + 200 && b.x < a.x + 200 && a.y < b.y + 110 && b.y < a.y + 110;
      assert.ok(!overlap, `${ids[i]} overlaps ${ids[j]}`);
    }
  }
  // without a pane size: one row
  assert.equal(fitLayout(ids, edges, card).perRow, 8);
});

test("a kept viewport is used only while it still shows a node", () => {
  const rects = [{ x: 0, y: 0, width: 200, height: 100 }];
  assert.deepEqual(keptViewport({ x: 10, y: 20, zoom: 0.9 }, rects, 800, 600), { x: 10, y: 20, zoom: 0.9 });
  assert.equal(keptViewport({ x: -5000, y: 0, zoom: 1 }, rects, 800, 600), null);
  assert.equal(keptViewport(null, rects, 800, 600), null);
  assert.equal(keptViewport({ x: 0, y: 0, zoom: 0 }, rects, 800, 600), null);
});

test("a chain too long for a readable fit takes the rows that show all of it at the largest zoom", () => {
  const bounds = (pos, ids) => ({
    w: Math.max(...ids.map((id) => pos.get(id).x + 200)) - Math.min(...ids.map((id) => pos.get(id).x)),
    h: Math.max(...ids.map((id) => pos.get(id).y + 110)) - Math.min(...ids.map((id) => pos.get(id).y)),
  });
  const { ids, edges } = chain(17);
  // the designer's pane at 1280×720 (about 580 × 460 pixels) less padding, at 1440×900, and a
  // wide and a tall one
  const panes = [{ width: 519, height: 410 }, PANE, { width: 1400, height: 400 }, { width: 400, height: 1400 }];
  const laid = panes.map((pane) => fitLayout(ids, edges, card, { ...pane, maxZoom: 1.1 }));
  const sizes = laid.map(({ pos }) => bounds(pos, ids));
  panes.forEach((pane, i) => {
    const { perRow, zoom } = laid[i];
    const { w, h } = sizes[i];
    // all of it fits the pane at the zoom the layout gives...
    assert.ok(w * zoom <= pane.width + 0.5 && h * zoom <= pane.height + 0.5, `${perRow} a row: ${w}×${h} at ${zoom}`);
    // ...and no layout made for another pane would fit this one at a larger zoom (the blocks'
    // bounds; the layout's own zoom also keeps room for the wires around them)
    const ours = Math.min(1.1, pane.width / w, pane.height / h);
    sizes.forEach((other, j) => {
      const theirs = Math.min(1.1, pane.width / other.w, pane.height / other.h);
      assert.ok(ours >= theirs * 0.97, `pane ${i}: ${laid[j].perRow} a row fits at ${theirs} > ${ours}`);
    });
  });
  // long rows in a wide pane, short ones in a tall pane
  assert.ok(laid[2].perRow > laid[3].perRow, `wide ${laid[2].perRow}, tall ${laid[3].perRow}`);
});

test("a graph in pieces lays out each apart, the one with the input first (a tail cut off by a deleted wire)", () => {
  // seed-cnn with the wire flatten → dropout deleted: dropout → fc → out is a piece of its own
  const ids = ["image", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "dropout", "fc", "out"];
  const wires = [["image", "conv1"], ["conv1", "relu1"], ["relu1", "pool1"], ["pool1", "conv2"], ["conv2", "relu2"],
    ["relu2", "pool2"], ["pool2", "flatten"], ["dropout", "fc"], ["fc", "out"]];
  const edges = wires.map(([source, target]) => ({ source, target }));
  for (const pane of [PANE, undefined]) {
    const { pos, routes } = fitLayout(ids, edges, card, { ...(pane || {}), main: ["image"] });
    const main = ids.slice(0, 8);
    const tail = ids.slice(8);
    const bottom = Math.max(...main.map((id) => pos.get(id).y + 110));
    // the tail entirely under the main piece, which keeps its chain unbroken by it
    for (const id of tail) assert.ok(pos.get(id).y >= bottom + 40, `${id} under the main piece`);
    // the tail reads left to right in its own row
    assert.ok(pos.get("dropout").x < pos.get("fc").x && pos.get("fc").x < pos.get("out").x);
    assert.equal(pos.get("image").x, Math.min(...main.map((id) => pos.get(id).x)));
    assert.equal(routes.length, edges.length);
  }
  // the main piece first even when another comes first in graph order
  const { pos } = fitLayout(["a", "b", "image", "c"], [{ source: "a", target: "b" }, { source: "image", target: "c" }], card, { main: ["image"] });
  assert.ok(pos.get("image").y < pos.get("a").y);
});

test("a tall design opened at the readable zoom gets rows that fit the pane's width there", () => {
  // a chain of 11 in the designer's pane at 1366x768 (631 × 523 pixels, less padding): no
  // arrangement fits whole at a readable zoom; the one that fits whole at the largest zoom
  // had rows too wide for the pane at 0.75, so the design opened with the wires from a row to
  // the next turning past the pane's right edge
  const { ids, edges } = chain(11);
  const pane = { width: 563, height: 467, maxZoom: 1.1 };
  const width = (pos) => Math.max(...ids.map((id) => pos.get(id).x + 200)) - Math.min(...ids.map((id) => pos.get(id).x));
  const whole = fitLayout(ids, edges, card, pane);
  assert.ok(whole.zoom < READABLE_ZOOM && (width(whole.pos) + 44) * READABLE_ZOOM > pane.width,
    `the case: ${whole.perRow} a row, ${width(whole.pos)} wide at ${whole.zoom}`);
  const opened = fitLayout(ids, edges, card, { ...pane, rowsFitAt: READABLE_ZOOM });
  // the rows and the turns right and left of them (22 px each) fit across at 0.75
  assert.ok((width(opened.pos) + 44) * READABLE_ZOOM <= pane.width,
    `${opened.perRow} a row, ${width(opened.pos)} wide`);
  assert.ok(opened.perRow >= 2, `${opened.perRow} a row`);
});
