// The node editor. React Flow state lives here between reruns; it is reset from Python's
// `graph` only when that graph really differs from what the canvas shows (and is not just a
// late echo of an edit the canvas already sent), so drags are never lost to a rerun. Props
// whose `ack` answers every event sent are authoritative even when unchanged (see sync.js).
//
// Every user action sends one event to Python at once (see emit): `change`, `select`, `undo`,
// `redo`, `group`, `open`. Events stay queued until Python's `ack` covers them, and the
// component value is the whole queue, so a merged rerun never drops one (see sync.js); a
// `change` names the `version` of Python's graph it was made on (`base`).
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Panel,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  useStore as useFlowStore,
  useStoreApi,
} from "@xyflow/react";
// the Streamlit class alone: the package index also pulls in its React 16 helpers
import { Streamlit } from "streamlit-component-lib/dist/streamlit.js";
import BlockNode from "./BlockNode.jsx";
import DesignMap, { boundsOf, drawnBoxes } from "./DesignMap.jsx";
import { MAP_WIDTH, mapFrame, viewRect } from "./minimap.js";
import ShapeEdge from "./ShapeEdge.jsx";
import Palette, { DRAG_MIME, INSERT_MIME } from "./Palette.jsx";
import QuickAdd from "./QuickAdd.jsx";
import { StoreContext, createStore } from "./store.js";
import { fitLayout, placeMissing, unstack } from "./layout.js";
import { mapPlace, panelPlace } from "./offview.js";
import { spreadMessage, spreadOverlaps } from "./overlap.js";
import { blockCount, fmtShape, wireLabelSize, wireLabelText } from "./format.js";
import { placeNew } from "./placement.js";
import { layoutEdges, liveRoutes, routeRecord, routesStorageKey, wrapRoutes } from "./routes.js";
import { wireAt } from "./wires.js";
import { frameHeight, history } from "./frame.js";
import { usePlacedInside } from "./popup.js";
import { FIT_STEPS, useToolbarFit } from "./toolbar.js";
import {
  READABLE_ZOOM,
  arrivalViewport,
  autoViewport,
  editTouched,
  isNewGraph,
  keepInPane,
  outOfView,
  paletteStartsOpen,
  revealViewport,
  showsInPane,
  viewShowing,
  viewStorageKey,
  wireRects,
} from "./viewport.js";
import {
  acknowledge,
  changeFields,
  enqueue,
  graphAction,
  isAnswered,
  leaveAction,
  nextSeq,
  queueValue,
  revealWatched,
  selectionAction,
} from "./sync.js";
import {
  IN,
  NODE_W,
  OUT,
  canConnect,
  cloneFragment,
  connect,
  connectProblem,
  fragmentOf,
  freshId,
  fromGraph,
  graphKey,
  insertOnWire,
  takeOut,
  insertable,
  makeRoom,
  isComposite,
  isMultiOutput,
  nodeKey,
  outHandle,
  outputPorts,
  orderEdges,
  replacedBy,
  renumberPorts,
  selectedIds,
  sizeOf,
  targetHandles,
  hasOutput,
  toGraph,
} from "./graph.js";

const nodeTypes = { block: BlockNode };

/** A block's handles on one side ("in", "out"), top to bottom. */
function handlesOf(node, side, catalog) {
  const spec = catalog.get(node.data.type);
  if (side === "in") return targetHandles(spec).length ? targetHandles(spec) : [IN];
  if (!isMultiOutput(spec)) return [OUT];
  return outputPorts(spec, node.data, null).map((p) => outHandle(p.index));
}

/**
 * The auto layout of every node (layout.js fitLayout, fitted to `pane`): the nodes placed, and
 * the record of its wires' routes (routes.js).
 */
function autoPlace(nodes, edges, catalog, pane, annEdges) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // each wire's label size, so that the gaps between columns fit the labels
  const laid = layoutEdges(edges, byId, (n, side) => handlesOf(n, side, catalog)).map((le, i) => ({
    ...le,
    label: wireLabelSize(wireLabelText(edges[i], annEdges)),
  }));
  const { pos, routes } = fitLayout(
    nodes.map((n) => n.id),
    laid,
    (id) => sizeOf(byId.get(id), catalog),
    // the piece holding the design's inputs goes first when a graph is in pieces
    { ...(pane || {}), main: nodes.filter((n) => n.data && n.data.type === "Input").map((n) => n.id) },
  );
  return { nodes: nodes.map((n) => ({ ...n, position: pos.get(n.id) })), record: routeRecord(pos, edges, routes) };
}
const edgeTypes = { shape: ShapeEdge };
const MULTI_KEYS = ["Shift", "Meta", "Control"];
const FIT = { padding: 0.12, maxZoom: 1.1, duration: 250 };
// how long after a reveal a card measured again (widened by Python's answer) is looked at again
const REVEAL_WATCH_MS = 4000;
// ... and at the most this long while Python has not answered the change (a loaded machine)
const REVEAL_WATCH_MAX_MS = 60000;
const watching = (watch, ack) => revealWatched(watch, ack, performance.now());

// every view the canvas chooses (first load, another level or project, Fit view, F) keeps
// text legible: never below READABLE_ZOOM; a graph too big for that is shown from its inputs
// (see autoViewport) and the rest is a pan away
const AUTO_FIT = { ...FIT, minZoom: READABLE_ZOOM, duration: 0 };
// the least zoom of the view after Auto layout, which shows the whole design (React Flow's own)
const WHOLE_ZOOM = 0.1;
const TOAST_MS = 4500;
// a block dropped from the palette this near a wire (screen pixels) goes onto it
const DROP_WIRE_PX = 8;
// a block just added is sent this much later unless another event comes first (see emit)
const ADD_DEFER_MS = 250;
const STRUCTURAL = new Set(["undo", "redo", "group", "open"]);
const EDITS = new Set(["undo", "redo", "group"]); // answered with the same level, edited

const deselect = (x) => (x.selected ? { ...x, selected: false } : x);

/** The zoom in percent, in the toolbar (also what tests read). */
function ZoomReadout() {
  const zoom = useFlowStore((st) => Math.round(st.transform[2] * 100));
  return (
    <span className="ll-zoom" data-testid="canvas-zoom" data-zoom={zoom / 100} title="Zoom">
      {zoom}%
    </span>
  );
}

// the "Map" button's size where the map is folded (px, its CSS margin apart)
const MAP_BUTTON = { w: 56, h: 26 };

const ARROWS = { below: "\u2193", above: "\u2191", right: "\u2192", left: "\u2190" };

/**
 * What the view leaves out of a design larger than the pane: a map of the design (DesignMap:
 * drag or click it to move there), and the count of blocks out of view with a
 * button that pans to the first of them in the design's order. A design opened at the readable
 * zoom with its lowest blocks below the pane's edge showed no sign that more lay there.
 */
function OutOfView({ dark }) {
  const rf = useReactFlow();
  const flow = useStoreApi();
  // the map hidden by the user (it may lie over a card where every corner holds one), until
  // shown again
  const [mapHidden, setMapHidden] = useState(false);
  // the panel's size in each form, as last drawn (offview.js: where it goes covers no card)
  const panel = useRef(null);
  const sizes = useRef({ full: { w: 310, h: 32 }, compact: { w: 160, h: 32 } });
  const key = useFlowStore((st) => {
    const [x, y, zoom] = st.transform;
    const boxes = drawnBoxes(st);
    const o = outOfView(boxes, { x, y, zoom }, st.width, st.height);
    if (!o.count) return `0|0|0|0|0||${st.nodes.length}|||||`;
    const design = boundsOf(boxes);
    const view = viewRect({ x, y, zoom }, st.width, st.height);
    // the map's size on screen at a width: its drawing and its 1 px border
    const sizeAt = (w) => ({ w: w + 2, h: mapFrame(design, view, st.height, w).height + 2 });
    const map = mapPlace(boxes, { x, y, zoom }, st.width, st.height, sizeAt, MAP_WIDTH, MAP_BUTTON);
    const at = panelPlace(boxes, { x, y, zoom }, st.width, st.height, sizes.current, [mapHidden ? map.button : map.map]);
    return [o.count, o.below, o.above, o.right, o.left, o.next, st.nodes.length, at.corner, at.compact ? 1 : "",
      map.map, map.width, map.button].join("|");
  });
  const [count, below, above, right, left, next, total, corner, compact, mapCorner, mapWidth, buttonCorner] =
    key.split("|");
  const n = Number(count);
  useLayoutEffect(() => {
    const el = panel.current;
    if (!el || !el.offsetWidth) return;
    sizes.current = { ...sizes.current, [compact ? "compact" : "full"]: { w: el.offsetWidth, h: el.offsetHeight } };
  });
  if (!n) return null;
  const sides = { below: Number(below), above: Number(above), right: Number(right), left: Number(left) };
  const most = Object.keys(sides).reduce((a, b) => (sides[b] > sides[a] ? b : a));
  const showNext = () => {
    const st = rf.getViewport();
    const box = rf.getInternalNode(next);
    if (!box || !box.measured) return;
    const p = box.internals.positionAbsolute;
    const pane = flow.getState(); // its width and height: the pane's
    const view = viewShowing(
      { x: p.x, y: p.y, width: box.measured.width, height: box.measured.height },
      st,
      pane.width,
      pane.height,
    );
    if (view) rf.setViewport(view, { duration: 200 });
  };
  const title = Object.entries(sides)
    .filter(([, k]) => k)
    .map(([side, k]) => `${k} ${side === "below" || side === "above" ? side : `to the ${side}`}`)
    .join(", ");
  return (
    <>
      <DesignMap
        dark={dark}
        hidden={mapHidden}
        corner={mapHidden ? buttonCorner : mapCorner}
        width={Number(mapWidth)}
        onHidden={setMapHidden}
      />
      <Panel
        position={corner || "bottom-left"}
        className={compact ? "ll-offview ll-offview-short" : "ll-offview"}
        data-testid="canvas-out-of-view"
        data-corner={corner}
        ref={panel}
      >
        <span title={compact ? `${n} of ${total} blocks out of view: ${title}` : title} data-count={n}>
          {ARROWS[most]} {compact ? `${n} more` : `${n} of ${total} blocks out of view`}
        </span>
        <button type="button" data-testid="canvas-show-next" onClick={showNext} title={`Pan to ${next}`}>
          {compact ? "Show" : "Show next"}
        </button>
      </Panel>
    </>
  );
}

