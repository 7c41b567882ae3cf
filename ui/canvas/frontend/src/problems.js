// What Python says about each block, made whole for the cards. Pure, unit-tested in tests/.
//
// Python's validation reports a cycle once, on the block it starts from ("cycle: add1 →
// linear1 → relu1 → add1 (a graph must flow one way; remove one of these edges)"): the other
// blocks of the loop showed no badge, and a user looking at them saw nothing wrong there.

const CYCLE = /^cycle: (.+?) \(/;

/** The ids a cycle message names, in flow order, each once; null when it names none. */
export function cycleIds(message) {
  const m = typeof message === "string" ? CYCLE.exec(message) : null;
  if (!m) return null;
  const ids = m[1].split(" \u2192 ");
  return [...new Set(ids)];
}

/**
 * `annotations` with each cycle's error on every block of the cycle that the level has (the
 * same message, naming the whole cycle), not only on the block it was reported on; the same
 * object when no block lacks it.
 */
export function markCycles(annotations) {
  const nodes = annotations && annotations.nodes;
  if (!nodes || typeof nodes !== "object") return annotations;
  const add = new Map(); // id → messages to add
  for (const ann of Object.values(nodes)) {
    for (const message of (ann && ann.errors) || []) {
      for (const id of cycleIds(message) || []) {
        const on = nodes[id];
        if (!on || ((on.errors || []).includes(message))) continue;
        if (!add.has(id)) add.set(id, []);
        if (!add.get(id).includes(message)) add.get(id).push(message);
      }
    }
  }
  if (!add.size) return annotations;
  const next = { ...nodes };
  for (const [id, messages] of add) next[id] = { ...nodes[id], errors: [...(nodes[id].errors || []), ...messages] };
  return { ...annotations, nodes: next };
}
