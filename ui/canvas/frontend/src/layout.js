// Layered left-to-right layout: each node goes one column right of its furthest predecessor
// (longest-path layering), and nodes within a column are ordered by the mean row of their
// predecessors, which removes most crossings in the feed-forward graphs LayerLoom draws.
// O(V + E) plus a sort per column.

const COL_GAP = 90;
const ROW_GAP = 36;

/**
 * @param ids      node ids in graph order
 * @param edges    [{source, target}]
 * @param sizeOf   id → {w, h}
 * @returns Map id → {x, y}
 */
export function layeredLayout(ids, edges, sizeOf) {
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

  const pos = new Map();
  let x = 0;
  for (const col of columns) {
    if (!col) continue;
    const sizes = col.map(sizeOf);
    const width = Math.max(...sizes.map((s) => s.w));
    const total = sizes.reduce((a, s) => a + s.h, 0) + ROW_GAP * (col.length - 1);
    let y = -total / 2;
    col.forEach((id, i) => {
      pos.set(id, { x: x + (width - sizes[i].w) / 2, y });
      y += sizes[i].h + ROW_GAP;
    });
    x += width + COL_GAP;
  }
  return pos;
}

/**
 * Positions for nodes that have none: right of their placed predecessors when they have any,
 * else below everything; a level where no node has a position gets the full layout.
 */
export function placeMissing(nodes, edges, sizeOf) {
  const missing = nodes.filter((n) => !n.position);
  if (!missing.length) return nodes;
  if (missing.length === nodes.length) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const pos = layeredLayout(nodes.map((n) => n.id), edges, (id) => sizeOf(byId.get(id)));
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
