// Conversions between one level of a LayerLoom graph (graph-format.md) and React Flow's
// nodes and edges, plus the structural edits the canvas makes on them.
//
// A React Flow node keeps the format's fields in `data` ({type, params, label, repeat, extra});
// `extra` holds keys this component does not know, so they survive a round trip.
// A React Flow edge keeps the format's `port` in `data.port` (undefined when the edge names no
// port) and shows on the target handle that port resolves to. A block with several outputs
// (Chunk, Split, a composite with several Output nodes) has one source handle per output,
// `out:0`, `out:1`…; an edge keeps the format's `source_port` in `data.sourcePort` (as written:
// an index or the output's name) and starts at the handle it resolves to.

import { exprLines, paramRows, repeatBadge } from "./format.js";

export const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const OUT = "out"; // source handle id of every block
export const IN = "in"; // target handle id of single-input and variadic blocks
export const NODE_W = 200; // estimated size before React Flow has measured a node
const NODE_KEYS = new Set(["id", "type", "params", "position", "label", "repeat"]);
const EDGE_KEYS = new Set(["source", "target", "port", "source_port"]);

/** True for a block type with several outputs (its spec says so). */
export function isMultiOutput(spec) {
  return Boolean(spec && spec.outputs === "several");
}

/** The source handle id of output `index` of a block with several outputs. */
export function outHandle(index) {
  return `out:${index}`;
}

/** The output index a source handle id stands for (`out:2` → 2), or null. */
export function handleIndex(handle) {
  const m = typeof handle === "string" ? /^out:(\d+)$/.exec(handle) : null;
  return m ? Number(m[1]) : null;
}

/**
 * The index of the output a `source_port` names: an index as is; a name among the spec's
 * `output_names` (a composite's Output ids) or, for Chunk and Split whose outputs are named by
 * their index, a numeric name; null when it names none (the validator says so).
 */
export function sourceIndex(sourcePort, spec) {
  if (Number.isInteger(sourcePort)) return sourcePort >= 0 ? sourcePort : null;
  if (typeof sourcePort !== "string") return null;
  const names = spec && Array.isArray(spec.output_names) ? spec.output_names.map(String) : null;
  if (names) {
    const i = names.indexOf(sourcePort);
    return i >= 0 ? i : null;
  }
  return /^\d+$/.test(sourcePort) ? Number(sourcePort) : null;
}

/**
 * The outputs a block with several draws, `[{index, name, shape}]`: the names and shapes
 * Python annotated, else the spec's output names, else as many as its params say (Chunk's
 * `chunks`, Split's `sizes`), at least as many as its edges use (`data.outCount`).
 */
export function outputPorts(spec, data, ann) {
  let names = ann && Array.isArray(ann.ports) ? ann.ports.map(String) : null;
  if (!names && spec && Array.isArray(spec.output_names)) names = spec.output_names.map(String);
  let count = names ? names.length : 2;
  if (!names && data && data.params) {
    const p = data.params;
    if (Number.isInteger(p.chunks) && p.chunks > 0 && p.chunks <= 64) count = p.chunks;
    else if (Array.isArray(p.sizes) && p.sizes.length > 0 && p.sizes.length <= 64) {
      count = p.sizes.length;
    }
  }
  count = Math.max(count, (data && data.outCount) || 0);
  const shapes = ann && Array.isArray(ann.output_shapes) ? ann.output_shapes : [];
  const ports = [];
  for (let i = 0; i < count; i++) {
    ports.push({ index: i, name: names && i < names.length ? names[i] : String(i), shape: shapes[i] });
  }
  return ports;
}

export function portsOf(spec) {
  const ports = spec && spec.ports;
  if (!ports || typeof ports !== "object") return { kind: "single" };
  return ports;
}

export function hasOutput(spec, type) {
  if (spec && (spec.outputs === 0 || spec.outputs === false)) return false;
  return type !== "Output";
}

export function isComposite(spec) {
  return Boolean(spec && (spec.composite || spec.category === "Blocks"));
}

/** Target handle ids a block declares, in order. */
export function targetHandles(spec) {
  const ports = portsOf(spec);
  if (ports.kind === "none") return [];
  if (ports.kind === "named") return Array.isArray(ports.names) ? ports.names.map(String) : [];
  return [IN];
}

