// How a wire is drawn, as segments (lines and cubic curves) the edge turns into an SVG path and
// the tests into points: the plain curve between two handles (as React Flow draws one), or a
// route's points (layout.js) joined by straight runs with rounded corners and, where two points
// are at different heights and places, an S-bend that leaves and arrives level.

const RADIUS = 8; // of a route's corners

/** The plain curve from an output handle (sx, sy) to an input handle (tx, ty), as React Flow's
 *  bezier edge draws it: level out of one and into the other. */
export function plainCurve(sx, sy, tx, ty) {
  const dx = tx - sx;
  const c = dx >= 0 ? 0.5 * dx : 0.25 * 25 * Math.sqrt(-dx);
  return [{ c: [[sx, sy], [sx + c, sy], [tx - c, ty], [tx, ty]] }];
}

/** A route's points as segments: `[{l: [p0, p1]} | {c: [p0, p1, p2, p3]}]`. */
export function routeSegments(points) {
  const out = [];
  const kind = (i) => {
    const [x0, y0] = points[i];
    const [x1, y1] = points[i + 1];
    return x0 === x1 ? "V" : y0 === y1 ? "H" : "S";
  };
  let cur = points[0];
  for (let i = 0; i + 1 < points.length; i++) {
    const end = points[i + 1];
    const k = kind(i);
    if (k === "S") {
      const mx = (cur[0] + end[0]) / 2;
      out.push({ c: [cur, [mx, cur[1]], [mx, end[1]], end] });
      cur = end;
      continue;
    }
    const next = i + 2 < points.length ? kind(i + 1) : null;
    if (next && next !== "S" && next !== k) {
      // a corner: cut both runs short and round it
      const after = points[i + 2];
      const r = Math.min(RADIUS, dist(cur, end) / 2, dist(end, after) / 2);
      const a = toward(end, cur, r);
      const b = toward(end, after, r);
      out.push({ l: [cur, a] });
      out.push({ c: [a, lerp(a, end, 2 / 3), lerp(b, end, 2 / 3), b] });
      cur = b;
    } else {
      out.push({ l: [cur, end] });
      cur = end;
    }
  }
  return out;
}

const WRAP_OUT = 20; // routes.js's WRAP_OFFSET: how far a wrapped wire runs out and in

/** The wire from (sx, sy) to (tx, ty): through `route` (points from layout.js, whose first and
 *  last are moved to where the handles really are; or `{gap: y}`, a wire wrapped back to
 *  another row along the free band at height y, routes.js's `wrapRoutes`), or the plain
 *  curve. */
export function wireSegments(sx, sy, tx, ty, route) {
  if (route && typeof route.gap === "number") {
    const out = sx + WRAP_OUT;
    const back = tx - WRAP_OUT;
    return routeSegments([[sx, sy], [out, sy], [out, route.gap], [back, route.gap], [back, ty], [tx, ty]]);
  }
  if (!route || route.length < 2) return plainCurve(sx, sy, tx, ty);
  const points = route.map((p) => [p[0], p[1]]);
  points[0] = [sx, sy];
  points[points.length - 1] = [tx, ty];
  return routeSegments(points);
}

export function svgPath(segments) {
  if (!segments.length) return "";
  const f = (p) => `${round(p[0])},${round(p[1])}`;
  const first = segments[0].l ? segments[0].l[0] : segments[0].c[0];
  let d = `M${f(first)}`;
  for (const s of segments) d += s.l ? ` L${f(s.l[1])}` : ` C${f(s.c[1])} ${f(s.c[2])} ${f(s.c[3])}`;
  return d;
}

/** Points along the segments, about every `step` pixels. */
export function samplePoints(segments, step = 4) {
  const out = [];
  for (const s of segments) {
    if (s.l) {
      const n = Math.max(1, Math.ceil(dist(s.l[0], s.l[1]) / step));
      for (let i = out.length ? 1 : 0; i <= n; i++) out.push(lerp(s.l[0], s.l[1], i / n));
    } else {
      const [p0, p1, p2, p3] = s.c;
      const n = Math.max(8, Math.ceil((dist(p0, p1) + dist(p1, p2) + dist(p2, p3)) / step));
      for (let i = out.length ? 1 : 0; i <= n; i++) out.push(cubicAt(p0, p1, p2, p3, i / n));
    }
  }
  return out;
}

