// A small external store for what Python annotates (shapes, counts, problems), the block
// catalog, the wire a dragged block would go onto, and the routes of the wires the auto layout laid (routes.js). Each node and edge subscribes to its own entry only, and an entry whose content did
// not change keeps its object identity, so a rerun that changes one node's shape re-renders
// one node, not three hundred.
import { createContext, useCallback, useContext, useSyncExternalStore } from "react";
import { markCycles } from "./problems.js";
import { placeLabels } from "./wires.js";

export function createStore() {
  let state = { nodes: {}, edges: {}, catalog: new Map(), routes: {}, dropWire: null, labels: {} };
  // where the wires' labels go (wires.js placeLabels): each wire says where it runs and how big
  // its label is, the canvas where the cards stand; placed again, all together, once per frame
  // after either changed
  const wires = new Map();
  let cards = [];
  let labelJson = {};
  let placing = false;
  const placeSoon = () => {
    if (placing) return;
    placing = true;
    const run = () => {
      placing = false;
      const at = placeLabels([...wires.values()], cards);
      const next = {};
      for (const [id, p] of at) next[id] = p;
      const l = keepSame(next, state.labels, labelJson);
      if (!l.changed) return;
      labelJson = l.json;
      state = { ...state, labels: l.next };
      notify();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else Promise.resolve().then(run);
  };
  let nodeJson = {};
  let edgeJson = {};
  let routeJson = {};
  let catalogJson = "";
  const listeners = new Set();
  const notify = () => listeners.forEach((fn) => fn());

  const keepSame = (incoming, prev, prevJson) => {
    const next = {};
    const json = {};
    let changed = false;
    for (const [k, v] of Object.entries(incoming || {})) {
      const s = JSON.stringify(v);
      json[k] = s;
      if (prevJson[k] === s) next[k] = prev[k];
      else {
        next[k] = v;
        changed = true;
      }
    }
    if (Object.keys(prevJson).length !== Object.keys(json).length) changed = true;
    return { next, json, changed };
  };

  return {
    get: () => state,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    setAnnotations(annotations) {
      // a cycle's error on every block of it, not only the one it was reported on
      const a = annotations && typeof annotations === "object" ? markCycles(annotations) : {};
      const n = keepSame(a.nodes, state.nodes, nodeJson);
      const e = keepSame(a.edges, state.edges, edgeJson);
      if (!n.changed && !e.changed) return;
      nodeJson = n.json;
      edgeJson = e.json;
      state = { ...state, nodes: n.next, edges: e.next };
      notify();
    },
    /** `{edge id: points | {gap: y}}`: the wires drawn along a route (any other, the plain
     *  curve); `{gap}`: a wire wrapped back to another row (routes.js, `wrapRoutes`). */
    setRoutes(routes) {
      const r = keepSame(routes, state.routes, routeJson);
      if (!r.changed) return;
      routeJson = r.json;
      state = { ...state, routes: r.next };
      notify();
    },
    /** A wire's course (`segments`, wires.js) and its label's box `{w, h}`; null: gone. */
    setWire(id, wire) {
      if (wire) wires.set(id, { id, ...wire });
      else if (!wires.delete(id)) return;
      placeSoon();
    },
    /** The cards' boxes `[{x0, y0, x1, y1}]` in flow coordinates. */
    setCards(next) {
      cards = next || [];
      placeSoon();
    },
    /** The wire a block dragged from the palette would go onto if dropped now, or null. */
    setDropWire(id) {
      const next = id || null;
      if (next === state.dropWire) return;
      state = { ...state, dropWire: next };
      notify();
    },
    setCatalog(catalog) {
      const json = JSON.stringify(catalog || []);
      if (json === catalogJson) return;
      catalogJson = json;
      const map = new Map();
      for (const spec of catalog || []) if (spec && spec.type) map.set(spec.type, spec);
      state = { ...state, catalog: map };
      notify();
    },
  };
}

export const StoreContext = createContext(null);

export function useStoreValue(selector) {
  const store = useContext(StoreContext);
  const get = useCallback(() => selector(store.get()), [store, selector]);
  return useSyncExternalStore(store.subscribe, get, get);
}