function splitExtra(obj, known) {
  let extra;
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) (extra ??= {})[k] = obj[k];
  }
  return extra;
}

function validPosition(p) {
  return Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

// A card's head: its type (bold) and its id (or label) on one line when both fit the card's
// 200 px, else the id on a line of its own under the type (styles.css, .ll-head wraps), so that
// the usual titles ("BatchNorm2d" with "batchnorm2d1", "MaxPool2d" with "maxpool2d1") read whole.
// What is still too long for a line (TransformerEncoderLayer, transformerencoderlayer1) wraps
// onto more: a type between its words (typeWords), an id after its "_" (idWords), else anywhere. Text widths estimated per
// character, a little generously (the fonts differ by browser).
const TYPE_PX = 9.6; // a character of the 14 px bold type
const ID_PX = 8.8; // a character of the 13.5 px id
const HEAD_ROOM = 167; // 200 less the borders, the padding and the gaps
export const HEAD_LINE = 19; // the height each line of the head adds

/** The words of a type's name, where it may wrap: "TransformerEncoderLayer" → Transformer, Encoder, Layer. */
export function typeWords(type) {
  return String(type ?? "").split(/(?<=[a-z0-9])(?=[A-Z])/);
}

/**
 * The parts of an id (or label) where it may wrap: after each "_", "." or "-", so that an
 * imported model's "position_embedding_table" reads "position_embedding_" over "table", not
 * "position_embedding_tabl" over "e". A part longer than a line still breaks anywhere.
 */
export function idWords(name) {
  return String(name ?? "").split(/(?<=[_.-])(?=.)/);
}

/** How many lines `widths` (words in a row, px) take, and the last line's width, at `room` px a line. */
function wrapped(widths, room) {
  let lines = 1;
  let last = 0;
  for (let w of widths) {
    if (last && last + w > room) {
      lines += 1;
      last = 0;
    }
    for (; w > room; w -= room) lines += 1; // a word longer than a line breaks anywhere
    last += w;
  }
  return { lines, last };
}

/**
 * How many lines a card's head takes: its type (with `badges`, the repeat badge's and others'
 * characters, and the ▣ of a composite block) and `name` (its id or label) on one when they
 * fit, else the type on as many as its words need, the badges after it, and the name on lines
 * of its own.
 */
export function headLines(type, name, { badges = 0, composite = false } = {}) {
  const words = typeWords(type).map((w) => w.length * TYPE_PX);
  if (composite) words[0] += 2 * TYPE_PX;
  const badgeW = badges ? badges * 8 + 16 : 0;
  const nameW = String(name ?? "").length * ID_PX;
  const typeW = words.reduce((a, b) => a + b, 0);
  if (typeW + badgeW + nameW <= HEAD_ROOM) return 1;
  const lines = wrapped(words, HEAD_ROOM);
  const badgeLine = badgeW && lines.last + badgeW > HEAD_ROOM ? 1 : 0;
  return lines.lines + badgeLine + wrapped(idWords(name).map((w) => w.length * ID_PX), HEAD_ROOM).lines;
}

/** True when a card's head takes more than one line (see headLines). */
export function headWraps(type, name, opts = {}) {
  return headLines(type, name, opts) > 1;
}

/**
 * Estimated node height, for layout before the node has been measured; `data` (the node's)
 * adds the lines its expressions take under their rows (see paramRows); `id`, the lines the
 * head takes more when its type and id do not fit on one (headLines).
 */
export function estimateHeight(spec, data, id) {
  const ports = portsOf(spec);
  const rows = ports.kind === "named" ? (ports.names || []).length : 0;
  const params = data ? paramRows(spec, data, null) : null;
  const keys = params ? params.length : Array.isArray(spec && spec.key_params) ? spec.key_params.length : 0;
  const exprs = params ? params.reduce((n, r) => n + exprLines(r), 0) : 0;
  const outs = isMultiOutput(spec)
    ? (Array.isArray(spec.output_names) ? spec.output_names.length : 2)
    : 0;
  let head = 0;
  if (id !== undefined && data) {
    const badge = repeatBadge(data.repeat, null);
    const lines = headLines(data.type, data.label || id, {
      badges: badge ? badge.length : 0,
      composite: isComposite(spec),
    });
    head = (lines - 1) * HEAD_LINE;
  }
  return 66 + head + 20 * (rows + keys + outs) + 18 * exprs;
}

export function sizeOf(node, catalog) {
  const m = node.measured;
  if (m && m.width && m.height) return { w: m.width, h: m.height };
  return { w: NODE_W, h: estimateHeight(catalog.get(node.data.type), node.data, node.id) };
}

/**
 * One level of the graph → {nodes, edges} for React Flow. Nodes without a position get
 * `position: null`; the caller places them (see placeMissing).
 */
export function fromGraph(graph, catalog) {
  const raw = graph && Array.isArray(graph.nodes) ? graph.nodes : [];
  const rawEdges = graph && Array.isArray(graph.edges) ? graph.edges : [];
  const nodes = [];
  const byId = new Map();
  for (const n of raw) {
    if (!n || typeof n.id !== "string" || byId.has(n.id)) continue;
    const node = {
      id: n.id,
      type: "block",
      position: validPosition(n.position) ? { x: n.position[0], y: n.position[1] } : null,
      data: makeData(n),
    };
    byId.set(n.id, node);
    nodes.push(node);
  }
  const edges = [];
  const unnamedSeen = new Map(); // target id → unnamed edges seen so far
  const extraIn = new Map(); // node id → Set of handle ids the node must also show
  const addExtra = (id, h) => {
    if (!extraIn.has(id)) extraIn.set(id, new Set());
    extraIn.get(id).add(h);
  };
  rawEdges.forEach((e, i) => {
    if (!e || !byId.has(e.source) || !byId.has(e.target)) return;
    const target = byId.get(e.target);
    const spec = catalog.get(target.data.type);
    const ports = portsOf(spec);
    const declared = targetHandles(spec);
    let handle;
    if (ports.kind === "named") {
      const k = unnamedSeen.get(e.target) || 0;
      if (typeof e.port === "string") handle = e.port;
      else if (Number.isInteger(e.port)) handle = declared[e.port] ?? `#${e.port}`;
      else {
        handle = declared[k] ?? `#${k}`;
        unnamedSeen.set(e.target, k + 1);
      }
    } else {
      handle = IN;
    }
    if (!declared.includes(handle)) addExtra(e.target, handle);
    const source = byId.get(e.source);
    const sourceSpec = catalog.get(source.data.type);
    if (!hasOutput(sourceSpec, source.data.type)) source.data.extraOut = true;
    const data = { port: e.port };
    const hasSourcePort = e.source_port !== undefined && e.source_port !== null;
    if (hasSourcePort) data.sourcePort = e.source_port;
    let sourceHandle = OUT;
    if (isMultiOutput(sourceSpec)) {
      const index = hasSourcePort ? sourceIndex(e.source_port, sourceSpec) : 0;
      if (index !== null) {
        sourceHandle = outHandle(index);
        source.data.outCount = Math.max(source.data.outCount || 0, index + 1);
      } else {
        // names no output: drawn from a handle of its own, marked, until it is fixed
        sourceHandle = `out:?${String(e.source_port)}`;
        source.data.extraOuts = [...(source.data.extraOuts || []), sourceHandle];
      }
    }
    const extra = splitExtra(e, EDGE_KEYS);
    if (extra) data.extra = extra;
    edges.push({
      id: `e${i}:${e.source}->${e.target}`,
      source: e.source,
      target: e.target,
      sourceHandle,
      targetHandle: handle,
      type: "shape",
      data,
    });
  });
  for (const [id, set] of extraIn) byId.get(id).data.extraPorts = [...set];
  return { nodes, edges: orderEdges(edges, nodes, catalog) };
}

function makeData(n) {
  const data = { type: String(n.type ?? "") };
  if (n.params !== undefined) data.params = n.params;
  if (n.label !== undefined) data.label = n.label;
  if (n.repeat !== undefined) data.repeat = n.repeat;
  const extra = splitExtra(n, NODE_KEYS);
  if (extra) data.extra = extra;
  return data;
}

/** React Flow nodes and edges → one level of the graph format ({nodes, edges}). */
export function toGraph(nodes, edges) {
  return {
    nodes: nodes.map((n) => {
      const d = n.data;
      const out = { id: n.id, type: d.type };
      if (d.params !== undefined) out.params = d.params;
      if (d.repeat !== undefined) out.repeat = d.repeat;
      out.position = [Math.round(n.position.x), Math.round(n.position.y)];
      if (d.label !== undefined) out.label = d.label;
      return d.extra ? { ...out, ...d.extra } : out;
    }),
    edges: edges.map((e) => {
      const out = { source: e.source, target: e.target };
      const d = e.data || {};
      if (d.port !== undefined && d.port !== null) out.port = d.port;
      if (d.sourcePort !== undefined && d.sourcePort !== null) out.source_port = d.sourcePort;
      return d.extra ? { ...out, ...d.extra } : out;
    }),
  };
}

/**
 * A string that is equal for two levels exactly when they mean the same to Python
 * (missing params = {}, positions rounded), used to tell a real change from an echo.
 */
export function graphKey(graph) {
  const nodes = graph && Array.isArray(graph.nodes) ? graph.nodes : [];
  const edges = graph && Array.isArray(graph.edges) ? graph.edges : [];
  const parts = [];
  for (const n of nodes) {
    if (!n) continue;
    const { id, type, params, position, label, repeat, ...rest } = n;
    parts.push([
      id,
      type,
      params ?? {},
      validPosition(position) ? [Math.round(position[0]), Math.round(position[1])] : null,
      label ?? null,
      repeat ?? null,
      rest,
    ]);
  }
  parts.push("|");
  for (const e of edges) {
    if (!e) continue;
    const { source, target, port, source_port, ...rest } = e;
    parts.push([source, target, port ?? null, source_port ?? null, rest]);
  }
  return hashString(JSON.stringify(parts));
}

/** 53-bit string hash (cyrb53): cheap to keep and compare, collisions negligible here. */
export function hashString(str) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36) + ":" + str.length;
}

