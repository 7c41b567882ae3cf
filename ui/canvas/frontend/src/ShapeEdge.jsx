// A wire, labelled with the tensor shape it carries (and its input order into a variadic block):
// along the route the auto layout gave it while that holds (routes.js), else the plain curve.
import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer } from "@xyflow/react";
import { wireLabelText } from "./format.js";
import { useStoreValue } from "./store.js";
import { labelPoint, svgPath, wireSegments } from "./wires.js";

function ShapeEdge(props) {
  const { id, source, target, data, selected, markerEnd, style, sourceX, sourceY, targetX, targetY } = props;
  const route = useStoreValue((s) => s.routes[id]);
  const dropOn = useStoreValue((s) => s.dropWire === id); // a dragged block would go onto it
  const segments = wireSegments(sourceX, sourceY, targetX, targetY, route);
  const path = svgPath(segments);
  const [labelX, labelY] = labelPoint(segments);
  // an edge from one output of a block with several is annotated with that output's shape
  const sourcePort = data ? data.sourcePort : undefined;
  const key =
    sourcePort === undefined || sourcePort === null
      ? `${source}->${target}`
      : `${source}:${sourcePort}->${target}`;
  const ann = useStoreValue((s) => s.edges[key]);
  const text = wireLabelText({ source, target, data }, ann ? { [key]: ann } : null);
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={style}
        className={dropOn ? "ll-edge-drop" : selected ? "ll-edge-selected" : undefined}
        interactionWidth={16}
      />
      {text && (
        <EdgeLabelRenderer>
          <div
            className={selected ? "ll-edge-label ll-edge-label-selected" : "ll-edge-label"}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={`edge-label-${source}-${target}`}
          >
            {text}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(ShapeEdge);
