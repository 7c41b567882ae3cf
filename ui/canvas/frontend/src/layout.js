// The auto layout: layered, left to right (Sugiyama's method), wrapped onto rows when one row
// does not fit the pane, with a route for every wire that is not a plain curve between
// neighbouring columns.
//
// 1. Layers: each block one column right of its furthest input (a block with no inputs, one
//    column left of its first consumer). A wire that spans several columns gets a placeholder in
//    each column it passes (a "lane"), so that blocks are kept out of its way.
// 2. Order: each column is ordered to cross as few wires as possible: barycentre sweeps in both
//    directions, then swaps of neighbours while they help; the best order found is kept.
// 3. Rows: when the columns wrap, rows break where the fewest wires pass (a residual block is
//    not cut in two when a row can end before or after it).
// 4. Heights: within a row, each block and lane sits as near the average of its neighbours as
//    the order and the gaps allow (a small quadratic programme, solved column by column), so
//    chains run straight and lanes too.
// 5. Routes: a wire with lanes runs through them; one that passes from a row to the next leaves
//    its row on the right, runs back along the gap between the rows and enters the next row on
//    the left, wires in the same gap nested so that they do not cross (see passRoutes).
// A route is the list of its points (see wires.js, which draws it); null: the plain curve.

export const COL_GAP = 80; // between columns: where wires bend, at the least
// a wire's label sits this far at least from the port circle at either end of its gap (the
// circles are 10 px wide and centred on the cards' edges)
export const LABEL_CLEAR = 10;
const ROW_GAP = 36; // between blocks in a column
const LANE_H = 16; // what a wire passing a column takes of it
const LANE_GAP = 16; // between a passing wire and the block next to it
const BAND_GAP = 44; // between wrapped rows, and the wire spacing more for each wire that passes
export const WIRE_SEP = 14; // between wires that run side by side
// between wires that run side by side along the gap under a row when they carry labels: a
// label sits on the wire's longest straight run (wires.js labelPoint), which for such a wire
// is that run, and labels stacked closer than their height would cover each other
const LABEL_SEP = 24;
const EXIT = 22; // how far right of its row a wire that wraps turns down (and left of the next)
const PART_GAP = 80; // between the connected pieces of a graph, laid out one under another
const SWEEPS = 24; // of the height placement
const ORDER_PASSES = 12;

/**
 * The columns of the layered layout, each ordered to cross as few wires as possible.
 *
 * @param ids      node ids in graph order
 * @param edges    [{source, target}] (optionally `outOrder`, `inOrder`: which output and input
 *                 handle of its block a wire uses, top to bottom, for blocks with several)
 * @returns [[id, ...], ...] (no empty columns)
 */
export function layerColumns(ids, edges) {
  const g = layered(ids, edges);
  return g.layers.map((layer) => layer.filter((k) => g.items.get(k).real));
}

/** Layered left-to-right layout in one row of columns, centred on y = 0. Map id → {x, y}. */
export function layeredLayout(ids, edges, sizeOf) {
  const { pos } = fitLayout(ids, edges, sizeOf);
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [id, p] of pos) {
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y + sizeOf(id).h);
  }
  const shift = pos.size ? Math.round((y0 + y1) / 2) : 0;
  for (const p of pos.values()) p.y -= shift;
  return pos;
}

/**
 * The auto layout's choice: the layered left-to-right layout when it fits a pane of
 * `width` × `height` pixels at `goodZoom` (0.9) or more, else the same columns wrapped onto
 * rows (a long chain reads like lines of text): the most columns a row that fit at `goodZoom`,
 * failing that the count whose whole layout fits the pane at the largest zoom, so that a wide
 * pane gets long rows and a tall one short rows, and all of it can be seen at once. With no
 * pane size, one row. Rows break where the fewest wires pass.
 *
 * Edges may carry `label: {w, h}`, the pixel size of the shape label drawn on the wire: the gap
 * between two columns is made wide enough for the widest label of the wires crossing it,
 * clear of the port circles at its ends.
 *
 * A graph in several connected pieces has each laid out so, one under another (components).
 *
 * @param opts  {width, height} of the pane in pixels (less padding), goodZoom, maxZoom,
 *              main: ids of the design's inputs (their piece goes first), rowsFitAt: a zoom
 *              (the readable one, for a design opened) at which the rows, with the turns of
 *              the wires between them, must fit the pane's width where any arrangement's do;
 *              the largest zoom is then chosen among those (a tall design at 1366x768 took
 *              rows that fit whole only at 0.6, and opened at 0.75 with its wires' turns past
 *              the pane's right edge)
 * @returns {pos: Map id → {x, y} (top-left, whole pixels), perRow, zoom: the zoom at which it all
 *          fits, routes: per edge (in `edges` order) its route's points [[x, y], ...] from its
 *          source's output to its target's input, or null for the plain curve}
 */