/** Key of one node as the format sees it: lets a reset keep unchanged node objects. */
export function nodeKey(n) {
  const d = n.data;
  return JSON.stringify([
    d.type, d.params ?? {}, d.label ?? null, d.repeat ?? null, d.extra ?? null,
    Math.round(n.position.x), Math.round(n.position.y), d.extraPorts ?? null, d.extraOut ?? null,
    d.outCount ?? null, d.extraOuts ?? null,
  ]);
}

/** A node id for a new block of `type`: lowercased type plus the lowest number not in use. */
export function freshId(type, used) {
  let base = String(type).toLowerCase().replace(/[^a-z0-9_-]/g, "").slice(0, 56);
  if (!base) base = "node";
  let i = 1;
  while (used.has(base + i)) i++;
  const id = base + i;
  used.add(id);
  return id;
}

let edgeCounter = 0;
export function newEdgeId(source, target) {
  edgeCounter += 1;
  return `n${edgeCounter}:${source}->${target}`;
}

export function selectedIds(nodes) {
  const ids = [];
  for (const n of nodes) if (n.selected) ids.push(n.id);
  return ids;
}

/**
 * Sets `data.order` (1-based) on edges into variadic blocks with two or more inputs, so the
 * edge label can show the input order (Concat cares). Unchanged edges keep their identity.
 */
