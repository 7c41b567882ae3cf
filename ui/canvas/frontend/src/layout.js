// Layered left-to-right layout: each node goes one column right of its furthest predecessor
// (longest-path layering), and nodes within a column are ordered by the mean row of their
// predecessors, which removes most crossings in the feed-forward graphs LayerLoom draws.
// O(V + E) plus a sort per column. A layout too long for the pane at a readable zoom wraps its
// columns onto rows (fitLayout).

const COL_GAP = 80;
const ROW_GAP = 36;
const BAND_GAP = 56; // between wrapped rows

/**
 * The columns of a layered left-to-right layout: each node one column right of its furthest
 * predecessor, each column ordered by the mean row of its predecessors.
 *
 * @param ids      node ids in graph order
 * @param edges    [{source, target}]
 * @returns [[id, ...], ...] (no empty columns)
 */
export function layerColumns(ids, edges) {
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of edges) {
    if (!index.has(e.source) || !index.has(e.target) || e.source === e.target) continue;
    preds.get(e.target).push(e.source);
    succs.get(e.source).push(e.target);
    indeg.set(e.target, indeg.get(e.target) + 1);
  }

  // Kahn's algorithm in graph order; nodes left over sit on a cycle and go in a last column.
  const layer = new Map();
  const queue = ids.filter((id) => indeg.get(id) === 0);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    if (!layer.has(v)) layer.set(v, 0);
    for (const w of succs.get(v)) {
      layer.set(w, Math.max(layer.get(w) ?? 0, layer.get(v) + 1));
      indeg.set(w, indeg.get(w) - 1);
      if (indeg.get(w) === 0) queue.push(w);
    }
  }
  let maxLayer = 0;
  for (const l of layer.values()) maxLayer = Math.max(maxLayer, l);
  const cyclic = ids.filter((id) => indeg.get(id) > 0);
  for (const id of cyclic) layer.set(id, maxLayer + 1);

  const columns = [];
  for (const id of ids) {
    const l = layer.get(id);
    (columns[l] ??= []).push(id);
  }

  // Order each column by the mean row of its predecessors (barycentre), one left-to-right sweep.
  const row = new Map();
  for (const col of columns) {
    if (!col) continue;
    const score = new Map();
    for (const id of col) {
      const rows = preds.get(id).filter((p) => row.has(p)).map((p) => row.get(p));
      score.set(id, rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : index.get(id));
    }
    col.sort((a, b) => score.get(a) - score.get(b) || index.get(a) - index.get(b));
    col.forEach((id, i) => row.set(id, i));
  }
  return columns.filter(Boolean);
}

/**
 * Places columns left to right, `perRow` columns to a row; further columns wrap onto rows
 * below (read like text). Returns {pos: Map id → {x, y}, width, height}.
 */
export function placeColumns(columns, sizeOf, perRow = Infinity) {
  const pos = new Map();
  const k = Math.max(1, Math.floor(perRow) || 1);
  let top = 0;
  let width = 0;
  for (let start = 0; start < columns.length; start += k) {
    const band = columns.slice(start, start + k);
    const sizes = band.map((col) => col.map(sizeOf));
    const heights = sizes.map((ss) => ss.reduce((a, s) => a + s.h, 0) + ROW_GAP * (ss.length - 1));
    const bandH = Math.max(...heights);
    let x = 0;
    band.forEach((col, c) => {
      const colW = Math.max(...sizes[c].map((s) => s.w));
      let y = top + (bandH - heights[c]) / 2;
      col.forEach((id, i) => {
        pos.set(id, { x: x + (colW - sizes[c][i].w) / 2, y });
        y += sizes[c][i].h + ROW_GAP;
      });
      x += colW + COL_GAP;
    });
    width = Math.max(width, x - COL_GAP);
    top += bandH + BAND_GAP;
  }
  return { pos, width, height: Math.max(0, top - BAND_GAP) };
}

/** Layered left-to-right layout in one row of columns (see layerColumns). */
export function layeredLayout(ids, edges, sizeOf) {
  const { pos } = placeColumns(layerColumns(ids, edges), sizeOf);
  // centred on y = 0 as before
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [id, p] of pos) {
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y + sizeOf(id).h);
  }
  const shift = pos.size ? (y0 + y1) / 2 : 0;
  for (const p of pos.values()) p.y -= shift;
  return pos;
}

