// Short text forms of shapes, counts and param values for node cards and edge labels.

export function fmtShape(shape) {
  if (!Array.isArray(shape)) return "";
  if (shape.length === 0) return "scalar";
  return shape.join("×");
}

/**
 * A wire's label: its input order into a variadic block ("#2") and the shape it carries, from
 * the annotations' `edges` (keyed "source->target", or "source:port->target" for one output of
 * a block with several).
 */
export function wireLabelText(edge, annEdges) {
  const data = edge.data || {};
  const port = data.sourcePort;
  const key =
    port === undefined || port === null ? `${edge.source}->${edge.target}` : `${edge.source}:${port}->${edge.target}`;
  const ann = annEdges ? annEdges[key] : undefined;
  const shape = ann ? fmtShape(ann.shape) : "";
  const order = data.order ? `#${data.order}` : "";
  return [order, shape].filter(Boolean).join(" ");
}

// the label's box (styles.css .ll-edge-label: 13.5 px monospace, about 8.1 px a character,
// 5 px padding and a 1 px border each side, 18 px lines), rounded up so that the layout errs
// on the roomy side
const LABEL_CHAR_W = 8.4;
const LABEL_PAD_W = 12;
export const LABEL_H = 20;

// a shorter form's label (wireLabelForms) is drawn closer to its text: 3 px padding a side
// (styles.css .ll-edge-label-compact), so that "32×112²" fits the 70 px between two port
// circles 80 px apart
export const BRIEF_PAD_W = 8;

/** The pixel size of a wire label showing `text` (`pad`: its padding and border, both
 *  sides), or null for none. */