export function orderEdges(edges, nodes, catalog) {
  const typeOf = new Map();
  for (const n of nodes) typeOf.set(n.id, n.data.type);
  const counts = new Map();
  for (const e of edges) counts.set(e.target, (counts.get(e.target) || 0) + 1);
  const seen = new Map();
  return edges.map((e) => {
    const spec = catalog.get(typeOf.get(e.target));
    let order;
    if (portsOf(spec).kind === "variadic" && counts.get(e.target) > 1) {
      const k = (seen.get(e.target) || 0) + 1;
      seen.set(e.target, k);
      order = Number.isInteger(e.data && e.data.port) ? e.data.port + 1 : k;
    }
    if ((e.data && e.data.order) === order) return e;
    return { ...e, data: { ...(e.data || {}), order } };
  });
}

/**
 * After edges were removed: numbered ports into one node are renumbered 0..n-1 in their order,
 * so no gap is left.
 */
export function renumberPorts(edges) {
  const numbered = new Map();
  for (const e of edges) {
    if (Number.isInteger(e.data && e.data.port)) {
      if (!numbered.has(e.target)) numbered.set(e.target, []);
      numbered.get(e.target).push(e);
    }
  }
  if (!numbered.size) return edges;
  const remap = new Map();
  for (const list of numbered.values()) {
    [...list].sort((a, b) => a.data.port - b.data.port).forEach((e, i) => {
      if (e.data.port !== i) remap.set(e.id, i);
    });
  }
  if (!remap.size) return edges;
  return edges.map((e) =>
    remap.has(e.id) ? { ...e, data: { ...e.data, port: remap.get(e.id) } } : e,
  );
}

