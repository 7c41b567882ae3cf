// One block on the canvas. Everything shown is React text (labels, ids and messages come from
// users and are never parsed as HTML).
import { Fragment, memo, useLayoutEffect, useRef, useState } from "react";
import { Handle, Position } from "@xyflow/react";
import { categoryColor, fmtCount, fmtShape, paramRows, repeatBadge, wireLabelForms } from "./format.js";
import {
  IN,
  OUT,
  hasOutput,
  idWords,
  isComposite,
  isMultiOutput,
  outHandle,
  outputPorts,
  portsOf,
  targetHandles,
  typeWords,
} from "./graph.js";
import { useStoreValue } from "./store.js";

function problemsTitle(ann, spec, id) {
  const lines = [];
  for (const m of (ann && ann.errors) || []) lines.push(`✖ ${m}`);
  for (const m of (ann && ann.warnings) || []) lines.push(`⚠ ${m}`);
  if (lines.length) return lines.join("\n");
  return spec && spec.help ? `${id}: ${spec.help}` : id;
}

/**
 * A type's name that may wrap between its words ("TransformerEncoder" over "Layer" where the
 * whole name does not fit a line), nowhere else.
 */
function TypeName({ type }) {
  return typeWords(type).map((word, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {word}
    </Fragment>
  ));
}

/** An id or label, free to wrap after each "_", "." or "-" (idWords). */
function IdText({ name }) {
  return idWords(name).map((part, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {part}
    </Fragment>
  ));
}