export function fitLayout(ids, edges, sizeOf, opts = {}) {
  const parts = components(ids, edges, opts.main);
  if (parts.length <= 1) return fitPart(ids, edges, sizeOf, opts);
  // each connected piece laid out apart, the main one first and the others under it in graph
  // order: a tail cut off by a deleted wire is not mixed into the chain it came from
  const maxZoom = opts.maxZoom ?? 1.1;
  const pos = new Map();
  const routes = edges.map(() => null);
  let top = 0;
  let right = 0;
  let perRow = 0;
  for (const part of parts) {
    const sub = part.edges.map((i) => edges[i]);
    const p = fitPart(part.ids, sub, sizeOf, opts);
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const [id, q] of p.pos) {
      y0 = Math.min(y0, q.y);
      y1 = Math.max(y1, q.y + sizeOf(id).h);
      right = Math.max(right, q.x + sizeOf(id).w);
    }
    const dy = top - y0;
    for (const [id, q] of p.pos) pos.set(id, { x: q.x, y: q.y + dy });
    part.edges.forEach((i, j) => {
      if (p.routes[j]) routes[i] = p.routes[j].map(([x, y]) => [x, y + dy]);
    });
    top += y1 - y0 + PART_GAP;
    perRow = Math.max(perRow, p.perRow);
  }
  const { width = 0, height = 0 } = opts;
  const zoom = Math.min(maxZoom, width / Math.max(right, 1), height / Math.max(top - PART_GAP, 1));
  return { pos, perRow, zoom, routes };
}

/**
 * The connected pieces of the graph, wires taken both ways: `[{ids, edges: [edge index]}]`,
 * the one holding an id of `main` (the design's inputs) first, then in graph order; blocks
 * with no wire at all go together in one piece, last.
 */
export function components(ids, edges, main = []) {
  const parent = new Map(ids.map((id) => [id, id]));
  const find = (x) => {
    while (parent.get(x) !== x) {
      parent.set(x, parent.get(parent.get(x)));
      x = parent.get(x);
    }
    return x;
  };
  const wired = new Set();
  for (const e of edges) {
    if (!parent.has(e.source) || !parent.has(e.target)) continue;
    wired.add(e.source);
    wired.add(e.target);
    parent.set(find(e.source), find(e.target));
  }
  const byRoot = new Map();
  const loose = { ids: [], edges: [] };
  for (const id of ids) {
    if (!wired.has(id)) {
      loose.ids.push(id);
      continue;
    }
    const r = find(id);
    if (!byRoot.has(r)) byRoot.set(r, { ids: [], edges: [] });
    byRoot.get(r).ids.push(id);
  }
  edges.forEach((e, i) => {
    if (parent.has(e.source) && parent.has(e.target)) byRoot.get(find(e.source)).edges.push(i);
  });
  const parts = [...byRoot.values()];
  const mainSet = new Set(main);
  const first = parts.findIndex((p) => p.ids.some((id) => mainSet.has(id)));
  if (first > 0) parts.unshift(...parts.splice(first, 1));
  if (loose.ids.length) parts.push(loose);
  return parts;
}