export function wireLabelSize(text, pad = LABEL_PAD_W) {
  if (!text) return null;
  return { w: Math.ceil(text.length * LABEL_CHAR_W + pad), h: LABEL_H };
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/**
 * A wire label's text, then its shorter forms, for a wire too short to show it whole: equal
 * sizes side by side as a power (`16×28×28` → `16×28²`), then sizes of five digits and more
 * counted in thousands (`3×50176` → `3×50.2k`). Only the forms shorter than the one before.
 */
export function wireLabelForms(text) {
  const forms = [text];
  if (!text) return forms;
  for (const big of [false, true]) {
    const next = text
      .split(" ")
      .map((word) => shortShape(word, big))
      .join(" ");
    if (next.length < forms[forms.length - 1].length) forms.push(next);
  }
  return forms;
}

function shortShape(word, big) {
  const dims = word.split("×");
  if (dims.length < 2 && !big) return word;
  const out = [];
  for (let i = 0; i < dims.length; ) {
    let j = i;
    while (j + 1 < dims.length && dims[j + 1] === dims[i]) j++;
    const size = big && /^\d{5,}$/.test(dims[i]) ? fmtCount(Number(dims[i])) : dims[i];
    const times = j - i + 1;
    out.push(times > 1 ? `${size}${[...String(times)].map((d) => SUPERSCRIPT[d]).join("")}` : size);
    i = j + 1;
  }
  return out.join("×");
}

/** The canvas status's count: "1 block", "3 blocks", with " · 2 selected" where any are. */
export function blockCount(n, selected = 0) {
  return `${n} block${n === 1 ? "" : "s"}${selected ? ` · ${selected} selected` : ""}`;
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

// param kinds (graph/params.py) whose lists are sizes, read as a shape: "3×3", "2×-1"; any other
// list (a float_tuple's per-channel means, a Permute's order, a Split's sections) is values,
// written as the inspector writes them: "0.485, 0.456, 0.406"
const SIZE_KINDS = new Set(["shape", "int_tuple", "padding"]);

/** A param value's text; `kind` (the param's kind) tells how a list reads. */
export function fmtValue(v, kind) {
  if (v === null || v === undefined) return "–";
  if (Array.isArray(v)) {
    const sizes = kind ? SIZE_KINDS.has(kind) : v.every((x) => Number.isInteger(x));
    return v.map((x) => fmtValue(x, kind)).join(sizes ? "×" : ", ");
  }
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

/** True for a param written as an expression of the design's variables ("=round(32*width)"),
 *  or a list with one in it ([3, "=resolution", "=resolution"]). */
export function isExpression(value) {
  if (typeof value === "string") return value.startsWith("=");
  return Array.isArray(value) && value.some((v) => typeof v === "string" && v.startsWith("="));
}

function written(value) {
  if (Array.isArray(value)) return `[${value.map((v) => written(v)).join(", ")}]`;
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

/**
 * The param rows a card shows, `[{name, value, expr, inline, title, bad}]`: its key params
 * (keyParamValues), when its repeat is an expression the repeat, and the params its problems
 * name (`bad`: true on those rows). `value` is the text at
 * the right of the row. A param written as an expression shows there what it resolved to
 * (`ann.values`, from Python; empty until it resolves), and `expr`, the expression as written,
 * beside it in the row when the row has room (`inline`: `kernel  =kernel 3`), else on its own
 * line under the row, wrapped (the card clamps it to two lines): a reader sees what the block
 * does at a glance and how it scales, where a cut "=round(base_w…" said neither. `title`: all.
 */
export function paramRows(spec, data, ann) {
  const resolved = (ann && ann.values) || {};
  const kinds = new Map(((spec && spec.params) || []).map((p) => [p.name, p.kind]));
  const rows = keyParamValues(spec, data, ann).map(([name, value]) =>
    paramRow(name, value, resolved, kinds.get(name)),
  );
  if (data && isExpression(data.repeat)) rows.push(paramRow("repeat", data.repeat, resolved, "int"));
  // a param a problem of the block names (`ann.bad_params`) is a row too, marked `bad`: a
  // Linear's in_features=8 fed 4 showed out_features alone beside its error badge
  const bad = new Set(Array.isArray(ann && ann.bad_params) ? ann.bad_params : []);
  const shown = new Set(rows.map((r) => r.name));
  const params = (data && data.params) || {};
  const defaults = new Map(((spec && spec.params) || []).map((p) => [p.name, p.default]));
  for (const name of bad) {
    if (shown.has(name) || !(name in params || defaults.has(name))) continue;
    rows.push(paramRow(name, name in params ? params[name] : defaults.get(name), resolved, kinds.get(name)));
  }
  return rows.map((r) => (bad.has(r.name) ? { ...r, bad: true } : r));
}

function paramRow(name, value, resolved, kind) {
  if (!isExpression(value)) {
    return { name, value: fmtValue(value, kind), expr: null, inline: false, title: `${name} = ${written(value)}` };
  }
  const expr = written(value);
  const known = Object.prototype.hasOwnProperty.call(resolved, name);
  const shown = known ? fmtValue(resolved[name], kind) : "";
  const inline = rowWidth(name, expr, shown) <= ROW_PX;
  return { name, value: shown, expr, inline, title: `${name}: ${expr}${known ? ` → ${shown}` : ""}` };
}

// What the card's CSS gives a row (a 200 px card less its padding) and its text: the name in
// 14 px sans, the expression and value in 13.5 px monospace, 10 px between them.
const ROW_PX = 180;
const NAME_CHAR_PX = 7.8;
const MONO_CHAR_PX = 8.2;

function rowWidth(name, expr, value) {
  return name.length * NAME_CHAR_PX + (expr.length + value.length) * MONO_CHAR_PX + 20;
}

/** The repeat badge's text, or null for none: `×3`; a repeat written as an expression shows the
 *  count it resolved to (`×2`; `×?` until it does), the expression being a row of the card. */
export function repeatBadge(repeat, ann) {
  if (repeat === undefined || repeat === null) return null;
  if (!isExpression(repeat)) return repeat === 1 ? null : `×${String(repeat)}`;
  const values = (ann && ann.values) || {};
  return Object.prototype.hasOwnProperty.call(values, "repeat") ? `×${values.repeat}` : "×?";
}

// what the card's CSS gives an expression's line: 13.5 px monospace in a 200 px card
export const EXPR_CHARS_PER_LINE = 21;
export const EXPR_MAX_LINES = 2;

/** How many lines the card gives a row's expression under it: as many as it wraps to, at most
 *  two; none when it has none or it sits in the row. */
export function exprLines(row) {
  if (!row || !row.expr || row.inline) return 0;
  return Math.min(EXPR_MAX_LINES, Math.ceil(row.expr.length / EXPR_CHARS_PER_LINE));
}
