// A card's param rows: a param written as an expression of the design's variables shows what it
// resolved to and, under it, the expression itself (wrapped, at most two lines), not a cut
// "=round(base_w…" that says neither.
import { test } from "node:test";
import assert from "node:assert/strict";
import { exprLines, isExpression, paramRows, repeatBadge } from "../src/format.js";
import { estimateHeight } from "../src/graph.js";

const CONV = {
  type: "Conv2d",
  key_params: ["out_channels", "kernel_size", "stride"],
  params: [
    { name: "out_channels", default: 1 },
    { name: "kernel_size", default: 3 },
    { name: "stride", default: 1 },
  ],
};
const LONG = "=round(base_width * width_mult * 2)";

test("an expression param shows its resolved value on the row and the expression under it", () => {
  const data = { type: "Conv2d", params: { out_channels: LONG, kernel_size: 3 } };
  const rows = paramRows(CONV, data, { values: { out_channels: 64 } });
  assert.deepEqual(rows[0], {
    name: "out_channels",
    value: "64",
    expr: LONG, // whole: the card wraps it under the row, not the text
    inline: false,
    title: `out_channels: ${LONG} → 64`,
  });
  // plain params are as before: the value on the row, nothing under it
  assert.deepEqual(rows[1], {
    name: "kernel_size",
    value: "3",
    expr: null,
    inline: false,
    title: "kernel_size = 3",
  });
  assert.equal(rows[2].value, "1"); // the default
  // before Python has resolved it (or where it cannot): the expression, no value
  const unknown = paramRows(CONV, data, null)[0];
  assert.equal(unknown.value, "");
  assert.equal(unknown.expr, LONG);
  assert.equal(unknown.title, `out_channels: ${LONG}`);
});

test("a list with an expression in it and a resolved pair read as the card shows them", () => {
  const data = { type: "Conv2d", params: { kernel_size: [3, "=k"] } };
  const row = paramRows(CONV, data, { values: { kernel_size: [3, 5] } })[1];
  assert.equal(row.value, "3×5");
  assert.equal(row.expr, "[3, =k]");
  assert.ok(isExpression([3, "=k"]) && isExpression("=k") && !isExpression("k") && !isExpression(3));
});

test("a repeat written as an expression: its count on the badge, the expression as a row", () => {
  const data = { type: "Conv2d", params: {}, repeat: "=1 if stride != 1 or in_shape[0] != channels else 0" };
  const ann = { values: { repeat: 0 } };
  assert.equal(repeatBadge(data.repeat, ann), "×0");
  assert.equal(repeatBadge(data.repeat, null), "×?");
  const rows = paramRows(CONV, data, ann);
  assert.deepEqual(rows.map((r) => r.name), ["out_channels", "kernel_size", "stride", "repeat"]);
  assert.equal(rows[3].value, "0");
  assert.equal(rows[3].expr, data.repeat);
  // a plain repeat keeps its badge and gets no row
  assert.equal(repeatBadge(3, null), "×3");
  assert.equal(repeatBadge(1, null), null);
  assert.equal(repeatBadge(undefined, null), null);
  assert.equal(paramRows(CONV, { type: "Conv2d", params: {}, repeat: 3 }, null).length, 3);
});

test("a short expression sits in its row beside its value; a longer one goes under it", () => {
  const rows = paramRows(CONV, { type: "Conv2d", params: { stride: "=stride", out_channels: "=2 * classes" } },
    { values: { stride: [1, 1], out_channels: 20 } });
  assert.equal(rows[2].inline, true); // stride  =stride 1×1
  assert.equal(rows[0].inline, false); // out_channels, =2 * classes and 20 do not fit a row
});

test("an expression under its row takes one or two lines, and the card's estimated height counts them", () => {
  const under = (expr) => ({ expr, inline: false });
  assert.equal(exprLines(null), 0);
  assert.equal(exprLines({ expr: "=k", inline: true }), 0);
  assert.equal(exprLines(under("=width_mult * 16")), 1);
  assert.equal(exprLines(under(LONG)), 2);
  assert.equal(exprLines(under("=max(8, int(32 * width + 4) // 8 * 8) + (8 if max(8, int(32 * width + 4) // 8 * 8) < 0.9 * 32 * width else 0)")), 2);
  const plain = estimateHeight(CONV, { type: "Conv2d", params: { out_channels: 64 } });
  const inline = estimateHeight(CONV, { type: "Conv2d", params: { stride: "=s" } });
  const short = estimateHeight(CONV, { type: "Conv2d", params: { out_channels: "=width_mult * 16" } });
  const long = estimateHeight(CONV, { type: "Conv2d", params: { out_channels: LONG } });
  assert.equal(inline, plain);
  assert.ok(plain < short && short < long, `${plain} ${short} ${long}`);
  assert.equal(long - plain, 2 * (short - plain));
  assert.equal(estimateHeight(CONV), plain); // without data: the spec's rows only
});

test("a list of values reads as the inspector writes it; only sizes read as a shape", () => {
  const NORMALIZE = {
    type: "Normalize",
    key_params: ["mean"],
    params: [{ name: "mean", kind: "float_tuple", default: [0.485, 0.456, 0.406] }],
  };
  assert.equal(paramRows(NORMALIZE, { params: {} }, null)[0].value, "0.485, 0.456, 0.406");
  const PERMUTE = { type: "Permute", key_params: ["dims"], params: [{ name: "dims", kind: "ints", default: [1, 0] }] };
  assert.equal(paramRows(PERMUTE, { params: {} }, null)[0].value, "1, 0");
  const conv = { ...CONV, params: CONV.params.map((p) => (p.name === "kernel_size" ? { ...p, kind: "int_tuple" } : p)) };
  assert.equal(paramRows(conv, { params: { kernel_size: [3, 5] } }, null)[1].value, "3×5");
  // an expression's resolved value too
  const UNFLATTEN = { type: "Unflatten", key_params: ["sizes"], params: [{ name: "sizes", kind: "shape", default: [2, -1] }] };
  const row = paramRows(UNFLATTEN, { params: { sizes: ["=heads", -1] } }, { values: { sizes: [2, -1] } })[0];
  assert.equal(row.value, "2×-1");
  const mean = paramRows(NORMALIZE, { params: { mean: ["=m", 0.5, 0.5] } }, { values: { mean: [0.25, 0.5, 0.5] } })[0];
  assert.equal(mean.value, "0.25, 0.5, 0.5");
});
