// A wire, labelled with the tensor shape it carries (and its input order into a variadic block):
// along the route the auto layout gave it while that holds (routes.js), else the plain curve.
import { memo, useContext, useLayoutEffect, useMemo } from "react";
import { BaseEdge, EdgeLabelRenderer } from "@xyflow/react";
import { BRIEF_PAD_W, wireLabelForms, wireLabelSize, wireLabelText } from "./format.js";
import { StoreContext, useStoreValue } from "./store.js";
import { labelPoint, svgPath, wireSegments } from "./wires.js";

function ShapeEdge(props) {
  const { id, source, target, data, selected, markerEnd, style, sourceX, sourceY, targetX, targetY } = props;
  const route = useStoreValue((s) => s.routes[id]);
  const dropOn = useStoreValue((s) => s.dropWire === id); // a dragged block would go onto it
  const segments = useMemo(
    () => wireSegments(sourceX, sourceY, targetX, targetY, route),
    [sourceX, sourceY, targetX, targetY, route],
  );
  const path = svgPath(segments);
  // an edge from one output of a block with several is annotated with that output's shape
  const sourcePort = data ? data.sourcePort : undefined;
  const key =
    sourcePort === undefined || sourcePort === null
      ? `${source}->${target}`
      : `${source}:${sourcePort}->${target}`;
  const ann = useStoreValue((s) => s.edges[key]);
  const text = wireLabelText({ source, target, data }, ann ? { [key]: ann } : null);
  // where the label goes: placed with all the others, clear of the cards and of each other
  // (wires.js placeLabels); a label with no room on its wire is a short mark, its tooltip whole
  // a wire too short for the whole text shows a shorter form (16×28² for 16×28×28) if one fits
  const store = useContext(StoreContext);
  const forms = useMemo(() => wireLabelForms(text), [text]);
  useLayoutEffect(() => {
    const size = wireLabelSize(text);
    const shorter = forms.slice(1).map((t) => wireLabelSize(t, BRIEF_PAD_W));
    store.setWire(id, size ? { segments, w: size.w, h: size.h, forms: shorter } : null);
  }, [store, id, segments, text, forms]);
  useLayoutEffect(() => () => store.setWire(id, null), [store, id]);
  const placed = useStoreValue((s) => s.labels[id]);
  const [labelX, labelY] = placed ? [placed.x, placed.y] : labelPoint(segments);
  const whole = !placed || placed.whole;
  const shown = whole ? forms[(placed && placed.form) || 0] || text : "…";
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
            className={
              (selected ? "ll-edge-label ll-edge-label-selected" : "ll-edge-label") +
              (whole ? "" : " ll-edge-label-short") +
              (shown !== text ? " ll-edge-label-brief" : "") +
              (whole && shown !== text ? " ll-edge-label-compact" : "")
            }
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={`edge-label-${source}-${target}`}
            data-label={text}
            title={shown === text ? undefined : text}
          >
            {shown}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export default memo(ShapeEdge);