/** fitLayout for one connected piece. */
function fitPart(ids, edges, sizeOf, opts) {
  const { width = 0, height = 0, maxZoom = 1.1 } = opts;
  const goodZoom = Math.min(opts.goodZoom ?? 0.9, maxZoom);
  const g = layered(ids, edges);
  const size = new Map(ids.map((id) => [id, sizeOf(id)]));
  const bandCache = new Map();
  const zoomOf = (p) =>
    Math.min(maxZoom, width / Math.max(p.width, 1), height / Math.max(p.height, 1));
  const L = g.layers.length;
  if (!(width > 0 && height > 0) || L <= 1) {
    const p = place(g, size, [0, L], bandCache);
    return { pos: p.pos, perRow: L, zoom: zoomOf(p), routes: p.routes };
  }
  // the most columns a row that still fits at `goodZoom`; failing that, the layout that fits
  // whole at the largest zoom. A row's width needs no placing (its columns' widths), so only
  // the candidates whose width can win are placed.
  const colW = g.layers.map((layer) =>
    Math.max(...layer.filter((k) => g.items.get(k).real).map((k) => size.get(k).w)),
  );
  const candidates = [];
  let last = "";
  for (let k = L; k >= 1; k--) {
    const breaks = rowBreaks(g, k);
    const key = breaks.join(",");
    if (key === last) continue; // the same rows as one more column a row gave
    last = key;
    let wide = 0;
    for (let r = 0; r + 1 < breaks.length; r++) {
      let w = 0;
      for (let l = breaks[r]; l < breaks[r + 1]; l++) w += colW[l] + (l + 1 < breaks[r + 1] ? g.gapW[l] : 0);
      wide = Math.max(wide, w);
    }
    candidates.push({ k, breaks, widthZoom: width / Math.max(wide + (breaks.length > 2 ? 2 * EXIT : 0), 1) });
  }
  // rows that fit the pane's width at `rowsFitAt` (a design opened, shown at the readable zoom:
  // a tall one is read down a column of rows, their wires' turns in view), where some do
  const across = opts.rowsFitAt ? candidates.filter((c) => c.widthZoom >= opts.rowsFitAt) : [];
  let best = null;
  for (const c of across.length ? across : candidates) {
    // most columns first; one no wider-zoomed than the best so far cannot beat it
    if (best && Math.min(maxZoom, c.widthZoom) <= best.zoom + 1e-6) continue;
    const p = place(g, size, c.breaks, bandCache);
    const laid = { pos: p.pos, perRow: c.k, zoom: zoomOf(p), routes: p.routes };
    if (laid.zoom >= goodZoom) return laid;
    if (!best || laid.zoom > best.zoom + 1e-6) best = laid;
  }
  return best;
}

// ---- 1. layers ------------------------------------------------------------------------------

/**
 * The layered graph: `layers` (columns of item keys, ordered), `items` (key → {real, layer,
 * edge}), `segs` (per gap between layer l and l + 1, the wire pieces crossing it: {a, b, ao,
 * bo, edge}), `chains` (per edge: its item keys from source to target, or null for a wire the
 * layers cannot place left to right: one on a cycle, or to itself).
 */
