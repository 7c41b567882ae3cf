// Which wires keep the route the auto layout gave them (layout.js). A route is worked out with
// the blocks where the layout put them, so it is kept, with where every block was, and holds
// for a wire while both its ends are still there and no block stands on its way (one moved
// there, or added, or grown); any other wire is drawn as the plain curve. The record is plain
// JSON: the canvas keeps it per view in the browser, so a laid-out design keeps its wires
// across page switches and reloads.

import { cardGrid, plainCurve, samplePoints } from "./wires.js";

/** Where the browser keeps the record of a view's layout (as its zoom and pan, viewport.js). */
export function routesStorageKey(viewKey) {
  return `layerloom.canvas.routes:${viewKey}`;
}

/** A wire's identity across edits and reloads (React Flow's edge ids are positional). */
export function wireKey(e) {
  return `${e.source}:${e.sourceHandle ?? ""}>${e.target}:${e.targetHandle ?? ""}`;
}

/**
 * The layout's input order of wires: `outOrder`, `inOrder`, which output and which input
 * handle of its blocks each uses, top to bottom (for blocks with several), so that it orders
 * the wires of one block as their handles are.
 */
export function layoutEdges(edges, nodesById, handlesOf) {
  return edges.map((e) => {
    const index = (id, handle, side) => {
      const node = nodesById.get(id);
      const handles = node ? handlesOf(node, side) : [];
      const i = handles.indexOf(handle);
      return i > 0 ? i : 0;
    };
    return {
      source: e.source,
      target: e.target,
      outOrder: index(e.source, e.sourceHandle, "out"),
      inOrder: index(e.target, e.targetHandle, "in"),
    };
  });
}

/** What to keep of an auto layout: where each block went and each routed wire's points. */
export function routeRecord(positions, edges, routes) {
  const at = {};
  for (const [id, p] of positions) at[id] = [p.x, p.y];
  const wires = {};
  edges.forEach((e, i) => {
    if (routes[i]) wires[wireKey(e)] = routes[i].map(([x, y]) => [Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  });
  return { at, wires };
}

/**
 * `{edge id: points}` for the wires whose recorded route still holds: both ends where the
 * layout put them and no wider or taller than its ends allow (endsFit), and no block but its
 * ends on the way (`sizeOf(node)` → {w, h}).
 */
export function liveRoutes(record, nodes, edges, sizeOf) {
  const out = {};
  if (!record || !record.wires || !record.at) return out;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const still = (id) => {
    const n = byId.get(id);
    const a = record.at[id];
    return Boolean(n && n.position && a && a[0] === n.position.x && a[1] === n.position.y);
  };
  let boxes = null;
  for (const e of edges) {
    const points = record.wires[wireKey(e)];
    if (!points || !still(e.source) || !still(e.target)) continue;
    boxes ??= nodes.filter((n) => n.position).map((n) => ({ id: n.id, ...n.position, ...sizeOf(n) }));
    if (!endsFit(points, boxes.find((b) => b.id === e.source), boxes.find((b) => b.id === e.target))) continue;
    const [x0, y0, x1, y1] = extent(points);
    const blocked = boxes.some(
      (b) =>
        b.id !== e.source &&
        b.id !== e.target &&
        b.x < x1 && b.x + b.w > x0 && b.y < y1 && b.y + b.h > y0 &&
        crossesBox(points, b),
    );
    if (!blocked) out[e.id] = points;
  }
  return out;
}

/**
 * Whether a route still fits its ends' cards as they are now: it leaves from the source's right
 * edge (not from under a card that grew wider than when it was laid: the wire would double back
 * under it) at a height within the card, enters at the target's left edge the same way, and
 * between its first and last points passes under neither card (one grown taller over the gap
 * the route runs along). A card that got narrower keeps it: the wire runs level to where the
 * route begins.
 */
function endsFit(points, s, t) {
  if (!s || !t || points.length < 2) return false;
  const slack = 1;
  const [fx, fy] = points[0];
  const [lx, ly] = points[points.length - 1];
  if (fx < s.x + s.w - slack || fy < s.y || fy > s.y + s.h) return false;
  if (lx > t.x + slack || ly < t.y || ly > t.y + t.h) return false;
  const inner = points.slice(1, -1);
  return inner.length < 2 || (!crossesBox(inner, s) && !crossesBox(inner, t));
}

function extent(points) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

/** Whether a route passes through a box (its bends stay within the rectangle of their ends). */
function crossesBox(points, b) {
  const inset = 2;
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    if (
      Math.min(ax, bx) < b.x + b.w - inset &&
      Math.max(ax, bx) > b.x + inset &&
      Math.min(ay, by) < b.y + b.h - inset &&
      Math.max(ay, by) > b.y + inset
    ) {
      return true;
    }
  }
  return false;
}

export const WRAP_OFFSET = 20; // how far a wrapped wire runs out of and into its handles
const MIN_GAP = 14; // the narrowest free band a wrapped wire runs along

/**
 * `{edge id: {gap: y}}` for the wires, of those without a route (`routed`), that run back to a
 * block on another row (a design laid out in rows by hand, as the templates are): the plain
 * curve of such a wire loops out of its source and runs across the blocks between them. Such a
 * wire goes instead right out of its source, along the free band between the two rows (the
 * middle of its widest free part, under or over every block on the way), and into its target
 * from the left: see `wireSegments`. A wire with no free band, or whose way down or up is
 * blocked, keeps the plain curve. A forward wire whose plain curve runs under a block that is
 * not one of its ends (a skip wire past the blocks of its row, or one a block was dropped on)
 * goes the same way round, along the free band nearest its straight way (`detour`).
 * `sizeOf(node)` → {w, h}.
 */
export function wrapRoutes(nodes, edges, sizeOf, routed = {}) {
  const boxes = nodes
    .filter((n) => n.position)
    .map((n) => ({ id: n.id, x: n.position.x, y: n.position.y, ...sizeOf(n) }));
  const byId = new Map(boxes.map((b) => [b.id, b]));
  let grid = null; // the boxes bucketed (wires.js cardGrid), made for the first forward wire
  const near = (x0, y0, x1, y1) => {
    grid ??= cardGrid(boxes.map((b) => ({ x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h, box: b })));
    return grid.near(x0, y0, x1, y1).map((c) => c.box);
  };
  const out = {};
  for (const e of edges) {
    if (routed[e.id]) continue;
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t || s === t) continue;
    if (t.x >= s.x + s.w) {
      const y = detour(s, t, boxes, near);
      if (y !== null) out[e.id] = { gap: y };
      continue;
    }
    let lo;
    let hi;
    if (t.y >= s.y + s.h) [lo, hi] = [s.y + s.h, t.y]; // on to a row below
    else if (t.y + t.h <= s.y) [lo, hi] = [t.y + t.h, s.y]; // back to a row above
    else continue;
    const x0 = t.x - WRAP_OFFSET;
    const x1 = s.x + s.w + WRAP_OFFSET;
    const across = boxes.filter((b) => b.x < x1 && b.x + b.w > x0);
    const gap = widestFree(lo, hi, across);
    if (!gap || gap[1] - gap[0] < MIN_GAP) continue;
    const y = Math.round((gap[0] + gap[1]) / 2);
    const sy = s.y + s.h / 2;
    const ty = t.y + t.h / 2;
    const legs = [
      [[x1, Math.min(sy, y)], [x1, Math.max(sy, y)]],
      [[x0, Math.min(ty, y)], [x0, Math.max(ty, y)]],
    ];
    const others = boxes.filter((b) => b !== s && b !== t);
    if (others.some((b) => legs.some((leg) => crossesBox(leg, b)))) continue;
    out[e.id] = { gap: y };
  }
  return out;
}