/**
 * The auto layout's choice: the layered left-to-right layout when it fits a pane of
 * `width` × `height` pixels at `goodZoom` (0.9) or more, else the same columns wrapped onto
 * rows (a long chain reads like lines of text): the most columns a row that fit at `goodZoom`,
 * failing that the count that gives the largest zoom among those whose rows fit the width at
 * `minZoom` (0.75; the rest is a vertical scroll away). With no pane size, one row.
 *
 * @param opts  {width, height} of the pane in pixels (less padding), goodZoom, minZoom, maxZoom
 * @returns {pos: Map id → {x, y}, perRow, zoom: the zoom at which it all fits}
 */
export function fitLayout(ids, edges, sizeOf, opts = {}) {
  const { width = 0, height = 0, maxZoom = 1.1 } = opts;
  const goodZoom = Math.min(opts.goodZoom ?? 0.9, maxZoom);
  const minZoom = opts.minZoom ?? 0.75;
  const columns = layerColumns(ids, edges);
  const zoomOf = (p) =>
    Math.min(maxZoom, width / Math.max(p.width, 1), height / Math.max(p.height, 1));
  if (!(width > 0 && height > 0) || columns.length <= 1) {
    const p = placeColumns(columns, sizeOf);
    return { pos: p.pos, perRow: columns.length, zoom: zoomOf(p) };
  }
  // the most columns a row that still fits at `goodZoom`; failing that, the largest zoom among
  // the layouts whose width fits at `minZoom` (the rest is a vertical scroll away), failing
  // that the largest zoom
  let best = null;
  let narrow = null;
  for (let k = columns.length; k >= 1; k--) {
    const p = placeColumns(columns, sizeOf, k);
    const zoom = zoomOf(p);
    if (zoom >= goodZoom) return { pos: p.pos, perRow: k, zoom };
    const candidate = { pos: p.pos, perRow: k, zoom };
    if (!best || zoom > best.zoom + 1e-6) best = candidate;
    if (width / Math.max(p.width, 1) >= minZoom && (!narrow || zoom > narrow.zoom + 1e-6)) {
      narrow = candidate;
    }
  }
  if (narrow) return narrow;
  return best;
}

/**
 * Positions for nodes that have none: right of their placed predecessors when they have any,
 * else below everything; a level where no node has a position gets the full layout, fitted to
 * `pane` ({width, height, maxZoom}: see fitLayout) when given.
 */
export function placeMissing(nodes, edges, sizeOf, pane) {
  const missing = nodes.filter((n) => !n.position);
  if (!missing.length) return nodes;
  if (missing.length === nodes.length) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const { pos } = fitLayout(nodes.map((n) => n.id), edges, (id) => sizeOf(byId.get(id)), pane);
    return nodes.map((n) => ({ ...n, position: pos.get(n.id) }));
  }
  const placed = new Map();
  let bottom = -Infinity;
  let left = Infinity;
  for (const n of nodes) {
    if (n.position) {
      placed.set(n.id, n.position);
      bottom = Math.max(bottom, n.position.y + sizeOf(n).h);
      left = Math.min(left, n.position.x);
    }
  }
  const preds = new Map();
  for (const e of edges) {
    if (!preds.has(e.target)) preds.set(e.target, []);
    preds.get(e.target).push(e.source);
  }
  let spare = 0;
  const out = [];
  // graph order usually lists a node after its inputs, so one pass places chains
  for (const n of nodes) {
    if (n.position) {
      out.push(n);
      continue;
    }
    const from = (preds.get(n.id) || []).map((p) => placed.get(p)).filter(Boolean);
    let position;
    if (from.length) {
      const x = Math.max(...from.map((p) => p.x)) + 280;
      const y = from.reduce((a, p) => a + p.y, 0) / from.length;
      position = { x, y };
    } else {
      position = { x: left + spare * 240, y: bottom + 60 };
      spare += 1;
    }
    placed.set(n.id, position);
    out.push({ ...n, position });
  }
  return out;
}