/** True when adding source → target would close a cycle (target already reaches source). */
export function wouldCycle(edges, source, target) {
  if (source === target) return true;
  const out = new Map();
  for (const e of edges) {
    if (!out.has(e.source)) out.set(e.source, []);
    out.get(e.source).push(e.target);
  }
  const stack = [target];
  const seen = new Set(stack);
  while (stack.length) {
    const v = stack.pop();
    if (v === source) return true;
    for (const w of out.get(v) || []) {
      if (!seen.has(w)) {
        seen.add(w);
        stack.push(w);
      }
    }
  }
  return false;
}

/**
 * Adds the edge of a drag from `source` to `target`'s `handle`, following the format's rule
 * that edges into one node either all name their port or none does:
 * - a named port takes one input: an edge already on it is replaced, and unnamed edges into
 *   the node are given the port they were shown on;
 * - a single-input block takes one input: the old edge is replaced;
 * - a variadic block appends an unnamed edge (a numbered one if its edges are numbered).
 * Returns the new edge list, or null when the connection is refused.
 */
export function connect(edges, nodes, catalog, { source, target, targetHandle, sourceHandle }) {
  const targetNode = nodes.find((n) => n.id === target);
  if (!targetNode || wouldCycle(edges, source, target)) return null;
  const spec = catalog.get(targetNode.data.type);
  const ports = portsOf(spec);
  const incoming = edges.filter((e) => e.target === target);
  const picked = pickedOutput(nodes, catalog, source, sourceHandle);
  const base = {
    id: newEdgeId(source, target),
    source,
    target,
    sourceHandle: picked.handle,
    type: "shape",
  };
  const withSource = (data) =>
    picked.sourcePort === undefined ? data : { ...data, sourcePort: picked.sourcePort };
  if (ports.kind === "none") return null;
  if (ports.kind === "named") {
    const handle = targetHandle || targetHandles(spec)[0];
    if (!handle) return null;
    const kept = [];
    for (const e of edges) {
      if (e.target === target && e.targetHandle === handle) continue; // replaced
      if (e.target === target && typeof (e.data && e.data.port) !== "string") {
        kept.push({ ...e, data: { ...(e.data || {}), port: e.targetHandle } });
      } else kept.push(e);
    }
    return [...kept, { ...base, targetHandle: handle, data: withSource({ port: handle }) }];
  }
  if (ports.kind === "variadic") {
    const max = Number.isInteger(ports.max) ? ports.max : Infinity;
    if (incoming.length >= max) return null;
    const numbered = incoming.some((e) => Number.isInteger(e.data && e.data.port));
    const data = numbered ? { port: incoming.length } : {};
    return [...edges, { ...base, targetHandle: IN, data: withSource(data) }];
  }
  // single input: the new edge replaces whatever fed the block
  return [
    ...edges.filter((e) => e.target !== target),
    { ...base, targetHandle: IN, data: withSource({}) },
  ];
}

/**
 * The source handle a new wire starts at and the `source_port` it saves: a wire dragged from
 * output `i` of a block with several saves that output's name where the block names its
 * outputs (a composite's Output ids) and the index otherwise (Chunk, Split); a wire from a
 * block with one output saves none.
 */
export function pickedOutput(nodes, catalog, source, sourceHandle) {
  const node = nodes.find((n) => n.id === source);
  const spec = node ? catalog.get(node.data.type) : null;
  if (!isMultiOutput(spec)) return { handle: OUT, sourcePort: undefined };
  const index = handleIndex(sourceHandle);
  if (index === null) return { handle: outHandle(0), sourcePort: undefined };
  const names = Array.isArray(spec.output_names) ? spec.output_names : null;
  return { handle: outHandle(index), sourcePort: names && index < names.length ? names[index] : index };
}

/**
 * True when a block of `type` (its spec) can be put on a wire: it has one input (a single one,
 * or one named port) and one output. Blocks with none or several of either are not.
 */