function layered(ids, edges) {
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  const indeg = new Map(ids.map((id) => [id, 0]));
  const usable = edges.map(
    (e) => index.has(e.source) && index.has(e.target) && e.source !== e.target,
  );
  edges.forEach((e, i) => {
    if (!usable[i]) return;
    preds.get(e.target).push(e.source);
    succs.get(e.source).push(e.target);
    indeg.set(e.target, indeg.get(e.target) + 1);
  });
  // Kahn's algorithm in graph order; nodes left over sit on a cycle and go in a last column
  const layerOf = new Map();
  const queue = ids.filter((id) => indeg.get(id) === 0);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    if (!layerOf.has(v)) layerOf.set(v, 0);
    for (const w of succs.get(v)) {
      layerOf.set(w, Math.max(layerOf.get(w) ?? 0, layerOf.get(v) + 1));
      indeg.set(w, indeg.get(w) - 1);
      if (indeg.get(w) === 0) queue.push(w);
    }
  }
  let maxLayer = 0;
  for (const l of layerOf.values()) maxLayer = Math.max(maxLayer, l);
  for (const id of ids) if (!layerOf.has(id)) layerOf.set(id, maxLayer + 1);
  // a block with no inputs sits just left of its first consumer (a second Input used late)
  for (const id of ids) {
    const out = succs.get(id);
    if (preds.get(id).length || !out.length) continue;
    const first = Math.min(...out.map((w) => layerOf.get(w)));
    if (first - 1 > layerOf.get(id)) layerOf.set(id, first - 1);
  }
  // no empty columns
  const used = [...new Set(layerOf.values())].sort((a, b) => a - b);
  const dense = new Map(used.map((l, i) => [l, i]));
  for (const id of ids) layerOf.set(id, dense.get(layerOf.get(id)));

  const items = new Map(ids.map((id) => [id, { real: true, layer: layerOf.get(id), edge: -1 }]));
  const layers = used.map(() => []);
  for (const id of ids) layers[layerOf.get(id)].push(id);
  const segs = used.map(() => []);
  const chains = edges.map((e, i) => {
    if (!usable[i]) return null;
    const l0 = layerOf.get(e.source);
    const l1 = layerOf.get(e.target);
    if (l1 <= l0) return null;
    const chain = [e.source];
    for (let l = l0 + 1; l < l1; l++) {
      const key = `\u0000${i}:${l}`;
      items.set(key, { real: false, layer: l, edge: i });
      layers[l].push(key);
      chain.push(key);
    }
    chain.push(e.target);
    for (let j = 0; j + 1 < chain.length; j++) {
      segs[l0 + j].push({
        a: chain[j],
        b: chain[j + 1],
        ao: j === 0 ? e.outOrder || 0 : 0,
        bo: j + 2 === chain.length ? e.inOrder || 0 : 0,
        edge: i,
      });
    }
    return chain;
  });
  order(layers, segs, index, items);
  // each gap as wide as the widest label of the wires that cross it needs
  const gapW = segs.map((gap) =>
    Math.max(COL_GAP, ...gap.map((sg) => (edges[sg.edge].label ? edges[sg.edge].label.w + 2 * LABEL_CLEAR : 0))),
  );
  const labelled = edges.some((e) => e.label);
  return { layers, items, segs, chains, gapW, wireSep: labelled ? LABEL_SEP : WIRE_SEP };
}

// ---- 2. order -------------------------------------------------------------------------------

/** Orders `layers` in place to cross as few of `segs` as it finds. */
function order(layers, segs, index, items) {
  const pos = new Map();
  const setPos = (l) => layers[l].forEach((k, i) => pos.set(k, i));
  // start: each layer in graph order, a lane where its wire's source is
  const rank = (k) => {
    const it = items.get(k);
    return it.real ? index.get(k) : -1;
  };
  layers.forEach((layer, l) => {
    layer.sort((a, b) => rank(a) - rank(b));
    setPos(l);
  });
  const up = layers.map(() => new Map()); // per layer: key → keys linked in the layer above
  const down = layers.map(() => new Map());
  segs.forEach((gap, l) => {
    for (const s of gap) {
      if (!down[l].has(s.a)) down[l].set(s.a, []);
      down[l].get(s.a).push([s.b, s.bo]);
      if (!up[l + 1].has(s.b)) up[l + 1].set(s.b, []);
      up[l + 1].get(s.b).push([s.a, s.ao]);
    }
  });
  const cross = (l) => crossings(segs[l], pos);
  const total = () => segs.reduce((n, _, l) => n + cross(l), 0);
  const sortBy = (l, links) => {
    const score = new Map();
    for (const k of layers[l]) {
      const near = links[l].get(k);
      score.set(
        k,
        near && near.length
          ? near.reduce((s, [n, o]) => s + pos.get(n) + o * 1e-3, 0) / near.length
          : pos.get(k),
      );
    }
    layers[l].sort((a, b) => score.get(a) - score.get(b) || pos.get(a) - pos.get(b));
    setPos(l);
  };
  let bestCount = total();
  let best = layers.map((layer) => [...layer]);
  for (let pass = 0; pass < ORDER_PASSES && bestCount > 0; pass++) {
    if (pass % 2 === 0) for (let l = 1; l < layers.length; l++) sortBy(l, up);
    else for (let l = layers.length - 2; l >= 0; l--) sortBy(l, down);
    transpose(layers, segs, pos, setPos);
    const count = total();
    if (count < bestCount) {
      bestCount = count;
      best = layers.map((layer) => [...layer]);
    }
  }
  best.forEach((layer, l) => {
    layers[l] = layer;
    setPos(l);
  });
}