/** The point halfway along the wire, where its label goes. */
export function midpoint(segments) {
  const pts = samplePoints(segments, 6);
  let total = 0;
  for (let i = 1; i < pts.length; i++) total += dist(pts[i - 1], pts[i]);
  let run = 0;
  for (let i = 1; i < pts.length; i++) {
    const d = dist(pts[i - 1], pts[i]);
    if (run + d >= total / 2) return lerp(pts[i - 1], pts[i], d ? (total / 2 - run) / d : 0);
    run += d;
  }
  return pts[0] || [0, 0];
}

/**
 * Where a wire's label goes: on a route, the middle of its longest level run (collinear pieces
 * joined): the layout keeps those runs clear, and wires that run side by side along the gap
 * under a row are spaced for their labels, where the middle of the whole route can fall on a
 * bend next to another wire's label; on the plain curve, halfway along it.
 */
export function labelPoint(segments) {
  let best = null;
  let run = null;
  for (const s of segments) {
    const level = s.l && s.l[0][1] === s.l[1][1];
    if (level && run && run.y === s.l[0][1] && run.x1 === s.l[0][0]) run.x1 = s.l[1][0];
    else run = level ? { y: s.l[0][1], x0: s.l[0][0], x1: s.l[1][0] } : null;
    if (run && (!best || Math.abs(run.x1 - run.x0) > Math.abs(best.x1 - best.x0))) best = { ...run };
  }
  const plain = segments.length === 1 && segments[0].c;
  if (!best || plain) return midpoint(segments);
  return [(best.x0 + best.x1) / 2, best.y];
}

/**
 * The wire a point is on or near: `wires` are `[{id, points}]` (each a polyline, points
 * `[x, y]`, as samplePoints gives or the browser samples from the drawn path); the id of the
 * one nearest to `point` if it is at most `tolerance` away (same units), else null. A block
 * dropped there from the palette goes onto that wire (Canvas.jsx).
 */
export function wireAt(point, wires, tolerance) {
  let best = null;
  let bestD = tolerance;
  for (const w of wires || []) {
    const pts = w && Array.isArray(w.points) ? w.points : [];
    for (let i = 0; i < pts.length; i++) {
      const d = i ? segmentDistance(point, pts[i - 1], pts[i]) : dist(point, pts[0]);
      if (d <= bestD) {
        best = w.id;
        bestD = d;
      }
    }
  }
  return best;
}

function segmentDistance(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return dist(p, [a[0] + t * dx, a[1] + t * dy]);
}

function cubicAt(p0, p1, p2, p3, t) {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return [a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]];
}

function dist(a, b) {
  return Math.hypot(b[0] - a[0], b[1] - a[1]);
}

function lerp(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

function toward(from, to, r) {
  const d = dist(from, to);
  return d ? lerp(from, to, r / d) : from;
}

function round(v) {
  return Math.round(v * 10) / 10;
}

/**
 * Where each wire's label goes, so that none is covered by a card (the cards are drawn over
 * the labels: a label wider than the gap between two cards showed its clipped middle, "2×1×1"
 * for 32×1×10) and no two cover each other. `wires`: `[{id, segments, w, h}]` (the label's box,
 * wireLabelSize), `cards`: `[{x0, y0, x1, y1}]` (flow coordinates). Each label goes at the
 * point of its wire nearest its usual place (labelPoint) where its box is clear of every card
 * (by `clear` px left and right: the port circles) and of the labels placed before it; a label
 * that fits nowhere on its wire is shown short (`whole: false`: a small mark whose tooltip has
 * the text), placed the same way, unless one of its shorter forms (`forms`: `[{w, h}]`, the
 * boxes of format.js wireLabelForms' texts after the first) fits whole: `form` says which text
 * shows (0: the whole one). Wires with the least room go first.
 *
 * @returns Map id → {x, y, whole, form}
 */
/** The cards bucketed in cells of `size` flow pixels: `near(x0, y0, x1, y1)` gives those whose
 * box meets that box, each once. */
export function cardGrid(cards, size = 256) {
  const cells = new Map();
  const span = (a, b) => [Math.floor(a / size), Math.floor(b / size)];
  cards.forEach((c, i) => {
    const [cx0, cx1] = span(c.x0, c.x1);
    const [cy0, cy1] = span(c.y0, c.y1);
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const key = `${cx},${cy}`;
        if (!cells.has(key)) cells.set(key, []);
        cells.get(key).push(i);
      }
    }
  });
  return {
    near(x0, y0, x1, y1) {
      const seen = new Set();
      const out = [];
      const [cx0, cx1] = span(x0, x1);
      const [cy0, cy1] = span(y0, y1);
      if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > cells.size) {
        return cards.filter((c) => c.x0 < x1 && c.x1 > x0 && c.y0 < y1 && c.y1 > y0);
      }
      for (let cx = cx0; cx <= cx1; cx++) {
        for (let cy = cy0; cy <= cy1; cy++) {
          for (const i of cells.get(`${cx},${cy}`) || []) {
            if (seen.has(i)) continue;
            seen.add(i);
            const c = cards[i];
            if (c.x0 < x1 && c.x1 > x0 && c.y0 < y1 && c.y1 > y0) out.push(c);
          }
        }
      }
      return out;
    },
  };
}