export function insertable(spec, type) {
  if (!spec || isMultiOutput(spec) || !hasOutput(spec, type)) return false;
  const ports = portsOf(spec);
  if (ports.kind === "single") return true;
  return ports.kind === "named" && targetHandles(spec).length === 1;
}

/**
 * Block `id` (already among `nodes`, not wired yet) put on wire `edgeId`: the wire
 * source → target becomes source → id → target. The wire into the new block leaves the same
 * output (`source_port`) and enters its input (named, for a named port); the wire out of it
 * enters the target where the old one did (its port, its place among the target's inputs, the
 * keys this component does not know). Returns the new edge list, or null when the block is
 * not insertable or the wire is not there.
 */
export function insertOnWire(edges, nodes, catalog, edgeId, id) {
  const at = edges.findIndex((e) => e.id === edgeId);
  const node = nodes.find((n) => n.id === id);
  if (at < 0 || !node) return null;
  const old = edges[at];
  if (old.source === id || old.target === id) return null;
  const spec = catalog.get(node.data.type);
  if (!insertable(spec, node.data.type)) return null;
  const handle = targetHandles(spec)[0];
  const { sourcePort, ...kept } = old.data || {};
  const intoData = { port: portsOf(spec).kind === "named" ? handle : undefined };
  if (sourcePort !== undefined && sourcePort !== null) intoData.sourcePort = sourcePort;
  const into = {
    id: newEdgeId(old.source, id),
    source: old.source,
    target: id,
    sourceHandle: old.sourceHandle,
    targetHandle: handle,
    type: "shape",
    data: intoData,
  };
  const out = {
    id: newEdgeId(id, old.target),
    source: id,
    target: old.target,
    sourceHandle: OUT,
    targetHandle: old.targetHandle,
    type: "shape",
    data: kept,
  };
  return [...edges.slice(0, at), into, out, ...edges.slice(at + 1)];
}

/**
 * Block `id` taken out of the chain it is a link of, the inverse of insertOnWire: where it has
 * one input, one output, one wire in and a wire out, the block that fed it is wired to each
 * block it fed, in its place (the output it left, the port and place among the target's inputs
 * that the wire out of it had), so that deleting a block in the middle of a design leaves the
 * blocks either side of it joined, not the design cut in two. A target already fed by that
 * source (a skip wire's Add) gets no second wire. Returns `{edges, joined}` (`edges` without
 * the block's wires, `joined` the [source, target] pairs wired), or null when the block is no
 * link of a chain.
 */
export function takeOut(edges, nodes, catalog, id) {
  const node = nodes.find((n) => n.id === id);
  if (!node || !insertable(catalog.get(node.data.type), node.data.type)) return null;
  const into = edges.filter((e) => e.target === id);
  const outs = edges.filter((e) => e.source === id);
  if (into.length !== 1 || !outs.length || into[0].source === id) return null;
  const feed = into[0];
  const { sourcePort } = feed.data || {};
  const fed = new Set(edges.filter((e) => e.source === feed.source).map((e) => e.target));
  const joined = [];
  const next = [];
  for (const e of edges) {
    if (e === feed) continue;
    if (e.source !== id) {
      next.push(e);
      continue;
    }
    if (fed.has(e.target)) continue;
    fed.add(e.target);
    const data = { ...(e.data || {}) };
    delete data.sourcePort;
    if (sourcePort !== undefined && sourcePort !== null) data.sourcePort = sourcePort;
    next.push({
      ...e,
      id: newEdgeId(feed.source, e.target),
      source: feed.source,
      sourceHandle: feed.sourceHandle,
      data,
    });
    joined.push([feed.source, e.target]);
  }
  return { edges: next, joined };
}

/**
 * Room for block `id` just put on the wire `source` → `target`, centred where it was dropped:
 * `rects` maps ids to boxes `{x, y, width, height}` (flow coordinates, the new block's
 * included). Where the source stands left of it on its row, the block moves right to clear the
 * source by `gap` (room for the wire's label); where the target stands right of it on its row
 * and the block now reaches over it (or closer than `gap`), the target and every block right of
 * it on that row move right by as much. A wire between rows (its ends not level: one that wraps
 * round to the next row after Auto layout) puts the block in line with the target's row, in the
 * target's place, and the target and the rest of its row move right to clear it by `gap`: the
 * wire in wraps to the row, the wire out is straight. Wherever the block then still covers a
 * block, it goes to the nearest spot clear of every block by `margin`. Returns the new
 * positions `{x, y}` by id (empty: nothing to move).
 */
