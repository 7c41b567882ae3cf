// Short text forms of shapes, counts and param values for node cards and edge labels.

export function fmtShape(shape) {
  if (!Array.isArray(shape)) return "";
  if (shape.length === 0) return "scalar";
  return shape.join("×");
}

export function fmtCount(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${trim(n / 1e9)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3)}k`;
  return String(n);
}

function trim(x) {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, "") : x.toFixed(2).replace(/\.?0+$/, "");
}

export function fmtValue(v) {
  if (v === null || v === undefined) return "–";
  if (Array.isArray(v)) return v.map(fmtValue).join("×");
  if (typeof v === "object") return JSON.stringify(v);
  const s = String(v);
  return s.length > 28 ? `${s.slice(0, 27)}…` : s;
}

// the block library's categories (graph/blocks), with a few common spellings
const CATEGORY_COLORS = {
  "I/O": "#64748b",
  "Input/Output": "#64748b",
  Convolution: "#2563eb",
  Dense: "#7c3aed",
  Linear: "#7c3aed",
  Activation: "#059669",
  Pooling: "#0891b2",
  Normalisation: "#d97706",
  Normalization: "#d97706",
  Regularisation: "#a16207",
  Dropout: "#a16207",
  Sequence: "#c026d3",
  Attention: "#c026d3",
  Merge: "#ea580c",
  Shape: "#4d7c0f",
  Reshape: "#4d7c0f",
  Blocks: "#0f766e",
};
const FALLBACK = ["#2563eb", "#059669", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#ea580c", "#4d7c0f"];

export function categoryColor(category) {
  if (!category) return "#64748b";
  if (CATEGORY_COLORS[category]) return CATEGORY_COLORS[category];
  let h = 0;
  for (let i = 0; i < category.length; i++) h = (h * 31 + category.charCodeAt(i)) | 0;
  return FALLBACK[Math.abs(h) % FALLBACK.length];
}

/**
 * The key params a card shows, [[name, value], ...]: the node's value, else the block's
 * default. An Input's `shape` is the shape it really gives (the annotation's output shape):
 * inside a composite block that is the shape where the block is used, not the Input's own
 * param (which the block ignores there).
 */
export function keyParamValues(spec, data, ann) {
  const params = data && data.params && typeof data.params === "object" ? data.params : {};
  const defaults = new Map(((spec && spec.params) || []).map((p) => [p.name, p.default]));
  const resolved = ann && Array.isArray(ann.output_shape) ? ann.output_shape : null;
  return ((spec && spec.key_params) || []).map((name) => {
    if (data && data.type === "Input" && name === "shape") {
      return [name, resolved || (name in params ? params[name] : null)];
    }
    return [name, name in params ? params[name] : defaults.get(name)];
  });
}
