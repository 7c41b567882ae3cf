// A wire keeps the route the auto layout gave it while both its blocks stay where the layout put
// them and no block stands on its way; any other wire is drawn as the plain curve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitLayout } from "../src/layout.js";
import { layoutEdges, liveRoutes, routeRecord, wireKey } from "../src/routes.js";

const size = () => ({ w: 150, h: 52 });
// a residual block as React Flow holds it
const ids = ["x", "a", "b", "add", "out"];
const edges = [
  ["x", "a"], ["a", "b"], ["b", "add"], ["x", "add"], ["add", "out"],
].map(([source, target], i) => ({ id: `e${i}`, source, target, sourceHandle: "out", targetHandle: "in" }));

function laidOut() {
  const { pos, routes } = fitLayout(ids, edges, size);
  const nodes = ids.map((id) => ({ id, position: { ...pos.get(id) } }));
  return { nodes, record: JSON.parse(JSON.stringify(routeRecord(pos, edges, routes))) };
}

test("after the auto layout, the skip wire is drawn along its route, the rest as plain curves", () => {
  const { nodes, record } = laidOut();
  const live = liveRoutes(record, nodes, edges, size);
  assert.deepEqual(Object.keys(live), ["e3"]); // x → add
  assert.deepEqual(live.e3, record.wires[wireKey(edges[3])]);
});

test("a wire whose block moved, or with a block moved onto its route, goes back to the curve", () => {
  const { nodes, record } = laidOut();
  const moved = nodes.map((n) => (n.id === "add" ? { ...n, position: { x: n.position.x + 40, y: n.position.y } } : n));
  assert.deepEqual(liveRoutes(record, moved, edges, size), {});
  // a new block dropped on the lane
  const lane = record.wires[wireKey(edges[3])];
  const [mx, my] = lane[Math.floor(lane.length / 2)];
  const onIt = [...nodes, { id: "new", position: { x: mx - 75, y: my - 26 } }];
  assert.deepEqual(liveRoutes(record, onIt, edges, size), {});
  // one dropped well away keeps it
  const away = [...nodes, { id: "new", position: { x: mx, y: my + 400 } }];
  assert.deepEqual(Object.keys(liveRoutes(record, away, edges, size)), ["e3"]);
  // no record (a design never laid out here), or another design's: plain curves
  assert.deepEqual(liveRoutes(null, nodes, edges, size), {});
  assert.deepEqual(liveRoutes({ at: {}, wires: record.wires }, nodes, edges, size), {});
});

test("the layout orders a block's wires as its handles are", () => {
  const nodesById = new Map([["attn", { id: "attn" }], ["q", { id: "q" }]]);
  const handles = (node, side) => (side === "in" ? ["query", "key", "value"] : ["out"]);
  const out = layoutEdges(
    [{ source: "q", target: "attn", sourceHandle: "out", targetHandle: "value" }],
    nodesById,
    handles,
  );
  assert.deepEqual(out, [{ source: "q", target: "attn", outOrder: 0, inOrder: 2 }]);
});

test("a route whose end card grew (a long label, a longer shape) is dropped, never drawn under it", () => {
  const { nodes, record } = laidOut();
  const wider = (id, w, h = 52) => (n) => (n.id === id ? { w, h } : size(n));
  const sized = (fn) => nodes.map((n) => ({ ...n, size: fn(n) }));
  const sizeOfNode = (n) => n.size;
  // x → add leaves x's right edge; x grown wider than when laid out would start it under x
  assert.deepEqual(Object.keys(liveRoutes(record, sized(wider("x", 150)), edges, sizeOfNode)), ["e3"]);
  assert.deepEqual(liveRoutes(record, sized(wider("x", 210)), edges, sizeOfNode), {});
  // narrower keeps it (the wire runs level to where the route begins)
  assert.deepEqual(Object.keys(liveRoutes(record, sized(wider("x", 120)), edges, sizeOfNode)), ["e3"]);
});

test("a laid wrap-around route of a card grown wider goes back to the plain (or wrapped) wire", () => {
  // a chain wrapped onto two rows: the wire between rows leaves its source on the right
  const chain = ["a", "b", "c", "d", "e", "f"];
  const es = chain.slice(1).map((t, i) => ({ id: `w${i}`, source: chain[i], target: t, sourceHandle: "out", targetHandle: "in" }));
  const { pos, routes } = fitLayout(chain, es, size, { width: 560, height: 700 });
  const record = JSON.parse(JSON.stringify(routeRecord(pos, es, routes)));
  const nodes = chain.map((id) => ({ id, position: { ...pos.get(id) } }));
  const wrapped = Object.keys(liveRoutes(record, nodes, es, size));
  assert.ok(wrapped.length >= 1, "the layout wrapped the chain onto rows");
  const id = wrapped[0];
  const src = es.find((e) => e.id === id).source;
  const grown = (n) => (n.id === src ? { w: 205, h: 52 } : size(n));
  assert.ok(!(id in liveRoutes(record, nodes, es, grown)));
});