export function makeRoom(rects, id, source, target, gap = 80, margin = 20) {
  const moves = new Map();
  const n = rects.get(id);
  if (!n) return moves;
  const level = (a, b) => a.y < b.y + b.height && b.y < a.y + a.height;
  const mid = (r) => r.x + r.width / 2;
  const s = rects.get(source);
  const t = rects.get(target);
  const pushRow = (need) => {
    for (const [other, r] of rects) {
      if (other !== id && r.x >= t.x - 1 && level(r, t)) {
        moves.set(other, { x: Math.round(r.x + need), y: Math.round(r.y) });
      }
    }
  };
  if (s && t && !level(s, t)) {
    moves.set(id, { x: Math.round(t.x), y: Math.round(t.y + t.height / 2 - n.height / 2) });
    pushRow(n.width + gap);
  } else {
    let x = n.x;
    if (s && level(s, n) && mid(s) < mid(n)) x = Math.max(x, s.x + s.width + gap);
    if (x !== n.x) moves.set(id, { x: Math.round(x), y: Math.round(n.y) });
    if (t && level(t, n) && mid(t) > mid(n)) {
      const need = x + n.width + gap - t.x;
      if (need > 0) pushRow(need);
    }
  }
  // still on a block: the nearest free spot
  const at = moves.get(id) || { x: n.x, y: n.y };
  const others = [];
  for (const [other, r] of rects) if (other !== id) others.push({ ...r, ...(moves.get(other) || {}) });
  const spot = freeSpot({ ...n, ...at }, others, margin);
  if (spot.x !== at.x || spot.y !== at.y) moves.set(id, spot);
  return moves;
}

/** The nearest place to box `r` (its `{x, y}`) where it covers none of `boxes`, kept `margin` clear. */
function freeSpot(r, boxes, margin, step = 10, reach = 1500) {
  const hits = (x, y) =>
    boxes.some(
      (b) => x < b.x + b.width + margin && b.x < x + r.width + margin && y < b.y + b.height + margin && b.y < y + r.height + margin,
    );
  const covers = (x, y) =>
    boxes.some((b) => x < b.x + b.width && b.x < x + r.width && y < b.y + b.height && b.y < y + r.height);
  if (!covers(r.x, r.y)) return { x: Math.round(r.x), y: Math.round(r.y) };
  for (let d = step; d <= reach; d += step) {
    // the ring of offsets at about distance d, nearest first
    let best = null;
    for (let dx = -d; dx <= d; dx += step) {
      for (let dy = -d; dy <= d; dy += step) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== d) continue;
        const x = r.x + dx;
        const y = r.y + dy;
        const dist = Math.hypot(dx, dy);
        if ((!best || dist < best.dist) && !hits(x, y)) best = { x, y, dist };
      }
    }
    if (best) return { x: Math.round(best.x), y: Math.round(best.y) };
  }
  return { x: Math.round(r.x), y: Math.round(r.y) };
}

/**
 * The way back that adding source → target would close into a cycle: the shortest path of
 * existing wires from `target` to `source`, as block ids (`[target, …, source]`), or null when
 * there is none.
 */