/** Swaps neighbours in a layer while that crosses fewer wires. */
function transpose(layers, segs, pos, setPos) {
  const around = (l) => (l > 0 ? crossings(segs[l - 1], pos) : 0) + (l < segs.length ? crossings(segs[l], pos) : 0);
  for (let round = 0, better = true; better && round < 8; round++) {
    better = false;
    for (let l = 0; l < layers.length; l++) {
      const layer = layers[l];
      for (let i = 0; i + 1 < layer.length; i++) {
        const before = around(l);
        [layer[i], layer[i + 1]] = [layer[i + 1], layer[i]];
        setPos(l);
        if (around(l) < before) better = true;
        else {
          [layer[i], layer[i + 1]] = [layer[i + 1], layer[i]];
          setPos(l);
        }
      }
    }
  }
}

/** How many pairs of the wire pieces between two layers cross (pieces that meet at a block's
 *  handle do not). */
export function crossings(gap, pos) {
  let n = 0;
  for (let i = 0; i < gap.length; i++) {
    const a1 = pos.get(gap[i].a) + gap[i].ao * 1e-3;
    const b1 = pos.get(gap[i].b) + gap[i].bo * 1e-3;
    for (let j = i + 1; j < gap.length; j++) {
      const a2 = pos.get(gap[j].a) + gap[j].ao * 1e-3;
      const b2 = pos.get(gap[j].b) + gap[j].bo * 1e-3;
      if ((a1 - a2) * (b1 - b2) < 0) n++;
    }
  }
  return n;
}

// ---- 3. rows --------------------------------------------------------------------------------

/**
 * Where rows start when at most `k` columns fit a row: [0, ..., L]. Each break costs the wires
 * that pass it beyond the one a chain always has; the fewest rows among the cheapest breaks,
 * each row as full as it can be (read like text: a short row last).
 */
function rowBreaks(g, k) {
  const L = g.layers.length;
  const cost = (b) => Math.max(0, g.segs[b - 1].length - 1) * 1000 + 1; // a break before layer b
  // best[s]: the least cost of the rows from layer s on; next[s]: where the row from s ends
  const best = new Array(L + 1).fill(Infinity);
  const next = new Array(L + 1).fill(L);
  best[L] = 0;
  for (let start = L - 1; start >= 0; start--) {
    for (let end = Math.min(L, start + k); end > start; end--) {
      const c = best[end] + (end < L ? cost(end) : 0);
      if (c < best[start]) {
        best[start] = c;
        next[start] = end;
      }
    }
  }
  const breaks = [0];
  while (breaks[breaks.length - 1] < L) breaks.push(next[breaks[breaks.length - 1]]);
  return breaks;
}

// ---- 4. heights, and 5. routes --------------------------------------------------------------

/**
 * Places the rows whose columns start at `breaks` ([0, ..., L]) one under the other, each row's
 * columns left to right; `{pos, routes, width, height}`.
 */
function place(g, size, breaks, cache) {
  const rows = [];
  for (let r = 0; r + 1 < breaks.length; r++) {
    const key = `${breaks[r]}:${breaks[r + 1]}`;
    if (!cache.has(key)) cache.set(key, placeRow(g, size, breaks[r], breaks[r + 1]));
    rows.push(cache.get(key));
  }
  // the gap under each row: room for the wires that pass on to the next
  const passing = rows.map((row, r) => (r + 1 < rows.length ? g.segs[breaks[r + 1] - 1].length : 0));
  const tops = [];
  let top = 0;
  let width = 0;
  rows.forEach((row, r) => {
    tops.push(top);
    top += row.height + (r + 1 < rows.length ? BAND_GAP + g.wireSep * Math.max(0, passing[r] - 1) : 0);
    width = Math.max(width, row.width);
  });
  const pos = new Map();
  const at = new Map(); // item key → {x0, x1, y}: its column's extent and its centre's height
  rows.forEach((row, r) => {
    for (const [k, p] of row.at) at.set(k, { ...p, y: p.y + tops[r], row: r });
    for (const [id, p] of row.pos) pos.set(id, { x: p.x, y: p.y + tops[r] });
  });
  const routes = wireRoutes(g, size, pos, at, rows, tops, breaks);
  return { pos, routes, width: width + (rows.length > 1 ? 2 * EXIT : 0), height: top };
}