/**
 * The height of the band a forward wire from box `s` to box `t` goes along, where its plain curve
 * runs under another of `boxes`; null where the curve is clear, the two are too close for the
 * wire's legs, or no band is free with its legs clear. Of the free bands across the run, each a
 * `MIN_GAP` high at least (above and below every block count too), the one nearest the height
 * halfway between the handles. `near(x0, y0, x1, y1)`: the boxes meeting that rectangle.
 */
function detour(s, t, boxes, near) {
  const sx = s.x + s.w;
  const sy = s.y + s.h / 2;
  const tx = t.x;
  const ty = t.y + t.h / 2;
  const x1 = sx + WRAP_OFFSET;
  const x0 = tx - WRAP_OFFSET;
  if (x0 < x1) return null;
  // the plain curve keeps within the rectangle of its handles (it leaves and arrives level):
  // only the boxes there can be under it, and most wires have none
  const inWay = near(sx, Math.min(sy, ty), tx, Math.max(sy, ty)).filter((b) => b !== s && b !== t);
  if (!inWay.length) return null;
  const curve = samplePoints(plainCurve(sx, sy, tx, ty), 4);
  const under = (b) => curve.some(([x, y]) => x > b.x + 2 && x < b.x + b.w - 2 && y > b.y + 2 && y < b.y + b.h - 2);
  if (!inWay.some(under)) return null;
  const others = boxes.filter((b) => b !== s && b !== t);
  const across = others.filter((b) => b.x < x0 && b.x + b.w > x1);
  const top = Math.min(sy, ty, ...across.map((b) => b.y)) - 4 * MIN_GAP;
  const bottom = Math.max(sy, ty, ...across.map((b) => b.y + b.h)) + 4 * MIN_GAP;
  const want = (sy + ty) / 2;
  const heights = freeBands(top, bottom, across)
    .filter(([a, b]) => b - a >= MIN_GAP)
    .map(([a, b]) => (b - a < 3 * MIN_GAP ? (a + b) / 2 : Math.min(Math.max(want, a + MIN_GAP), b - MIN_GAP)))
    .sort((p, q) => Math.abs(p - want) - Math.abs(q - want));
  for (const raw of heights) {
    const y = Math.round(raw);
    const legs = [
      [[x1, Math.min(sy, y)], [x1, Math.max(sy, y)]],
      [[x0, Math.min(ty, y)], [x0, Math.max(ty, y)]],
      [[x1, y], [x0, y]],
    ];
    if (!others.some((b) => legs.some((leg) => crossesBox(leg, b)))) return y;
  }
  return null;
}

/** The parts of [lo, hi] that no box's height covers, top to bottom, each as [from, to]. */
function freeBands(lo, hi, boxes) {
  const covered = boxes
    .map((b) => [Math.max(lo, b.y), Math.min(hi, b.y + b.h)])
    .filter(([a, b]) => b > a)
    .sort((p, q) => p[0] - q[0]);
  const out = [];
  let from = lo;
  for (const [a, b] of covered) {
    if (a > from) out.push([from, a]);
    from = Math.max(from, b);
  }
  if (hi > from) out.push([from, hi]);
  return out;
}

/** The widest part of [lo, hi] that no box's height covers, as [from, to], or null. */
function widestFree(lo, hi, boxes) {
  let best = null;
  for (const band of freeBands(lo, hi, boxes)) if (!best || band[1] - band[0] > best[1] - best[0]) best = band;
  return best;
}