function BlockNode({ id, data, selected }) {
  const spec = useStoreValue((s) => s.catalog.get(data.type));
  const ann = useStoreValue((s) => s.nodes[id]);
  const ports = portsOf(spec);
  const declared = targetHandles(spec);
  const extraPorts = (data.extraPorts || []).filter((p) => !declared.includes(p));
  const composite = isComposite(spec);
  const errors = (ann && ann.errors) || [];
  const warnings = (ann && ann.warnings) || [];
  const params = paramRows(spec, data, ann);
  const repeat = data.repeat;
  const badge = repeatBadge(repeat, ann);
  const classes = ["ll-node"];
  // an expression gets the card's full width to wrap in
  if (params.some((p) => p.expr && !p.inline)) classes.push("ll-has-expr");
  if (composite) classes.push("ll-composite");
  if (errors.length) classes.push("ll-error");
  else if (warnings.length) classes.push("ll-warning");
  if (selected) classes.push("ll-selected");
  if (repeat === 0) classes.push("ll-skipped");
  const frozen = !!(data.extra && data.extra.trainable === false);
  if (frozen) classes.push("ll-frozen");
  if (!spec) classes.push("ll-unknown");
  // a block with several outputs shows each output's shape beside its handle instead
  const shape =
    ann && Array.isArray(ann.output_shape) && !isMultiOutput(spec) ? fmtShape(ann.output_shape) : "";
  // the foot: the output shape and the param count on one line; where both do not fit the card
  // (efficientnet-b0's "→ 16×112×112 1448 params" ran past its edge), the shape's shorter form
  // ("→ 16×112²", the whole in its tooltip), measured once drawn
  const count = ann && typeof ann.params === "number" && ann.params > 0 ? `${fmtCount(ann.params)} params` : "";
  const foot = useRef(null);
  const [brief, setBrief] = useState(null); // the foot's text that did not fit whole
  const footKey = `${shape}|${count}`;
  useLayoutEffect(() => {
    const el = foot.current;
    if (el && brief !== footKey && el.scrollWidth > el.clientWidth + 0.5) setBrief(footKey);
  }, [footKey, brief]);
  const forms = wireLabelForms(shape);
  const footShape = brief === footKey ? forms[forms.length - 1] : shape;
  const named = ports.kind === "named";
  // a block with several outputs: one labelled source handle per output, with its shape
  const multi = isMultiOutput(spec);
  const outs = multi ? outputPorts(spec, data, ann) : [];
  const badOuts = multi ? data.extraOuts || [] : [];

  return (
    <div
      className={classes.join(" ")}
      style={{ "--cat": categoryColor(spec ? spec.category : null) }}
      title={problemsTitle(ann, spec, id)}
      data-testid={`node-${id}`}
    >
      {!named && declared.length > 0 && (
        <Handle
          type="target"
          position={Position.Left}
          id={IN}
          className={ports.kind === "variadic" ? "ll-handle-variadic" : undefined}
        />
      )}
      <div className="ll-head">
        <span className="ll-type" title={data.type || undefined}>
          {data.type ? <TypeName type={data.type} /> : "?"}
        </span>
        {badge && (
          <span className="ll-repeat" title={`repeat = ${String(repeat)}`}>
            {badge}
          </span>
        )}
        {frozen && <span className="ll-frozen-badge" title="Frozen: not trained (trainable: false)">frozen</span>}
        {errors.length > 0 && <span className="ll-badge ll-badge-error">{errors.length}</span>}
        {!errors.length && warnings.length > 0 && (
          <span className="ll-badge ll-badge-warning">{warnings.length}</span>
        )}
        <span className="ll-id" title={data.label ? `${data.label} (${id})` : id}>
          <IdText name={data.label ? data.label : id} />
        </span>
      </div>
      {(named || extraPorts.length > 0) && (
        <div className="ll-ports">
          {(named ? declared : []).concat(extraPorts).map((name) => (
            <div
              key={name}
              className={declared.includes(name) ? "ll-port" : "ll-port ll-port-bad"}
            >
              <Handle type="target" position={Position.Left} id={name} />
              <span>{name}</span>
            </div>
          ))}
        </div>
      )}
      {params.length > 0 && (
        <div className="ll-params">
          {params.map((p) => (
            <div key={p.name} title={p.title} data-testid={`param-${id}-${p.name}`}>
              <div className={p.bad ? "ll-param ll-param-bad" : "ll-param"}>
                <span className="ll-pname">{p.name}</span>
                {p.expr && p.inline && <span className="ll-pexpr-inline">{p.expr}</span>}
                <span className="ll-pvalue">{p.value}</span>
              </div>
              {p.expr && !p.inline && <div className="ll-pexpr">{p.expr}</div>}
            </div>
          ))}
        </div>
      )}
      <div className="ll-foot" ref={foot}>
        <span className="ll-shape" title={footShape !== shape ? `→ ${shape}` : undefined}>
          {shape ? `→ ${footShape}` : ann && ann.output_shape === null ? "→ ?" : ""}
        </span>
        <span className="ll-count">{count}</span>
      </div>
      {multi && (
        <div className="ll-outs">
          {outs.map((p) => (
            <div
              key={p.index}
              className="ll-out"
              data-testid={`out-${id}-${p.index}`}
              title={`output ${p.index}${p.name !== String(p.index) ? ` (${p.name})` : ""}`}
            >
              {p.shape && <span className="ll-out-shape">{fmtShape(p.shape)}</span>}
              <span className="ll-out-name">{p.name}</span>
              <Handle type="source" position={Position.Right} id={outHandle(p.index)} />
            </div>
          ))}
          {badOuts.map((h) => (
            <div key={h} className="ll-out ll-port-bad" title="names no output of this block">
              <span className="ll-out-name">{h.slice(5)}</span>
              <Handle type="source" position={Position.Right} id={h} />
            </div>
          ))}
        </div>
      )}
      {!multi && (hasOutput(spec, data.type) || data.extraOut) && (
        <Handle type="source" position={Position.Right} id={OUT} />
      )}
    </div>
  );
}

// React Flow passes the node's absolute position too, which changes on every drag frame; a
// card only depends on these.
function same(a, b) {
  return (
    a.id === b.id &&
    a.data === b.data &&
    a.selected === b.selected &&
    a.isConnectable === b.isConnectable
  );
}

export default memo(BlockNode, same);