/** One row: the layers [l0, l1) placed from x = 0 and y = 0 down. */
function placeRow(g, size, l0, l1) {
  const layers = g.layers.slice(l0, l1);
  const h = (k) => (g.items.get(k).real ? size.get(k).h : LANE_H);
  const gapOf = (a, b) => (g.items.get(a).real && g.items.get(b).real ? ROW_GAP : LANE_GAP);
  // start: each column stacked, centred on 0
  const y = new Map();
  for (const layer of layers) {
    let t = 0;
    const ys = [];
    layer.forEach((k, i) => {
      if (i) t += h(layer[i - 1]) / 2 + gapOf(layer[i - 1], k) + h(k) / 2;
      ys.push(t);
    });
    const mid = ys.length ? (ys[0] + ys[ys.length - 1]) / 2 : 0;
    layer.forEach((k, i) => y.set(k, ys[i] - mid));
  }
  // each piece of wire pulls its two ends level: lanes hardest (straight wires), then a block
  // and a lane, then two blocks
  const links = new Map();
  const link = (a, b, w) => {
    if (!links.has(a)) links.set(a, []);
    links.get(a).push([b, w]);
  };
  for (let l = l0; l + 1 < l1; l++) {
    for (const s of g.segs[l]) {
      const lanes = !g.items.get(s.a).real + !g.items.get(s.b).real;
      const w = lanes === 2 ? 8 : lanes === 1 ? 2 : 1;
      link(s.a, s.b, w);
      link(s.b, s.a, w);
    }
  }
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const forward = sweep % 2 === 0;
    for (let j = 0; j < layers.length; j++) {
      const layer = layers[forward ? j : layers.length - 1 - j];
      const want = [];
      const weight = [];
      for (const k of layer) {
        const near = links.get(k) || [];
        const sw = near.reduce((s, [, w]) => s + w, 0);
        want.push(sw ? near.reduce((s, [n, w]) => s + w * y.get(n), 0) / sw : y.get(k));
        weight.push(sw || 0.01);
      }
      const seps = layer.slice(1).map((k, i) => h(layer[i]) / 2 + gapOf(layer[i], k) + h(k) / 2);
      isotonic(want, weight, seps).forEach((v, i) => y.set(layer[i], v));
    }
  }
  // from y = 0 down, whole pixels
  let y0 = Infinity;
  for (const layer of layers) for (const k of layer) y0 = Math.min(y0, y.get(k) - h(k) / 2);
  const pos = new Map();
  const at = new Map();
  let x = 0;
  let bottom = 0;
  for (const [j, layer] of layers.entries()) {
    const colW = Math.max(...layer.map((k) => (g.items.get(k).real ? size.get(k).w : 0)));
    for (const k of layer) {
      const cy = Math.round(y.get(k) - y0 - h(k) / 2) + h(k) / 2;
      at.set(k, { x0: x, x1: x + colW, y: cy });
      if (g.items.get(k).real) {
        const s = size.get(k);
        pos.set(k, { x: Math.round(x + (colW - s.w) / 2), y: Math.round(cy - s.h / 2) });
      }
      bottom = Math.max(bottom, cy + h(k) / 2);
    }
    x += colW + (l0 + j + 1 < l1 ? g.gapW[l0 + j] : 0);
  }
  return { pos, at, width: Math.max(0, x), height: bottom };
}

/**
 * The heights nearest `want` (weighted) that keep their order with at least `seps[i]` between
 * the i-th and the next: a weighted isotonic regression (pool adjacent violators) after
 * taking the gaps out.
 */
export function isotonic(want, weight, seps) {
  const n = want.length;
  const offset = [0];
  for (let i = 1; i < n; i++) offset.push(offset[i - 1] + seps[i - 1]);
  const blocks = []; // {value, weight, count}
  for (let i = 0; i < n; i++) {
    blocks.push({ value: want[i] - offset[i], weight: weight[i], count: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].value > blocks[blocks.length - 1].value) {
      const b = blocks.pop();
      const a = blocks.pop();
      const w = a.weight + b.weight;
      blocks.push({ value: (a.value * a.weight + b.value * b.weight) / w, weight: w, count: a.count + b.count });
    }
  }
  const out = [];
  for (const b of blocks) for (let c = 0; c < b.count; c++) out.push(b.value + offset[out.length]);
  return out;
}