export function placeLabels(wires, cards, { clear = 5, gap = 2, short = { w: 22, h: 20 } } = {}) {
  const out = new Map();
  const placed = [];
  const prepared = [];
  const grid = cardGrid(cards || []);
  const hits = (p, w, h, b, pad) =>
    p[0] - w / 2 < b.x1 + pad && p[0] + w / 2 > b.x0 - pad && p[1] - h / 2 < b.y1 && p[1] + h / 2 > b.y0;
  // a wire's candidates (the points along it, nearest its usual place first) and those clear of
  // the cards near it: worked out only for a wire whose usual place is covered (the few), so
  // that placing the labels of a 300-block design stays well within a frame while a block is
  // dragged (sampling every wire cost about 10 ms a frame there)
  const spread = (item) => {
    const { wire, home, near } = item;
    const pts = samplePoints(wire.segments, 4);
    const d2 = (p) => (p[0] - home[0]) ** 2 + (p[1] - home[1]) ** 2;
    item.candidates = [home, ...pts.sort((a, b) => d2(a) - d2(b))];
    item.room = item.candidates.filter((p) => near.every((c) => !hits(p, wire.w, wire.h, c, clear)));
    return item;
  };
  for (const wire of wires || []) {
    if (!wire || !wire.segments || !wire.segments.length || !wire.w) continue;
    // the wire's box from its ends and control points (a curve keeps within them)
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const s of wire.segments) {
      for (const p of s.l || s.c || []) {
        x0 = Math.min(x0, p[0]);
        y0 = Math.min(y0, p[1]);
        x1 = Math.max(x1, p[0]);
        y1 = Math.max(y1, p[1]);
      }
    }
    if (!Number.isFinite(x0)) continue;
    const home = labelPoint(wire.segments);
    // the cards near this wire only (from the grid: a wire meets a few of three hundred)
    const reach = Math.max(wire.w, short.w) / 2 + clear;
    const near = grid.near(x0 - reach, y0 - wire.h, x1 + reach, y1 + wire.h);
    const item = { wire, home, near, candidates: null, room: null };
    if (near.some((c) => hits(home, wire.w, wire.h, c, clear))) spread(item);
    prepared.push(item);
  }
  // the wires with the least room first; those whose usual place is clear last
  const rank = (item) => (item.room ? item.room.length : Infinity);
  prepared.sort((a, b) => rank(a) - rank(b));
  const clearOfLabels = (p, w, h) => placed.every((b) => !hits(p, w, h, b, gap));
  const put = (id, p, w, h, whole, form = 0) => {
    placed.push({ x0: p[0] - w / 2, x1: p[0] + w / 2, y0: p[1] - h / 2, y1: p[1] + h / 2 });
    out.set(id, { x: Math.round(p[0] * 10) / 10, y: Math.round(p[1] * 10) / 10, whole, form });
  };
  const clearAt = (item, p, w, h) =>
    clearOfLabels(p, w, h) && item.near.every((c) => !hits(p, w, h, c, clear));
  for (const item of prepared) {
    const { wire, home } = item;
    if (!item.room && clearOfLabels(home, wire.w, wire.h)) {
      put(wire.id, home, wire.w, wire.h, true);
      continue;
    }
    const { candidates, room } = item.room ? item : spread(item);
    const whole = room.find((p) => clearOfLabels(p, wire.w, wire.h));
    if (whole) {
      put(wire.id, whole, wire.w, wire.h, true);
      continue;
    }
    // a shorter form of the text (format.js wireLabelForms: 16×28² for 16×28×28) where the
    // whole text has no room: the shape still reads, where a mark said nothing until hovered
    const shorter = (wire.forms || []).findIndex((f) => f && candidates.some((p) => clearAt(item, p, f.w, f.h)));
    if (shorter >= 0) {
      const f = wire.forms[shorter];
      put(wire.id, candidates.find((p) => clearAt(item, p, f.w, f.h)), f.w, f.h, true, shorter + 1);
      continue;
    }
    const fits = (p) => clearAt(item, p, short.w, short.h);
    put(wire.id, candidates.find(fits) || candidates[0], short.w, short.h, false);
  }
  return out;
}
