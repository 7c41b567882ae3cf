// The map of a design larger than the pane: its blocks, the view's box, drag or click to move.
// What it shows and how big it is: minimap.js mapFrame (React Flow's MiniMap drew a design
// stacked in one column as a thin strip with a view's box of a few pixels).
import { useRef } from "react";
import { Panel, useReactFlow, useStore as useFlowStore, useStoreApi } from "@xyflow/react";
import { MAP_WIDTH, centredOn, mapFrame, viewRect } from "./minimap.js";

/** Each drawn block's box in flow coordinates, with its id, in the design's order. */
export function drawnBoxes(st) {
  const out = [];
  for (const n of st.nodes) {
    const inner = st.nodeLookup.get(n.id);
    const m = inner && inner.measured;
    if (!m || !m.width || !m.height) continue;
    const p = inner.internals.positionAbsolute;
    out.push({ id: n.id, x: p.x, y: p.y, width: m.width, height: m.height });
  }
  return out;
}

/** The bounds of `boxes` (drawnBoxes) in flow coordinates; null when there are none. */
export function boundsOf(boxes) {
  if (!boxes.length) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  return {
    x,
    y,
    width: Math.max(...boxes.map((b) => b.x + b.width)) - x,
    height: Math.max(...boxes.map((b) => b.y + b.height)) - y,
  };
}

/** What a map `width` px wide draws, as one string (the store's selector compares it by value). */
const mapKey = (width) => (st) => {
  const boxes = drawnBoxes(st);
  const [x, y, zoom] = st.transform;
  const view = viewRect({ x, y, zoom }, st.width, st.height);
  const frame = mapFrame(boundsOf(boxes), view, st.height, width);
  return JSON.stringify({ frame, view, boxes: boxes.map((b) => [b.x, b.y, b.width, b.height]) });
};

/**
 * The map, in `corner`, `width` px wide (offview.js mapPlace: where it covers no card if it can),
 * or where the user hid it (where every corner holds a card it lies over one: at 1024 px a whole
 * card of a template's third row), a "Map" button that shows it again.
 */
export default function DesignMap({ dark, hidden, corner = "bottom-right", width = MAP_WIDTH, onHidden }) {
  if (hidden) {
    return (
      <Panel position={corner} className="ll-map-shown" data-corner={corner}>
        <button type="button" data-testid="canvas-map-show" title="Show the map of the design" onClick={() => onHidden(false)}>
          Map
        </button>
      </Panel>
    );
  }
  return <MapView dark={dark} corner={corner} wide={width || MAP_WIDTH} onHide={() => onHidden(true)} />;
}

function MapView({ dark, corner, wide, onHide }) {
  const rf = useReactFlow();
  const flow = useStoreApi();
  const drag = useRef(null); // {x, y}: the pointer's last client point while it drags
  // its corner and width, kept while a drag on it moves the view (else it would leave the pointer)
  const held = useRef({ corner, wide });
  if (!drag.current) held.current = { corner, wide };
  const { frame, view, boxes } = JSON.parse(useFlowStore(mapKey(held.current.wide)));
  const latest = useRef(frame);
  latest.current = frame;
  const { x, y, scale, width, height } = frame;
  const w = width * scale;
  const h = height * scale;

  const down = (e) => {
    e.stopPropagation();
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY };
    if (e.target.dataset && e.target.dataset.testid === "canvas-map-view") return;
    // a click beside the view's box brings the view there, and the drag goes on from it
    const r = e.currentTarget.getBoundingClientRect();
    const p = { x: x + (e.clientX - r.left) * scale, y: y + (e.clientY - r.top) * scale };
    const pane = flow.getState();
    rf.setViewport(centredOn(p, rf.getViewport(), pane.width, pane.height));
  };
  const move = (e) => {
    if (!drag.current) return;
    const dx = e.clientX - drag.current.x;
    const dy = e.clientY - drag.current.y;
    drag.current = { x: e.clientX, y: e.clientY };
    const v = rf.getViewport();
    const { rate } = latest.current;
    rf.setViewport({ x: v.x - dx * rate.x * v.zoom, y: v.y - dy * rate.y * v.zoom, zoom: v.zoom });
  };
  const up = () => {
    drag.current = null;
  };

  return (
    <Panel
      position={held.current.corner}
      className="react-flow__minimap ll-minimap nopan nowheel nodrag"
      data-testid="canvas-minimap"
      data-corner={held.current.corner}
      data-whole={frame.whole ? "yes" : "no"}
    >
      <button
        type="button"
        className="ll-map-hide"
        data-testid="canvas-map-hide"
        title="Hide the map (the Map button shows it again)"
        aria-label="Hide the map"
        onClick={onHide}
      >
        {"\u00d7"}
      </button>
      <svg
        width={width}
        height={height}
        viewBox={`${x} ${y} ${w} ${h}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-label={frame.whole ? "Map of the whole design" : "Map of the design round the view"}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
      >
        {boxes.map(([bx, by, bw, bh], i) => (
          <rect
            key={i}
            className="react-flow__minimap-node"
            x={bx}
            y={by}
            width={bw}
            height={bh}
            rx={3 * scale > bh / 2 ? 0 : 3}
            style={{ fill: dark ? "#64748b" : "#94a3b8" }}
            pointerEvents="none"
          />
        ))}
        <path
          className="react-flow__minimap-mask"
          d={`M${x},${y}h${w}v${h}h${-w}z M${view.x},${view.y}h${view.width}v${view.height}h${-view.width}z`}
          fillRule="evenodd"
          pointerEvents="none"
        />
        <rect
          className="ll-map-view"
          data-testid="canvas-map-view"
          x={view.x}
          y={view.y}
          width={view.width}
          height={view.height}
          vectorEffect="non-scaling-stroke"
        />
      </svg>
    </Panel>
  );
}