/**
 * Every wire's route: null for a wire between neighbouring columns of one row (the plain curve
 * does), else its points: out of the source's column level, through the lanes (a bend between
 * two columns when a lane changes height), into the target's column level. A wire that passes
 * from a row to the next turns down right of its row, runs left along the gap under it, and
 * turns down again left of the next row; in one gap, the wire that leaves highest turns
 * furthest right and runs lowest, and the one that enters lowest turns furthest left, which is
 * what keeps wires that do not cross between the columns from crossing in the gap.
 */
function wireRoutes(g, size, pos, at, rows, tops, breaks) {
  const width = Math.max(...rows.map((r) => r.width));
  // per gap under row r: its passes, {edge, from: height leaving, to: height entering}
  const passes = rows.map(() => []);
  g.chains.forEach((chain, e) => {
    if (!chain) return;
    for (let j = 0; j + 1 < chain.length; j++) {
      const a = at.get(chain[j]);
      const b = at.get(chain[j + 1]);
      if (b.row !== a.row) passes[a.row].push({ edge: e, j, from: a.y, to: b.y });
    }
  });
  const turn = new Map(); // `${edge}:${j}` → {right, lane, left}
  passes.forEach((list, r) => {
    if (!list.length) return;
    const n = list.length;
    const gapTop = tops[r] + rows[r].height;
    const gapH = tops[r + 1] - gapTop;
    // wires that leave (or enter) at one point are ordered as where they enter (or left)
    const byFrom = [...list].sort((p, q) => p.from - q.from || p.to - q.to || p.edge - q.edge);
    const byTo = [...list].sort((p, q) => p.to - q.to || p.from - q.from || p.edge - q.edge);
    const lane0 = gapTop + (gapH - g.wireSep * (n - 1)) / 2;
    byFrom.forEach((p, i) => {
      turn.set(`${p.edge}:${p.j}`, {
        right: width + EXIT + WIRE_SEP * (n - 1 - i),
        lane: lane0 + g.wireSep * (n - 1 - i),
      });
    });
    byTo.forEach((p, i) => {
      turn.get(`${p.edge}:${p.j}`).left = -EXIT - WIRE_SEP * i;
    });
  });
  return g.chains.map((chain, e) => {
    if (!chain) return null;
    if (chain.length === 2 && at.get(chain[0]).row === at.get(chain[1]).row) return null;
    const s = chain[0];
    const t = chain[chain.length - 1];
    const sp = pos.get(s);
    const tp = pos.get(t);
    const points = [[sp.x + size.get(s).w, sp.y + size.get(s).h / 2]];
    const add = (x, y) => {
      const [px, py] = points[points.length - 1];
      if (px !== x || py !== y) points.push([x, y]);
    };
    for (let j = 0; j < chain.length; j++) {
      const a = at.get(chain[j]);
      if (j > 0) {
        const prev = at.get(chain[j - 1]);
        if (prev.row !== a.row) {
          const tt = turn.get(`${e}:${j - 1}`);
          add(tt.right, prev.y);
          add(tt.right, tt.lane);
          add(tt.left, tt.lane);
          add(tt.left, a.y);
        }
        add(a.x0, a.y); // into the column, level
      }
      if (j + 1 < chain.length) add(a.x1, a.y); // out of the column, level
    }
    add(tp.x, tp.y + size.get(t).h / 2);
    return points;
  });
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

/**
 * `nodes` with the positions two or more of them share (rounded to the pixel) taken away, so
 * that they are placed anew (placeMissing: the whole layout where none is left): a design
 * written by a script that put every block at [0, 0], or at one spot for several, opened as a
 * pile of cards on one spot. The other nodes keep theirs.
 *
 * @param nodes  [{id, position: {x, y} | null, ...}]
 */
export function unstack(nodes) {
  const spot = (p) => `${Math.round(p.x)},${Math.round(p.y)}`;
  const seen = new Map();
  for (const n of nodes) {
    if (n.position) seen.set(spot(n.position), (seen.get(spot(n.position)) || 0) + 1);
  }
  if (![...seen.values()].some((k) => k > 1)) return nodes;
  return nodes.map((n) =>
    n.position && seen.get(spot(n.position)) > 1 ? { ...n, position: null } : n,
  );
}