/** The first spot at or below `pos` where a new card overlaps no other (click-to-add). */
function freeSpot(pos, nodes, catalog) {
  const h = 90;
  let y = pos.y;
  for (let tries = 0; tries < 40; tries++) {
    const hit = nodes.find((n) => {
      const size = sizeOf(n, catalog);
      return (
        pos.x < n.position.x + size.w + 10 &&
        pos.x + NODE_W + 10 > n.position.x &&
        y < n.position.y + size.h + 10 &&
        y + h + 10 > n.position.y
      );
    });
    if (!hit) break;
    y = hit.position.y + sizeOf(hit, catalog).h + 20;
  }
  return { x: pos.x, y };
}

function isTyping(target) {
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
}

export default function Canvas({ args, disabled, stTheme }) {
  const asked = Number.isFinite(args.height) ? args.height : 640;
  // `fit_window` ({min, below}): the canvas fills the browser window (see frame.js)
  const fitJson = JSON.stringify(args.fit_window || null);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const fitWindow = useMemo(() => args.fit_window || null, [fitJson]);
  const [height, setHeight] = useState(() => frameHeight(fitWindow, asked));
  const theme = args.theme || "light";
  const dark = theme === "dark" || (theme === "auto" && stTheme && stTheme.base === "dark");
  const rf = useReactFlow();
  const flowStore = useStoreApi();
  const store = useMemo(createStore, []);
  const wrapper = useRef(null);

  // catalog: new JSON objects arrive on every rerun; keep one identity while the content is equal
  const catalogJson = useMemo(() => JSON.stringify(args.catalog || []), [args.catalog]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const catalogList = useMemo(() => (Array.isArray(args.catalog) ? args.catalog : []), [catalogJson]);
  const catalog = useMemo(() => {
    const map = new Map();
    for (const spec of catalogList) if (spec && spec.type) map.set(spec.type, spec);
    return map;
  }, [catalogList]);
  const catalogRef = useRef(catalog);
  catalogRef.current = catalog;

  const [nodes, setNodes] = useState([]);
  const [edges, setEdges] = useState([]);
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  const routeRecordRef = useRef(null); // the routes of this view's last auto layout (routes.js)
  const [fitTick, setFitTick] = useState(null); // {auto, whole} object per request
  const [paletteOpen, setPaletteOpen] = useState(() => paletteStartsOpen(window.innerWidth));
  const [menu, setMenu] = useState(null);
  const menuBox = useRef(null); // the open menu, kept whole inside the pane
  const menuAt = usePlacedInside(menuBox, menu && menu.x, menu && menu.y);
  const [quick, setQuick] = useState(null); // search-to-add: {x, y, flow, from, hint}
  const [toast, setToast] = useState(null); // {text, kind, id}
  const pointer = useRef(null); // the last pointer position over the pane: {x, y} client px
  const lastPaste = useRef(null);
  const fitting = useRef(false); // the view of a graph that just arrived is being set
  // the user's own pan or zoom: under way (`active`), and when it last started or ended
  const userMove = useRef({ active: false, at: 0 });
  const revealTicket = useRef(0); // the last reveal asked for (see reveal): older ones give way
  const revealWatch = useRef(null); // its blocks, looked at again when measured again (reveal)
  const spreadWatch = useRef(false); // a design arrived: its overlaps to free once measured
  const viewKey = typeof args.view_key === "string" && args.view_key ? args.view_key : null;
  const viewKeyRef = useRef(viewKey);
  const sync = useRef({
    first: true,
    propKey: null, // key of the last `graph` prop seen
    selKey: undefined, // JSON of the last `selected` prop seen
    syncedKey: null, // key of the graph Python holds (last prop or last change sent)
    sent: [], // keys of changes sent and not yet echoed back, oldest first
    sentSel: [], // JSON of selections sent and not yet echoed back, oldest first
    seq: 0,
    queue: [], // events sent and not acknowledged yet, oldest first: all are sent each time
    base: null, // the `version` of the graph Python gave that the shown graph is made on
    baseSeq: 0, // the last seq sent when `base` was taken: events up to it are not in the graph
    baseGraph: null, // that graph, as Python gave it: sent with each change (sync.changeFields)
    lastSel: "[]",
    selTimer: 0,
    clip: null,
    pasteCount: 0,
    pasteHandled: false,
    addCount: 0,
    awaiting: null, // the structural event sent last, until Python's graph answers it
    ack: null, // the last `ack` prop: the seq of the last event Python handled
    story: [], // the last props taken or left (time, ack, seq, version, action): diagnostics
  });
  // the wires that keep their auto layout's route: checked again whenever blocks move, grow,
  // come or go (a wire whose route no longer holds is drawn as the plain curve)
  useEffect(() => {
    const size = (n) => sizeOf(n, catalogRef.current);
    const live = liveRoutes(routeRecordRef.current, nodes, edges, size);
    // a wire back to another row of a design laid out by hand goes along the gap between them
    store.setRoutes({ ...live, ...wrapRoutes(nodes, edges, size, live) });
  }, [store, nodes, edges]);

  // the cards' boxes, which the wires' labels keep clear of (wires.js placeLabels)
  useEffect(() => {
    const cards = [];
    for (const n of nodes) {
      if (!n.position) continue;
      const { w, h } = sizeOf(n, catalogRef.current);
      cards.push({ x0: n.position.x, y0: n.position.y, x1: n.position.x + w, y1: n.position.y + h });
    }
    store.setCards(cards);
  }, [store, nodes]);

  // read by benchmarks/edit_stress_bench.py to tell the story of a refused edit
  useEffect(() => {
    window.__layerloomCanvas = sync.current;
  }, []);

  /** Replace nodes and/or edges; refs are the truth between renders, so handlers never lag. */
  const commit = useCallback((nextNodes, nextEdges) => {
    if (nextNodes) {
      nodesRef.current = nextNodes;
      setNodes(nextNodes);
    }
    if (nextEdges) {
      const ordered = orderEdges(nextEdges, nodesRef.current, catalogRef.current);
      edgesRef.current = ordered;
      setEdges(ordered);
    }
  }, []);

  /** Hand the queue of unacknowledged events to Streamlit (one rerun for all of them). */
  const flush = useCallback(() => {
    const s = sync.current;
    clearTimeout(s.flushTimer);
    s.flushTimer = null;
    if (s.queue.length) Streamlit.setComponentValue(queueValue(s.queue));
  }, []);

  /**
   * Send one event to Python. `change` is skipped when the graph is what Python already has.
   * `defer` (ms): queue it now but hand the queue over that much later, unless another event
   * comes first: a block dropped and at once followed by a click on another block then reaches
   * Python as one rerun, and the inspector never shows the dropped block in between (a form
   * the user may already be typing in would be replaced).
   */
  const emit = useCallback((event, extra, defer) => {
    const s = sync.current;
    const graph = toGraph(nodesRef.current, edgesRef.current);
    const key = graphKey(graph);
    if (event === "change") {
      if (key === s.syncedKey) return false;
      s.sent.push(key);
      if (s.sent.length > 32) s.sent.shift();
      s.syncedKey = key;
      s.awaiting = null;
    } else if (STRUCTURAL.has(event)) {
      s.sent = []; // Python answers these with a graph of its own
      s.awaiting = event;
    }
    const selected = selectedIds(nodesRef.current);
    s.lastSel = JSON.stringify(selected);
    s.sentSel.push(s.lastSel);
    if (s.sentSel.length > 32) s.sentSel.shift();
    clearTimeout(s.selTimer);
    // strictly increasing, and still increasing after the iframe reloads
    s.seq = nextSeq(s.seq);
    s.story.push([Math.round(performance.now()), "emit", event, s.seq, s.base, s.baseSeq]);
    const sent = { seq: s.seq, event, selected, ...(extra || {}) };
    if (event === "change") {
      Object.assign(sent, changeFields({ graph, base: s.base, baseSeq: s.baseSeq, baseGraph: s.baseGraph }));
    }
    // the whole queue of unacknowledged events: a merged rerun drops none of them
    s.queue = enqueue(s.queue, sent);
    if (defer && !s.flushTimer) s.flushTimer = setTimeout(flush, defer);
    else if (!defer) flush();
    return true;
  }, [flush]);

  // an event still held back goes out before the page or the canvas goes away, and as soon as
  // the user turns to anything outside the canvas (the frame loses focus: a click on the
  // inspector or on another page's link), so that it reaches Python before that does
  // (only events held back: handing the same queue over again would ask for a rerun, which
  // redraws the inspector the user is turning to)
  useEffect(() => {
    const s = sync.current;
    const flushHeld = () => {
      if (s.flushTimer) flush();
    };
    // the tab closed or left with events Python has not acknowledged (or not even been handed):
    // hand them over and have the browser ask first, so that the edit is saved (leaveAction)
    const beforeUnload = (e) => {
      const todo = leaveAction({ queue: s.queue, seq: s.seq, ack: s.ack, held: Boolean(s.flushTimer) });
      if (todo.flush) flush();
      if (todo.ask) {
        s.story.push([Math.round(performance.now()), "leave-asked", s.seq, s.ack]);
        e.preventDefault();
        e.returnValue = "";
      }
    };
    window.addEventListener("pagehide", flushHeld);
    window.addEventListener("blur", flushHeld);
    window.addEventListener("beforeunload", beforeUnload);
    return () => {
      window.removeEventListener("pagehide", flushHeld);
      window.removeEventListener("blur", flushHeld);
      window.removeEventListener("beforeunload", beforeUnload);
      flushHeld();
    };
  }, [flush]);

  const scheduleSelect = useCallback(() => {
    const s = sync.current;
    clearTimeout(s.selTimer);
    s.selTimer = setTimeout(() => {
      if (JSON.stringify(selectedIds(nodesRef.current)) !== s.lastSel) emit("select");
    }, 40);
  }, [emit]);

  // ---- props → state -------------------------------------------------------------------
  useLayoutEffect(() => {
    store.setCatalog(catalogList);
  }, [store, catalogList]);
  useLayoutEffect(() => {
    store.setAnnotations(args.annotations);
  }, [store, args.annotations]);

  const incomingKey = useMemo(() => graphKey(args.graph), [args.graph]);
  const selJson = useMemo(
    () => (Array.isArray(args.selected) ? JSON.stringify(args.selected) : null),
    [args.selected],
  );

  // `ack`: the seq of the last event Python has handled (null: Python does not say)
  const ack = Number.isFinite(args.ack) ? args.ack : null;

  useLayoutEffect(() => {
    const s = sync.current;
    let current = nodesRef.current;
    let fit = false;
    const show = { first: [], rest: [] }; // the blocks to bring into view once drawn (reveal)
    // props that answer every event sent are authoritative (see sync.js), even unchanged ones
    const answered = isAnswered(ack, s.seq);
    // Python says what it handled and has newer events to answer: wait for that answer
    const pending = ack !== null && !answered;
    s.queue = acknowledge(s.queue, ack); // handled by Python: no longer sent
    const watch = revealWatch.current;
    if (watch && ack !== null && ack >= watch.seq && !(s.ack >= watch.seq) && watching(watch, s.ack)) {
      watch.until = Math.max(watch.until, performance.now() + REVEAL_WATCH_MS); // what it draws
    }
    s.ack = ack;
    // another project or level (the page says so by its view key): its own view
    const keyChanged = viewKeyRef.current !== viewKey;
    viewKeyRef.current = viewKey;
    const g = graphAction({
      first: s.first,
      incoming: incomingKey,
      prop: s.propKey,
      local: () => graphKey(toGraph(current, edgesRef.current)),
      synced: s.syncedKey,
      sent: s.sent,
      answered,
      pending,
    });
    s.propKey = incomingKey;
    s.story.push([Math.round(performance.now()), ack, s.seq, args.version ?? null, g.action]);
    if (s.story.length > 30) s.story.shift();
    s.sent = g.sent;
    if (g.action !== "none") {
      const answer = s.awaiting; // the structural event this graph may answer
      s.awaiting = null;
      if (g.action === "synced" || g.action === "keep") {
        s.base = args.version ?? null; // the graph shown is made on this version
        s.baseSeq = s.seq;
        s.baseGraph = args.graph ?? null;
      }
      if (g.action === "synced") {
        s.syncedKey = incomingKey;
      } else if (g.action === "reset") {
        s.base = args.version ?? null; // local edits not yet answered are dropped with it
        s.baseSeq = s.seq;
        s.baseGraph = args.graph ?? null;
        const prev = new Map(current.map((n) => [n.id, n]));
        const shown = nodeRects(); // where the blocks stood before: the pushed ones to show
        const level = fromGraph(args.graph, catalog);
        // a node Python sent without a position keeps the one it has here, in this view only:
        // another project's node of the same id (an imported model's "image" or "fc" after
        // seed-cnn's) would pin the new design to the old one's places
        let fresh = level.nodes.map((n) =>
          !n.position && !keyChanged && prev.has(n.id)
            ? { ...n, position: prev.get(n.id).position }
            : n,
        );
        // the view is fitted to another graph (first load, another level or project), never
        // to an edit; undo, redo and group may move nodes back, so after those only ids count.
        // Python names the blocks an edit of its own made by selecting them (ungroup selects
        // the inner blocks): a graph that comes so is an edit, however many it added or moved
        const named = selJson !== null && selJson !== s.selKey ? JSON.parse(selJson) : [];
        const freshIds = new Set(fresh.map((n) => n.id));
        const made = named.length > 0 && named.every((id) => freshIds.has(id) && !prev.has(id));
        fit =
          s.first ||
          keyChanged ||
          (!made && isNewGraph(current, fresh, { positions: !EDITS.has(answer) }));
        // a design that arrives with blocks written at one spot (by a script) has them placed
        // anew; an edit's positions are the user's
        let unstacked = false;
        if (fit) {
          const apart = unstack(fresh);
          unstacked = apart !== fresh;
          fresh = apart;
        }
        if (fresh.length && fresh.every((n) => !n.position)) {
          // opened at the readable zoom (autoFit): rows that fit the pane's width there
          const pane = paneSize();
          const laid = autoPlace(fresh, level.edges, catalog, pane && { ...pane, rowsFitAt: READABLE_ZOOM },
            store.get().edges);
          fresh = laid.nodes;
          keepRoutes(laid.record);
        } else {
          fresh = placeMissing(fresh, level.edges, (n) => sizeOf(n, catalog), paneSize());
          // the routes of this view's last auto layout, for the wires they still fit
          if (keyChanged || s.first || !routeRecordRef.current) routeRecordRef.current = keptRoutes();
        }
        fresh = fresh.map((n) => {
          const old = prev.get(n.id);
          if (!old) return n;
          if (nodeKey(old) === nodeKey(n)) return old;
          return { ...n, selected: old.selected, measured: old.measured };
        });
        const edited = !fit && current.length ? editTouched(current, fresh) : null;
        const before = new Map(current.map((n, i) => [n.id, shown[i]]));
        current = fresh;
        commit(fresh, level.edges);
        s.syncedKey = incomingKey;
        // a design that arrives with blocks partly over each other (hand-written or
        // scripted) has them moved apart once its cards are measured (spreadMeasured): the
        // estimated heights run taller than the cards, and would move a user's tight layout
        spreadWatch.current = fit && { unstacked };
        if (fit) spreadMeasured();
        // an edit's new blocks, and the blocks it pushed out of where they showed, into view:
        // this tab's edits only (one it answers, or one Python names by selecting what it
        // made); another tab's save merged in leaves this user's view where they keep it
        if (edited && (made || answer)) {
          show.first.push(...edited.added);
          show.rest.push(...shownBefore(edited.moved, before));
        }
      }
      // "echo": a late echo of a change we sent, the canvas has moved on since; "keep": Python
      // holds what we sent last, and the canvas keeps what the user did since (a drag)
      s.first = false;
    }
    const sel = selectionAction({
      incoming: selJson,
      prop: s.selKey,
      shown: JSON.stringify(selectedIds(current)),
      last: s.lastSel,
      sent: s.sentSel,
      answered,
      pending,
    });
    s.selKey = selJson;
    s.sentSel = sel.sent;
    if (sel.action === "apply") {
      const want = new Set(JSON.parse(selJson));
      const next = current.map((n) =>
        Boolean(n.selected) === want.has(n.id) ? n : { ...n, selected: want.has(n.id) },
      );
      commit(next, edgesRef.current.map(deselect));
      s.lastSel = JSON.stringify(selectedIds(next));
      // a block Python selected (a problem picked in the list, a renamed block) is brought
      // into view once drawn where this graph puts it, by the least pan: the node React Flow
      // holds now may still stand where the graph before put it (an undo moves it back)
      if (!fit && want.size === 1) show.first.push(...[...want].filter((id) => !show.first.includes(id)));
    }
    if (fit || keyChanged) setFitTick({ auto: true });
    else reveal(show.first, show.rest);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [incomingKey, selJson, ack, viewKey]);

  /** Keep the routes of an auto layout for this view (and in the browser, for the next visit). */
  function keepRoutes(record) {
    routeRecordRef.current = record;
    if (!viewKeyRef.current) return;
    try {
      window.localStorage.setItem(routesStorageKey(viewKeyRef.current), JSON.stringify(record));
    } catch {
      /* storage full or refused: the routes last as long as the page */
    }
  }

  /** The routes of this view's last auto layout, kept in the browser, or null. */
  function keptRoutes() {
    if (!viewKeyRef.current) return null;
    try {
      return JSON.parse(window.localStorage.getItem(routesStorageKey(viewKeyRef.current)));
    } catch {
      return null;
    }
  }

  /** The pane's size in pixels less the fit padding, for layouts that fit it (fitLayout). */
  function paneSize() {
    const el = wrapper.current;
    if (!el || !el.clientWidth || !el.clientHeight) return undefined;
    const pad = 1 / (1 + FIT.padding);
    return { width: el.clientWidth * pad, height: el.clientHeight * pad, maxZoom: FIT.maxZoom };
  }

  /** Node boxes in flow coordinates, measured where React Flow has measured them. */
  const nodeRects = useCallback(
    () =>
      nodesRef.current.map((n) => {
        const node = rf.getInternalNode(n.id);
        const p = node ? node.internals.positionAbsolute : n.position;
        const m = (node && node.measured) || {};
        return { x: p.x, y: p.y, width: m.width || NODE_W, height: m.height || 80 };
      }),
    [rf],
  );

  /** Those of `ids` whose box in `rects` (id → box, before an edit) showed in the pane. */
  const shownBefore = useCallback(
    (ids, rects) => {
      const el = wrapper.current;
      if (!el || !el.clientWidth || !el.clientHeight) return [];
      const view = rf.getViewport();
      return ids.filter((id) => rects.has(id) && showsInPane(rects.get(id), view, el.clientWidth, el.clientHeight));
    },
    [rf],
  );

  /**
   * Brings the blocks an edit touched into view (viewport.js revealViewport): `first`, the ids
   * of the blocks it added, before `rest`, those it pushed aside. It waits until React Flow has
   * measured them (a few frames), and gives way to the user: nothing moves while they pan,
   * zoom, drag a block or a selection box, or where they did since, nor while the view of a
   * graph that just arrived is set, nor when a later reveal was asked for. A card measured
   * again within REVEAL_WATCH_MS (its shape, its problem badge and its params come with
   * Python's answer and widen it) is looked at again: a block first measured whole in the
   * pane ran past its edge once drawn whole.
   */
  const reveal = useCallback(
    (first, rest) => {
      if (!first.length && !rest.length) return;
      const ticket = ++revealTicket.current;
      const asked = performance.now();
      let frames = 0;
      const step = () => {
        if (ticket !== revealTicket.current) return;
        const ids = [...first, ...rest];
        const measured = ids.every((id) => {
          const node = rf.getInternalNode(id);
          return !node || (node.measured && node.measured.width > 0 && node.measured.height > 0);
        });
        if (!measured && frames++ < 30) {
          requestAnimationFrame(step);
          return;
        }
        const el = wrapper.current;
        const flow = flowStore.getState();
        const busy =
          userMove.current.active ||
          userMove.current.at > asked ||
          flow.paneDragging ||
          flow.userSelectionActive ||
          fitting.current ||
          nodesRef.current.some((n) => n.dragging);
        if (!el || busy) return;
        const box = (id) => {
          const node = rf.getInternalNode(id);
          if (!node) return null;
          const p = node.internals.positionAbsolute;
          const m = node.measured || {};
          return { x: p.x, y: p.y, width: m.width || NODE_W, height: m.height || 80 };
        };
        const view = revealViewport(
          { first: first.map(box), rest: rest.map(box) },
          el.clientWidth,
          el.clientHeight,
          rf.getViewport(),
          { minZoom: READABLE_ZOOM },
        );
        if (view) rf.setViewport(view, { duration: FIT.duration });
      };
      revealWatch.current = {
        ids: new Set([...first, ...rest]),
        until: asked + REVEAL_WATCH_MS,
        seq: sync.current.seq, // the change that made these blocks: watched until answered
        end: asked + REVEAL_WATCH_MAX_MS,
        step,
      };
      requestAnimationFrame(step);
    },
    [rf, flowStore],
  );

  /** A card of the last reveal measured again (see reveal): looked at again, once a frame. */
  const revealResized = useCallback((changes) => {
    const watch = revealWatch.current;
    if (!watch || !watching(watch, sync.current.ack)) return;
    if (changes.some((c) => c.type === "dimensions" && watch.ids.has(c.id))) {
      requestAnimationFrame(watch.step);
    }
  }, []);

  // the pane measured again (the page around the canvas grew a scrollbar when Python's answer
  // drew more, or the window changed): the last reveal's blocks are looked at again, as when a
  // card is (a block revealed whole ran past the pane's edge once the pane narrowed)
  useEffect(() => {
    const el = wrapper.current;
    if (!el || typeof ResizeObserver === "undefined") return undefined;
    let size = [el.clientWidth, el.clientHeight];
    const observer = new ResizeObserver(() => {
      const next = [el.clientWidth, el.clientHeight];
      if (next[0] === size[0] && next[1] === size[1]) return;
      size = next;
      const watch = revealWatch.current;
      if (watch && watching(watch, sync.current.ack)) requestAnimationFrame(watch.step);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  /**
   * The view of the graph shown (see autoViewport): the whole graph at a readable zoom, or its
   * inputs' end when it is too big. `kept`: the view this project and level had last time
   * (see savedView), used if it still shows a node; `instant`: no animation; `whole`: all of
   * the graph, at a smaller zoom if it must be (after Auto layout, which lays it out for the
   * pane: the user asked to see the design, not to read one block).
   */
  const autoFit = useCallback(
    (kept, instant, whole = false) => {
      const el = wrapper.current;
      if (!el) return;
      const rects = nodeRects();
      if (kept || !rects.length) {
        const view = arrivalViewport(kept, rects, el.clientWidth, el.clientHeight);
        if (view) {
          rf.setViewport(view);
          return;
        }
      }
      const byId = new Map(nodesRef.current.map((n, i) => [n.id, rects[i]]));
      const view = autoViewport(rects, el.clientWidth, el.clientHeight, {
        padding: FIT.padding,
        minZoom: whole ? WHOLE_ZOOM : READABLE_ZOOM,
        maxZoom: FIT.maxZoom,
        // the wires too: those wrapping to the next row turn right of the widest row
        wires: wireRects(edgesRef.current, byId, store.get().routes),
        focus: rects.filter((_, i) => nodesRef.current[i] && nodesRef.current[i].selected),
      });
      if (view) rf.setViewport(view, instant ? undefined : { duration: FIT.duration });
    },
    [rf, nodeRects, store],
  );

  /** The view kept for the page's view key (localStorage), or null. */
  const savedView = useCallback(() => {
    if (!viewKeyRef.current) return null;
    try {
      return JSON.parse(window.localStorage.getItem(viewStorageKey(viewKeyRef.current)));
    } catch {
      return null;
    }
  }, []);

  /** A pan or zoom starts: the user's own (it has an event) holds reveals back (see reveal). */
  const onMoveStart = useCallback((event) => {
    setMenu(null);
    if (event) userMove.current = { active: true, at: performance.now() };
  }, []);

  /** Remember the view of this project and level (it survives page switches and reloads). */
  const onMoveEnd = useCallback((event, viewport) => {
    if (event) userMove.current = { active: false, at: performance.now() };
    // not while the view of a graph that just arrived is being set (it would overwrite the
    // kept view before it is read)
    if (!viewKeyRef.current || !viewport || fitting.current) return;
    try {
      window.localStorage.setItem(
        viewStorageKey(viewKeyRef.current),
        JSON.stringify({ x: viewport.x, y: viewport.y, zoom: viewport.zoom }),
      );
    } catch {
      /* storage full or refused: the view is simply not kept */
    }
  }, []);

  useEffect(() => {
    if (!fitTick) return undefined;
    if (!fitTick.auto) {
      autoFit(null, false, Boolean(fitTick.whole));
      return undefined;
    }
    // fitView waits until React Flow has measured the nodes (its promise resolves then, in
    // the same task); the automatic (or kept) view replaces its plain fit straight away
    let live = true;
    const kept = savedView();
    if (!nodesRef.current.length) {
      // nothing to fit: a fitView now would wait for the first block added and fit the view
      // to it (zooming in on it); an empty level opens at the blank view, always the same (it
      // kept the zoom of the design shown before, so a new blank design opened at any zoom)
      rf.setViewport(arrivalViewport(kept, [], 0, 0));
      return undefined;
    }
    fitting.current = true;
    rf.fitView(AUTO_FIT).then(() => {
      fitting.current = false;
      if (live) autoFit(kept, true);
    });
    return () => {
      live = false;
      fitting.current = false;
    };
  }, [fitTick, rf, autoFit, savedView]);

  useEffect(() => {
    // Streamlit shows the iframe inline, so the line box under it added ~8px below the
    // canvas (the page then overflowed its height); a block iframe takes `height` exactly.
    // Not reachable from another origin (the Vite dev server), where this is skipped.
    try {
      const frame = window.frameElement;
      if (frame && frame.style.display !== "block") frame.style.display = "block";
    } catch {
      /* another origin */
    }
    Streamlit.setFrameHeight(height);
  }, [height]);

  // a canvas that fills the window follows it: measured again when the window is resized and
  // now and then (what is above it can grow or shrink without a render of the canvas)
  useEffect(() => {
    const measure = () => {
      const next = frameHeight(fitWindow, asked);
      setHeight((now) => (Math.abs(now - next) >= 2 ? next : now));
    };
    measure();
    if (!fitWindow) return undefined;
    let host = null;
    try {
      host = window.parent && window.parent !== window ? window.parent : null;
      if (host) host.addEventListener("resize", measure);
    } catch {
      host = null; // another origin
    }
    window.addEventListener("resize", measure);
    const timer = setInterval(measure, 700);
    return () => {
      clearInterval(timer);
      window.removeEventListener("resize", measure);
      try {
        if (host) host.removeEventListener("resize", measure);
      } catch {
        /* gone */
      }
    };
  }, [fitWindow, asked]);

  // ---- React Flow callbacks ------------------------------------------------------------
  /**
   * The blocks of a design that arrived partly over each other moved apart (overlap.js), by
   * their measured sizes, once all are measured; said once. The new places (and those of
   * blocks written at one spot, laid out anew: unstack) are sent at once as a `change` marked
   * `arranged`, which Python saves as a drag's, but as no undo step and only where nothing was
   * saved since the design arrived (ui/arranged.py): they were kept in the view alone until
   * the user's next edit, and a reload before it showed the blocks over each other again.
   */
  const spreadMeasured = useCallback(() => {
    const now = nodesRef.current;
    const watch = spreadWatch.current;
    if (!watch || !now.every((n) => n.measured && n.measured.width && n.measured.height)) {
      return;
    }
    spreadWatch.current = false;
    const spread = spreadOverlaps(now, (n) => ({ w: n.measured.width, h: n.measured.height }));
    if (spread.moved.length) {
      commit(spread.nodes, null);
      setToast({ text: spreadMessage(spread.moved), kind: "info", id: Date.now() });
    }
    if (spread.moved.length || watch.unstacked) emit("change", { arranged: true });
  }, [commit, emit]);

  const onNodesChange = useCallback(
    (changes) => {
      commit(applyNodeChanges(changes, nodesRef.current), null);
      if (changes.some((c) => c.type === "dimensions")) spreadMeasured();
      else if (changes.some((c) => c.type === "position")) spreadWatch.current = false; // a drag
      revealResized(changes);
      let moved = false;
      let selection = false;
      for (const c of changes) {
        if (c.type === "position" && c.dragging === false) moved = true;
        else if (c.type === "select") selection = true;
      }
      if (moved) emit("change");
      else if (selection) scheduleSelect();
    },
    [commit, emit, scheduleSelect, revealResized, spreadMeasured],
  );

  const onEdgesChange = useCallback(
    (changes) => {
      // removals go through deleteSelection; here only selection and the like
      const kept = changes.filter((c) => c.type !== "remove");
      if (kept.length) commit(null, applyEdgeChanges(kept, edgesRef.current));
    },
    [commit],
  );

  /** A short message at the bottom of the canvas (a refused connection says why). */
  const say = useCallback((text, kind = "info") => {
    setToast({ text, kind, id: Date.now() });
  }, []);
  // the user has moved on (a new wire, a block dragged): the message gives way at once
  const dismissToast = useCallback(() => setToast(null), []);
  useEffect(() => {
    if (!toast) return undefined;
    const t = setTimeout(() => setToast(null), TOAST_MS);
    return () => clearTimeout(t);
  }, [toast]);

  const onConnect = useCallback(
    (conn) => {
      const nodesNow = nodesRef.current;
      const old = replacedBy(edgesRef.current, nodesNow, catalogRef.current, conn);
      const next = connect(edgesRef.current, nodesNow, catalogRef.current, conn);
      if (!next) {
        const why = connectProblem(edgesRef.current, nodesNow, catalogRef.current, conn);
        if (why) say(`Not connected: ${why}.`, "error");
        return;
      }
      commit(null, next);
      emit("change");
      if (old && old.source !== conn.source) {
        say(`${conn.target}'s input took one wire: ${old.source} → ${conn.target} was replaced.`);
      }
    },
    [commit, emit, say],
  );

  const isValidConnection = useCallback(
    (conn) => canConnect(edgesRef.current, nodesRef.current, catalogRef.current, conn),
    [],
  );

  // ---- actions -------------------------------------------------------------------------
  const addBlock = useCallback(
    (type, at) => {
      const s = sync.current;
      let pos = at;
      if (!pos) {
        const box = wrapper.current.getBoundingClientRect();
        const c = rf.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
        const k = s.addCount++ % 6;
        pos = { x: c.x + k * 24, y: c.y + k * 24 };
      }
      let position = { x: Math.round(pos.x - NODE_W / 2), y: Math.round(pos.y - 30) };
      if (!at) position = freeSpot(position, nodesRef.current, catalogRef.current);
      const used = new Set(nodesRef.current.map((n) => n.id));
      const node = {
        id: freshId(type, used),
        type: "block",
        position,
        selected: true,
        data: { type, params: {} },
      };
      commit([...nodesRef.current.map(deselect), node], edgesRef.current.map(deselect));
      emit("change", undefined, ADD_DEFER_MS);
      reveal([node.id], []); // a click-add's free spot may lie below the pane
    },
    [commit, emit, rf, reveal],
  );

  /**
   * Search-to-add's pick: a block of `type` at `at` (flow coordinates), wired to `from` when the
   * search was opened by a wire dropped on empty space (`from`: {nodeId, handleType, handleId}):
   * the new block's input at the pointer for a wire from an output, its output for a wire
   * from an input.
   */
  const addWired = useCallback(
    (type, at, from) => {
      const cat = catalogRef.current;
      const spec = cat.get(type);
      const used = new Set(nodesRef.current.map((n) => n.id));
      const id = freshId(type, used);
      const size = sizeOf({ data: { type } }, cat);
      let position = { x: at.x - size.w / 2, y: at.y - 30 };
      if (from && from.handleType === "source") position = { x: at.x + 4, y: at.y - size.h / 2 };
      if (from && from.handleType === "target") position = { x: at.x - size.w - 4, y: at.y - size.h / 2 };
      // clear of the other cards, the wire it came by long enough for its shape label
      const rects = new Map(nodeRects().map((r, i) => [nodesRef.current[i].id, r]));
      const fed = from && from.handleType === "source" ? store.get().nodes[from.nodeId] : null;
      const label = wireLabelSize(fed && Array.isArray(fed.output_shape) ? fmtShape(fed.output_shape) : "");
      const el = wrapper.current;
      const v = rf.getViewport();
      const visible = el && el.clientWidth
        ? { x: -v.x / v.zoom, y: -v.y / v.zoom, width: el.clientWidth / v.zoom, height: el.clientHeight / v.zoom }
        : null;
      position = placeNew({ ...position, width: size.w, height: size.h }, rects, from, label ? label.w : 0, visible);
      const node = {
        id,
        type: "block",
        position,
        selected: true,
        data: { type, params: {} },
      };
      const nodesNext = [...nodesRef.current.map(deselect), node];
      commit(nodesNext, edgesRef.current.map(deselect));
      if (from) {
        const conn =
          from.handleType === "source"
            ? {
                source: from.nodeId,
                sourceHandle: from.handleId,
                target: id,
                targetHandle: targetHandles(spec)[0] || null,
              }
            : { source: id, target: from.nodeId, targetHandle: from.handleId };
        const why =
          from.handleType === "target" && !hasOutput(spec, type)
            ? `${type} has no output port`
            : connectProblem(edgesRef.current, nodesNext, cat, conn);
        const next = why ? null : connect(edgesRef.current, nodesNext, cat, conn);
        if (next) commit(null, next);
        else say(`Added ${id}, not connected: ${why || "refused"}.`, "error");
      }
      emit("change", undefined, ADD_DEFER_MS);
      reveal([id], []);
    },
    [commit, emit, say, reveal, nodeRects, store, rf],
  );

  /**
   * A block of `type` dropped on wire `wireId` at `at` (flow coordinates), centred there: the
   * wire source → target becomes source → new → target, sent as one change (one undo step,
   * one save). A block that cannot go there is added unwired.
   */
  const insertBlock = useCallback(
    (type, at, wireId) => {
      const cat = catalogRef.current;
      const id = freshId(type, new Set(nodesRef.current.map((n) => n.id)));
      const size = sizeOf({ data: { type } }, cat);
      const node = {
        id,
        type: "block",
        position: { x: Math.round(at.x - size.w / 2), y: Math.round(at.y - size.h / 2) },
        selected: true,
        data: { type, params: {} },
      };
      let nodesNext = [...nodesRef.current.map(deselect), node];
      const old = edgesRef.current.find((e) => e.id === wireId);
      const next = insertOnWire(edgesRef.current.map(deselect), nodesNext, cat, wireId, id);
      let pushed = [];
      if (next && old) {
        // the block and the rest of the row move apart where it does not fit between its ends
        const rects = new Map(nodeRects().map((r, i) => [nodesRef.current[i].id, r]));
        rects.set(id, { ...node.position, width: size.w, height: size.h });
        const moves = makeRoom(rects, id, old.source, old.target);
        nodesNext = nodesNext.map((n) => (moves.has(n.id) ? { ...n, position: moves.get(n.id) } : n));
        pushed = shownBefore([...moves.keys()].filter((m) => m !== id), rects);
      }
      commit(nodesNext, next || edgesRef.current.map(deselect));
      emit("change", undefined, ADD_DEFER_MS);
      if (next && old) say(`${id} put on the wire ${old.source} → ${old.target}.`);
      reveal([id], pushed); // the row pushed right may run past the pane's edge
    },
    [commit, emit, say, nodeRects, shownBefore, reveal],
  );

  /** Opens search-to-add at a point of the pane (client coordinates). */
  const openQuick = useCallback(
    (clientX, clientY, from, hint) => {
      const el = wrapper.current;
      if (!el || disabled) return;
      const box = el.getBoundingClientRect();
      const flow = rf.screenToFlowPosition({ x: clientX, y: clientY });
      // at the pointer: QuickAdd moves itself as far as it needs to stand whole in the pane
      const x = clientX - box.left;
      const y = clientY - box.top;
      setMenu(null);
      setQuick({ x, y, flow, from: from || null, hint: hint || null });
    },
    [rf, disabled],
  );

  const deleteSelection = useCallback(() => {
    const gone = new Set(selectedIds(nodesRef.current));
    let edgesNow = edgesRef.current;
    // one block in the middle of a chain: the blocks either side of it are joined in its place
    const [only] = gone;
    const link =
      gone.size === 1 && !edgesNow.some((e) => e.selected)
        ? takeOut(edgesNow, nodesRef.current, catalogRef.current, only)
        : null;
    if (link && link.joined.length) edgesNow = link.edges;
    const keptEdges = edgesNow.filter(
      (e) => !e.selected && !gone.has(e.source) && !gone.has(e.target),
    );
    if (!gone.size && keptEdges.length === edgesRef.current.length) return;
    commit(
      nodesRef.current.filter((n) => !gone.has(n.id)),
      renumberPorts(keptEdges),
    );
    emit("change");
    if (link && link.joined.length) {
      const fed = link.joined.map(([, target]) => target).join(", ");
      say(`Deleted ${only}: ${link.joined[0][0]} now feeds ${fed} in its place (Ctrl+Z puts it back).`);
    }
  }, [commit, emit, say]);

  /** Where a paste lands: the pointer over the pane (flow coordinates), else null. */
  const pointerFlow = useCallback(() => {
    const p = pointer.current;
    if (!p) return null;
    return rf.screenToFlowPosition({ x: p.x, y: p.y });
  }, [rf]);

  /**
   * Adds a copy of `fragment` with its top-left corner at `at` (flow coordinates; a second
   * paste at the same spot moves down a little), or, without `at`, just below the original.
   */
  const pasteFragment = useCallback(
    (fragment, at) => {
      if (!fragment || !Array.isArray(fragment.nodes) || !fragment.nodes.length) return;
      const used = new Set(nodesRef.current.map((n) => n.id));
      const ps = fragment.nodes.map((n) => (Array.isArray(n.position) ? n.position : [0, 0]));
      const x0 = Math.min(...ps.map((p) => p[0]));
      const y0 = Math.min(...ps.map((p) => p[1]));
      let dx;
      let dy;
      if (at) {
        const last = lastPaste.current;
        const again = last && Math.abs(last.x - at.x) < 2 && Math.abs(last.y - at.y) < 2;
        const k = again ? last.k + 1 : 0;
        lastPaste.current = { x: at.x, y: at.y, k };
        dx = Math.round(at.x - x0 + 24 * k);
        dy = Math.round(at.y - y0 + 24 * k);
      } else {
        const bottom = Math.max(
          ...fragment.nodes.map((n, i) => ps[i][1] + sizeOf({ data: { type: n.type } }, catalogRef.current).h),
        );
        dx = 0;
        dy = Math.round(bottom - y0 + 40);
      }
      const { nodes: newNodes, edges: newEdges } = cloneFragment(fragment, used, dx, dy);
      if (!newNodes.length) return;
      commit(
        [...nodesRef.current.map(deselect), ...newNodes],
        [...edgesRef.current.map(deselect), ...newEdges],
      );
      emit("change");
      // a copy put below its original (a duplicate) may land below the pane; one pasted at the
      // pointer stays where it was put
      if (!at) reveal(newNodes.map((n) => n.id), []);
    },
    [commit, emit, reveal],
  );

  const copySelection = useCallback(() => {
    const fragment = fragmentOf(nodesRef.current, edgesRef.current);
    if (!fragment.nodes.length) return null;
    sync.current.clip = fragment;
    sync.current.pasteCount = 0;
    return fragment;
  }, []);

  const paste = useCallback(
    (fragment, at) => {
      const s = sync.current;
      s.pasteCount += 1;
      pasteFragment(fragment || s.clip, at || pointerFlow());
    },
    [pasteFragment, pointerFlow],
  );

  const duplicate = useCallback(() => {
    pasteFragment(fragmentOf(nodesRef.current, edgesRef.current), null);
  }, [pasteFragment]);

  const selectAll = useCallback((on) => {
    commit(
      nodesRef.current.map((n) => (Boolean(n.selected) === on ? n : { ...n, selected: on })),
      edgesRef.current.map(deselect),
    );
    if (JSON.stringify(selectedIds(nodesRef.current)) !== sync.current.lastSel) emit("select");
  }, [commit, emit]);

  const autoLayout = useCallback(() => {
    const laid = autoPlace(nodesRef.current, edgesRef.current, catalogRef.current, paneSize(), store.get().edges);
    keepRoutes(laid.record);
    commit(laid.nodes, null);
    emit("change");
    setFitTick({ auto: false, whole: true }); // the design laid out for the pane, all in view
  }, [commit, emit]);

  const group = useCallback(() => {
    const ids = selectedIds(nodesRef.current);
    if (ids.length >= 2) emit("group", { ids });
  }, [emit]);

  // Undo and Redo only when there is something to undo or redo in this session (Python's
  // history, or events it has not answered yet)
  const can = history(args.can_undo, args.can_redo, sync.current.queue);
  const canRef = useRef(can);
  canRef.current = can;
  const undo = useCallback(() => canRef.current.undo && emit("undo"), [emit]);
  const redo = useCallback(() => canRef.current.redo && emit("redo"), [emit]);
  const fit = useCallback(() => autoFit(null, false), [autoFit]);

  const onNodeDoubleClick = useCallback(
    (_, node) => {
      if (isComposite(catalogRef.current.get(node.data.type))) emit("open", { id: node.id });
    },
    [emit],
  );

  const onNodeContextMenu = useCallback(
    (event, node) => {
      event.preventDefault();
      if (!node.selected) {
        commit(
          nodesRef.current.map((n) =>
            n.id === node.id ? { ...n, selected: true } : deselect(n),
          ),
          edgesRef.current.map(deselect),
        );
        scheduleSelect();
      }
      const box = wrapper.current.getBoundingClientRect();
      setMenu({
        x: event.clientX - box.left,
        y: event.clientY - box.top,
        id: node.id,
        cx: event.clientX,
        cy: event.clientY,
      });
    },
    [commit, scheduleSelect],
  );

  const onSelectionContextMenu = useCallback((event) => {
    event.preventDefault();
    const box = wrapper.current.getBoundingClientRect();
    setMenu({
      x: event.clientX - box.left,
      y: event.clientY - box.top,
      id: null,
      cx: event.clientX,
      cy: event.clientY,
    });
  }, []);

  const onPaneContextMenu = useCallback(
    (event) => {
      event.preventDefault();
      if (disabled) return;
      const box = wrapper.current.getBoundingClientRect();
      setQuick(null);
      setMenu({
        x: event.clientX - box.left,
        y: event.clientY - box.top,
        id: null,
        pane: { x: event.clientX, y: event.clientY },
      });
    },
    [disabled],
  );

  /** Double-click on the empty canvas: search-to-add there. */
  const onDoubleClick = useCallback(
    (event) => {
      const t = event.target;
      if (!t || !t.closest || !t.closest(".react-flow__pane")) return;
      if (t.closest(".react-flow__node, .react-flow__edge, .react-flow__panel, .react-flow__controls, .react-flow__minimap")) return;
      event.preventDefault();
      openQuick(event.clientX, event.clientY, null, null);
    },
    [openQuick],
  );

  /**
   * A wire let go: on empty space, search-to-add there (the new block is wired); on a block
   * that refuses it, a message that says why.
   */
  const onConnectEnd = useCallback(
    (event, state) => {
      if (!state || state.isValid || !state.fromNode || !state.fromHandle || disabled) return;
      const point = "changedTouches" in event && event.changedTouches && event.changedTouches.length
        ? event.changedTouches[0]
        : event;
      const from = {
        nodeId: state.fromNode.id,
        handleType: state.fromHandle.type,
        handleId: state.fromHandle.id,
      };
      const el = document.elementFromPoint(point.clientX, point.clientY) || event.target;
      const nodeEl = el && el.closest ? el.closest(".react-flow__node") : null;
      const toId = (state.toNode && state.toNode.id) || (nodeEl && nodeEl.getAttribute("data-id"));
      if (toId) {
        if (toId === from.nodeId && !state.toHandle) return; // a click on a handle
        const nodesNow = nodesRef.current;
        const toNode = nodesNow.find((n) => n.id === toId);
        if (!toNode) return;
        const toSpec = catalogRef.current.get(toNode.data.type);
        let conn;
        if (from.handleType === "source") {
          const handle = (state.toHandle && state.toHandle.id) || targetHandles(toSpec)[0] || null;
          conn = { source: from.nodeId, sourceHandle: from.handleId, target: toId, targetHandle: handle };
        } else {
          conn = { source: toId, target: from.nodeId, targetHandle: from.handleId };
        }
        const why = connectProblem(edgesRef.current, nodesNow, catalogRef.current, conn);
        if (why) say(`Not connected: ${why}.`, "error");
        else if (!state.toHandle) onConnect(conn); // dropped on the card, not its handle
        return;
      }
      const over = el && el.closest ? el.closest(".react-flow__pane") : null;
      if (!over || !wrapper.current || !wrapper.current.contains(over)) return;
      const fromNode = nodesRef.current.find((n) => n.id === from.nodeId);
      const hint =
        from.handleType === "source"
          ? `Add a block fed by ${fromNode ? fromNode.id : from.nodeId}`
          : `Add a block that feeds ${fromNode ? fromNode.id : from.nodeId}`;
      openQuick(point.clientX, point.clientY, from, hint);
    },
    [disabled, onConnect, openQuick, say],
  );

  const pickQuick = useCallback(
    (type) => {
      const q = quick;
      setQuick(null);
      if (q) addWired(type, q.flow, q.from);
    },
    [quick, addWired],
  );
  const closeQuick = useCallback(() => setQuick(null), []);

  // ---- drag from the palette -----------------------------------------------------------
  /**
   * The wire at a point of the pane (client coordinates): the id of the one drawn nearest to
   * it, if at most DROP_WIRE_PX away on screen; null on a block or away from every wire. The
   * wires are sampled from their drawn paths (flow coordinates) once a drag.
   */
  const dragWires = useRef(null);
  const wireUnder = useCallback(
    (clientX, clientY) => {
      const el = document.elementFromPoint(clientX, clientY);
      // on a block, a menu or anything outside the pane: on no wire
      if (!el || !el.closest || !wrapper.current || !wrapper.current.contains(el)) return null;
      if (el.closest(".react-flow__node, .ll-menu, .ll-quick, .react-flow__panel")) return null;
      if (!dragWires.current || dragWires.current.edges !== edgesRef.current) {
        const wires = [];
        for (const g of wrapper.current.querySelectorAll(".react-flow__edge")) {
          const path = g.querySelector("path.react-flow__edge-path");
          const id = g.getAttribute("data-id");
          if (!path || !id || typeof path.getTotalLength !== "function") continue;
          const length = path.getTotalLength();
          const n = Math.max(2, Math.min(400, Math.ceil(length / 4)));
          const points = [];
          for (let i = 0; i <= n; i++) {
            const p = path.getPointAtLength((length * i) / n);
            points.push([p.x, p.y]);
          }
          wires.push({ id, points });
        }
        dragWires.current = { edges: edgesRef.current, wires };
      }
      const at = rf.screenToFlowPosition({ x: clientX, y: clientY });
      return wireAt([at.x, at.y], dragWires.current.wires, DROP_WIRE_PX / rf.getViewport().zoom);
    },
    [rf],
  );

  // while a block that can go onto a wire is dragged over one, that wire is marked
  const markFrame = useRef(0);
  const markWire = useCallback((id) => store.setDropWire(id), [store]);
  const endDrag = useCallback(() => {
    cancelAnimationFrame(markFrame.current);
    dragWires.current = null;
    markWire(null);
  }, [markWire]);
  useEffect(() => {
    window.addEventListener("dragend", endDrag);
    return () => window.removeEventListener("dragend", endDrag);
  }, [endDrag]);

  const onDragOver = useCallback((event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    if (disabled || !Array.from(event.dataTransfer.types || []).includes(INSERT_MIME)) return;
    const { clientX, clientY } = event;
    cancelAnimationFrame(markFrame.current);
    markFrame.current = requestAnimationFrame(() => markWire(wireUnder(clientX, clientY)));
  }, [disabled, markWire, wireUnder]);

  const onDragLeave = useCallback((event) => {
    if (!wrapper.current || !wrapper.current.contains(event.relatedTarget)) endDrag();
  }, [endDrag]);

  /**
   * Where a block dropped at `at` (flow coordinates; addBlock centres its card there) goes: moved
   * the least that puts its whole card inside the pane (keepInPane), so a drop next to the
   * palette does not leave half the card under it.
   */
  const dropPoint = useCallback(
    (type, at) => {
      const el = wrapper.current;
      if (!el || !el.clientWidth || !el.clientHeight) return at;
      const size = sizeOf({ data: { type, params: {} } }, catalogRef.current);
      const top = { x: at.x - NODE_W / 2, y: at.y - 30 }; // as addBlock places it
      const p = keepInPane(top, { w: NODE_W, h: size.h }, rf.getViewport(), el.clientWidth, el.clientHeight);
      return { x: p.x + NODE_W / 2, y: p.y + 30 };
    },
    [rf],
  );

  const onDrop = useCallback(
    (event) => {
      event.preventDefault();
      if (disabled) return;
      const type =
        event.dataTransfer.getData(DRAG_MIME) || event.dataTransfer.getData("text/plain");
      const at = rf.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const wire =
        type && insertable(catalogRef.current.get(type), type) ? wireUnder(event.clientX, event.clientY) : null;
      endDrag();
      if (!type || !catalogRef.current.has(type)) return;
      if (wire) insertBlock(type, at, wire);
      else addBlock(type, dropPoint(type, at));
    },
    [addBlock, insertBlock, disabled, rf, wireUnder, endDrag, dropPoint],
  );

  // ---- keyboard and clipboard ----------------------------------------------------------
  useEffect(() => {
    if (disabled) return undefined;
    const s = sync.current;
    const onKeyDown = (e) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        deleteSelection();
      } else if (mod && key === "z") {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if (mod && key === "y") {
        e.preventDefault();
        redo();
      } else if (mod && key === "d") {
        e.preventDefault();
        duplicate();
      } else if (mod && key === "a") {
        e.preventDefault();
        selectAll(true);
      } else if (mod && key === "c") {
        copySelection(); // the copy event below also puts it on the system clipboard
      } else if (mod && key === "x") {
        if (copySelection()) deleteSelection();
      } else if (mod && key === "v") {
        // the paste event reads the system clipboard; without one, use the canvas's own copy
        s.pasteHandled = false;
        setTimeout(() => {
          if (!s.pasteHandled && s.clip) paste(null);
        }, 60);
      } else if (e.key === "Escape") {
        setMenu(null);
        setQuick(null);
        selectAll(false);
      } else if (!mod && !e.altKey && key === "f") {
        e.preventDefault();
        fit();
      }
    };
    const onCopy = (e) => {
      if (isTyping(e.target)) return;
      const fragment = fragmentOf(nodesRef.current, edgesRef.current);
      if (!fragment.nodes.length || !e.clipboardData) return;
      e.clipboardData.setData("text/plain", JSON.stringify({ layerloom: "fragment", ...fragment }));
      e.preventDefault();
    };
    const onPaste = (e) => {
      if (isTyping(e.target)) return;
      s.pasteHandled = true;
      const text = e.clipboardData ? e.clipboardData.getData("text/plain") : "";
      let fragment = null;
      if (text && text.trim()) {
        try {
          const parsed = JSON.parse(text);
          if (parsed && parsed.layerloom === "fragment") fragment = parsed;
        } catch {
          /* not ours */
        }
        if (!fragment) return;
      }
      e.preventDefault();
      paste(fragment);
    };
    window.addEventListener("keydown", onKeyDown);
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, [disabled, deleteSelection, undo, redo, duplicate, selectAll, copySelection, paste, fit]);

  // ---- render --------------------------------------------------------------------------
  const selCount = useMemo(() => nodes.reduce((a, n) => a + (n.selected ? 1 : 0), 0), [nodes]);
  const toolbarRef = useRef(null);
  const toolbarFit = useToolbarFit(toolbarRef, `${nodes.length}|${selCount}|${paletteOpen}`);
  const edgeSel = useMemo(() => edges.some((e) => e.selected), [edges]);
  const closeMenu = useCallback(() => setMenu(null), []);
  const menuNode = menu && menu.id ? nodes.find((n) => n.id === menu.id) : null;
  const menuComposite = menuNode && isComposite(catalog.get(menuNode.data.type));
  const act = (fn) => () => {
    setMenu(null);
    fn();
  };

  const status = blockCount(nodes.length, selCount);
  const fitStep = FIT_STEPS[toolbarFit];
  const toolbar = (
    <div
      ref={toolbarRef}
      className={fitStep === "wrap" ? "ll-toolbar ll-toolbar-wrap" : "ll-toolbar"}
      role="toolbar"
      aria-label="Canvas"
    >
      <button
        type="button"
        data-testid="btn-palette"
        onClick={() => setPaletteOpen((o) => !o)}
        title={paletteOpen ? "Hide the block palette" : "Show the block palette"}
      >
        {paletteOpen ? "‹ Blocks" : "› Blocks"}
      </button>
      <span className="ll-sep" />
      <button
        type="button"
        data-testid="btn-undo"
        onClick={undo}
        disabled={disabled || !can.undo}
        title={can.undo ? "Undo (Ctrl+Z)" : "Nothing to undo in this session"}
      >
        ↶ Undo
      </button>
      <button
        type="button"
        data-testid="btn-redo"
        onClick={redo}
        disabled={disabled || !can.redo}
        title={can.redo ? "Redo (Ctrl+Shift+Z / Ctrl+Y)" : "Nothing to redo"}
      >
        ↷ Redo
      </button>
      <span className="ll-sep" />
      <button
        type="button"
        data-testid="btn-delete"
        onClick={deleteSelection}
        disabled={disabled || (!selCount && !edgeSel)}
        title="Delete the selection (Delete / Backspace)"
      >
        Delete
      </button>
      <button
        type="button"
        data-testid="btn-group"
        onClick={group}
        disabled={disabled || selCount < 2}
        title="Group as block: the selected blocks become one reusable block"
      >
        Group
      </button>
      <span className="ll-sep" />
      <button
        type="button"
        data-testid="btn-layout"
        onClick={autoLayout}
        disabled={disabled || !nodes.length}
        title="Arrange the graph left to right, in rows when it is long"
      >
        Auto layout
      </button>
      <button type="button" data-testid="btn-fit" onClick={fit} title="Fit the graph in view, at a readable size (F)">
        Fit view
      </button>
      <button type="button" data-testid="btn-zoom-out" onClick={() => rf.zoomOut({ duration: 150 })} title="Zoom out">
        −
      </button>
      <ZoomReadout />
      <button type="button" data-testid="btn-zoom-in" onClick={() => rf.zoomIn({ duration: 150 })} title="Zoom in">
        +
      </button>
      <span className="ll-status" data-testid="canvas-status" title={status}>
        {fitStep === "count-only" ? blockCount(nodes.length) : status}
      </span>
      {fitStep === "all" && <span className="ll-hint">Double-click the canvas to add a block</span>}
    </div>
  );

  return (
    <StoreContext.Provider value={store}>
      <div className={dark ? "ll-root ll-dark" : "ll-root ll-light"} style={{ height }}>
        {toolbar}
        <div className="ll-main">
          {paletteOpen && <Palette catalog={catalogList} onAdd={addBlock} disabled={disabled} />}
          <div
            className="ll-flow"
            ref={wrapper}
            onDragOver={onDragOver}
            onDragLeave={onDragLeave}
            onDrop={onDrop}
            onDoubleClick={onDoubleClick}
            onMouseMove={(e) => {
              pointer.current = { x: e.clientX, y: e.clientY };
            }}
            onMouseLeave={() => {
              pointer.current = null;
            }}
          >
            <ReactFlow
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              edgeTypes={edgeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onConnectStart={dismissToast}
              onConnectEnd={onConnectEnd}
              onNodeDragStart={dismissToast}
              isValidConnection={isValidConnection}
              onNodeDoubleClick={onNodeDoubleClick}
              onNodeContextMenu={onNodeContextMenu}
              onSelectionContextMenu={onSelectionContextMenu}
              onPaneContextMenu={onPaneContextMenu}
              onPaneClick={closeMenu}
              onMoveStart={onMoveStart}
              onMoveEnd={onMoveEnd}
              deleteKeyCode={null}
              multiSelectionKeyCode={MULTI_KEYS}
              selectionKeyCode="Shift"
              zoomOnDoubleClick={false}
              panOnScroll
              zoomOnPinch
              nodesDraggable={!disabled}
              nodesConnectable={!disabled}
              colorMode={dark ? "dark" : "light"}
              minZoom={0.1}
              maxZoom={2.5}
              connectionRadius={28}
              proOptions={{ hideAttribution: true }}
            >
              <Background gap={20} size={1.2} />
              <OutOfView dark={dark} />
            </ReactFlow>
            {!nodes.length && !quick && (
              <div className="ll-blank" data-testid="canvas-blank">
                {paletteOpen
                  ? "Double-click anywhere to add a block, or drag one in from the palette."
                  : "Double-click anywhere to add a block, or open the palette with \u203a\u00a0Blocks above."}
              </div>
            )}
            {quick && (
              <QuickAdd
                x={quick.x}
                y={quick.y}
                catalog={catalogList}
                hint={quick.hint}
                onPick={pickQuick}
                onClose={closeQuick}
              />
            )}
            {quick && <div className="ll-quick-backdrop" onMouseDown={closeQuick} />}
            {toast && (
              <div
                key={toast.id}
                className={`ll-toast ll-toast-${toast.kind}`}
                role="status"
                data-testid="canvas-toast"
              >
                {toast.text}
              </div>
            )}
            {menu && (
              <div
                className="ll-menu"
                ref={menuBox}
                style={{ left: menuAt.x, top: menuAt.y }}
                role="menu"
                data-testid="canvas-menu"
                onContextMenu={(e) => e.preventDefault()}
              >
                {menu.pane ? (
                  <>
                    <button type="button" role="menuitem" onClick={() => openQuick(menu.pane.x, menu.pane.y, null, null)}>
                      Add block…
                    </button>
                    {sync.current.clip && (
                      <button
                        type="button"
                        role="menuitem"
                        onClick={act(() => paste(null, rf.screenToFlowPosition(menu.pane)))}
                      >
                        Paste
                      </button>
                    )}
                    <button type="button" role="menuitem" onClick={act(autoLayout)} disabled={!nodes.length}>
                      Auto layout
                    </button>
                    <button type="button" role="menuitem" onClick={act(fit)}>
                      Fit view
                    </button>
                  </>
                ) : (
                  <>
                    {menuComposite && (
                      <button type="button" role="menuitem" onClick={act(() => emit("open", { id: menu.id }))}>
                        Open block
                      </button>
                    )}
                    <button type="button" role="menuitem" onClick={act(duplicate)}>
                      Duplicate
                    </button>
                    <button type="button" role="menuitem" onClick={act(copySelection)}>
                      Copy
                    </button>
                    {sync.current.clip && (
                      <button
                        type="button"
                        role="menuitem"
                        onClick={act(() => paste(null, rf.screenToFlowPosition({ x: menu.cx, y: menu.cy })))}
                      >
                        Paste
                      </button>
                    )}
                    {selCount >= 2 && (
                      <button type="button" role="menuitem" onClick={act(group)}>
                        Group as block
                      </button>
                    )}
                    <button type="button" role="menuitem" className="ll-danger" onClick={act(deleteSelection)}>
                      Delete
                    </button>
                  </>
                )}
              </div>
            )}
          </div>
        </div>
      </div>
    </StoreContext.Provider>
  );
}
