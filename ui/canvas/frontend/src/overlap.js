// Blocks a design arrives with partly over each other, moved apart. Pure, unit-tested in tests/.
//
// A hand-written or scripted design may place cards closer than a card is tall (rows 60 px
// apart for cards 90 px tall): it opened with each card over the next, their titles and
// params hidden. Blocks stacked exactly on one spot are laid out anew (layout.js unstack);
// these keep the user's layout and move by the least that frees them.

const GAP = 16; // px left between a moved card and the one it lay over

function hit(a, b) {
  const over = 0.5; // px of rounding that is not an overlap
  return (
    a.x < b.x + b.w - over && b.x < a.x + a.w - over && a.y < b.y + b.h - over && b.y < a.y + a.h - over
  );
}

/**
 * Which ways a card may move off `b`: the way it was written from it (right of a card it was
 * written right of, below one it was written below), by the axis along which the two lie
 * farther apart for their size; a card moved the other way would break the design's rows or
 * columns (a column's fourth card sent right of its third).
 */
function ways(from, b) {
  const dx = (from.x - b.from.x) / b.w;
  const dy = (from.y - b.from.y) / b.h;
  if (Math.abs(dx) > Math.abs(dy)) return dx > 0 ? ["right"] : ["left"];
  if (Math.abs(dy) > Math.abs(dx)) return dy > 0 ? ["below"] : ["above"];
  return ["right", "below", "left", "above"];
}

/** The nearest place to `box` (its own first) that overlaps none of `settled`. */
function nearestFree(box, settled) {
  const at = (x, y) => ({ ...box, x, y });
  const dist = (c) => Math.hypot(c.x - box.x, c.y - box.y);
  let frontier = [box];
  const tried = new Set();
  for (let depth = 0; depth < 6 && frontier.length; depth++) {
    const free = [];
    const next = [];
    for (const c of frontier) {
      const key = `${Math.round(c.x)},${Math.round(c.y)}`;
      if (tried.has(key)) continue;
      tried.add(key);
      const hits = settled.filter((b) => hit(c, b));
      if (!hits.length) {
        free.push(c);
        continue;
      }
      for (const b of hits) {
        const to = {
          right: at(b.x + b.w + GAP, c.y),
          below: at(c.x, b.y + b.h + GAP),
          left: at(b.x - c.w - GAP, c.y),
          above: at(c.x, b.y - c.h - GAP),
        };
        for (const way of ways(box.from, b)) next.push(to[way]);
      }
    }
    if (free.length) return free.reduce((a, b) => (dist(b) < dist(a) ? b : a));
    frontier = next;
  }
  // no free place near: below everything settled
  return at(box.x, Math.max(...settled.map((b) => b.y + b.h)) + GAP);
}

/**
 * `nodes` with those that lie partly over another moved apart, each by the least that frees
 * it: cards are taken top to bottom, then left to right; one that overlaps a card taken
 * before it moves to the nearest free place the way it was written from what it overlaps
 * (below a card it was written below, right of one it was written right of). Nodes without a position, and nodes over nothing, are left as they are.
 *
 * @param nodes   [{id, position: {x, y} | null, ...}]
 * @param sizeOf  node → {w, h}
 * @returns {nodes, moved}: the nodes (the same array when none moved) and the moved ids
 *
 * e.g. two 200×90 cards at (0, 0) and (0, 60): the second moves to (0, 106).
 */
export function spreadOverlaps(nodes, sizeOf) {
  const order = nodes
    .filter((n) => n.position)
    .sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
  const settled = [];
  const moved = new Map();
  for (const n of order) {
    const { w, h } = sizeOf(n);
    let box = { x: n.position.x, y: n.position.y, w, h, from: n.position };
    if (settled.some((b) => hit(box, b))) {
      box = nearestFree(box, settled);
      moved.set(n.id, { x: box.x, y: box.y });
    }
    settled.push(box);
  }
  if (!moved.size) return { nodes, moved: [] };
  return {
    nodes: nodes.map((n) => (moved.has(n.id) ? { ...n, position: moved.get(n.id) } : n)),
    moved: nodes.filter((n) => moved.has(n.id)).map((n) => n.id),
  };
}

/** What the canvas says once when it moved blocks apart. */
export function spreadMessage(moved) {
  if (!moved.length) return null;
  const few = moved.slice(0, 3).join(", ") + (moved.length > 3 ? ", \u2026" : "");
  const what = moved.length === 1 ? "1 block lay" : `${moved.length} blocks lay`;
  return `${what} partly over another and moved apart (${few}); the rest of the layout is yours.`;
}