export function cyclePath(edges, source, target) {
  if (source === target) return [target];
  const out = new Map();
  for (const e of edges) {
    if (!out.has(e.source)) out.set(e.source, []);
    out.get(e.source).push(e.target);
  }
  const from = new Map([[target, null]]);
  const queue = [target];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    if (v === source) {
      const path = [];
      for (let w = v; w !== null; w = from.get(w)) path.push(w);
      return path.reverse();
    }
    for (const w of out.get(v) || []) {
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return null;
}

/**
 * The words for a wire refused because it would close a cycle, naming its blocks:
 * "linear1 → conv2d1 would make a cycle (conv2d1 → relu1 → linear1 already leads back)". A way
 * back of more than `most` blocks shows its first two and its last, "…" for the rest.
 */
export function cycleMessage(source, target, path, most = 5) {
  const shown = path.length > most ? [...path.slice(0, 2), "…", path[path.length - 1]] : path;
  return `${source} → ${target} would make a cycle (${shown.join(" → ")} already leads back)`;
}

/**
 * Why a connection is refused, in words for the user ("Input has no input port", "linear1 →
 * conv2d1 would make a cycle (…)"), or null when it is allowed.
 */
export function connectProblem(edges, nodes, catalog, { source, target, targetHandle }) {
  if (!source || !target) return "drop the wire on a block's input";
  if (source === target) return "a block cannot feed itself";
  const targetNode = nodes.find((n) => n.id === target);
  if (!targetNode) return "drop the wire on a block's input";
  const type = targetNode.data.type;
  const sourceNode = nodes.find((n) => n.id === source);
  if (sourceNode && !hasOutput(catalog.get(sourceNode.data.type), sourceNode.data.type)) {
    return `${sourceNode.data.type} has no output port`;
  }
  const spec = catalog.get(type);
  const ports = portsOf(spec);
  if (ports.kind === "none") return `${type} has no input port`;
  if (ports.kind === "named" && !targetHandles(spec).includes(targetHandle)) {
    return `${type} has no input named ${targetHandle}`;
  }
  if (ports.kind === "variadic" && Number.isInteger(ports.max)) {
    if (edges.filter((e) => e.target === target).length >= ports.max) {
      return `${type} takes at most ${ports.max} inputs: they are all connected`;
    }
  }
  const back = cyclePath(edges, source, target);
  if (back) return cycleMessage(source, target, back);
  return null;
}

/** Connection check for React Flow's isValidConnection. */
export function canConnect(edges, nodes, catalog, conn) {
  return connectProblem(edges, nodes, catalog, conn) === null;
}

/**
 * The edge a connection replaces (a single input or a named port takes one wire), or null.
 */
export function replacedBy(edges, nodes, catalog, { target, targetHandle }) {
  const targetNode = nodes.find((n) => n.id === target);
  if (!targetNode) return null;
  const ports = portsOf(catalog.get(targetNode.data.type));
  if (ports.kind === "variadic" || ports.kind === "none") return null;
  if (ports.kind === "named") {
    return edges.find((e) => e.target === target && e.targetHandle === targetHandle) || null;
  }
  return edges.find((e) => e.target === target) || null;
}

/**
 * Copies of `graphNodes`/`graphEdges` (format objects) with fresh ids, moved by (dx, dy);
 * edges are kept only between copied nodes.
 */
export function cloneFragment(fragment, used, dx, dy) {
  const remap = new Map();
  const nodes = [];
  for (const n of fragment.nodes) {
    if (!n || typeof n.type !== "string") continue;
    const id = freshId(n.type, used);
    remap.set(n.id, id);
    const p = validPosition(n.position) ? n.position : [0, 0];
    nodes.push({
      id,
      type: "block",
      position: { x: p[0] + dx, y: p[1] + dy },
      selected: true,
      data: makeData(structuredClone(n)),
    });
  }
  const edges = [];
  for (const e of fragment.edges || []) {
    if (!remap.has(e.source) || !remap.has(e.target)) continue;
    const source = remap.get(e.source);
    const target = remap.get(e.target);
    const { _handle, _sourceHandle, ...plain } = e;
    const data = { port: plain.port };
    if (plain.source_port !== undefined && plain.source_port !== null) {
      data.sourcePort = plain.source_port;
    }
    const extra = splitExtra(plain, EDGE_KEYS);
    if (extra) data.extra = structuredClone(extra);
    edges.push({
      id: newEdgeId(source, target),
      source,
      target,
      sourceHandle: typeof _sourceHandle === "string" ? _sourceHandle : OUT,
      targetHandle: typeof _handle === "string" ? _handle : IN,
      type: "shape",
      data,
    });
  }
  return { nodes, edges };
}

/** The selected nodes (and the edges between them) as format objects, for copy/duplicate. */
export function fragmentOf(nodes, edges) {
  const chosen = nodes.filter((n) => n.selected);
  const ids = new Set(chosen.map((n) => n.id));
  const level = toGraph(
    chosen,
    edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
  );
  // remember the handle each edge was drawn on, so named ports paste onto the same handle
  const inner = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  level.edges.forEach((e, i) => {
    e._handle = inner[i].targetHandle;
    e._sourceHandle = inner[i].sourceHandle;
  });
  return level;
}
