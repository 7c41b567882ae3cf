// The automatic view: where the canvas looks when it shows a graph for the first time (first
// load, another level, another project). Pure functions, unit-tested in tests/.
import { samplePoints, wireSegments } from "./wires.js";

/** Padding in pixels for a fraction `padding` of `size`, the way React Flow's fitView reads it. */
const TIGHT = 6; // the least margin a fit keeps around the graph, in pixels

function padPx(padding, size) {
  return Math.floor((size - size / (1 + padding)) * 0.5);
}

function boundsOf(rects) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const r of rects) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The boxes the wires take, in flow coordinates, each drawn as the edge draws it (wires.js
 * `wireSegments`: its route, its wrap back to another row, or the plain curve) from its
 * source's right edge to its target's left edge, half-way down each: a wire that passes from
 * a row to the next turns right of the widest row and left of the next, outside every block.
 *
 * @param edges      [{id, source, target}]
 * @param rectsById  Map node id → {x, y, width, height}
 * @param routes     {edge id: route} (the store's routes)
 */
export function wireRects(edges, rectsById, routes = {}) {
  const out = [];
  for (const e of edges || []) {
    const s = rectsById.get(e.source);
    const t = rectsById.get(e.target);
    if (!s || !t) continue;
    const segments = wireSegments(s.x + s.width, s.y + s.height / 2, t.x, t.y + t.height / 2, routes[e.id]);
    // points along it, not a curve's control points: a plain curve back to an earlier block
    // pulls its control points far past where it loops
    const points = samplePoints(segments, 4);
    out.push(boundsOf(points.map(([x, y]) => ({ x, y, width: 0, height: 0 }))));
  }
  return out.filter((r) => [r.x, r.y, r.width, r.height].every(Number.isFinite));
}

/**
 * The viewport that shows a graph on arrival. The whole graph, centred, when it fits at
 * `minZoom` or more (zoom capped at `maxZoom`); a graph too wide for that gets `minZoom`, so
 * that text stays legible, with its left edge (its inputs: layouts run left to right) at the
 * left padding, centred vertically on the nodes in view there. A graph too tall is aligned
 * to the top instead of centred.
 *
 * @param rects   node boxes in flow coordinates, [{x, y, width, height}]
 * @param width   pane width in pixels
 * @param height  pane height in pixels
 * @param opts    padding (a fraction, as React Flow's fitView), minZoom, maxZoom, top: pixels
 *                at the top of the pane covered by a toolbar, kept clear, wires: the boxes its
 *                wires take (wireRects), shown whole with the blocks (a wire wrapping to the
 *                next row turns right of the blocks: fitted to the blocks alone, a design laid
 *                out in rows opened with those turns cut by the pane's right edge), and focus: boxes
 *                (the selected blocks) that a graph too big to show whole is panned to show, the
 *                least it takes: a design reopened with its last block selected showed its
 *                inputs' end, that block cut by the pane's edge beside its inspector
 * @returns {x, y, zoom}, or null when there is nothing to show or no room
 */
export function autoViewport(rects, width, height, opts = {}) {
  const view = wholeViewport(rects, width, height, opts);
  const focus = (opts.focus || []).filter((r) => r && [r.x, r.y, r.width, r.height].every(Number.isFinite));
  if (!view || !focus.length) return view;
  const f = boundsOf(focus);
  const margin = 12;
  const shift = (lo, size, room) => {
    // the least pan that brings [lo, lo + size] (pane px) inside [margin, room - margin]
    if (size > room - 2 * margin || (lo >= margin && lo + size <= room - margin)) return 0;
    return lo < margin ? margin - lo : room - margin - (lo + size);
  };
  const dx = shift(f.x * view.zoom + view.x, f.width * view.zoom, width);
  const dy = shift(f.y * view.zoom + view.y, f.height * view.zoom, height);
  return { x: view.x + dx, y: view.y + dy, zoom: view.zoom };
}

function wholeViewport(rects, width, height, opts) {
  const { padding = 0.15, minZoom = 0.5, maxZoom = 1.1, top = 0 } = opts;
  const boxes = (rects || []).filter(
    (r) => r && [r.x, r.y, r.width, r.height].every(Number.isFinite),
  );
  if (!boxes.length || !(width > 0) || !(height > 0)) return null;
  const wires = (opts.wires || []).filter(
    (r) => r && [r.x, r.y, r.width, r.height].every(Number.isFinite),
  );
  const all = boundsOf(boxes.concat(wires));
  // a graph that fits at `minZoom` only with less margin gets less (TIGHT px): a Fit in a
  // short window then still shows all of it, readable
  const pad = (size, extent, room) => {
    const loose = padPx(padding, size);
    return extent * minZoom > room - 2 * loose && extent * minZoom <= room - 2 * TIGHT
      ? TIGHT
      : loose;
  };
  const padX = pad(width, all.width, width);
  const padY = pad(height, all.height, height - (top > 0 ? top + 8 : 0));
  const left = padX;
  const availW = width - 2 * padX;
  const upper = Math.max(padY, top > 0 ? top + 8 : 0);
  const availH = height - upper - padY;
  if (availW <= 0 || availH <= 0) return null;

  const fitZoom = Math.min(availW / Math.max(all.width, 1), availH / Math.max(all.height, 1));
  const zoom = Math.min(Math.max(fitZoom, minZoom), maxZoom);

  let x;
  let rows = all; // the boxes to centre vertically on
  if (all.width * zoom <= availW + 0.5) {
    x = left + (availW - all.width * zoom) / 2 - all.x * zoom;
  } else {
    x = left - all.x * zoom;
    const rightEdge = all.x + availW / zoom;
    const inView = boxes.filter((r) => r.x < rightEdge);
    rows = boundsOf(inView.length ? inView : boxes);
  }
  const y =
    rows.height * zoom <= availH
      ? upper + (availH - rows.height * zoom) / 2 - rows.y * zoom
      : upper - rows.y * zoom;
  return { x, y, zoom };
}

/**
 * Whether `next` is another graph than `prev` (another level or project) rather than an edit
 * of it: true when fewer than half of its nodes are the same node of `prev` (same id and
 * type, and with `positions`, the same position). An edit (a param, a node added or removed,
 * a move) leaves most nodes as they were.
 *
 * @param prev, next  [{id, position: {x, y} | null, data: {type}}]
 */
export function isNewGraph(prev, next, { positions = true } = {}) {
  if (!next.length) return false;
  const before = new Map(prev.map((n) => [n.id, n]));
  let same = 0;
  for (const n of next) {
    const old = before.get(n.id);
    if (!old || (old.data && old.data.type) !== (n.data && n.data.type)) continue;
    if (positions && !samePosition(old.position, n.position)) continue;
    same += 1;
  }
  return same * 2 < next.length;
}

function samePosition(a, b) {
  if (!a || !b) return !a && !b;
  return Math.round(a.x) === Math.round(b.x) && Math.round(a.y) === Math.round(b.y);
}

/** The least zoom at which a node card's text is legible (≥ 10 px on screen for its 13.5 px+ text). */
export const READABLE_ZOOM = 0.75;

/**
 * A viewport kept from an earlier visit (`saved`: {x, y, zoom}), if it still shows at least one
 * of `rects` (node boxes in flow coordinates) in a pane of `width` × `height` pixels; else
 * null, and the automatic view is used.
 */
export function keptViewport(saved, rects, width, height) {
  if (!saved || ![saved.x, saved.y, saved.zoom].every(Number.isFinite) || !(saved.zoom > 0)) {
    return null;
  }
  const { x, y, zoom } = saved;
  const seen = (rects || []).some((r) => {
    const sx = r.x * zoom + x;
    const sy = r.y * zoom + y;
    return sx < width && sy < height && sx + r.width * zoom > 0 && sy + r.height * zoom > 0;
  });
  return seen ? { x, y, zoom } : null;
}

/**
 * The view of a level with no block: the flow's origin at the pane's top-left, at zoom 1 (the
 * size cards are drawn at). A blank design or an empty level opens so every time, whatever view
 * the canvas showed before (another design's) or kept for it: there is nothing in it to return
 * to, and the first block added is then as large as it will read.
 */
export const BLANK_VIEW = Object.freeze({ x: 0, y: 0, zoom: 1 });

/**
 * The view a graph that just arrived (first load, another level or project) is shown at: the
 * blank view for one with no block (`rects` empty); else the view kept for it, if it still shows
 * a block (keptViewport); else null, for the automatic view (autoViewport, once the blocks are
 * measured).
 */
export function arrivalViewport(kept, rects, width, height) {
  if (!rects || !rects.length) return { ...BLANK_VIEW };
  return keptViewport(kept, rects, width, height);
}

/** The localStorage key of a canvas's viewport (`viewKey` names the project and level). */
export function viewStorageKey(viewKey) {
  return `layerloom.canvas.view:${viewKey}`;
}

/**
 * Where a card dropped in the pane goes: its top-left corner `pos` (flow coordinates) moved the
 * least so that the whole card (`size`: {w, h} in flow units) is inside the pane, `margin`
 * pixels from its edges, under the view `view` ({x, y, zoom}); a card wider or taller than the
 * pane keeps its left or top edge in view. A block dropped next to the palette, centred on the
 * pointer, had half of its card under the palette ("nput" of "Input" showed).
 */
export function keepInPane(pos, size, view, width, height, margin = 8) {
  const { x, y, zoom } = view;
  const clamp = (v, lo, hi) => (hi < lo ? lo : Math.min(Math.max(v, lo), hi));
  const sx = clamp(pos.x * zoom + x, margin, width - margin - size.w * zoom);
  const sy = clamp(pos.y * zoom + y, margin, height - margin - size.h * zoom);
  return { x: (sx - x) / zoom, y: (sy - y) / zoom };
}


/**
 * What an edit did to the blocks of a level: `added`, the ids of `next`'s nodes that `prev` did
 * not have (or had as another type), and `moved`, those of the nodes both have at another
 * position; in `next`'s order. `prev`, `next`: [{id, position, data: {type}}].
 */
export function editTouched(prev, next) {
  const before = new Map(prev.map((n) => [n.id, n]));
  const added = [];
  const moved = [];
  for (const n of next) {
    const old = before.get(n.id);
    if (!old || (old.data && old.data.type) !== (n.data && n.data.type)) added.push(n.id);
    else if (!samePosition(old.position, n.position)) moved.push(n.id);
  }
  return { added, moved };
}

/** Whether any of box `r` (flow coordinates) shows in a pane of `width` × `height` under `view`. */
export function showsInPane(r, view, width, height) {
  const { x, y, zoom } = view;
  const sx = r.x * zoom + x;
  const sy = r.y * zoom + y;
  return sx < width && sy < height && sx + r.width * zoom > 0 && sy + r.height * zoom > 0;
}

function wholeInPane(r, view, width, height) {
  const { x, y, zoom } = view;
  const sx = r.x * zoom + x;
  const sy = r.y * zoom + y;
  const e = 0.5; // rounding of measured boxes
  return sx >= -e && sy >= -e && sx + r.width * zoom <= width + e && sy + r.height * zoom <= height + e;
}

/**
 * The least move of an offset `at` (screen pixels, one axis) that puts the span `lo`..`lo+size`
 * (flow units) inside `0`..`room` with `margin` pixels to spare under zoom `zoom`: none when it
 * is inside; a span longer than the room is shown from its start (its left or top edge).
 */
function panInto(at, lo, size, room, zoom, margin) {
  if (size * zoom > room - 2 * margin) return margin - lo * zoom;
  const start = lo * zoom + at;
  const end = (lo + size) * zoom + at;
  if (start < margin) return at + margin - start;
  if (end > room - margin) return at - (end - (room - margin));
  return at;
}

/**
 * The view that shows the blocks an edit touched (ungroup's inner blocks and the neighbours it
 * pushed aside, a block put on a wire and the row it made room in), or null to leave the view
 * as it is: when every touched box is already whole in the pane, the view never moves.
 * Otherwise the touched blocks are panned into view, at the current zoom when they fit there;
 * when they do not, the view zooms out to what they need but never below `minZoom` (the
 * readable zoom; a view the user zoomed out further keeps its zoom, and it never zooms in).
 * Where not all of them fit even so, `first` (the blocks the edit added) are shown before
 * `rest` (the blocks it pushed): the pan that shows all of them the most, kept to the ones that
 * keep every `first` box in view; a `first` too large for the pane is shown from its top-left
 * corner (where ungroup starts the inner blocks).
 *
 * @param touched  {first, rest}: boxes in flow coordinates, [{x, y, width, height}]
 * @param width    pane width in pixels
 * @param height   pane height in pixels
 * @param view     the current viewport {x, y, zoom}
 * @param opts     minZoom (READABLE_ZOOM), margin: pixels kept clear at the pane's edges
 * @returns {x, y, zoom}, or null
 */
export function revealViewport(touched, width, height, view, opts = {}) {
  const { minZoom = READABLE_ZOOM, margin = 12 } = opts;
  const ok = (r) => r && [r.x, r.y, r.width, r.height].every(Number.isFinite);
  const first = ((touched && touched.first) || []).filter(ok);
  const rest = ((touched && touched.rest) || []).filter(ok);
  const all = [...first, ...rest];
  if (!all.length || !(width > 2 * margin) || !(height > 2 * margin)) return null;
  if (!view || ![view.x, view.y, view.zoom].every(Number.isFinite) || !(view.zoom > 0)) return null;
  if (all.every((r) => wholeInPane(r, view, width, height))) return null;

  const box = boundsOf(all);
  const fits = Math.min(
    (width - 2 * margin) / Math.max(box.width, 1),
    (height - 2 * margin) / Math.max(box.height, 1),
  );
  const zoom = Math.max(Math.min(minZoom, view.zoom), Math.min(view.zoom, fits));
  // zoomed out about the pane's centre, then panned the least
  const k = zoom / view.zoom;
  let x = width / 2 - (width / 2 - view.x) * k;
  let y = height / 2 - (height / 2 - view.y) * k;
  x = panInto(x, box.x, box.width, width, zoom, margin);
  y = panInto(y, box.y, box.height, height, zoom, margin);
  if (first.length) {
    const made = boundsOf(first);
    x = panInto(x, made.x, made.width, width, zoom, margin);
    y = panInto(y, made.y, made.height, height, zoom, margin);
  }
  if (zoom === view.zoom && Math.abs(x - view.x) < 0.5 && Math.abs(y - view.y) < 0.5) return null;
  return { x, y, zoom };
}

/**
 * The top-left corner at which a `w`×`h` pop-up asked for at (`x`, `y`) stands whole inside a
 * `paneW`×`paneH` pane, `margin` px clear of its edges; a pop-up larger than the pane keeps
 * its top-left corner in (the start of a menu, the search box, stay reachable).
 */
export function keepInside(x, y, w, h, paneW, paneH, margin = 4) {
  const fit = (p, size, room) => {
    const start = Number.isFinite(p) ? p : margin;
    return Math.max(margin, Math.min(start, room - size - margin));
  };
  return { x: fit(x, w, paneW), y: fit(y, h, paneH) };
}

// The canvas frame's least width (px) at which the block palette starts open: at 1024 px the
// frame is about 610 px wide, and the open palette (225 px) left the design a pane of 383 px,
// where a template at the readable zoom was cut down its right side (the seed CNN's Linear,
// the block its error was on, out of view). Narrower, the palette starts folded ("› Blocks"
// opens it) and double-click adds blocks by search.
export const PALETTE_OPEN_MIN_WIDTH = 720;

/** Whether the palette starts open in a canvas frame `width` px wide. */
export function paletteStartsOpen(width) {
  return !(typeof width === "number" && width > 0 && width < PALETTE_OPEN_MIN_WIDTH);
}

/**
 * The blocks a view leaves out: of `rects` (node boxes in flow coordinates, each with its
 * `id`), those not whole inside a `width` × `height` pane under `view` ({x, y, zoom}), counted
 * by where they lie (a box past two edges counts once, by the edge it lies furthest past), and
 * `next`, the first of them in `rects`' order (a design's order: an imported model's runs from
 * input to output), or null. A design taller or wider than the pane opened at the readable zoom
 * with its lowest blocks cut off, nothing saying that more lay below.
 *
 * @returns {count, below, above, right, left, next}
 */
export function outOfView(rects, view, width, height) {
  const out = { count: 0, below: 0, above: 0, right: 0, left: 0, next: null };
  if (!view || ![view.x, view.y, view.zoom].every(Number.isFinite) || !(width > 0) || !(height > 0)) {
    return out;
  }
  const { x, y, zoom } = view;
  for (const r of rects || []) {
    if (!r || ![r.x, r.y, r.width, r.height].every(Number.isFinite)) continue;
    if (wholeInPane(r, view, width, height)) continue;
    const past = {
      left: -(r.x * zoom + x),
      above: -(r.y * zoom + y),
      right: (r.x + r.width) * zoom + x - width,
      below: (r.y + r.height) * zoom + y - height,
    };
    const side = Object.keys(past).reduce((a, b) => (past[b] > past[a] ? b : a));
    out[side] += 1;
    out.count += 1;
    if (out.next === null) out.next = r.id ?? null;
  }
  return out;
}

/**
 * The view that brings box `r` (flow coordinates) whole into a `width` × `height` pane at the
 * zoom of `view`, panned the least, `margin` pixels clear of the edges (a box larger than the
 * pane is shown from its top-left corner); null when it is whole in view already.
 */
export function viewShowing(r, view, width, height, margin = 24) {
  if (!r || !view || wholeInPane(r, view, width, height)) return null;
  const { zoom } = view;
  // an axis on which the box is whole already is left as it is
  const inside = (at, lo, size, room) => lo * zoom + at >= 0 && (lo + size) * zoom + at <= room;
  return {
    x: inside(view.x, r.x, r.width, width) ? view.x : panInto(view.x, r.x, r.width, width, zoom, margin),
    y: inside(view.y, r.y, r.height, height) ? view.y : panInto(view.y, r.y, r.height, height, zoom, margin),
    zoom,
  };
}
