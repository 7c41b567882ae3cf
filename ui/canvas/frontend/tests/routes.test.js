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
